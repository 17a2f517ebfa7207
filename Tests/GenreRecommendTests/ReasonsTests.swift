import Foundation
import Testing
@testable import GenreRecommend

@Suite struct ReasonsTests {
    let fixture = RecommenderFixture.self

    func parse(_ json: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    @Test func cooccurrenceRowSummaryAndJSON() throws {
        let row = try #require(fixture.recommender.recommend(fixture.history, k: 1).first)
        #expect(Reasons.summary(for: row, catalog: fixture.catalog, phrases: .test) == "Because you bought Dune and liked Arrival")
        let json = Reasons.json(for: row, catalog: fixture.catalog, phrases: .test)
        // 4.0 / 5.8 = 0.68966 and 1.8 / 5.8 = 0.31034, rounded to 4 decimals.
        #expect(json == "{\"strategies\":{\"cooccurrence\":1},\"because\":["
                + "{\"item_id\":\"item-0\",\"title\":\"Dune\",\"event\":\"purchase\",\"share\":0.6897},"
                + "{\"item_id\":\"item-1\",\"title\":\"Arrival\",\"event\":\"like\",\"share\":0.3103}],"
                + "\"summary\":\"Because you bought Dune and liked Arrival\"}")
        let object = try parse(json)
        #expect(object["strategies"] as? [String: Int] == ["cooccurrence": 1])
        let because = try #require(object["because"] as? [[String: Any]])
        #expect(because.count == 2)
        #expect(because[0]["item_id"] as? String == "item-0")
        #expect(because[1]["event"] as? String == "like")
        #expect(object["summary"] as? String == "Because you bought Dune and liked Arrival")
    }

    @Test func popularityRowSummaryAndJSON() throws {
        let rows = fixture.recommender.recommend(UserHistory(entries: [], limit: 1), k: 1)
        let row = try #require(rows.first)
        #expect(Reasons.summary(for: row, catalog: fixture.catalog, phrases: .test) == "Popular: 10 people chose it recently")
        let object = try parse(Reasons.json(for: row, catalog: fixture.catalog, phrases: .test))
        #expect(object["strategies"] as? [String: Int] == ["popularity": 1])
        #expect(object["users"] as? Int == 10)
        #expect(object["because"] == nil)
        #expect(object["summary"] as? String == "Popular: 10 people chose it recently")
        let one = Recommendation(item: 2, score: 0.2, strategy: .popularity, anchors: [], users: 1)
        #expect(Reasons.summary(for: one, catalog: fixture.catalog, phrases: .test) == "Popular: 1 person chose it recently")
    }

    @Test func namesFallBackToIdsAndOnlyTwoAnchorsAreWorded() {
        let row = Recommendation(item: 2, score: 1, strategy: .cooccurrence, anchors: [
            Anchor(item: 3, event: "view", share: 0.5),       // no title
            Anchor(item: 4, event: "bookmark", share: 0.3),   // empty title, unknown event
            Anchor(item: 6, event: "like", share: 0.2),       // third anchor: not in the sentence
        ], users: 0)
        #expect(Reasons.summary(for: row, catalog: fixture.catalog, phrases: .test) == "Because you viewed item-3 and interacted with item-4")
        let bare = Recommendation(item: 2, score: 1, strategy: .cooccurrence, anchors: [], users: 0)
        #expect(Reasons.summary(for: bare, catalog: fixture.catalog, phrases: .test) == "Often chosen together with items in your history")
    }

    @Test func verbsComeFromThePhrasesGiven() {
        let phrases = EventPhrases(verbs: ["purchase": "bought", "rent": "rented"], fallback: "interacted with")
        #expect(["purchase", "rent", "other"].map(phrases.verb(for:)) == ["bought", "rented", "interacted with"])
        let row = Recommendation(item: 2, score: 1, strategy: .cooccurrence, anchors: [.init(item: 0, event: "rent", share: 1)], users: 0)
        #expect(Reasons.summary(for: row, catalog: ItemCatalog(ids: ["a", "b", "c"], titles: ["Dune", nil, nil]), phrases: phrases)
                == "Because you rented Dune")
    }

    /// Titles with quotes, backslashes and newlines still give valid JSON that reads back unchanged.
    @Test func awkwardTitlesStayValidJSON() throws {
        let title = "The \"Best\" \\ Film\nPart 2 🎬"
        let catalog = ItemCatalog(ids: ["a\"id", "b"], titles: [title, nil])
        let row = Recommendation(item: 1, score: 1, strategy: .cooccurrence,
                                 anchors: [Anchor(item: 0, event: "like", share: 1)], users: 0)
        let object = try parse(Reasons.json(for: row, catalog: catalog, phrases: .test))
        let because = try #require(object["because"] as? [[String: Any]])
        #expect(because[0]["title"] as? String == title)
        #expect(because[0]["item_id"] as? String == "a\"id")
        #expect((because[0]["share"] as? NSNumber)?.doubleValue == 1)
        #expect(object["summary"] as? String == "Because you liked " + title)
    }

    @Test func neighborAndPopularJSON() throws {
        // Entries as the blend makes them (content weight 0.5): item 0's neighbour 2 by behaviour only.
        let neighbor = SimilarItems.blend(cooccurrence: [[.init(item: 2, score: 0.5, commonUsers: 3)]], content: [], contentWeight: 0.5)[0][0]
        let object = try parse(Reasons.neighborJSON(neighbor, of: 0, catalog: fixture.catalog))
        #expect(object["common_users"] as? Int == 3)
        #expect(object["strategies"] as? [String: Double] == ["cooccurrence": 1])
        #expect(object["summary"] as? String == "3 people who chose Dune also chose this")
        let single = SimilarItems.blend(cooccurrence: [[], [], [], [.init(item: 2, score: 0.5, commonUsers: 1)]], content: [], contentWeight: 0)[3][0]
        #expect(try parse(Reasons.neighborJSON(single, of: 3, catalog: fixture.catalog))["summary"] as? String
                == "1 person who chose item-3 also chose this")
        // Both parts: 0.5 · 0.6 from text, 0.5 · 0.2 from behaviour → shares 0.75 / 0.25.
        let both = SimilarItems.blend(cooccurrence: [[.init(item: 2, score: 0.2, commonUsers: 2)]], content: [[.init(item: 2, score: 0.6)]],
                                      contentWeight: 0.5)[0][0]
        #expect(abs(both.score - 0.4) < 1e-6)
        let bothJSON = try parse(Reasons.neighborJSON(both, of: 0, catalog: fixture.catalog))
        let shares = try #require(bothJSON["strategies"] as? [String: Double])
        #expect(abs(shares["content"]! - 0.75) < 1e-6 && abs(shares["cooccurrence"]! - 0.25) < 1e-6)
        #expect(bothJSON["summary"] as? String == "Similar text to Dune; 2 people who chose Dune also chose this")
        #expect(abs((bothJSON["scores"] as? [String: Double])!["content"]! - 0.6) < 1e-6)
        // With a collaborative model, behaviour is the mean of co-occurrence and the scaled collaborative part.
        let three = SimilarItems.blend(cooccurrence: [[.init(item: 2, score: 0.4, commonUsers: 2)]], content: [],
                                       collaborative: [[.init(item: 2, score: 0.02), .init(item: 5, score: 0.01)]], contentWeight: 0)[0]
        #expect(three.map(\.item) == [2, 5])
        #expect(abs(three[0].score - 0.7) < 1e-6 && abs(three[1].score - 0.25) < 1e-6)   // (0.4 + 1)/2, (0 + 0.5)/2
        let collaborativeOnly = try parse(Reasons.neighborJSON(three[1], of: 0, catalog: fixture.catalog))
        #expect(collaborativeOnly["strategies"] as? [String: Double] == ["collaborative": 1])
        #expect(collaborativeOnly["summary"] as? String == "People who like Dune tend to like this too")

        let popular = try parse(Reasons.popularJSON(.init(item: 7, score: 1, users: 1)))
        #expect(popular["strategies"] as? [String: Int] == ["popularity": 1])
        #expect(popular["users"] as? Int == 1)
        #expect(popular["summary"] as? String == "Popular: 1 person chose it recently")
    }

    @Test func sameVerbIsNotRepeated() {
        let row = Recommendation(item: 2, score: 1, strategy: .cooccurrence,
                                 anchors: [Anchor(item: 0, event: "like", share: 0.6), Anchor(item: 1, event: "like", share: 0.4)], users: 0)
        #expect(Reasons.summary(for: row, catalog: RecommenderFixture.catalog, phrases: .test) == "Because you liked Dune and Arrival")
    }
}

extension EventPhrases {
    /// The wording the unit tests read sentences in (the daemon reads its own from genre._event_verbs()).
    static let test = EventPhrases(verbs: ["purchase": "bought", "like": "liked", "view": "viewed", "click": "clicked on",
                                           "comment": "commented on", "dislike": "disliked"], fallback: "interacted with")
}
