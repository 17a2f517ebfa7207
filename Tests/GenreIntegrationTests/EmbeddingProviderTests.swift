import Foundation
import Synchronization
import Testing
import GenreSupport
@testable import GenreDaemon
@testable import GenrePostgres

/// A toy embeddings endpoint: 4 dimensions, one per topic word, so similarity is easy to predict.
func toyEmbedding(_ text: String) -> [Double] {
    let lower = text.lowercased()
    let axes = [["space", "starship", "galactic", "interstellar"], ["bread", "dough", "baking", "loaves"], ["tomato", "garden", "balcony"]]
    var vector = axes.map { words in words.contains { lower.contains($0) } ? 1.0 : 0.0 } + [0.1]
    let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
    vector = vector.map { $0 / norm }
    return vector
}

@Suite("embedding providers", .enabled(if: TestDatabase.enabled))
struct EmbeddingProviderTests {
    @Test("embedding.provider: vectors from a provider's /embeddings (its width), usage counted; a provider down gives work back untried")
    func providerVectors() throws {
        let down = Mutex(false)
        let server = try ScriptedHTTPServer { request, _ in
            if down.withLock({ $0 }) { return .json(status: 503, #"{"error": "down"}"#) }
            let inputs = JSONValue.strict(request.text)?["input"]?.array?.compactMap(\.string) ?? []
            // A text the provider refuses outright (as an endpoint refuses one over its context).
            if inputs.contains(where: { $0.contains("Poison") }) { return .json(status: 400, #"{"error": "input too long"}"#) }
            let data = inputs.enumerated().map { index, text in
                JSONValue.object(["index": .number(Double(index)), "embedding": .array(toyEmbedding(text).map { .number($0) })])
            }
            return .json(JSONValue.object(["data": .array(data), "usage": .object(["prompt_tokens": .number(Double(inputs.count * 5))])]).json)
        }
        defer { server.stop() }
        let db = try TestDatabase.create()
        let c = try db.connect()
        try seedTopicItems(c)
        try c.query("INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('a', 'bake-1', 'purchase'), ('a', 'bake-2', 'like'), ('b', 'garden', 'like')")
        try c.query("SELECT genre.create_provider('scripted', 'openai', $1, 'toy-embedder', NULL, '{\"retries\": 0, \"pause_after_failures\": 100}')",
                    [server.baseURL.absoluteString + "/v1"])
        try c.query("SELECT genre.set('embedding.provider', 'scripted'), genre.set('daemon.poll_interval_seconds', 0.2)")
        let daemon = TestDaemon.start(db)
        defer { try? daemon.stop() }
        try eventually("every item embedded by the provider", timeout: 60) {
            try c.count("SELECT count(*) FROM genre.item_embeddings WHERE model = 'scripted/toy-embedder' AND dims = 4") == 5
        }
        #expect(server.requests.allSatisfy { $0.path == "/v1/embeddings" })
        #expect(try c.count("SELECT count(*) FROM genre.llm_usage WHERE provider = 'scripted' AND task = 'embeddings' AND requests > 0 AND tokens_in > 0") == 1)
        // A search is embedded by the same provider and its vector space is the items'.
        try c.query("INSERT INTO genre.events (user_id, event_type, text) VALUES ('stargazer', 'search', 'starship battles')")
        try eventually("the search turning into content recommendations", timeout: 60) {
            try c.scalar("SELECT item_id FROM genre.recommend('stargazer', 1)")?.hasPrefix("space") == true
        }
        #expect(try c.scalar("SELECT model || ':' || dims FROM genre.event_text_embeddings") == "scripted/toy-embedder:4")

        // The provider goes down: a new item's work is given back untried (no attempt, no dead letter), the status says why.
        down.withLock { $0 = true }
        try c.query("INSERT INTO genre.items (item_id, title) VALUES ('space-3', 'Galactic starship pilots')")
        try eventually("the failure reported", timeout: 30) {
            try c.scalar("SELECT state FROM genre.status()")?.contains("embedding provider") == true
        }
        #expect(try c.count("SELECT count(*) FROM genre.dead_letters") == 0)
        #expect(try c.count("SELECT count(*) FROM genre.work_queue WHERE queue = 'items' AND work_key = 'space-3' AND attempts <= 1") == 1, "still queued, no attempt counted against it")
        down.withLock { $0 = false }
        try eventually("embedded once the provider is back", timeout: 60) {
            try c.count("SELECT count(*) FROM genre.item_embeddings WHERE item_id = 'space-3' AND model = 'scripted/toy-embedder'") == 1
        }
        // A text the provider refuses, in a batch with others: found alone and dead-lettered; the others embedded.
        try c.query("SELECT genre.set('queue.max_attempts', 2)")
        try c.query("INSERT INTO genre.items (item_id, title) VALUES ('p1', 'Poison pill'), ('ok1', 'Bread dough'), ('ok2', 'Starship crews')")
        try eventually("the refused text dead-lettered, the rest embedded", timeout: 60) {
            try c.count("SELECT count(*) FROM genre.dead_letters WHERE queue = 'items' AND work_key = 'p1'") == 1
                && c.count("SELECT count(*) FROM genre.item_embeddings WHERE item_id IN ('ok1', 'ok2') AND model = 'scripted/toy-embedder'") == 2
        }
        #expect(try c.scalar("SELECT error FROM genre.dead_letters WHERE work_key = 'p1'")?.contains("HTTP 400") == true)
    }
}
