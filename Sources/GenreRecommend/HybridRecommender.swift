/// The blend: score = Σ wₛ · partₛ over collaborative (ALS, BPR or EASE), co-occurrence, content,
/// popularity and freshness, each part normalised to 0...1 for the user (collaborative, co-occurrence and
/// content by the user's best candidate; popularity by the most popular item; freshness by age). Candidates
/// are the union of each strategy's own top list, so an item nobody has touched yet can reach a user
/// through its text alone.
public struct HybridRecommender: Sendable {
    public let base: BehaviourRecommender
    public let vectors: ItemVectorTable
    public var weights: BlendWeights
    /// The trained collaborative model (nil: the part counts 0).
    public var collaborative: (any CollaborativeModel)?
    /// Decay of interaction strengths for fold-in, as in training (collaborative.half_life_days).
    public var collaborativeHalfLifeDays = 0.0
    /// Compute per-row anchors for collaborative rows (off for evaluation, which reads only the ranking).
    public var explains = true
    /// Items that may be recommended at all (empty: every item); evaluation limits candidates to train items.
    public var allowed: [Bool] = []
    /// MMR trade-off (1 = pure relevance) and how many head positions it re-orders.
    public var diversityLambda: Float = 1
    public var diversityWindow = 20
    /// Per-item score multiplier from setting recommend.category_boosts (empty: no boosts).
    public var boost: [Float] = []
    /// Per-item freshness in 0...1 (empty: no freshness part) and the items by it, freshest first.
    public private(set) var freshness: [Float] = []
    private var freshest: [Int32] = []
    /// Normalised popularity and user count by item.
    let popularityScore: [Float]
    let popularityUsers: [Int]

    public init(base: BehaviourRecommender, vectors: ItemVectorTable, weights: BlendWeights,
                collaborative: (any CollaborativeModel)? = nil) {
        self.base = base
        self.vectors = vectors
        self.weights = weights
        self.collaborative = collaborative
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

    /// Sets each item's freshness (1 = new, halving every half-life of age; 0 for unknown ages).
    public mutating func setFreshness(_ values: [Float]) {
        freshness = values
        freshest = values.indices.filter { values[$0] > 0 }.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }
            .prefix(1000).map { Int32($0) }
    }

    struct Parts {
        var collaborative: Float = 0
        var cooccurrence: Float = 0
        var content: Float = 0
        var anchors: [Anchor] = []
    }

    /// - Parameters:
    ///   - contentScores: the interest's cosine with every item, when the caller computed them in a batch.
    ///   - collaborativeScores: the collaborative model's scores for this user, when the caller has them (a
    ///     trained user in a full refresh); otherwise the user is folded in from `history`. A fold-in that
    ///     fails is thrown, never dropped: a list without its collaborative part would be another list.
    public func recommend(_ history: UserHistory, interest: UserInterest?, k: Int, excludeSeen: Bool,
                          scratch: inout BehaviourRecommender.Scratch, contentScores: [Float]? = nil,
                          collaborativeScores: [Float]? = nil) throws -> [Recommendation] {
        guard k > 0 else { return [] }
        let pool = max(2 * k, 50)
        func eligible(_ item: Int32) -> Bool {
            !(excludeSeen && history.seen.contains(item)) && (allowed.isEmpty || (Int(item) < allowed.count && allowed[Int(item)]))
        }
        var parts: [Int32: Parts] = [:]
        if weights.cooccurrence > 0 {
            for row in base.recommend(history, k: pool, excludeSeen: excludeSeen, scratch: &scratch) where row.strategy == .cooccurrence {
                parts[row.item] = Parts(cooccurrence: row.score, anchors: row.anchors)
            }
        }
        // Content: cosine of the interest vector with every item.
        var content: [Float] = []
        if let interest, weights.content > 0, !vectors.isEmpty {
            content = normalisedTop(contentScores ?? vectors.scores(interest.vector), pool: pool, parts: &parts) {
                vectors.present[$0] && eligible(Int32($0))
            }
        }
        // Collaborative: the trained user's scores, or the user folded in from their history.
        var collaborativePart: [Float] = []
        let interactions = TrainingMatrix.decayed(history.anchors, halfLifeDays: collaborativeHalfLifeDays)
            .map { Interaction(item: $0.item, strength: Float($0.strength)) }
        if let model = collaborative, weights.collaborative > 0,
           let scores = try collaborativeScores ?? (interactions.isEmpty ? nil : model.scores(history: interactions)) {
            collaborativePart = normalisedTop(scores, pool: pool, parts: &parts) { eligible(Int32($0)) }
        }
        if weights.popularity > 0 { addCandidates(base.popularity.ranked.lazy.map(\.item), pool: pool, eligible: eligible, parts: &parts) }
        if weights.freshness > 0 { addCandidates(freshest, pool: pool, eligible: eligible, parts: &parts) }

        // Keep a wider pool than k when diversity may pull items up from below the cut.
        let keep = diversityLambda < 1 ? max(k, min(3 * diversityWindow, pool)) : k
        var blended = TopK(k: keep)
        var resolved: [Int32: Parts] = [:]
        for (item, var p) in parts {
            let index = Int(item)
            if index < content.count { p.content = content[index] }
            if index < collaborativePart.count { p.collaborative = collaborativePart[index] }
            var score = weights.collaborative * p.collaborative + weights.cooccurrence * p.cooccurrence
                + weights.content * p.content + weights.popularity * popularity(index) + weights.freshness * fresh(index)
            if index < boost.count { score *= boost[index] }
            guard score > 0 else { continue }
            resolved[item] = p
            blended.offer(item, score)
        }
        var rows = blended.sorted().map { row(for: $0, parts: resolved[$0.index]!, interest: interest) }
        explainCollaborative(&rows, interactions: interactions, history: history)
        rows = Array(Diversity.rerank(rows, vectors: vectors, lambda: diversityLambda, window: diversityWindow).prefix(k))
        if rows.count < k {
            // Too few scored candidates (a tiny catalogue): let the co-occurrence list's popular fill finish it.
            let taken = Set(rows.map(\.item))
            rows += base.recommend(history, k: k, excludeSeen: excludeSeen, scratch: &scratch)
                .filter { !taken.contains($0.item) }.prefix(k - rows.count)
        }
        return rows
    }

    func popularity(_ index: Int) -> Float { index < popularityScore.count ? popularityScore[index] : 0 }
    func fresh(_ index: Int) -> Float { index < freshness.count ? freshness[index] : 0 }

    /// Scales `scores` so the user's best eligible item is 1 (negatives become 0) and adds that item's top
    /// `pool` as candidates.
    private func normalisedTop(_ scores: [Float], pool: Int, parts: inout [Int32: Parts], eligible: (Int) -> Bool) -> [Float] {
        var best = TopK(k: pool)
        for item in scores.indices where scores[item] > 0 && eligible(item) { best.offer(Int32(item), scores[item]) }
        let top = best.sorted()
        let scale = 1 / max(top.first?.score ?? 1, 1e-12)
        for candidate in top where parts[candidate.index] == nil { parts[candidate.index] = Parts() }
        return scores.map { max(0, $0) * scale }
    }

    private func addCandidates<S: Sequence>(_ ranked: S, pool: Int, eligible: (Int32) -> Bool, parts: inout [Int32: Parts])
    where S.Element == Int32 {
        var added = 0
        for item in ranked where added < pool && eligible(item) {
            if parts[item] == nil { parts[item] = Parts() }
            added += 1
        }
    }

    private func row(for candidate: (index: Int32, score: Float), parts p: Parts, interest: UserInterest?) -> Recommendation {
        let index = Int(candidate.index)
        // Shares are of the unboosted blend: a boost scales the whole score, not one strategy.
        let factor = index < boost.count ? boost[index] : 1
        let total = max(candidate.score / max(factor, 1e-12), 1e-12)
        var shares: [Strategy: Float] = [:]
        func share(_ strategy: Strategy, _ weight: Float, _ part: Float) {
            if weight > 0 && part > 0 { shares[strategy] = weight * part / total }
        }
        share(.collaborative, weights.collaborative, p.collaborative)
        share(.cooccurrence, weights.cooccurrence, p.cooccurrence)
        share(.content, weights.content, p.content)
        share(.popularity, weights.popularity, popularity(index))
        share(.freshness, weights.freshness, fresh(index))
        let dominant = shares.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key ?? .popularity
        var anchor: ContentAnchor?
        if let interest, (shares[.content] ?? 0) >= 0.15, let v = vectors.vector(candidate.index),
           let closest = interest.closestSource(to: v) {
            anchor = ContentAnchor(kind: closest.source.kind, event: closest.source.event, similarity: closest.similarity)
        }
        // Co-occurrence anchors stand unless the collaborative part outweighs them (explainCollaborative).
        return Recommendation(item: candidate.index, score: candidate.score, strategy: dominant,
                              anchors: (shares[.cooccurrence] ?? 0) >= (shares[.collaborative] ?? 0) ? p.anchors : [],
                              users: index < popularityUsers.count ? popularityUsers[index] : 0,
                              shares: shares, contentAnchor: anchor)
    }

    /// Anchors for rows the collaborative model carries most: the history items that add most to the
    /// item's collaborative score (the model's own decomposition), up to three, with their shares.
    private func explainCollaborative(_ rows: inout [Recommendation], interactions: [Interaction], history: UserHistory) {
        guard explains, let model = collaborative, !interactions.isEmpty else { return }
        let positions = rows.indices.filter { (rows[$0].shares[.collaborative] ?? 0) > (rows[$0].shares[.cooccurrence] ?? 0) }
        guard !positions.isEmpty else { return }
        let contributions = model.contributions(history: interactions, to: positions.map { rows[$0].item })
        for (position, parts) in zip(positions, contributions) {
            let positive = parts.reduce(Float(0)) { $0 + max(0, $1) }
            guard positive > 0 else { continue }
            rows[position].anchors = parts.indices.filter { parts[$0] > 0 }.sorted { parts[$0] > parts[$1] }.prefix(3).map {
                Anchor(item: interactions[$0].item, event: history.anchors[$0].dominantEvent, share: parts[$0] / positive)
            }
        }
    }
}
