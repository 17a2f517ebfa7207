/// How much each strategy counts in the blend (setting blend.weights).
public struct BlendWeights: Sendable, Equatable {
    public var cooccurrence: Float
    public var content: Float
    public var popularity: Float

    public init(cooccurrence: Float, content: Float, popularity: Float) {
        self.cooccurrence = cooccurrence
        self.content = content
        self.popularity = popularity
    }

    public static let defaults = BlendWeights(cooccurrence: 0.6, content: 0.3, popularity: 0.1)
}

/// The blend: score = w_co · co-occurrence + w_content · content + w_pop · popularity, each part
/// normalised to 0...1 for the user (co-occurrence and content by the user's best candidate, popularity by
/// the most popular item). Candidates are the union of each strategy's own top list, so an item nobody has
/// touched yet can reach a user through its text alone.
public struct HybridRecommender: Sendable {
    public let base: CooccurrenceRecommender
    public let vectors: ItemVectorTable
    public var weights: BlendWeights
    /// MMR trade-off (1 = pure relevance) and how many head positions it re-orders.
    public var diversityLambda: Float = 1
    public var diversityWindow = 20
    /// Per-item score multiplier from setting recommend.category_boosts (empty: no boosts).
    public var boost: [Float] = []
    /// Normalised popularity and user count by item.
    let popularityScore: [Float]
    let popularityUsers: [Int]

    public init(base: CooccurrenceRecommender, vectors: ItemVectorTable, weights: BlendWeights) {
        self.base = base
        self.vectors = vectors
        self.weights = weights
        let count = max(base.cooccurrence.neighbors.count, vectors.count)
        var score = [Float](repeating: 0, count: count), users = [Int](repeating: 0, count: count)
        let top = base.popularity.ranked.first?.score ?? 1
        for entry in base.popularity.ranked where Int(entry.item) < count {
            score[Int(entry.item)] = entry.score / max(top, 1e-12)
            users[Int(entry.item)] = entry.users
        }
        popularityScore = score
        popularityUsers = users
    }

    struct Parts {
        var cooccurrence: Float = 0
        var content: Float = 0
        var anchors: [Anchor] = []
    }

    /// - Parameter contentScores: the interest's cosine with every item when the caller computed them in a
    ///   batch (full refresh); computed here otherwise.
    public func recommend(_ history: UserHistory, interest: UserInterest?, k: Int, excludeSeen: Bool,
                          scratch: inout CooccurrenceRecommender.Scratch, contentScores: [Float]? = nil) -> [Recommendation] {
        guard k > 0 else { return [] }
        let pool = max(2 * k, 50)
        var parts: [Int32: Parts] = [:]
        for row in base.recommend(history, k: pool, excludeSeen: excludeSeen, scratch: &scratch) where row.strategy == .cooccurrence {
            parts[row.item] = Parts(cooccurrence: row.score, content: 0, anchors: row.anchors)
        }
        func eligible(_ item: Int32) -> Bool { !(excludeSeen && history.seen.contains(item)) }
        // Content: cosine of the interest vector with every item, the user's best as 1.
        var content: [Float] = []
        if let interest, weights.content > 0, !vectors.isEmpty {
            content = contentScores ?? vectors.scores(interest.vector)
            var best = TopK(k: pool)
            for item in 0..<vectors.count where vectors.present[item] && eligible(Int32(item)) && content[item] > 0 {
                best.offer(Int32(item), content[item])
            }
            let top = best.sorted()
            let scale = 1 / max(top.first?.score ?? 1, 1e-6)
            for item in 0..<content.count { content[item] = max(0, content[item]) * scale }
            for candidate in top where parts[candidate.index] == nil { parts[candidate.index] = Parts() }
        }
        if weights.popularity > 0 {
            var added = 0
            for entry in base.popularity.ranked where added < pool && eligible(entry.item) {
                if parts[entry.item] == nil { parts[entry.item] = Parts() }
                added += 1
            }
        }
        // Keep a wider pool than k when diversity may pull items up from below the cut.
        let keep = diversityLambda < 1 ? max(k, min(3 * diversityWindow, pool)) : k
        var blended = TopK(k: keep)
        var resolved: [Int32: (parts: Parts, pop: Float)] = [:]
        for (item, var p) in parts {
            let index = Int(item)
            if index < content.count { p.content = content[index] }
            let pop = index < popularityScore.count ? popularityScore[index] : 0
            var score = weights.cooccurrence * p.cooccurrence + weights.content * p.content + weights.popularity * pop
            if index < boost.count { score *= boost[index] }
            guard score > 0 else { continue }
            resolved[item] = (p, pop)
            blended.offer(item, score)
        }
        var rows = blended.sorted().map { candidate -> Recommendation in
            let (p, pop) = resolved[candidate.index]!
            // Shares are of the unboosted blend: a boost scales the whole score, not one strategy.
            let factor = Int(candidate.index) < boost.count ? boost[Int(candidate.index)] : 1
            let total = max(candidate.score / max(factor, 1e-12), 1e-12)
            var shares: [Strategy: Float] = [:]
            if p.cooccurrence > 0 && weights.cooccurrence > 0 { shares[.cooccurrence] = weights.cooccurrence * p.cooccurrence / total }
            if p.content > 0 && weights.content > 0 { shares[.content] = weights.content * p.content / total }
            if pop > 0 && weights.popularity > 0 { shares[.popularity] = weights.popularity * pop / total }
            let dominant = shares.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key ?? .popularity
            var anchor: ContentAnchor?
            if let interest, (shares[.content] ?? 0) >= 0.15, let v = vectors.vector(candidate.index),
               let closest = interest.closestSource(to: v) {
                anchor = ContentAnchor(kind: closest.source.kind, event: closest.source.event, similarity: closest.similarity)
            }
            return Recommendation(item: candidate.index, score: candidate.score, strategy: dominant, anchors: p.anchors,
                                  users: Int(candidate.index) < popularityUsers.count ? popularityUsers[Int(candidate.index)] : 0,
                                  shares: shares, contentAnchor: anchor)
        }
        rows = Array(Diversity.rerank(rows, vectors: vectors, lambda: diversityLambda, window: diversityWindow).prefix(k))
        if rows.count < k {
            // Too few scored candidates (a tiny catalogue): let the co-occurrence list's popular fill finish it.
            let taken = Set(rows.map(\.item))
            rows += base.recommend(history, k: k, excludeSeen: excludeSeen, scratch: &scratch)
                .filter { !taken.contains($0.item) }.prefix(k - rows.count)
        }
        return rows
    }
}
