import Foundation
import Testing
import GenreLLM
import GenreSupport
@testable import GenreDaemon
@testable import GenrePostgres

/// A provider at a scripted server, with small limits so faults show quickly.
func scriptedProvider(_ url: URL, retries: Int = 0, timeout: Double = 5, maxBytes: Int = 1 << 20, pauseAfter: Int = 5,
                      pauseSeconds: Double = 60, apiKeyEnv: String? = nil) -> Provider {
    Provider(name: "scripted", kind: .openai, baseURL: url.appendingPathComponent("v1"), model: "m", apiKeyEnv: apiKeyEnv,
             options: .init(timeoutSeconds: timeout, concurrency: 2, requestsPerMinute: 0, tokensPerMinute: 0, retries: retries,
                            maxResponseBytes: maxBytes, pauseAfterFailures: pauseAfter, pauseSeconds: pauseSeconds, structuredOutput: .jsonSchema))
}

let hello: [ChatMessage] = [.user("hello")]

/// What a call threw (nil: it succeeded).
func thrown(_ body: () throws -> Void) -> Error? {
    do { try body(); return nil } catch { return error }
}

@Suite("provider faults")
struct ProviderFaultTests {
    @Test("429 with Retry-After is retried after the time asked for")
    func retryAfter() throws {
        let server = try ScriptedHTTPServer { _, index in
            index == 0 ? .json(status: 429, #"{"error": "slow down"}"#, headers: ["Retry-After": "1"]) : .json(openAIAnswer("ok"))
        }
        defer { server.stop() }
        let started = Date()
        let answer = try ProviderClient(provider: scriptedProvider(server.baseURL, retries: 2)).chat(hello, schema: nil, maxTokens: 8)
        #expect(answer.content == "ok" && answer.requests == 2 && server.requests.count == 2)
        #expect(Date().timeIntervalSince(started) >= 1)
    }

    @Test("5xx is retried, then the provider is paused after failures in a row and sends nothing while paused")
    func circuitBreaker() throws {
        let server = try ScriptedHTTPServer { _, _ in .json(status: 503, #"{"error": "overloaded"}"#) }
        defer { server.stop() }
        let client = ProviderClient(provider: scriptedProvider(server.baseURL, retries: 1, pauseAfter: 2))
        for _ in 0..<2 {
            guard case ProviderError.http(_, 503, _)? = thrown({ _ = try client.chat(hello, schema: nil, maxTokens: 8) }) else {
                Issue.record("expected HTTP 503")
                return
            }
        }
        #expect(server.requests.count == 4, "two requests, each retried once")
        guard case ProviderError.paused(_, _, let lastError)? = thrown({ _ = try client.chat(hello, schema: nil, maxTokens: 8) }) else {
            Issue.record("expected the provider to be paused")
            return
        }
        #expect(lastError.contains("503") && server.requests.count == 4)
    }

    @Test("the trial request after a pause may retry, and its success closes the breaker")
    func trialRetries() throws {
        let server = try ScriptedHTTPServer { _, index in index < 3 ? .json(status: 503, "{}") : .json(openAIAnswer("ok")) }
        defer { server.stop() }
        let client = ProviderClient(provider: scriptedProvider(server.baseURL, retries: 1, pauseAfter: 1, pauseSeconds: 1))
        #expect(thrown { _ = try client.chat(hello, schema: nil, maxTokens: 8) } != nil)
        guard case .open = client.state else { Issue.record("not paused after a failed request"); return }
        Thread.sleep(forTimeInterval: 1.2)
        let answer = try client.chat(hello, schema: nil, maxTokens: 8)   // the trial: 503, then its retry succeeds
        #expect(answer.content == "ok" && answer.requests == 2 && server.requests.count == 4)
        #expect(client.state == .closed)
    }

    @Test("a silent server, a slow trickle, a refused connection, a closed one, malformed JSON and an oversized answer each fail cleanly")
    func transportFaults() throws {
        func failure(_ response: ScriptedResponse, timeout: Double = 5, maxBytes: Int = 1 << 20) throws -> Error? {
            let server = try ScriptedHTTPServer { _, _ in response }
            defer { server.stop() }
            return thrown { _ = try ProviderClient(provider: scriptedProvider(server.baseURL, timeout: timeout, maxBytes: maxBytes)).chat(hello, schema: nil, maxTokens: 8) }
        }
        var started = Date()
        guard case ProviderError.transport(_, .timeout)? = try failure(.hang(seconds: 10), timeout: 1) else { Issue.record("hang: no timeout"); return }
        #expect(Date().timeIntervalSince(started) < 4)
        started = Date()
        let slow = try failure(.trickle(body: openAIAnswer("ok"), bytesPerChunk: 5, interval: 0.3), timeout: 2)
        guard case ProviderError.transport(_, .timeout)? = slow else { Issue.record("trickle: \(String(describing: slow))"); return }
        #expect(Date().timeIntervalSince(started) < 5, "an answer that keeps trickling is cut at the overall deadline")
        guard case ProviderError.transport(_, .connection)? = try failure(.close) else { Issue.record("close: no connection error"); return }
        guard case ProviderError.malformed? = try failure(.json("{\"choices\": 5}")) else { Issue.record("malformed: not reported"); return }
        guard case ProviderError.transport(_, .tooLarge(1024))? = try failure(.json(openAIAnswer(String(repeating: "x", count: 5000))), maxBytes: 1024) else {
            Issue.record("oversized: not refused"); return
        }
        let refused = try ScriptedHTTPServer.refusedPort()
        let error = thrown { _ = try ProviderClient(provider: scriptedProvider(URL(string: "http://127.0.0.1:\(refused)")!)).chat(hello, schema: nil, maxTokens: 8) }
        guard case ProviderError.transport(_, .connection)? = error else { Issue.record("refused: \(String(describing: error))"); return }
    }

    @Test("the API key goes only into the Authorization header: never into an error, even when the provider echoes it")
    func keyStaysSecret() throws {
        let key = "sk-test-\(UInt64.random(in: 0...UInt64.max))"
        let server = try ScriptedHTTPServer { request, _ in
            .json(status: 401, #"{"error": "bad key \#(request.headers["authorization"] ?? "")"}"#)
        }
        defer { server.stop() }
        let provider = scriptedProvider(server.baseURL, apiKeyEnv: "TEST_PROVIDER_KEY")
        let error = thrown { _ = try ProviderClient(provider: provider, environment: ["TEST_PROVIDER_KEY": key]).chat(hello, schema: nil, maxTokens: 8) }
        #expect(server.requests.first?.headers["authorization"] == "Bearer \(key)")
        let message = "\(error.map { "\($0)" } ?? "")"
        #expect(message.contains("401") && message.contains("***") && !message.contains(key), "\(message)")
        let missing = thrown { _ = try ProviderClient(provider: provider, environment: [:]).chat(hello, schema: nil, maxTokens: 8) }
        #expect("\(missing.map { "\($0)" } ?? "")".contains("TEST_PROVIDER_KEY (api_key_env) is not set"))
    }
}

@Suite("generation under provider faults", .enabled(if: TestDatabase.enabled))
struct GenerationFaultTests {
    @Test("a failing provider is paused and its work waits untried; once it recovers every item gets features, none twice")
    func pausedProviderRecovers() throws {
        let healthy = ManagedAtomicFlag()
        let server = try ScriptedHTTPServer { request, _ in
            healthy.isSet ? .json(openAIAnswer(featuresAnswer(for: request))) : .json(status: 500, #"{"error": "down"}"#)
        }
        defer { server.stop() }
        let rig = try GenerationRig()
        try seedTopicItems(rig.c)
        try rig.provider(server, options: #"{"retries": 0, "pause_after_failures": 2, "pause_seconds": 1, "concurrency": 1}"#)
        for _ in 0..<3 { try rig.step() }
        #expect(try rig.c.scalar("SELECT state FROM genre.list_providers() WHERE name = 'scripted'") == "paused")
        #expect(try rig.c.scalar("SELECT last_error FROM genre.list_providers()")?.contains("HTTP 500") == true)
        #expect(try rig.c.count("SELECT count(*) FROM genre.dead_letters") == 0, "a failing provider's work is not dead-lettered")
        #expect(try rig.c.count("SELECT count(*) FROM genre.work_queue WHERE queue = 'item_features' AND attempts > 1") == 0,
                "once the breaker opens, the provider's failures are not counted against the items")
        let health = try #require(rig.service.context.health["generation"])
        #expect(health.consecutiveFailures > 0 && health.lastError?.contains("paused") == true, "\(health.lastError ?? "")")
        let failedRequests = server.requests.count
        healthy.set()
        try eventually("every item to get features", timeout: 30) {
            try rig.step()
            return try rig.c.count("SELECT count(*) FROM genre.item_features") == 5
        }
        #expect(server.requests.count - failedRequests == 5, "each item asked once after recovery")
        #expect(try rig.c.scalar("SELECT state FROM genre.list_providers()") == "ok")
        #expect(try rig.c.scalar("SELECT errors FROM genre.llm_usage") == "\(failedRequests)")
    }

    @Test("a re-ask that meets a provider error still counts the first request's tokens, and the failure as the provider's")
    func reAskFailureCounted() throws {
        // First answer does not fit the schema; the re-ask gets a 500 (no retries).
        let server = try ScriptedHTTPServer { _, index in
            index == 0 ? .json(openAIAnswer("no JSON here", tokensIn: 40, tokensOut: 20)) : .json(status: 500, #"{"error": "down"}"#)
        }
        defer { server.stop() }
        let rig = try GenerationRig()
        try rig.c.query("INSERT INTO genre.items (item_id, title) VALUES ('one', 'A single item')")
        try rig.provider(server, options: #"{"retries": 0, "pause_after_failures": 100, "concurrency": 1}"#)
        try rig.step()
        #expect(server.requests.count == 2)
        #expect(try rig.c.scalar("SELECT requests || '/' || tokens_in || '/' || tokens_out || '/' || errors FROM genre.llm_usage") == "2/40/20/1")
        let lastError = try rig.c.scalar("SELECT coalesce(last_error, '-') || ' / ' || attempts FROM genre.work_queue WHERE queue = 'item_features' AND work_key = 'one'") ?? "(no row)"
        #expect(lastError.contains("HTTP 500"), "\(lastError)")
    }

    @Test("a daemon stopping mid-request abandons it at once and gives the work back untried")
    func shutdownAbandonsRequests() throws {
        let server = try ScriptedHTTPServer { _, _ in .hang(seconds: 30) }
        defer { server.stop() }
        let rig = try GenerationRig()
        try rig.c.query("INSERT INTO genre.items (item_id, title) VALUES ('a', 'An item')")
        try rig.provider(server, options: #"{"timeout_seconds": 60}"#)
        let stepping = Thread { try? rig.service.step(rig.c) }
        stepping.start()
        try eventually("the request to reach the server", timeout: 10) { !server.requests.isEmpty }
        let stopAt = Date()
        rig.service.context.shutdown.trigger()
        try eventually("the step to end", timeout: 5) { stepping.isFinished }
        #expect(Date().timeIntervalSince(stopAt) < 2)
        #expect(try rig.c.scalar("SELECT attempts || '/' || (claimed_by IS NULL) FROM genre.work_queue WHERE queue = 'item_features'") == "0/true")
    }
}

extension GenerationFaultTests {
    @Test("a daily token budget pauses generation once spent and says why; raising it resumes")
    func dailyBudget() throws {
        let server = try ScriptedHTTPServer { request, _ in .json(openAIAnswer(featuresAnswer(for: request))) }  // 60 tokens each
        defer { server.stop() }
        let rig = try GenerationRig()
        try seedTopicItems(rig.c)
        try rig.provider(server, options: #"{"tokens_per_day": 100, "concurrency": 1}"#)
        try rig.drain(steps: 10)
        #expect(try rig.c.count("SELECT count(*) FROM genre.item_features") == 2 && server.requests.count == 2)
        #expect(try rig.c.scalar("SELECT state FROM genre.list_providers()") == "paused")
        #expect(try rig.c.scalar("SELECT last_error FROM genre.list_providers()")?.contains("spent its daily budget (provider.tokens_per_day = 100, used 120)") == true)
        #expect(rig.service.context.health["generation"]?.lastError?.contains("daily budget") == true)
        // With nothing to claim, the provider still shows ok again once its budget has room.
        try rig.c.query("DELETE FROM genre.work_queue WHERE queue = 'item_features'")
        try rig.c.query(#"SELECT genre.alter_provider('scripted', options => '{"tokens_per_day": 500}')"#)
        for _ in 0..<3 { try rig.step() }
        #expect(try rig.c.scalar("SELECT state FROM genre.list_providers()") == "ok", "a budget with room left un-pauses the provider")
        #expect(server.requests.count == 2)
        rig.service.swept["features"] = nil   // the sweep queues the three items left
        try rig.drain()
        #expect(try rig.c.count("SELECT count(*) FROM genre.item_features") == 5 && server.requests.count == 5)
    }

    @Test("an ollama provider gets Ollama's native request (format, stream off, num_predict) and its usage fields are read")
    func ollamaShape() throws {
        let server = try ScriptedHTTPServer { request, _ in
            .json(JSONValue.object(["model": .string("llama3.2"), "done": .bool(true), "prompt_eval_count": .number(30), "eval_count": .number(10),
                                    "message": .object(["role": .string("assistant"), "content": .string(featuresAnswer(for: request))])]).json)
        }
        defer { server.stop() }
        let rig = try GenerationRig()
        try rig.c.query("INSERT INTO genre.items (item_id, title) VALUES ('a', 'An item')")
        try rig.c.query("SELECT genre.create_provider('scripted', 'ollama', $1, 'llama3.2')", [server.baseURL.absoluteString])
        try rig.c.query("SELECT genre.set('llm.provider', 'scripted'), genre.set('features.enabled', true)")
        try rig.drain()
        let request = try #require(server.requests.first)
        let body = try #require(JSONValue.strict(request.text))
        #expect(request.path == "/api/chat" && body["stream"] == .bool(false) && body["format"]?["type"] == .string("object"))
        #expect(body["options"]?["num_predict"] == .number(256) && body["model"] == .string("llama3.2"))
        #expect(try rig.c.scalar("SELECT tokens_in || '/' || tokens_out FROM genre.item_features WHERE item_id = 'a'") == "30/10")
    }
}

/// A flag one test thread sets and a server thread reads.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
