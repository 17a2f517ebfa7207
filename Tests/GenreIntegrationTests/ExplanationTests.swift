import Foundation
import Testing
import GenreSupport
@testable import GenreDaemon
@testable import GenrePostgres

@Suite("grounded explanations", .enabled(if: TestDatabase.enabled))
struct ExplanationTests {
    @Test("the first k rows get a sentence from their facts; one naming a title not in the facts is rejected; new facts, new sentence")
    func groundedSentences() throws {
        // Writes a sentence from the facts it is sent (the item and the first anchor); its second answer names an
        // item that is not among the facts.
        let server = try ScriptedHTTPServer { request, index in
            let facts = JSONValue.strict(request.text)?["messages"]?.array?.last?["content"]?.string ?? ""
            let lines = facts.split(separator: "\n").map(String.init)
            let item = lines.first?.replacingOccurrences(of: "Recommended item: ", with: "") ?? "?"
            let anchor = lines.first(where: { $0.hasPrefix("You ") }).map { String($0.dropFirst("You ".count).dropLast()) } ?? "chose similar things"
            let sentence = index == 1 ? "You will love \(item) as much as a-title 1." : "You \(anchor), so \(item) is for you."
            return .json(openAIAnswer(JSONValue.object(["sentence": .string(sentence)]).json))
        }
        defer { server.stop() }
        let db = try TestDatabase.create()
        let c = try db.connect()
        try seedTwoClusters(c, users: 12)
        try c.query("SELECT genre.create_provider('scripted', 'openai', $1, 'test-model')", [server.baseURL.absoluteString + "/v1"])
        try c.query("SELECT genre.set('llm.provider', 'scripted')")
        #expect(c.failure("SELECT genre.request_explanations(ARRAY['u1'])")?.message.contains("explain.llm_top_k is 0") == true)
        try c.query("SELECT genre.set('explain.llm_top_k', 3)")
        let daemon = TestDaemon.start(db)
        defer { try? daemon.stop() }
        try eventually("lists built", timeout: 120) { try c.count("SELECT count(*) FROM genre.recommend('u1', 5) WHERE reasons ? 'because'") > 0 }
        // u1 was refreshed by the build, not in real time: asked for explicitly.
        #expect(try c.scalar("SELECT genre.request_explanations(ARRAY['u1'])") == "3")
        /// The first three rows shown now each have a sentence, or a rejected one, for their current facts.
        func explainedNow() throws -> Bool {
            try c.count("SELECT count(*) FROM genre.work_queue WHERE queue = 'explanations'") == 0 && c.count("""
                SELECT count(*) FROM genre.recommend('u1', 3) r JOIN genre.explanations e ON e.user_id = 'u1' AND e.item_id = r.item_id
                 WHERE e.facts_hash = genre._text_hash((SELECT facts FROM genre._explanation_input(jsonb_build_array('u1', r.item_id)::text)))
                """) == 3
        }
        try eventually("the first three rows explained", timeout: 60, explainedNow)
        #expect(try c.count("SELECT count(*) FROM genre.explanations WHERE rejected IS NOT NULL AND problem = 'it names \"a-title 1\", which is not in the facts'") == 1,
                "the second answer named an item outside the facts")
        let rows = try c.query("SELECT rank, item_id, reasons->>'llm_sentence', reasons->>'summary' FROM genre.recommend('u1', 4) ORDER BY rank")
        for row in 0..<3 {
            let item = try #require(rows.string(row, 1))
            let stored = try c.query("SELECT sentence, rejected FROM genre.explanations WHERE user_id = 'u1' AND item_id = $1", [item])
            if let sentence = stored.string(0, 0) {
                #expect(rows.string(row, 2) == sentence && sentence.hasPrefix("You bought "), "row \(row + 1): \(sentence)")
            } else {
                #expect(rows.string(row, 2) == nil && stored.string(0, 1) != nil, "a rejected sentence is never shown")
            }
            #expect(rows.string(row, 3)?.isEmpty == false, "the template sentence stays")
        }
        #expect(rows.string(3, 2) == nil, "only the first explain.llm_top_k rows")
        let first = try #require(rows.string(0, 1))
        let explained = try c.query("SELECT sentence, llm_sentence FROM genre.explain('u1', $1)", [first])
        #expect(explained.string(0, 0)?.contains("is #1 on your list") == true)
        #expect(explained.string(0, 1) == rows.string(0, 2), "genre.explain returns both sentences")
        #expect(try c.count("SELECT sum(requests) FROM genre.llm_usage WHERE task = 'explanations'") == server.requests.count)

        // New events change the list's facts: the real-time refresh queues its first rows, and sentences written
        // for the old facts are not shown for the new ones.
        try c.query("INSERT INTO genre.events (user_id, item_id, event_type) SELECT 'u1', 'b' || i, 'like' FROM generate_series(1, 15) i")
        try eventually("sentences for the new list", timeout: 60, explainedNow)
        let shown = try c.query("SELECT r.item_id, r.reasons->>'llm_sentence' FROM genre.recommend('u1', 3) r WHERE r.reasons ? 'llm_sentence'")
        for row in 0..<shown.rowCount {
            #expect(try c.scalar("SELECT facts_hash = genre._text_hash((SELECT facts FROM genre._explanation_input($1))) FROM genre.explanations WHERE user_id = 'u1' AND item_id = $2",
                                 [JSONValue.array([.string("u1"), .string(shown.string(row, 0) ?? "")]).json, shown.string(row, 0)]) == "t")
        }
        // Erasure: with all of u1's events deleted, their sentences go.
        try c.query("DELETE FROM genre.events WHERE user_id = 'u1'")
        #expect(try c.count("SELECT count(*) FROM genre.explanations WHERE user_id = 'u1'") == 0)
    }
}
