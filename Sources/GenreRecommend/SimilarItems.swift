/// What `genre.similar_items` serves: for each item, the union of its top co-occurrence and top content
/// neighbours, each scored w·content + (1 − w)·co-occurrence (a missing part counts 0), best first.
/// Keeping the union (not just the blended top k) lets a reader rebuild the co-occurrence lists exactly.
public enum SimilarItems {
    public struct Entry: Sendable, Equatable {
        public var item: Int32
        public var score: Float
        public var content: Float
        public var cooccurrence: Float
        public var commonUsers: Int32
    }

    public static func blend(cooccurrence: [[CooccurrenceModel.Neighbor]], content: [[ContentSimilarity.Neighbor]],
                             contentWeight: Float) -> [[Entry]] {
        let count = max(cooccurrence.count, content.count)
        return (0..<count).map { item in
            var merged: [Int32: Entry] = [:]
            if item < cooccurrence.count {
                for n in cooccurrence[item] {
                    merged[n.item] = Entry(item: n.item, score: 0, content: 0, cooccurrence: n.score, commonUsers: n.commonUsers)
                }
            }
            if item < content.count {
                for n in content[item] {
                    merged[n.item, default: Entry(item: n.item, score: 0, content: 0, cooccurrence: 0, commonUsers: 0)].content = n.score
                }
            }
            return merged.values.map { entry in
                var e = entry
                e.score = contentWeight * max(0, e.content) + (1 - contentWeight) * e.cooccurrence
                return e
            }.sorted { $0.score > $1.score || ($0.score == $1.score && $0.item < $1.item) }
        }
    }
}
