import Foundation
import GenreSupport

/// Calls one provider: at most `concurrency` requests in flight, within its rate limits, retrying 429s, 5xx,
/// timeouts and lost connections with backoff (a Retry-After is honoured), and pausing the provider
/// (circuit breaker) after `pauseAfterFailures` failed requests in a row. Safe to share between threads.
public final class ProviderClient: @unchecked Sendable {
    public let provider: Provider
    let transport: HTTPTransport
    let breaker: CircuitBreaker
    let limiter: RateLimiter
    let retry: RetryPolicy
    let inFlight: DispatchSemaphore
    let environment: [String: String]
    /// Whether the caller is stopping: waits (backoff, rate limits, an answer) end early and the request is
    /// abandoned as `ProviderError.cancelled`.
    let isStopping: @Sendable () -> Bool

    public init(provider: Provider, environment: [String: String] = ProcessInfo.processInfo.environment,
                transport: HTTPTransport = HTTPTransport(), isStopping: @escaping @Sendable () -> Bool = { false }) {
        self.provider = provider
        self.transport = transport
        self.environment = environment
        self.isStopping = isStopping
        let options = provider.options
        breaker = CircuitBreaker(pauseAfterFailures: options.pauseAfterFailures, pauseSeconds: options.pauseSeconds)
        limiter = RateLimiter(requestsPerMinute: options.requestsPerMinute, tokensPerMinute: options.tokensPerMinute)
        retry = RetryPolicy(retries: options.retries)
        inFlight = DispatchSemaphore(value: max(1, options.concurrency))
    }

    /// The breaker's view, for genre.provider_state.
    public var state: CircuitBreaker.State { breaker.state }
    public var consecutiveFailures: Int { breaker.consecutiveFailures }

    /// One chat completion. `schema` asks for structured output the way this provider kind takes it.
    public func chat(_ messages: [ChatMessage], schema: JSONValue?, maxTokens: Int) throws -> ChatAnswer {
        let promptEstimate = messages.reduce(0) { $0 + TokenEstimate.tokens($1.content) }
        let estimate = promptEstimate + maxTokens
        let sent = try send(ChatProtocol.path(provider.kind), ChatProtocol.body(provider, messages, schema: schema, maxTokens: maxTokens),
                            estimate: estimate, what: "\(provider.kind.rawValue) chat answer") { ChatProtocol.answer(provider.kind, $0) }
        let tokensIn = sent.value.tokensIn ?? promptEstimate
        let tokensOut = sent.value.tokensOut ?? TokenEstimate.tokens(sent.value.content)
        limiter.correct(estimated: estimate, actual: tokensIn + tokensOut)
        return ChatAnswer(content: sent.value.content, tokensIn: max(0, tokensIn), tokensOut: tokensOut,
                          latencyMs: sent.latencyMs, requests: sent.requests)
    }

    /// Relevance of each document to the query from a `/rerank` endpoint (the Jina and Cohere shape, also
    /// llama.cpp's server with a reranking model): one score per document, in the documents' order.
    public func rerank(query: String, documents: [String]) throws -> RerankAnswer {
        let estimate = TokenEstimate.tokens(query) * documents.count + documents.reduce(0) { $0 + TokenEstimate.tokens($1) }
        let sent = try send(RerankProtocol.path, RerankProtocol.body(provider, query: query, documents: documents),
                            estimate: estimate, what: "rerank answer") { RerankProtocol.scores($0, count: documents.count) }
        limiter.correct(estimated: estimate, actual: sent.value.tokens ?? estimate)
        return RerankAnswer(scores: sent.value.scores, tokensIn: sent.value.tokens ?? estimate, latencyMs: sent.latencyMs, requests: sent.requests)
    }

    /// Vectors for texts from the provider's embeddings endpoint (OpenAI's `/embeddings`, Ollama's
    /// `/api/embed`), in the texts' order; every vector has the same width.
    public func embed(_ texts: [String]) throws -> EmbeddingAnswer {
        let estimate = texts.reduce(0) { $0 + TokenEstimate.tokens($1) }
        let sent = try send(EmbeddingProtocol.path(provider.kind), EmbeddingProtocol.body(provider, texts),
                            estimate: estimate, what: "\(provider.kind.rawValue) embeddings answer") { EmbeddingProtocol.vectors(provider.kind, $0, count: texts.count) }
        limiter.correct(estimated: estimate, actual: sent.value.tokens ?? estimate)
        return EmbeddingAnswer(vectors: sent.value.vectors, tokensIn: sent.value.tokens ?? estimate, latencyMs: sent.latencyMs, requests: sent.requests)
    }

    /// One request to `path` under the provider's base URL: concurrency, rate limits, the breaker, retries with
    /// Retry-After, the size limit and the key handled the same way for every endpoint. `decode` reads the
    /// answer; an answer it cannot read is the provider's fault (`malformed`).
    func send<T>(_ path: String, _ body: JSONValue, estimate: Int, what: String,
                 decode: (JSONValue) -> T?) throws -> (value: T, requests: Int, latencyMs: Int) {
        let key = try apiKey()
        var headers = ["Content-Type": "application/json", "Accept": "application/json"]
        if let key { headers["Authorization"] = "Bearer \(key)" }
        let data = Data(body.json.utf8)
        let url = URL(string: provider.baseURL.absoluteString + path) ?? provider.baseURL
        let started = Date()

        inFlight.wait()
        defer { inFlight.signal() }
        // The breaker is asked once per request, not per retry: a trial request after a pause must be able to
        // retry, and its outcome (recorded below either way) is what closes or reopens the breaker.
        guard breaker.allowRequest() else {
            if case .open(let until, let lastError) = breaker.state {
                throw ProviderError.paused(provider: provider.name, until: until, lastError: lastError)
            }
            throw ProviderError.paused(provider: provider.name, until: Date().addingTimeInterval(1), lastError: "waiting for the outcome of a trial request")
        }
        var attempt = 0
        while true {
            // Reserved and checked in one step, so two threads cannot both take the last slot.
            while case let wait = limiter.reserve(estimatedTokens: estimate), wait > 0 {
                if !sleep(wait) { throw ProviderError.cancelled }
            }
            if isStopping() { throw ProviderError.cancelled }
            attempt += 1
            let response: HTTPTransport.Response
            do {
                response = try transport.post(url, headers: headers, body: data, timeout: provider.options.timeoutSeconds,
                                              maxBytes: provider.options.maxResponseBytes, isCancelled: isStopping)
            } catch HTTPTransport.Failure.cancelled {
                throw ProviderError.cancelled
            } catch let error as HTTPTransport.Failure {
                let failure = ProviderError.transport(provider: provider.name, error)
                if case .tooLarge = error { try give(up: failure) }
                try retryOrGiveUp(failure, attempt: attempt, retryAfter: nil)
                continue
            }
            if (200..<300).contains(response.status) {
                let text = String(decoding: response.body, as: UTF8.self)
                guard let json = JSONValue.strict(text), let value = decode(json) else {
                    try give(up: ProviderError.malformed(provider: provider.name, "not a \(what): \(redact(text, key).prefix(200))"))
                }
                breaker.recordSuccess()
                return (value, attempt, Int(Date().timeIntervalSince(started) * 1000))
            }
            // Blanked before it is cut, so a key echoed across the cut cannot leak in part.
            let failure = ProviderError.http(provider: provider.name, status: response.status,
                                             message: String(redact(String(decoding: response.body, as: UTF8.self), key).prefix(300)))
            guard RetryPolicy.isRetryable(status: response.status) else { try give(up: failure) }
            try retryOrGiveUp(failure, attempt: attempt, retryAfter: RetryPolicy.retryAfterSeconds(response.headers["retry-after"], now: Date()))
        }
    }

    /// Waits before the next attempt, or gives up when the retries are spent.
    private func retryOrGiveUp(_ failure: ProviderError, attempt: Int, retryAfter: Double?) throws {
        guard attempt <= retry.retries else { try give(up: failure) }
        if !sleep(retry.delay(attempt: attempt, retryAfter: retryAfter, jitter: Double.random(in: 0..<1))) { throw ProviderError.cancelled }
    }

    /// Sleeps in slices, returning false as soon as the caller is stopping.
    private func sleep(_ seconds: Double) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if isStopping() { return false }
            Thread.sleep(forTimeInterval: min(0.1, max(0, end.timeIntervalSinceNow)))
        }
        return !isStopping()
    }

    /// Records a failed request with the breaker and throws it.
    private func give(up failure: ProviderError) throws -> Never {
        if failure.isProviderFault { breaker.recordFailure(failure.description) } else { breaker.recordSuccess() }
        throw failure
    }

    /// Refuses at once when the key's variable is missing, so the caller can say so before claiming work.
    public func checkKey() throws { _ = try apiKey() }

    /// The API key from the environment variable the provider row names (nil: the endpoint takes none).
    private func apiKey() throws -> String? {
        guard let variable = provider.apiKeyEnv else { return nil }
        guard Provider.mayHoldKey(variable) else { throw ProviderError.missingKey(provider: provider.name, variable: variable) }
        guard let key = environment[variable], !key.isEmpty else { throw ProviderError.missingKey(provider: provider.name, variable: variable) }
        return key
    }

    /// A provider's error text with the key blanked out (some echo what they were sent).
    func redact(_ text: String, _ key: String?) -> String {
        guard let key, !key.isEmpty else { return text }
        return text.replacingOccurrences(of: key, with: "***")
    }
}
