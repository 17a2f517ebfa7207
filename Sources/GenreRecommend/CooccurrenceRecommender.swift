/// Scores a user's candidates from their history with the co-occurrence neighbours:
/// score(j) = Σ over anchors i of strength(i) · similarity(i, j). Disliked anchors (negative strength)
/// push their neighbours down. When fewer than k items score above zero, popular items fill the list.
public struct CooccurrenceRecommender: Sendable {
    public let cooccurrence: CooccurrenceModel
    public let popularity: PopularityModel
    public var anchorsPerItem = 3

    public init(cooccurrence: CooccurrenceModel, popularity: PopularityModel) {
        self.cooccurrence = cooccurrence
        self.popularity = popularity
    }

    /// Reusable dense buffers, so a full refresh of many users allocates once.
    public struct Scratch {
        var score: [Double]
        var anchorItem: [[Int32]]
        var anchorValue: [[Double]]
        var touched: [Int32] = []
        public init(itemCount: Int, anchors: Int) {
            score = Array(repeating: 0, count: itemCount)
            anchorItem = Array(repeating: [], count: itemCount)
            anchorValue = Array(repeating: [], count: itemCount)
        }
    }

    public func recommend(_ history: UserHistory, k: Int, excludeSeen: Bool = true) -> [Recommendation] {
        var scratch = Scratch(itemCount: cooccurrence.neighbors.count, anchors: anchorsPerItem)
        return recommend(history, k: k, excludeSeen: excludeSeen, scratch: &scratch)
    }

    public func recommend(_ history: UserHistory, k: Int, excludeSeen: Bool, scratch: inout Scratch) -> [Recommendation] {
        guard k > 0 else { return [] }
        let eventOf = Dictionary(history.anchors.map { ($0.item, $0.dominantEvent) }, uniquingKeysWith: { a, _ in a })
        scratch.touched.removeAll(keepingCapacity: true)
        for anchor in history.anchors where Int(anchor.item) < cooccurrence.neighbors.count {
            for neighbor in cooccurrence.neighbors[Int(anchor.item)] {
                let j = Int(neighbor.item)
                if excludeSeen && history.seen.contains(neighbor.item) { continue }
                if scratch.score[j] == 0 && scratch.anchorItem[j].isEmpty { scratch.touched.append(neighbor.item) }
                let contribution = anchor.strength * Double(neighbor.score)
                scratch.score[j] += contribution
                if contribution > 0 { keepStrongest(&scratch, j, anchor.item, contribution) }
            }
        }
        var best = TopK(k: k)
        for j in scratch.touched where scratch.score[Int(j)] > 0 { best.offer(j, Float(scratch.score[Int(j)])) }
        let top = best.sorted()
        let maxScore = Double(top.first?.score ?? 1)
        var results: [Recommendation] = top.map { candidate in
            let j = Int(candidate.index)
            let total = scratch.score[j]
            let anchors = zip(scratch.anchorItem[j], scratch.anchorValue[j]).map { item, value in
                Anchor(item: item, event: eventOf[item] ?? "view", share: Float(min(1, value / total)))
            }
            return Recommendation(item: candidate.index, score: Float(total / maxScore), strategy: .cooccurrence,
                                  anchors: anchors, users: 0)
        }
        for j in scratch.touched {
            scratch.score[Int(j)] = 0
            scratch.anchorItem[Int(j)].removeAll(keepingCapacity: true)
            scratch.anchorValue[Int(j)].removeAll(keepingCapacity: true)
        }
        if results.count < k { fillWithPopular(&results, history: history, k: k, excludeSeen: excludeSeen) }
        return results
    }

    /// Keeps the `anchorsPerItem` largest contributions for candidate j, largest first.
    private func keepStrongest(_ scratch: inout Scratch, _ j: Int, _ anchor: Int32, _ value: Double) {
        var items = scratch.anchorItem[j], values = scratch.anchorValue[j]
        if items.count == anchorsPerItem, let last = values.last, value <= last { return }
        var position = values.count
        while position > 0 && values[position - 1] < value { position -= 1 }
        items.insert(anchor, at: position)
        values.insert(value, at: position)
        if items.count > anchorsPerItem { items.removeLast(); values.removeLast() }
        scratch.anchorItem[j] = items
        scratch.anchorValue[j] = values
    }

    private func fillWithPopular(_ results: inout [Recommendation], history: UserHistory, k: Int, excludeSeen: Bool) {
        let taken = Set(results.map(\.item))
        let top = Double(popularity.ranked.first?.score ?? 1)
        for entry in popularity.ranked where results.count < k {
            if taken.contains(entry.item) || (excludeSeen && history.seen.contains(entry.item)) { continue }
            results.append(Recommendation(item: entry.item, score: Float(Double(entry.score) / top), strategy: .popularity,
                                          anchors: [], users: entry.users))
        }
    }
}
