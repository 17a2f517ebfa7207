import Testing
@testable import GenreRecommend

/// Four items in 2-D text space: 0 and 1 point "east", 2 "north", 3 "north-east"; item 4 has no vector.
enum HybridFixture {
    static let vectors = ItemVectorTable(values: [1, 0,  0.96, 0.28,  0, 1,  0.7071, 0.7071,  0, 0],
                                         present: [true, true, true, true, false], dims: 2)
    static let catalog = ItemCatalog(ids: ["e1", "e2", "n1", "ne", "blank"], titles: ["East One", "East Two", "North", "North-East", nil])
    static let empty = BehaviourRecommender(cooccurrence: CooccurrenceModel(neighbors: Array(repeating: [], count: 5)),
                                               popularity: PopularityModel(ranked: [.init(item: 2, score: 1, users: 9), .init(item: 1, score: 0.5, users: 4)]))
    static func entry(_ item: Int32, _ strength: Double, _ event: String, at: Double) -> UserHistory.Entry {
        .init(item: item, strength: strength, dominantEvent: event, lastAt: at)
    }
}

@Suite("user interest vectors")
struct UserInterestTests {
    @Test func weightedDecayedMeanOfItemsAndTexts() throws {
        let history = UserHistory(entries: [HybridFixture.entry(0, 2, "like", at: 86_400), HybridFixture.entry(2, 2, "like", at: 0)], limit: 10)
        // Item 2 is one half-life older than item 0: weights 2 and 1 → (2, 1) normalised.
        let interest = try #require(UserInterest.build(history: history, vectors: HybridFixture.vectors, texts: [],
                                                       textWeight: 3, halfLifeDays: 1))
        #expect(abs(interest.vector[0] - 2 / Float(5).squareRoot()) < 1e-5 && abs(interest.vector[1] - 1 / Float(5).squareRoot()) < 1e-5)
        #expect(interest.sources.map(\.weight) == [2, 1], "strongest source first")
    }

    @Test func dislikesSubtractAndTextsCount() throws {
        let history = UserHistory(entries: [HybridFixture.entry(0, 3, "like", at: 10), HybridFixture.entry(2, -3, "dislike", at: 10)], limit: 10)
        let text = UserInterest.TextEvent(text: "north please", event: "search", at: 10, vector: [0, 1])
        let interest = try #require(UserInterest.build(history: history, vectors: HybridFixture.vectors, texts: [text],
                                                       textWeight: 6, halfLifeDays: 100))
        // 3·(1,0) − 3·(0,1) + 6·(0,1) = (3, 3): the dislike cancels half of the search.
        #expect(abs(interest.vector[0] - interest.vector[1]) < 1e-5)
        #expect(interest.sources.first?.kind == .text("north please"))
        #expect(!interest.sources.contains { $0.event == "dislike" }, "a dislike is never an anchor")
    }

    @Test func nothingEmbeddedMeansNoInterest() {
        let history = UserHistory(entries: [HybridFixture.entry(4, 5, "purchase", at: 1)], limit: 10)
        #expect(UserInterest.build(history: history, vectors: HybridFixture.vectors, texts: [], textWeight: 3, halfLifeDays: 30) == nil)
    }
}

@Suite("hybrid blend")
struct HybridRecommenderTests {
    func recommend(_ history: UserHistory, texts: [UserInterest.TextEvent] = [], weights: BlendWeights, k: Int = 3) throws -> [Recommendation] {
        let hybrid = HybridRecommender(base: HybridFixture.empty, vectors: HybridFixture.vectors, weights: weights)
        let interest = UserInterest.build(history: history, vectors: HybridFixture.vectors, texts: texts, textWeight: 3, halfLifeDays: 30)
        var scratch = BehaviourRecommender.Scratch(itemCount: 5, anchors: 3)
        return try hybrid.recommend(history, interest: interest, k: k, excludeSeen: true, scratch: &scratch)
    }

    @Test("one search is enough: items close to its text come first, explained by the search")
    func searchOnly() throws {
        let search = UserInterest.TextEvent(text: "eastward journeys", event: "search", at: 1, vector: [1, 0])
        let rows = try recommend(UserHistory(entries: [], limit: 10), texts: [search], weights: .init(cooccurrence: 0.6, content: 0.3, popularity: 0.1))
        // Item 1 (content 0.96 · 0.3 + popularity 0.5 · 0.1 = 0.338) edges out item 0 (1 · 0.3 = 0.3).
        #expect(rows.map(\.item) == [1, 0, 3])
        #expect(abs(rows[0].score - 0.338) < 1e-4 && abs(rows[1].score - 0.3) < 1e-4)
        let first = try #require(rows.first)
        #expect(first.strategy == .content)
        #expect(first.contentAnchor?.kind == .text("eastward journeys"))
        #expect(Reasons.summary(for: first, catalog: HybridFixture.catalog, phrases: .test) == "Matches your search 'eastward journeys'")
        #expect(abs(rows.map { $0.shares.values.reduce(0, +) }.max()! - 1) < 1e-5, "shares sum to 1")
    }

    @Test("weights decide: without content weight the same user gets popular items only")
    func weightsDecide() throws {
        let search = UserInterest.TextEvent(text: "east", event: "search", at: 1, vector: [1, 0])
        let rows = try recommend(UserHistory(entries: [], limit: 10), texts: [search], weights: .init(cooccurrence: 0.6, content: 0, popularity: 0.4))
        #expect(rows.map(\.item) == [2, 1])
        #expect(rows.allSatisfy { $0.shares[.content] == nil && $0.strategy == .popularity })
    }

    @Test("seen items are never recommended, and an item chosen before explains its neighbours in text")
    func itemAnchor() throws {
        let history = UserHistory(entries: [HybridFixture.entry(0, 5, "purchase", at: 1)], limit: 10)
        let rows = try recommend(history, weights: .init(cooccurrence: 0, content: 1, popularity: 0))
        #expect(!rows.contains { $0.item == 0 })
        let first = try #require(rows.first)
        #expect(first.item == 1)
        #expect(Reasons.summary(for: first, catalog: HybridFixture.catalog, phrases: .test) == "Similar to East One, which you bought")
        let json = Reasons.json(for: first, catalog: HybridFixture.catalog, phrases: .test)
        #expect(json.contains("\"similar_to\":{\"item_id\":\"e1\""))
        #expect(json.contains("\"strategies\":{\"content\":1}"))
    }
}

@Suite("exclusion and boost rules")
struct RuleTests {
    @Test("with a re-show window, only recently seen items stay excluded")
    func reshow() throws {
        let entries = [HybridFixture.entry(0, 3, "like", at: 100), HybridFixture.entry(1, 3, "like", at: 10_000)]
        #expect(UserHistory(entries: entries, limit: 10).seen == [0, 1])
        #expect(UserHistory(entries: entries, limit: 10, reshowAfter: 5_000, now: 10_100).seen == [1])
    }

    @Test("a category boost multiplies the score and keeps the shares of the unboosted blend")
    func boost() throws {
        var hybrid = HybridRecommender(base: HybridFixture.empty, vectors: HybridFixture.vectors,
                                       weights: .init(cooccurrence: 0, content: 0, popularity: 1))
        var scratch = BehaviourRecommender.Scratch(itemCount: 5, anchors: 3)
        let history = UserHistory(entries: [], limit: 10)
        #expect(try hybrid.recommend(history, interest: nil, k: 2, excludeSeen: true, scratch: &scratch).map(\.item) == [2, 1])
        hybrid.boost = [1, 3, 1, 1, 1]  // item 1: popularity 0.5 × 3 = 1.5 beats item 2's 1.0
        let boosted = try hybrid.recommend(history, interest: nil, k: 2, excludeSeen: true, scratch: &scratch)
        #expect(boosted.map(\.item) == [1, 2])
        #expect(abs(boosted[0].score - 1.5) < 1e-6)
        #expect(boosted[0].shares == [.popularity: 1])
    }

    @Test("freshness brings new items forward and explains them as new")
    func freshness() throws {
        var hybrid = HybridRecommender(base: HybridFixture.empty, vectors: HybridFixture.vectors,
                                       weights: .init(popularity: 1, freshness: 1))
        // Item 4 is brand new (1), item 3 one half-life old (0.5); the rest older.
        hybrid.setFreshness([0, 0.125, 0, 0.5, 1])
        var scratch = BehaviourRecommender.Scratch(itemCount: 5, anchors: 3)
        let rows = try hybrid.recommend(UserHistory(entries: [], limit: 10), interest: nil, k: 3, excludeSeen: true, scratch: &scratch)
        // Scores: item 4 = 1 (fresh), item 2 = 1 (popular), item 1 = 0.5 + 0.125, item 3 = 0.5.
        #expect(rows.map(\.item) == [2, 4, 1])
        let newest = try #require(rows.first { $0.item == 4 })
        #expect(newest.shares == [.freshness: 1] && newest.strategy == .freshness)
        #expect(Reasons.summary(for: newest, catalog: HybridFixture.catalog, phrases: .test) == "New in the catalogue")
    }

    @Test("a collaborative model folds the user in, and its contributions become the anchors")
    func collaborativeAnchors() throws {
        // Two blocks of items {0, 1} and {2, 3}; users like within a block. EASE learns the blocks.
        var entries: [InteractionMatrix.Entry] = []
        for user in 0..<6 { for item in (user % 2 == 0 ? [0, 1] : [2, 3]) { entries.append(.init(user: Int32(user), item: Int32(item), value: 1)) } }
        var config = RecommenderSettings().ease
        config.regularization = 1
        let ease = try EASE.train(InteractionMatrix(userCount: 6, itemCount: 5, entries: entries), configuration: config)
        let hybrid = HybridRecommender(base: HybridFixture.empty, vectors: HybridFixture.vectors,
                                       weights: .init(collaborative: 1), collaborative: ease)
        var scratch = BehaviourRecommender.Scratch(itemCount: 5, anchors: 3)
        let history = UserHistory(entries: [HybridFixture.entry(2, 5, "purchase", at: 1)], limit: 10)
        let rows = try hybrid.recommend(history, interest: nil, k: 1, excludeSeen: true, scratch: &scratch)
        let top = try #require(rows.first)
        #expect(top.item == 3 && top.strategy == .collaborative)
        #expect(top.anchors.map(\.item) == [2] && top.anchors[0].share == 1)
        #expect(Reasons.summary(for: top, catalog: HybridFixture.catalog, phrases: .test) == "Because you bought North")
    }

    @Test("a fold-in that fails is thrown, not a list quietly missing its collaborative part")
    func foldInFailureThrows() throws {
        // All-zero item factors and no regularisation: the fold-in's normal equations are singular.
        var config = RecommenderSettings().als
        config.factors = 2
        config.regularization = 0
        let als = ImplicitALS(configuration: config, itemFactors: [Float](repeating: 0, count: 5 * 2))
        let hybrid = HybridRecommender(base: HybridFixture.empty, vectors: HybridFixture.vectors,
                                       weights: .init(collaborative: 1, popularity: 0.1), collaborative: als)
        var scratch = BehaviourRecommender.Scratch(itemCount: 5, anchors: 3)
        let history = UserHistory(entries: [HybridFixture.entry(2, 5, "purchase", at: 1)], limit: 10)
        #expect(throws: CollaborativeError.self) {
            try hybrid.recommend(history, interest: nil, k: 3, excludeSeen: true, scratch: &scratch)
        }
    }
}
