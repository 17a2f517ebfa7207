import Foundation
import GenreSupport

/// One message of a chat.
public struct ChatMessage: Sendable, Equatable {
    public var role: String
    public var content: String
    public init(role: String, content: String) { (self.role, self.content) = (role, content) }
    public static func system(_ text: String) -> ChatMessage { ChatMessage(role: "system", content: text) }
    public static func user(_ text: String) -> ChatMessage { ChatMessage(role: "user", content: text) }
    public static func assistant(_ text: String) -> ChatMessage { ChatMessage(role: "assistant", content: text) }
}

/// What a chat request came back with.
public struct ChatAnswer: Sendable, Equatable {
    public var content: String
    /// As the provider reported them (estimated when it reports none).
    public var tokensIn: Int
    public var tokensOut: Int
    public var latencyMs: Int
    /// HTTP requests it took (1 + retries).
    public var requests: Int
    public init(content: String, tokensIn: Int, tokensOut: Int, latencyMs: Int, requests: Int) {
        (self.content, self.tokensIn, self.tokensOut, self.latencyMs, self.requests) = (content, tokensIn, tokensOut, latencyMs, requests)
    }
}

/// How each provider kind shapes a chat request and its answer. OpenAI's chat completions (also vLLM,
/// llama.cpp, LM Studio, Ollama's /v1) and Ollama's native /api/chat differ in path, the schema field,
/// the token limit and where usage is reported.
enum ChatProtocol {
    static func path(_ kind: Provider.Kind) -> String {
        switch kind {
        case .openai: return "/chat/completions"
        case .ollama: return "/api/chat"
        }
    }

    static func body(_ provider: Provider, _ messages: [ChatMessage], schema: JSONValue?, maxTokens: Int) -> JSONValue {
        let chat = JSONValue.array(messages.map { .object(["role": .string($0.role), "content": .string($0.content)]) })
        switch provider.kind {
        case .openai:
            var body: [String: JSONValue] = ["model": .string(provider.model), "messages": chat,
                                             "max_tokens": .number(Double(maxTokens)), "temperature": .number(0)]
            if let schema {
                switch provider.options.structuredOutput {
                case .jsonSchema:
                    body["response_format"] = .object(["type": .string("json_schema"),
                                                       // Not strict: OpenAI's strict mode refuses keywords such as maxLength;
                                                       // GENRE checks and repairs the answer itself.
                                                       "json_schema": .object(["name": .string("answer"), "strict": .bool(false), "schema": schema])])
                case .jsonObject:
                    body["response_format"] = .object(["type": .string("json_object"), "schema": schema])
                case .none:
                    break
                }
            }
            return .object(body)
        case .ollama:
            var body: [String: JSONValue] = ["model": .string(provider.model), "messages": chat, "stream": .bool(false),
                                             "options": .object(["num_predict": .number(Double(maxTokens)), "temperature": .number(0)])]
            if let schema { body["format"] = schema }
            return .object(body)
        }
    }

    /// The answer's text and reported token counts (nil when the provider reported none).
    static func answer(_ kind: Provider.Kind, _ body: JSONValue) -> (content: String, tokensIn: Int?, tokensOut: Int?)? {
        switch kind {
        case .openai:
            // A refusal comes with no content: its text is the answer (it fits no schema, so it ends as the
            // item's failure with the text, not as a provider fault).
            let message = body["choices"]?.array?.first?["message"]
            guard let content = message?["content"]?.string ?? message?["refusal"]?.string else { return nil }
            return (content, body["usage"]?["prompt_tokens"]?.integer, body["usage"]?["completion_tokens"]?.integer)
        case .ollama:
            guard let content = body["message"]?["content"]?.string else { return nil }
            return (content, body["prompt_eval_count"]?.integer, body["eval_count"]?.integer)
        }
    }
}
