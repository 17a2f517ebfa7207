/// The behavioural base of every list (and the popularity fallback): scores a user's candidates from their
/// history with the co-occurrence neighbours, score(j) = Σ over anchors i of strength(i) · similarity(i, j). Disliked anchors (negative strength)
/// push their neighbours down. When fewer than k items score above zero, popular items fill the list.
public struct BehaviourRecommender: Sendable {
    public let cooccurrence: CooccurrenceModel
    public let popularity: PopularityModel
    public var anchorsPerItem = 3

    public init(cooccurrence: CooccurrenceModel, popularity: PopularityModel) {
        self.cooccurrence = cooccurrence
        self.popularity = popularity
    }

    /// Reusable dense buffers, so a full refresh of many users allocates once. Anchors are kept in flat
    /// arrays (`anchors` slots per item) because per-item arrays would copy on every update.
    public struct Scratch {
        var score: [Double]
        /// Sum of the positive contributions: anchors' shares are fractions of it, so they stay within 0...1
        /// even when a disliked anchor pulls the total down.
        var positive: [Double]
        var isTouched: [Bool]
        var anchorItem: [Int32]
        var anchorValue: [Double]
        var anchorCount: [UInt8]
        let slots: Int
        var touched: [Int32] = []
        public init(itemCount: Int, anchors: Int) {
            slots = anchors
            score = Array(repeating: 0, count: itemCount)
            positive = Array(repeating: 0, count: itemCount)
            isTouched = Array(repeating: false, count: itemCount)
            anchorItem = Array(repeating: 0, count: itemCount * anchors)
            anchorValue = Array(repeating: 0, count: itemCount * anchors)
            anchorCount = Array(repeating: 0, count: itemCount)
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
                let contribution = anchor.strength * Double(neighbor.score)
                if !scratch.isTouched[j] {
                    scratch.isTouched[j] = true
                    scratch.touched.append(neighbor.item)
                }
                scratch.score[j] += contribution
                if contribution > 0 {
                    scratch.positive[j] += contribution
                    keepStrongest(&scratch, j, anchor.item, contribution)
                }
            }
        }
        var best = TopK(k: k)
        for j in scratch.touched where scratch.score[Int(j)] > 0 { best.offer(j, Float(scratch.score[Int(j)])) }
        let top = best.sorted()
        let maxScore = Double(top.first?.score ?? 1)
        var results: [Recommendation] = top.map { candidate in
            let j = Int(candidate.index)
            let total = scratch.score[j]
            let base = j * scratch.slots
            let anchors = (base..<base + Int(scratch.anchorCount[j])).map { slot in
                Anchor(item: scratch.anchorItem[slot], event: eventOf[scratch.anchorItem[slot]] ?? "view",
                       share: Float(scratch.anchorValue[slot] / scratch.positive[j]))
            }
            return Recommendation(item: candidate.index, score: Float(total / maxScore), strategy: .cooccurrence,
                                  anchors: anchors, users: 0)
        }
        for j in scratch.touched {
            scratch.score[Int(j)] = 0
            scratch.positive[Int(j)] = 0
            scratch.isTouched[Int(j)] = false
            scratch.anchorCount[Int(j)] = 0
        }
        if results.count < k { fillWithPopular(&results, history: history, k: k, excludeSeen: excludeSeen) }
        return results
    }

    /// Keeps the largest contributions for candidate j, largest first (insertion into at most `slots`).
    private func keepStrongest(_ scratch: inout Scratch, _ j: Int, _ anchor: Int32, _ value: Double) {
        guard scratch.slots > 0 else { return }
        let base = j * scratch.slots
        let count = Int(scratch.anchorCount[j])
        if count == scratch.slots && value <= scratch.anchorValue[base + count - 1] { return }
        var position = min(count, scratch.slots - 1)
        while position > 0 && scratch.anchorValue[base + position - 1] < value {
            scratch.anchorItem[base + position] = scratch.anchorItem[base + position - 1]
            scratch.anchorValue[base + position] = scratch.anchorValue[base + position - 1]
            position -= 1
        }
        scratch.anchorItem[base + position] = anchor
        scratch.anchorValue[base + position] = value
        if count < scratch.slots { scratch.anchorCount[j] = UInt8(count + 1) }
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
