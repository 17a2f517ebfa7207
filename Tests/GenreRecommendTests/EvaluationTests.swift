import Foundation
import Testing
import GenreSettings
import GenreSupport
@testable import GenreRecommend

/// Metrics pinned to hand-computed cases, with the definitions of Microsoft Recommenders'
/// python_evaluation (PROTOCOLS.md §1).
@Suite struct RankingMetricsTests {
    @Test func handComputedUser() {
        // List [5, 1, 7, 2] with relevant {1, 2, 9}, k = 4: hits at ranks 2 and 4.
        let m = RankingMetrics.user(ranked: [5, 1, 7, 2], relevant: [1, 2, 9], k: 4)
        #expect(m.precision == 0.5)                                   // 2 / k
        #expect(abs(m.recall - 2.0 / 3) < 1e-12)                       // 2 / |relevant|
        // MAP: (1/2 + 2/4) / |relevant| = 1 / 3 (divided by all relevant items, not min(k, |rel|)).
        #expect(abs(m.map - 1.0 / 3) < 1e-12)
        // nDCG: (1/log2 3 + 1/log2 5) / (1 + 1/log2 3 + 1/2): ideal has min(k, 3) = 3 hits.
        let dcg = 1 / log2(3.0) + 1 / log2(5.0), idcg = 1 + 1 / log2(3.0) + 0.5
        #expect(abs(m.ndcg - dcg / idcg) < 1e-12)
        #expect(m.hitRate == 1 && m.mrr == 0.5)
    }

    @Test func onlyTheFirstKCountAndAMissIsZero() {
        let m = RankingMetrics.user(ranked: [1, 2, 3], relevant: [3], k: 2)
        #expect(m.ndcg == 0 && m.map == 0 && m.precision == 0 && m.hitRate == 0 && m.mrr == 0)
        let perfect = RankingMetrics.user(ranked: [3, 1], relevant: [3], k: 10)
        #expect(perfect.ndcg == 1 && perfect.map == 1 && perfect.precision == 0.1 && perfect.recall == 1)
    }

    @Test func meanSkipsUsersWithoutAListOrRelevantItems() {
        let lists: [Int: [Int32]] = [0: [1, 2], 1: [3, 4]]
        let relevant: [Int: Set<Int32>] = [0: [1], 1: [9], 2: [5], 3: []]
        let m = RankingMetrics.mean(lists: lists, relevant: relevant, k: 2)
        #expect(m.users == 2)
        #expect(m.hitRate == 0.5 && m.precision == 0.25 && m.ndcg == 0.5)
    }

    @Test func coverageCountsDistinctItemsInTheFirstK() {
        #expect(RankingMetrics.coverage(lists: [[1, 2, 3], [2, 4, 5]], k: 2, catalogueSize: 8) == 3.0 / 8)
    }
}

@Suite struct SplitTests {
    static func ratings(users: Int, itemsPerUser: Int) -> [Rating] {
        var out: [Rating] = []
        for u in 0..<users {
            for i in 0..<itemsPerUser {
                out.append(Rating(user: Int32(u), item: Int32((u + i) % 10), weight: 1, time: Double(100 * i + u), order: out.count))
            }
        }
        return out
    }

    @Test func msRecommendersIsPerItemStratifiedAndSeeded() {
        let data = Self.ratings(users: 12, itemsPerUser: 5)
        let split = Split.make(data, protocol: .msRecommenders())
        #expect(split.train.count + split.test.count == data.count)
        // Each item: round-half-even(0.75 · n) of its ratings in train.
        for item in Set(data.map(\.item)) {
            let n = data.filter { $0.item == item }.count
            let expected = Int((0.75 * Double(n)).rounded(.toNearestOrEven))
            #expect(split.train.filter { $0.item == item }.count == expected)
        }
        let again = Split.make(data, protocol: .msRecommenders())
        #expect(again.test == split.test)
        #expect(Split.make(data, protocol: .msRecommenders(seed: 7)).test != split.test)
    }

    @Test func leaveLastOutHoldsOutEachUsersNewest() {
        var data = Self.ratings(users: 3, itemsPerUser: 4)
        data.append(Rating(user: 9, item: 1, weight: 1, time: 5, order: data.count))   // a single-interaction user
        let split = Split.make(data, protocol: .leaveLastOut)
        #expect(split.test.count == 3)
        for rating in split.test {
            #expect(rating.time == data.filter { $0.user == rating.user }.compactMap(\.time).max())
        }
        #expect(split.train.contains { $0.user == 9 } && !split.test.contains { $0.user == 9 })
    }

    @Test func leaveLastOutFallsBackToFileOrderWithoutTimestamps() {
        let data = (0..<3).map { Rating(user: 0, item: Int32($0), weight: 1, time: nil, order: $0) }
        #expect(Split.make(data, protocol: .leaveLastOut).test.map(\.item) == [2])
    }

    @Test func temporalHoldsOutTheNewestFraction() {
        let data = Self.ratings(users: 4, itemsPerUser: 5)
        let split = Split.make(data, protocol: .temporal(testFraction: 0.25))
        #expect(split.test.count == 5)
        let newestTrain = split.train.compactMap(\.time).max()!, oldestTest = split.test.compactMap(\.time).min()!
        #expect(newestTrain <= oldestTest)
    }
}

@Suite struct EvaluatorTests {
    @Test func everyModelBeatsChanceOnTheCheckerboard() throws {
        // Hold out one in-block item per user: personalised models must find it far more often than
        // popularity, which does not know blocks. (Within the block nothing tells the held-out item apart, so
        // the ceiling is about 5 / (unseen items of the block) ≈ 0.6–0.8.)
        let world = Checkerboard(blocks: 4, usersPerBlock: 20, itemsPerBlock: 15, chosenPerUser: 9)
        // Each user's items in a shuffled file order, so the held-out (last) item differs between users.
        var rng = SplitMix64(seed: 3)
        var ratings: [Rating] = []
        for user in 0..<world.matrix.userCount {
            for slot in world.matrix.items(ofUser: user).shuffled(using: &rng) {
                ratings.append(Rating(user: Int32(user), item: world.matrix.userItems[slot], weight: 1, time: nil, order: ratings.count))
            }
        }
        let split = Split.make(ratings, protocol: .leaveLastOut)
        let settings = CollaborativeModelTests.small()
        let evaluator = Evaluator(itemCount: world.matrix.itemCount, settings: settings)
        let popularity = try evaluator.run(model: "popularity", split: split, k: 5).metrics.hitRate
        for model in ["cooccurrence", "als", "bpr", "ease", "hybrid"] {
            let result = try evaluator.run(model: model, split: split, k: 5)
            #expect(result.metrics.users == world.matrix.userCount)
            #expect(result.metrics.hitRate > max(0.5, popularity + 0.2), "\(model): hit rate \(result.metrics.hitRate) vs popularity \(popularity)")
        }
        #expect(throws: Evaluator.Failure.self) { try evaluator.run(model: "content", split: split, k: 5) }
        #expect(throws: Evaluator.Failure.self) { try evaluator.run(model: "magic", split: split, k: 5) }
    }
}

@Suite struct RecommenderSettingsTests {
    @Test func appliesKeysByTheSQLNamesAndRefusesBadOnes() throws {
        var s = RecommenderSettings()
        try s.apply(key: "als.factors", json: "128")
        try s.apply(key: "collaborative.model", json: "bpr")          // a bare word, as typed in a shell
        try s.apply(key: "collaborative.model", json: "\"ease\"")     // JSON, as the database stores it
        try s.apply(key: "blend.weights", json: "{\"collaborative\": 1, \"content\": 0.5}")
        #expect(s.als.factors == 128 && s.collaborativeModel == "ease")
        #expect(s.blend == BlendWeights(collaborative: 1, content: 0.5))
        #expect(throws: SettingError.unknownKey("als.factor")) { try s.apply(key: "als.factor", json: "3") }
        #expect(throws: SettingError.self) { try s.apply(key: "als.factors", json: "2.5") }
        #expect(throws: SettingError.self) { try s.apply(key: "collaborative.model", json: "svd") }
        #expect(throws: SettingError.self) { try s.apply(key: "blend.weights", json: "{\"colaborative\": 1}") }
        #expect(throws: SettingError.self) { try s.apply(key: "blend.weights", json: "{\"content\": 0}") }
        #expect(throws: SettingError.self) { try s.apply(key: "bpr.learning_rate", json: "\"NaN\"") }
        try s.apply(key: "collaborative.ensemble", json: "{\"als\": 1, \"ease\": 0.5}")
        #expect(s.ensemble == ["als": 1, "ease": 0.5])
        #expect(throws: SettingError.self) { try s.apply(key: "collaborative.ensemble", json: "{\"als\": 1, \"svd\": 1}") }
        #expect(throws: SettingError.self) { try s.apply(key: "collaborative.ensemble", json: "{\"als\": 0}") }
        #expect(throws: SettingError.self) { try s.apply(key: "collaborative.ensemble", json: "{\"als\": -1, \"ease\": 1}") }
        #expect(s.ensemble == ["als": 1, "ease": 0.5], "a refused value changes nothing")
    }
}
