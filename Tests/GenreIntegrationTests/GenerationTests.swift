import Foundation
import Testing
import GenreLLM
import GenreSupport
@testable import GenreDaemon
@testable import GenrePostgres

/// A chat-completions answer in OpenAI's shape, holding `content`.
func openAIAnswer(_ content: String, tokensIn: Int = 40, tokensOut: Int = 20) -> String {
    JSONValue.object([
        "id": .string("chatcmpl-test"), "object": .string("chat.completion"),
        "choices": .array([.object(["index": .number(0), "finish_reason": .string("stop"),
                                    "message": .object(["role": .string("assistant"), "content": .string(content)])])]),
        "usage": .object(["prompt_tokens": .number(Double(tokensIn)), "completion_tokens": .number(Double(tokensOut))]),
    ]).json
}

/// Features that fit the default features.schema, naming the item they were written for.
func featuresAnswer(for request: ScriptedRequest) -> String {
    let user = (JSONValue.strict(request.text)?["messages"]?.array?.last?["content"]?.string ?? "").prefix(40)
    return #"{"summary": "About \#(user.replacingOccurrences(of: "\"", with: "'").replacingOccurrences(of: "\n", with: " "))", "topics": ["space", "war"], "keywords": ["starship"], "audience": "science fiction fans"}"#
}

/// The generation service stepped by hand against a test database and a scripted provider. (@unchecked: a
/// test hands it to one other thread at a time.)
struct GenerationRig: @unchecked Sendable {
    let db: TestDatabase
    let c: PostgresConnection
    let service: GenerationService

    init(_ label: String = #function, environment: [String: String] = [:]) throws {
        db = try TestDatabase.create(label)
        c = try db.connect()
        service = GenerationService(context: testContext(db), environment: environment)
        // As the daemon's own connection does: the service hears settings and provider changes between steps.
        try c.query("LISTEN genre_settings")
        try c.query("LISTEN genre_work")
        try c.query("SELECT genre.set('daemon.poll_interval_seconds', 0.05)")
        try c.query("SELECT genre.set('queue.max_attempts', 2)")
    }

    /// One step, reported to the service's health as ServiceLoop does.
    func step() throws {
        service.context.health.stepStarted(GenerationService.service)
        try service.step(c)
        service.context.health.stepEnded(GenerationService.service)
    }

    /// Steps until no work of `queue` is available now (or `steps` run out).
    func drain(_ queue: String = "item_features", steps: Int = 40) throws {
        for _ in 0..<steps {
            try step()
            let waiting = try c.count("SELECT count(*) FROM genre.work_queue WHERE queue = $1 AND available_at <= now() AND claimed_by IS NULL", [queue])
            if waiting == 0 { return }
        }
    }

    /// The scripted server as provider `scripted` (llm.provider), and the task switched on.
    func provider(_ server: ScriptedHTTPServer, options: String = "{}", apiKeyEnv: String? = nil, enabling task: String = "features.enabled") throws {
        try c.query("SELECT genre.create_provider('scripted', 'openai', $1, 'test-model', $2, $3::jsonb)",
                    [server.baseURL.absoluteString + "/v1", apiKeyEnv, options])
        try c.query("SELECT genre.set('llm.provider', 'scripted')")
        try c.query("SELECT genre.set($1, true)", [task])
    }
}

@Suite("generation: providers and item understanding", .enabled(if: TestDatabase.enabled))
struct GenerationTests {
    @Test("providers are rows: checked on the way in, options merged over the provider.* settings, listed, dropped only when unused")
    func providersAreRows() throws {
        let c = try TestDatabase.create().connect()
        try c.query("SELECT genre.create_provider('local', 'openai', 'http://127.0.0.1:9/v1/', 'smollm2', NULL, '{\"timeout_seconds\": 5}')")
        #expect(try c.scalar("SELECT base_url FROM genre.providers WHERE name = 'local'") == "http://127.0.0.1:9/v1")
        let refusals: [(String, String)] = [
            ("SELECT genre.create_provider('x', 'gemini', 'http://h/v1', 'm')", "kind must be openai"),
            ("SELECT genre.create_provider('x', 'openai', 'ftp://h', 'm')", "base_url must start with http"),
            ("SELECT genre.create_provider('x', 'openai', 'http://h/v1', ' ')", "model must name the model"),
            ("SELECT genre.create_provider('x', 'openai', 'http://h/v1', 'm', 'sk-live-abc123')", "must be the NAME of an environment variable"),
            ("SELECT genre.create_provider('x', 'openai', 'http://h/v1', 'm', 'GENRE_DATABASE_URL')", "holds the database's credentials"),
            ("SELECT genre.create_provider('x', 'openai', 'http://h/v1', 'm', 'PGPASSWORD')", "holds the database's credentials"),
            ("SELECT genre.create_provider('x', 'openai', 'http://h/v1', 'm', NULL, '{\"timout\": 5}')", "unknown genre provider option \"timout\""),
            ("SELECT genre.create_provider('x', 'openai', 'http://h/v1', 'm', NULL, '{\"concurrency\": 0}')", "between 1 and 64"),
            ("SELECT genre.create_provider('local', 'openai', 'http://h/v1', 'm')", "already exists"),
            ("SELECT genre.set('llm.provider', 'nope')", "no provider named \"nope\""),
        ]
        for (sql, message) in refusals {
            let error = c.failure(sql)
            #expect(error?.message.contains(message) == true, "\(sql): \(error?.message ?? "accepted")")
            #expect(error?.message.contains("sk-live-abc123") != true, "a pasted key is never echoed")
        }
        try c.query("SELECT genre.alter_provider('local', options => '{\"retries\": 1}')")
        try c.query("SELECT genre.set('provider.concurrency', 3)")
        let options = try #require(try c.scalar("SELECT options::text FROM genre.list_providers() WHERE name = 'local'").flatMap(JSONValue.strict))
        #expect(options["timeout_seconds"] == .number(5) && options["retries"] == .number(1) && options["concurrency"] == .number(3))
        try c.query("SELECT genre.set('llm.provider', 'local')")
        #expect(c.failure("SELECT genre.drop_provider('local')")?.message.contains("in use by llm.provider") == true)
        try c.query("SELECT genre.reset('llm.provider')")
        #expect(try c.scalar("SELECT genre.drop_provider('local')") == "t")
    }

    @Test("item understanding: features stored with provenance, cached, never asked twice, and embedded through {llm.*}")
    func itemUnderstanding() throws {
        let server = try ScriptedHTTPServer { request, _ in .json(openAIAnswer(featuresAnswer(for: request))) }
        defer { server.stop() }
        let rig = try GenerationRig()
        try seedTopicItems(rig.c)
        try rig.provider(server)
        try rig.drain()
        #expect(try rig.c.count("SELECT count(*) FROM genre.item_features") == 5)
        #expect(server.requests.count == 5)
        let request = try #require(server.requests.first.flatMap { JSONValue.strict($0.text) })
        #expect(server.requests.first?.path == "/v1/chat/completions")
        #expect(request["model"] == .string("test-model") && request["response_format"]?["type"] == .string("json_schema"))
        #expect(request["response_format"]?["json_schema"]?["schema"]?["required"] != nil)
        // Provenance and usage.
        #expect(try rig.c.count("""
            SELECT count(*) FROM genre.item_features WHERE provider = 'scripted' AND model = 'test-model' AND tokens_in = 40
               AND tokens_out = 20 AND latency_ms >= 0 AND length(prompt_hash) = 64 AND input_hash = genre._text_hash(genre._feature_input(
                 (SELECT i FROM genre.items i WHERE i.item_id = item_features.item_id)))
            """) == 5)
        #expect(try rig.c.scalar("SELECT requests || '/' || tokens_in || '/' || tokens_out || '/' || errors FROM genre.llm_usage WHERE provider = 'scripted'") == "5/200/100/0")
        // The default embedding template now carries the summary and topics; those items are queued again.
        let text = try #require(try rig.c.scalar("SELECT genre.render_item_text(i) FROM genre.items i WHERE item_id = 'space-1'"))
        #expect(text.contains(". About Title: A space opera") && text.hasSuffix("Topics: space, war"), "\(text)")
        #expect(try rig.c.count("SELECT count(*) FROM genre.work_queue WHERE queue = 'items'") == 5)
        // A column outside the prompt changes nothing; a title changed and changed back is answered from the cache.
        try rig.c.query("UPDATE genre.items SET attributes = '{\"x\": 1}' WHERE item_id = 'space-1'")
        try rig.c.query("UPDATE genre.items SET title = 'Changed' WHERE item_id = 'bake-1'")
        try rig.drain()
        try rig.c.query("UPDATE genre.items SET title = 'Baking sourdough bread with a wild yeast starter' WHERE item_id = 'bake-1'")
        try rig.drain()
        #expect(server.requests.count == 6, "one new question (the changed title); its way back came from the cache")
        #expect(try rig.c.scalar("SELECT cache_hits FROM genre.llm_usage WHERE provider = 'scripted'") == "1")
        #expect(try rig.c.scalar("SELECT features->>'summary' FROM genre.item_features WHERE item_id = 'bake-1'")?.contains("sourdough") == true)
    }

    @Test("a small model's slips are repaired in place; an answer that never fits goes to the dead letters with the raw text")
    func schemaRepairAndDeadLetters() throws {
        let server = try ScriptedHTTPServer { request, _ in
            if request.text.contains("bake-1") || request.text.contains("sourdough") {
                return .json(openAIAnswer("I think this is a lovely bread recipe."))
            }
            // Fenced, topics as one string, a capitalised key: all repairable.
            return .json(openAIAnswer("Sure!\n```json\n{\"Summary\": \"A film\", \"topics\": \"space, war\", \"keywords\": [], \"audience\": \"all\"}\n```"))
        }
        defer { server.stop() }
        let rig = try GenerationRig()
        try seedTopicItems(rig.c)
        try rig.provider(server)
        try rig.drain()
        #expect(try rig.c.scalar("SELECT features::text FROM genre.item_features WHERE item_id = 'space-1'")
                == #"{"topics": ["space", "war"], "summary": "A film", "audience": "all", "keywords": []}"#)
        // Two attempts (queue.max_attempts = 2), each asked twice (the second time with what was wrong).
        try eventually("the unfixable answer to be dead-lettered", timeout: 20) {
            try rig.step()
            return try rig.c.count("SELECT count(*) FROM genre.dead_letters WHERE queue = 'item_features' AND work_key = 'bake-1'") == 1
        }
        // Each attempt asked twice: the second time with what was wrong.
        let bakeRequests = server.requests.filter { $0.text.contains("sourdough") }
        #expect(bakeRequests.count == 4)
        let second = try #require(bakeRequests.dropFirst().first.flatMap { JSONValue.strict($0.text) })
        #expect(second["messages"]?.array?.last?["content"]?.string?.contains("does not fit the JSON schema") == true)
        let error = try #require(try rig.c.scalar("SELECT error FROM genre.dead_letters WHERE work_key = 'bake-1'"))
        #expect(error.contains("does not fit the schema") && error.contains("I think this is a lovely bread recipe."), "\(error)")
        #expect(try rig.c.count("SELECT count(*) FROM genre.item_features") == 4)
    }
}
