import Foundation

/// Trains one model on a split's train part and measures its top-k lists against the test part: what
/// `genre eval` runs, and what tuning will run on a database's own hold-out. No database, no files.
///
/// Every model goes through the same HybridRecommender the daemon serves from: a single-strategy model is
/// the blend with that strategy's weight alone (and no MMR), "hybrid" is the blend of the settings. So the
/// numbers measure what users would get.
public struct Evaluator {
    public static let models = ["popularity", "cooccurrence", "als", "bpr", "ease", "ensemble", "content", "hybrid"]

    public let itemCount: Int
    public var settings: RecommenderSettings
    /// Item embeddings (content and hybrid models, and the diversity metric); nil without item text.
    public var vectors: ItemVectorTable?
    /// Each user's profile interests with their vectors (`genre eval --user-profiles`), blended into the
    /// interest vector with `interest.profile_weight` exactly as the daemon does.
    public var profiles: [Int: [UserInterest.TextEvent]] = [:]

    public init(itemCount: Int, settings: RecommenderSettings, vectors: ItemVectorTable? = nil) {
        self.itemCount = itemCount
        self.settings = settings
        self.vectors = vectors
    }

    public struct Result: Sendable {
        public var model: String
        public var k: Int
        public var metrics: RankingMetrics
        public var coverage: Double
        /// Mean intra-list diversity over users (nil without item vectors).
        public var diversity: Double?
        public var trainSeconds: Double
        public var recommendSeconds: Double
        /// Each evaluated user's list, best first.
        public var lists: [Int: [(item: Int32, score: Float)]]
    }

    public enum Failure: Error, CustomStringConvertible {
        case unknownModel(String)
        case needsText(String)
        case stopped
        public var description: String {
            switch self {
            case .unknownModel(let name): return "unknown model \"\(name)\"; choose one of \(Evaluator.models.joined(separator: ", "))"
            case .needsText(let name): return "model \"\(name)\" needs item text (item embeddings); give --items or a dataset with titles"
            case .stopped: return "stopped before the evaluation finished"
            }
        }
    }

    /// - Parameters:
    ///   - progress: called with a phase name and a fraction done.
    ///   - shouldStop: polled by training and every 64 users; once true the run throws `Failure.stopped`.
    public func run(model name: String, split: Split, k: Int,
                    progress: (String, Double) -> Void = { _, _ in },
                    shouldStop: @escaping @Sendable () -> Bool = { false }) throws -> Result {
        guard Self.models.contains(name) else { throw Failure.unknownModel(name) }
        if name == "content" && vectors == nil { throw Failure.needsText(name) }
        let trainStart = Date()
        progress("train", 0)
        let histories = Self.histories(split.train)
        let userCount = max(histories.count, (split.test.map { Int($0.user) }.max() ?? -1) + 1)
        var perUser = histories
        perUser += Array(repeating: [], count: userCount - histories.count)
        let (matrix, lastEventAt) = TrainingMatrix.build(histories: perUser, itemCount: itemCount,
                                                         halfLifeDays: settings.collaborativeHalfLifeDays)
        let popularity = PopularityModel(matrix: matrix, lastEventAt: lastEventAt, halfLifeDays: settings.popularityHalfLifeDays)
        let needs = weights(for: name)
        let cooccurrence = needs.cooccurrence > 0
            ? CooccurrenceModel(matrix: matrix, neighborsPerItem: settings.neighborsPerItem, shrinkage: settings.shrinkage)
            : CooccurrenceModel(neighbors: Array(repeating: [], count: itemCount))
        let collaborative: (any CollaborativeModel)? = needs.collaborative > 0
            ? try CollaborativeTraining.train(name == "hybrid" ? settings.collaborativeModel : name, matrix: matrix, settings: settings,
                                          shouldStop: shouldStop)
            : nil
        let trainSeconds = Date().timeIntervalSince(trainStart)

        let recommendStart = Date()
        var hybrid = HybridRecommender(base: BehaviourRecommender(cooccurrence: cooccurrence, popularity: popularity),
                                       vectors: vectors ?? ItemVectorTable(values: [], present: Array(repeating: false, count: itemCount), dims: 0),
                                       weights: needs, collaborative: collaborative)
        hybrid.diversityLambda = name == "hybrid" ? settings.diversityLambda : 1
        hybrid.collaborativeHalfLifeDays = settings.collaborativeHalfLifeDays
        var inTrain = [Bool](repeating: false, count: itemCount)
        for rating in split.train { inTrain[Int(rating.item)] = true }
        hybrid.allowed = inTrain
        hybrid.explains = false
        let testUsers = Set(split.test.map { Int($0.user) }).sorted()
        var scratch = BehaviourRecommender.Scratch(itemCount: itemCount, anchors: 3)
        var lists: [Int: [(item: Int32, score: Float)]] = [:]
        for (position, user) in testUsers.enumerated() {
            if position % 64 == 0 {
                if shouldStop() { throw Failure.stopped }
                progress("recommend", Double(position) / Double(max(testUsers.count, 1)))
            }
            // Every train item is excluded, however old (no re-show in evaluation).
            let history = UserHistory(entries: perUser[user], limit: settings.historyItems)
            let interest = needs.content > 0 ? vectors.flatMap {
                UserInterest.build(history: history, vectors: $0, texts: profiles[user] ?? [], textWeight: 0,
                                   profileWeight: settings.interestProfileWeight, halfLifeDays: settings.interestHalfLifeDays)
            } : nil
            // A user with no train interactions has no trained factors worth the name (only their random start).
            let trained = perUser[user].isEmpty ? nil : collaborative.map { $0.scores(user: user) }
            let rows = try hybrid.recommend(history, interest: interest, k: k, excludeSeen: true, scratch: &scratch,
                                        collaborativeScores: trained)
            lists[user] = rows.map { ($0.item, $0.score) }
        }
        progress("recommend", 1)
        let recommendSeconds = Date().timeIntervalSince(recommendStart)
        var result = Result(model: name, k: k, metrics: RankingMetrics(), coverage: 0, diversity: nil,
                            trainSeconds: trainSeconds, recommendSeconds: recommendSeconds, lists: lists)
        measure(&result, relevant: split.relevant, k: k, catalogueSize: inTrain.filter { $0 }.count)
        return result
    }

    /// Sets the result's metrics, coverage and diversity from the first `k` of its lists.
    public func measure(_ result: inout Result, relevant: [Int: Set<Int32>], k: Int, catalogueSize: Int) {
        let lists = result.lists.mapValues { $0.prefix(k).map(\.item) }
        result.k = k
        result.metrics = RankingMetrics.mean(lists: lists, relevant: relevant, k: k)
        result.coverage = RankingMetrics.coverage(lists: Array(lists.values), k: k, catalogueSize: catalogueSize)
        result.diversity = nil
        if let vectors, !vectors.isEmpty {
            let values = lists.values.compactMap { Diversity.intraListDiversity($0, vectors: vectors) }
            result.diversity = values.isEmpty ? nil : values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
        }
    }

    /// The blend weights a model name stands for: one strategy alone, or the settings' blend for "hybrid".
    func weights(for name: String) -> BlendWeights {
        switch name {
        case "popularity": return BlendWeights(popularity: 1)
        case "cooccurrence": return BlendWeights(cooccurrence: 1)
        case "als", "bpr", "ease", "ensemble": return BlendWeights(collaborative: 1)
        case "content": return BlendWeights(content: 1)
        default:
            var blend = settings.blend
            if settings.collaborativeModel == "none" { blend.collaborative = 0 }
            if vectors == nil { blend.content = 0 }
            return blend
        }
    }

    /// Per user (index), their entries: weights summed per item, the latest time kept.
    public static func histories(_ ratings: [Rating]) -> [[UserHistory.Entry]] {
        let users = (ratings.map { Int($0.user) }.max() ?? -1) + 1
        var byUser = [[Int32: UserHistory.Entry]](repeating: [:], count: users)
        for rating in ratings {
            let time = rating.time ?? Double(rating.order)
            var entry = byUser[Int(rating.user)][rating.item]
                ?? UserHistory.Entry(item: rating.item, strength: 0, dominantEvent: "rating", lastAt: time)
            entry.strength += Double(rating.weight)
            entry.lastAt = max(entry.lastAt, time)
            byUser[Int(rating.user)][rating.item] = entry
        }
        return byUser.map { $0.values.sorted { $0.item < $1.item } }
    }
}
