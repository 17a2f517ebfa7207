import Foundation
import Synchronization
import Testing
import GenreSupport
@testable import GenreDaemon
@testable import GenrePostgres

/// The candidates' ids in a listwise prompt ("[id] title" lines), in list order.
func candidateIDs(_ request: ScriptedRequest) -> [String] {
    let prompt = JSONValue.strict(request.text)?["messages"]?.array?.last?["content"]?.string ?? ""
    return prompt.split(separator: "\n").compactMap { line in
        guard line.hasPrefix("["), let close = line.firstIndex(of: "]") else { return nil }
        return String(line[line.index(after: line.startIndex)..<close])
    }
}

@Suite("LLM re-ranking stage", .enabled(if: TestDatabase.enabled))
struct RerankTests {
    @Test("a scenario's lists are re-ranked after each refresh (listwise chat, then a /rerank endpoint), with the reranker's share in the reasons; a failing provider leaves the blend order")
    func rerankedAfterRefresh() throws {
        let failing = Mutex(false)
        // Listwise: the candidates in reverse. Endpoint: scores rising with the document's position (also a reversal).
        let server = try ScriptedHTTPServer { request, _ in
            if failing.withLock({ $0 }) { return .json(status: 500, #"{"error": "down"}"#) }
            if request.path.hasSuffix("/rerank") {
                let documents = JSONValue.strict(request.text)?["documents"]?.array ?? []
                let results = documents.indices.map { JSONValue.object(["index": .number(Double($0)), "relevance_score": .number(Double($0))]) }
                return .json(JSONValue.object(["results": .array(results), "usage": .object(["total_tokens": .number(50)])]).json)
            }
            let order = Array(candidateIDs(request).reversed())
            return .json(openAIAnswer(JSONValue.object(["order": .array(order.map { .string($0) })]).json))
        }
        defer { server.stop() }
        let db = try TestDatabase.create()
        let c = try db.connect()
        try seedTwoClusters(c, users: 12)
        try c.query("SELECT genre.create_provider('scripted', 'openai', $1, 'test-model', NULL, '{\"pause_after_failures\": 100, \"retries\": 0}')",
                    [server.baseURL.absoluteString + "/v1"])
        try c.query("SELECT genre.set('llm.provider', 'scripted')")
        try c.query("SELECT genre.set_scenario('reranked', '{\"rerank.top_n\": 4, \"rerank.weight\": 1}')")
        let daemon = TestDaemon.start(db)
        defer { try? daemon.stop() }
        try eventually("lists built", timeout: 120) {
            try c.count("SELECT count(*) FROM genre.recommendations WHERE user_id = 'u1' AND scenario = 'reranked'") > 0
        }
        func top(_ scenario: String) throws -> [String] {
            let rows = try c.query("SELECT item_id FROM genre.recommendations WHERE user_id = 'u1' AND scenario = $1 AND rank <= 4 ORDER BY rank", [scenario])
            return (0..<rows.rowCount).compactMap { rows.string($0, 0) }
        }
        // An event refreshes u1 in real time; the 'reranked' list is queued, the default one is not.
        try c.query("INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('u1', 'a1', 'view')")
        try eventually("the list re-ranked", timeout: 60) {
            try c.count("SELECT count(*) FROM genre.reranks WHERE user_id = 'u1' AND scenario = 'reranked'") == 1
        }
        let candidates = try #require(try c.scalar("SELECT array_to_string(items, ',') FROM genre.reranks WHERE user_id = 'u1'")).split(separator: ",").map(String.init)
        #expect(candidates.count == 4)
        // With weight 1 the list follows the re-ranker: the candidates (its blend order) reversed.
        #expect(try top("reranked") == Array(candidates.reversed()))
        let reasons = try #require(try c.scalar("SELECT reasons::text FROM genre.recommendations WHERE user_id = 'u1' AND scenario = 'reranked' AND rank = 1").flatMap(JSONValue.strict))
        #expect(reasons["strategies"]?["rerank"] == .number(1) && reasons["rerank"]?["provider"] == .string("scripted"))
        #expect(try c.count("SELECT count(*) FROM genre.recommendations WHERE user_id = 'u1' AND scenario = 'default' AND reasons ? 'rerank'") == 0)
        #expect(try c.count("SELECT count(*) FROM genre.recommend('u1', 4, scenario => 'reranked') WHERE reasons ? 'rerank'") >= 1)
        #expect(try c.count("SELECT count(*) FROM genre.llm_usage WHERE task = 'rerank'") == 1)

        // The same through a /rerank endpoint.
        let before = server.requests.count
        try c.query("SELECT genre.set('rerank.mode', 'endpoint')")
        try c.query("INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('u1', 'a2', 'view')")
        try eventually("re-ranked by the endpoint", timeout: 60) {
            try c.scalar("SELECT mode FROM genre.reranks WHERE user_id = 'u1'") == "endpoint"
        }
        let endpointRequest = try #require(server.requests.dropFirst(before).first { $0.path.hasSuffix("/rerank") })
        let body = try #require(JSONValue.strict(endpointRequest.text))
        #expect(endpointRequest.path == "/v1/rerank" && body["model"] == .string("test-model") && body["documents"]?.array?.count == 4)
        #expect(body["query"]?.string?.contains("Recently:") == true)

        // The provider fails: the list refreshed after the next event keeps its blend order, and says nothing of a re-ranking.
        failing.withLock { $0 = true }
        try c.query("INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('u1', 'a3', 'view')")
        try eventually("the refresh with the provider down", timeout: 60) {
            try c.count("SELECT count(*) FROM genre.recommendations WHERE user_id = 'u1' AND scenario = 'reranked' AND reasons ? 'rerank'") == 0
                && c.count("SELECT errors FROM genre.llm_usage WHERE task = 'rerank'") > 0
        }
        #expect(try top("reranked").count == 4, "the list is there, in its blend order")
    }

    @Test("a list is blended once: the same first rows re-ranked again, or a list changed meanwhile, are not blended (the changed one is queued again)")
    func appliedOnce() throws {
        let c = try TestDatabase.create().connect()
        try c.query("INSERT INTO genre.items (item_id, title) VALUES ('a', 'A'), ('b', 'B'), ('c', 'C')")
        func write(_ items: [String]) throws {
            let rows = items.enumerated().map { #"{"scenario": "default", "rank": \#($0.offset + 1), "item_id": "\#($0.element)", "score": \#(1.0 / Double($0.offset + 1)), "reasons": {"strategies": {"collaborative": 1}}}"# }
            try c.query("SELECT genre._write_user_recommendations('u', $1::jsonb)", ["[" + rows.joined(separator: ",") + "]"])
        }
        try c.query("SELECT genre.set('rerank.top_n', 3)")
        try write(["a", "b", "c"])
        #expect(try c.count("SELECT count(*) FROM genre.work_queue WHERE queue = 'rerank'") == 1, "the written list is queued")
        #expect(try c.count("SELECT count(*) FROM genre._rerank_input('[\"u\", \"default\"]')") == 3)
        let apply = "SELECT genre._apply_rerank('u', 'default', '{a,b,c}', '{0,0.5,1}', 1, 'chat', 'p', 'm', '{c,b,a}', '{1,0.5,0.33}', '{1,1,0}', 1, 1, 1)"
        #expect(try c.scalar(apply) == "t")
        #expect(try c.scalar("SELECT string_agg(item_id, '' ORDER BY rank) FROM genre.recommendations WHERE user_id = 'u'") == "cba")
        #expect(try c.count("SELECT count(*) FROM genre._rerank_input('[\"u\", \"default\"]')") == 0, "already re-ranked: nothing to read")
        #expect(try c.scalar("SELECT genre._apply_rerank('u', 'default', '{c,b,a}', '{0,0.5,1}', 1, 'chat', 'p', 'm', '{a,b,c}', '{1,0.5,0.33}', '{1,1,0}', 1, 1, 1)") == "f",
                "never blended twice")
        // A list replaced meanwhile is left alone and queued again.
        try write(["b", "a", "c"])
        try c.query("DELETE FROM genre.work_queue WHERE queue = 'rerank'")
        #expect(try c.scalar(apply) == "f")
        #expect(try c.count("SELECT count(*) FROM genre.work_queue WHERE queue = 'rerank'") == 1)
        // A dropped scenario's queued lists read as nothing to do, and are not queued by a refresh.
        #expect(try c.count("SELECT count(*) FROM genre._rerank_input('[\"u\", \"gone\"]')") == 0)
    }
}
