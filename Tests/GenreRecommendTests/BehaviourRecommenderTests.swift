import Testing
import GenreRecommend

/// Scores worked by hand from RecommenderFixture:
///   item 2: 5·0.8 + 3·0.6 = 5.8 (anchors 0: 4.0, 1: 1.8)
///   item 3: 5·0.5 − 5·0.7 = −1.0 → dropped
///   item 4: 3·0.9 − 5·0.3 = 1.2  (anchor 1: 2.7)
///   items 0, 1, 5 are seen.
@Suite struct BehaviourRecommenderTests {
    let fixture = RecommenderFixture.self

    @Test func scoresNormalisedAndFilledWithPopular() throws {
        let results = fixture.recommender.recommend(fixture.history, k: 4)
        #expect(results.map(\.item) == [2, 4, 7, 6])
        #expect(results.map(\.strategy) == [.cooccurrence, .cooccurrence, .popularity, .popularity])
        #expect(abs(results[0].score - 1) < 1e-6)
        #expect(abs(results[1].score - Float(1.2 / 5.8)) < 1e-6)
        #expect(results[2].score == 1 && results[2].users == 10 && results[2].anchors.isEmpty)
        #expect(results[3].score == 0.5 && results[3].users == 3)
    }

    @Test func anchorsSortedByContributionWithShares() throws {
        let top = try #require(fixture.recommender.recommend(fixture.history, k: 1).first)
        #expect(top.item == 2)
        #expect(top.anchors.map(\.item) == [0, 1])
        #expect(top.anchors.map(\.event) == ["purchase", "like"])
        #expect(abs(top.anchors[0].share - Float(4.0 / 5.8)) < 1e-6)
        #expect(abs(top.anchors[1].share - Float(1.8 / 5.8)) < 1e-6)
        #expect(top.anchors.map(\.share).reduce(0, +) <= 1 + 1e-6)
        #expect(top.anchors.allSatisfy { (0...1).contains($0.share) })
    }

    @Test func anchorsPerItemLimitsTheAnchors() throws {
        var recommender = fixture.recommender
        recommender.anchorsPerItem = 1
        let top = try #require(recommender.recommend(fixture.history, k: 1).first)
        #expect(top.anchors.map(\.item) == [0])
        #expect(abs(top.anchors[0].share - Float(4.0 / 5.8)) < 1e-6)
    }

    /// Without the dislike: 2 → 5.8, 4 → 2.7, 3 → 2.5. The dislike removes 3 and lowers 4 from 2.7 to 1.2.
    @Test func dislikedAnchorLowersCandidates() {
        let history = UserHistory(entries: [fixture.bought0, fixture.liked1], limit: 10)
        let withoutDislike = fixture.recommender.recommend(history, k: 3)
        #expect(withoutDislike.map(\.item) == [2, 4, 3])
        #expect(withoutDislike.allSatisfy { $0.strategy == .cooccurrence })
        #expect(abs(withoutDislike[1].score - Float(2.7 / 5.8)) < 1e-6)
        #expect(abs(withoutDislike[2].score - Float(2.5 / 5.8)) < 1e-6)

        let withDislike = fixture.recommender.recommend(fixture.history, k: 3)
        #expect(withDislike.map(\.item) == [2, 4, 7])
        #expect(withDislike[1].score < withoutDislike[1].score)
        #expect(!withDislike.contains { $0.item == 3 })
    }

    @Test func seenItemsAreExcludedUnlessAsked() {
        let seen: Set<Int32> = [0, 1, 5]
        for k in 1...8 {
            let results = fixture.recommender.recommend(fixture.history, k: k)
            #expect(results.count <= k)
            #expect(results.allSatisfy { !seen.contains($0.item) }, "k \(k)")
            #expect(Set(results.map(\.item)).count == results.count, "k \(k)")
        }
        // With seen items allowed: 1 ← 0 (5·0.4 = 2.0) and 0 ← 1 (3·0.4 = 1.2, level with item 4, so only the set
        // is checked for the last two).
        let all = fixture.recommender.recommend(fixture.history, k: 4, excludeSeen: false)
        #expect(all.prefix(2).map(\.item) == [2, 1])
        #expect(Set(all.map(\.item)) == [2, 1, 0, 4])
        #expect(all.allSatisfy { $0.strategy == .cooccurrence })
        #expect(abs(all[1].score - Float(2.0 / 5.8)) < 1e-6)
    }

    @Test func kIsRespected() {
        #expect(fixture.recommender.recommend(fixture.history, k: 0).isEmpty)
        #expect(fixture.recommender.recommend(fixture.history, k: 1).map(\.item) == [2])
        #expect(fixture.recommender.recommend(fixture.history, k: 2).map(\.item) == [2, 4])
        // Only 2, 4 personal and 7, 6 popular remain (0 is seen, 2 is taken): 4 at most.
        #expect(fixture.recommender.recommend(fixture.history, k: 10).map(\.item) == [2, 4, 7, 6])
    }

    @Test func emptyHistoryGetsPopularItems() {
        let results = fixture.recommender.recommend(UserHistory(entries: [], limit: 10), k: 3)
        #expect(results.map(\.item) == [7, 0, 6])
        #expect(results.allSatisfy { $0.strategy == .popularity })
        #expect(abs(results[1].score - 0.9) < 1e-6)
    }

    /// Scratch buffers are cleaned between users: the same call twice with one scratch gives the same list.
    @Test func scratchIsReusable() {
        var scratch = BehaviourRecommender.Scratch(itemCount: 8, anchors: 3)
        let first = fixture.recommender.recommend(fixture.history, k: 4, excludeSeen: true, scratch: &scratch)
        let other = fixture.recommender.recommend(UserHistory(entries: [fixture.liked1], limit: 10), k: 4,
                                                  excludeSeen: true, scratch: &scratch)
        let again = fixture.recommender.recommend(fixture.history, k: 4, excludeSeen: true, scratch: &scratch)
        #expect(first == again)
        #expect(other.first?.item == 4)
    }

    /// An anchor with zero strength (e.g. only a "search" event) must not put a candidate on the list twice.
    @Test func zeroStrengthAnchorDoesNotDuplicateACandidate() {
        let searched6 = UserHistory.Entry(item: 6, strength: 0, dominantEvent: "search", lastAt: 400)
        let history = UserHistory(entries: [searched6, fixture.bought0, fixture.liked1, fixture.disliked5], limit: 10)
        let results = fixture.recommender.recommend(history, k: 4)
        #expect(results.map(\.item) == [2, 4, 7])
        #expect(abs(results[0].score - 1) < 1e-6)
    }

    @Test func sharesAreFractionsOfThePositivePullEvenWithADislike() throws {
        // Items 0 and 1 (liked) and 2 (disliked) all neighbour item 3 with similarity 0.5.
        let model = CooccurrenceModel(neighbors: [[RecommenderFixture.neighbor(3, 0.5)], [RecommenderFixture.neighbor(3, 0.5)],
                                                  [RecommenderFixture.neighbor(3, 0.5)], []])
        let recommender = BehaviourRecommender(cooccurrence: model, popularity: PopularityModel(ranked: []))
        let history = UserHistory(entries: [
            .init(item: 0, strength: 3, dominantEvent: "like", lastAt: 3),
            .init(item: 1, strength: 3, dominantEvent: "like", lastAt: 2),
            .init(item: 2, strength: -4, dominantEvent: "dislike", lastAt: 1),
        ], limit: 10)
        let row = try #require(recommender.recommend(history, k: 1).first)
        #expect(row.item == 3)
        #expect(row.anchors.map(\.item).sorted() == [0, 1], "the disliked item is not an anchor")
        #expect(row.anchors.map(\.share) == [0.5, 0.5], "1.5 of 3.0 each, not 1.5 of the net 1.0")
    }

    @Test func zeroAnchorSlotsStillScore() {
        var recommender = RecommenderFixture.recommender
        recommender.anchorsPerItem = 0
        let rows = recommender.recommend(RecommenderFixture.history, k: 2)
        #expect(rows.map(\.item) == RecommenderFixture.recommender.recommend(RecommenderFixture.history, k: 2).map(\.item))
        #expect(rows.allSatisfy { $0.anchors.isEmpty })
    }
}
