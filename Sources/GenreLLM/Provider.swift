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

    public init(name: String, kind: Kind, baseURL: URL, model: String, apiKeyEnv: String?, options: Options) {
        (self.name, self.kind, self.baseURL, self.model, self.apiKeyEnv, self.options) = (name, kind, baseURL, model, apiKeyEnv, options)
    }

    /// Whether an environment variable may be named as a provider's key: not GENRE's own (its database URL)
    /// nor libpq's (PG*), which an admin could otherwise have the daemon send to any host.
    public static func mayHoldKey(_ variable: String) -> Bool {
        !(variable.hasPrefix("GENRE_") || variable.hasPrefix("PG") || variable == "DATABASE_URL")
    }

    /// Per-provider limits: the provider.* settings, overridden by the provider row's own options.
    public struct Options: Sendable, Equatable {
        /// Seconds one request may take (connect, send, generate, receive).
        public var timeoutSeconds: Double
        /// Requests in flight at once.
        public var concurrency: Int
        /// 0 = no limit.
        public var requestsPerMinute: Int
        /// Tokens (prompt + completion) per minute; 0 = no limit.
        public var tokensPerMinute: Int
        /// Tokens per UTC day (all daemons together, as genre.llm_usage counts them); 0 = no budget. Enforced by
        /// the daemon, which sees the usage table.
        public var tokensPerDay: Int
        /// Retries of one request after a 429, a 5xx, a timeout or a lost connection.
        public var retries: Int
        /// Answers longer than this are refused (a runaway or hostile endpoint cannot fill memory).
        public var maxResponseBytes: Int
        /// Consecutive failed requests after which the provider is paused, and for how long.
        public var pauseAfterFailures: Int
        public var pauseSeconds: Double
        /// How an `openai` provider is given a JSON schema.
        public var structuredOutput: StructuredOutput

        public init(timeoutSeconds: Double, concurrency: Int, requestsPerMinute: Int, tokensPerMinute: Int, tokensPerDay: Int = 0,
                    retries: Int, maxResponseBytes: Int, pauseAfterFailures: Int, pauseSeconds: Double, structuredOutput: StructuredOutput) {
            (self.timeoutSeconds, self.concurrency, self.requestsPerMinute, self.tokensPerMinute, self.tokensPerDay, self.retries) =
                (timeoutSeconds, concurrency, requestsPerMinute, tokensPerMinute, tokensPerDay, retries)
            (self.maxResponseBytes, self.pauseAfterFailures, self.pauseSeconds, self.structuredOutput) =
                (maxResponseBytes, pauseAfterFailures, pauseSeconds, structuredOutput)
        }
    }

    /// How the JSON schema of a structured answer is sent to an `openai` provider.
    public enum StructuredOutput: String, Sendable {
        /// OpenAI's response_format {"type": "json_schema", "json_schema": {...}} (also vLLM, llama.cpp's llama-server).
        case jsonSchema = "json_schema"
        /// llama-cpp-python's server: response_format {"type": "json_object", "schema": {...}}, compiled to a grammar.
        case jsonObject = "json_object"
        /// Only described in the prompt.
        case none
    }
}
