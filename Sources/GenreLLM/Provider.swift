import Foundation
import GenreSupport

/// A generative model endpoint, as a genre.providers row describes it. The API key is never held here: only
/// the name of the environment variable the daemon reads it from.
public struct Provider: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// Chat completions and embeddings as OpenAI defines them (also vLLM, llama.cpp's server, LM Studio,
        /// Ollama's /v1).
        case openai
        /// Ollama's native API (/api/chat).
        case ollama
    }

    public var name: String
    public var kind: Kind
    public var baseURL: URL
    public var model: String
    /// The environment variable holding the API key, or nil for endpoints that take none.
    public var apiKeyEnv: String?
    public var options: Options

    public init(name: String, kind: Kind, baseURL: URL, model: String, apiKeyEnv: String? = nil, options: Options = Options()) {
        (self.name, self.kind, self.baseURL, self.model, self.apiKeyEnv, self.options) = (name, kind, baseURL, model, apiKeyEnv, options)
    }

    /// Per-provider limits. Defaults suit a hosted API; a local server may take more concurrency.
    public struct Options: Sendable, Equatable {
        /// Seconds one request may take (connect, send, generate, receive).
        public var timeoutSeconds = 60.0
        /// Requests in flight at once.
        public var concurrency = 2
        /// 0 = no limit.
        public var requestsPerMinute = 0
        /// Tokens (prompt + completion) per minute; 0 = no limit.
        public var tokensPerMinute = 0
        /// Retries of one request after a 429, a 5xx, a timeout or a lost connection.
        public var retries = 3
        /// Answers longer than this are refused (a runaway or hostile endpoint cannot fill memory).
        public var maxResponseBytes = 1 << 20
        /// Consecutive failed requests after which the provider is paused, and for how long.
        public var pauseAfterFailures = 5
        public var pauseSeconds = 60.0
        /// How the JSON schema of a structured answer is sent to an `openai` provider: "json_schema"
        /// (OpenAI's response_format), "json_object" (llama.cpp's server: response_format with a schema),
        /// or "none" (the schema is only described in the prompt).
        public var structuredOutput = "json_schema"
        public init() {}
    }
}
