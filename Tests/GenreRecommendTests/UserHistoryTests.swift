import Testing
import GenreRecommend

@Suite struct UserHistoryTests {
    typealias Group = UserHistory.EventGroup

    @Test func foldingGroupsWithDefaultWeights() {
        let groups = [
            // item 5: 3 views (3) + 1 like (3) + a purchase with explicit weight 4.5 → 10.5, purchase dominates.
            Group(item: 5, eventType: "view", defaultCount: 3, explicitWeight: 0, lastAt: 100),
            Group(item: 5, eventType: "like", defaultCount: 1, explicitWeight: 0, lastAt: 200),
            Group(item: 5, eventType: "purchase", defaultCount: 0, explicitWeight: 4.5, lastAt: 150),
            // item 2: 2 views (2) + 1 dislike (-5) → -3; the dislike has the largest absolute contribution.
            Group(item: 2, eventType: "view", defaultCount: 2, explicitWeight: 0, lastAt: 50),
            Group(item: 2, eventType: "dislike", defaultCount: 1, explicitWeight: 0, lastAt: 60),
            // item 9: click (2) and like with explicit 2 tie at |2|: the alphabetically first type wins.
            Group(item: 9, eventType: "like", defaultCount: 0, explicitWeight: 2, lastAt: 10),
            Group(item: 9, eventType: "click", defaultCount: 1, explicitWeight: 0, lastAt: 5),
            // item 7: an unknown type counts zero.
            Group(item: 7, eventType: "share", defaultCount: 4, explicitWeight: 0, lastAt: 70),
        ]
        let entries = UserHistory.entries(from: groups, weights: RecommenderSettings().eventWeights)
        #expect(entries == [
            .init(item: 2, strength: -3, dominantEvent: "dislike", lastAt: 60),
            .init(item: 5, strength: 10.5, dominantEvent: "purchase", lastAt: 200),
            .init(item: 7, strength: 0, dominantEvent: "share", lastAt: 70),
            .init(item: 9, strength: 4, dominantEvent: "click", lastAt: 10),
        ])
    }

    @Test func customWeightsAndExplicitPlusDefault() {
        let weights = EventWeights(["view": 0.5, "rate": 1])
        // 4 views at 0.5 = 2; a rate group with 2 defaulted events (2) plus explicit 3.5 → 5.5, rate dominates.
        let entries = UserHistory.entries(from: [
            Group(item: 1, eventType: "view", defaultCount: 4, explicitWeight: 0, lastAt: 1),
            Group(item: 1, eventType: "rate", defaultCount: 2, explicitWeight: 3.5, lastAt: 2),
        ], weights: weights)
        #expect(entries == [.init(item: 1, strength: 7.5, dominantEvent: "rate", lastAt: 2)])
        #expect(weights.strength(eventType: "purchase", defaultCount: 3, explicitWeight: 0) == 0)
        #expect(RecommenderSettings().eventWeights.strength(eventType: "purchase", defaultCount: 2, explicitWeight: 1) == 11)
    }

    @Test func anchorsAreMostRecentFirstAndLimited() {
        let entries: [UserHistory.Entry] = [
            .init(item: 1, strength: 1, dominantEvent: "view", lastAt: 10),
            .init(item: 4, strength: 1, dominantEvent: "view", lastAt: 30),
            .init(item: 3, strength: 1, dominantEvent: "view", lastAt: 20),
            .init(item: 2, strength: 1, dominantEvent: "view", lastAt: 30),  // same time as 4: smaller item first
        ]
        let history = UserHistory(entries: entries, limit: 3)
        #expect(history.anchors.map(\.item) == [2, 4, 3])
        #expect(history.seen == [1, 2, 3, 4])
        #expect(UserHistory(entries: entries, limit: 10).anchors.map(\.item) == [2, 4, 3, 1])
        #expect(UserHistory(entries: entries, limit: 0).anchors.isEmpty)
        #expect(UserHistory(entries: [], limit: 5).seen.isEmpty)
    }
}
