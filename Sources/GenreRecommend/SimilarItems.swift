/// What `genre.similar_items` serves: for each item, the union of its top co-occurrence, collaborative and
/// content neighbours, each scored w·content + (1 − w)·behaviour, where behaviour is the co-occurrence
/// similarity, or when a collaborative model is built, the mean of it and the collaborative similarity
/// (scaled so the item's closest collaborative neighbour is 1). A missing part counts 0. Keeping the union
/// (not just the blended top k) lets a reader rebuild the co-occurrence and EASE lists exactly.
public enum SimilarItems {
    public struct Entry: Sendable, Equatable {
        public var item: Int32
        public var score: Float
        public var content: Float
        public var cooccurrence: Float
        /// The collaborative model's own similarity (factor cosine for ALS/BPR, the weight for EASE).
        public var collaborative: Float = 0
        public var commonUsers: Int32
        /// What each part added to `score`.
        public var contentPart: Float = 0
        public var cooccurrencePart: Float = 0
        public var collaborativePart: Float = 0
    }

    public static func blend(cooccurrence: [[CooccurrenceModel.Neighbor]], content: [[ItemNeighbor]],
                             collaborative: [[ItemNeighbor]] = [], contentWeight: Float) -> [[Entry]] {
        let count = max(cooccurrence.count, content.count, collaborative.count)
        return (0..<count).map { item in
            var merged: [Int32: Entry] = [:]
            func entry(_ other: Int32) -> Entry {
                merged[other] ?? Entry(item: other, score: 0, content: 0, cooccurrence: 0, commonUsers: 0)
            }
            if item < cooccurrence.count {
                for n in cooccurrence[item] {
                    var e = entry(n.item)
                    e.cooccurrence = n.score
                    e.commonUsers = n.commonUsers
                    merged[n.item] = e
                }
            }
            if item < content.count {
                for n in content[item] { merged[n.item] = { var e = entry(n.item); e.content = n.score; return e }() }
            }
            var collaborativeScale: Float = 0
            if item < collaborative.count {
                for n in collaborative[item] { merged[n.item] = { var e = entry(n.item); e.collaborative = n.score; return e }() }
                collaborativeScale = 1 / max(collaborative[item].map(\.score).max() ?? 1, 1e-12)
            }
            let withCollaborative = !collaborative.isEmpty
            return merged.values.map { entry in
                var e = entry
                let behaviourWeight = (1 - contentWeight) * (withCollaborative ? 0.5 : 1)
                e.contentPart = contentWeight * max(0, e.content)
                e.cooccurrencePart = behaviourWeight * e.cooccurrence
                e.collaborativePart = behaviourWeight * max(0, e.collaborative) * collaborativeScale
                e.score = e.contentPart + e.cooccurrencePart + e.collaborativePart
                return e
            }.sorted { $0.score > $1.score || ($0.score == $1.score && $0.item < $1.item) }
        }
    }
}
