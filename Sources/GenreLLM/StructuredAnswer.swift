import Foundation
import GenreSupport

/// A JSON answer that must fit a schema: asked for as structured output, read tolerantly (fences, preamble),
/// repaired where that keeps its meaning, and asked again once — with what was wrong — before giving up.
public struct StructuredAnswer: Sendable {
    public var value: JSONValue
    /// Both requests' usage when a second one was needed.
    public var usage: ChatAnswer

    public init(value: JSONValue, usage: ChatAnswer) {
        self.value = value
        self.usage = usage
    }

    /// The answer, if a task can use it; else Invalid with `problem` (a schema cannot say "not blank").
    public func requiring(_ problem: String, _ isUsable: (JSONValue) -> Bool) throws -> StructuredAnswer {
        guard isUsable(value) else { throw Invalid(problems: [problem], raw: value.json, usage: usage) }
        return self
    }

    /// The model never produced a fitting answer: the raw text goes to the dead letters for a person to read.
    public struct Invalid: Error, CustomStringConvertible {
        public var problems: [String]
        public var raw: String
        /// What the two requests cost, for the usage table.
        public var usage: ChatAnswer
        public init(problems: [String], raw: String, usage: ChatAnswer) {
            self.problems = problems
            self.raw = raw
            self.usage = usage
        }
        public var description: String {
            "the answer does not fit the schema (\(problems.prefix(5).joined(separator: "; "))); raw answer: \(raw.prefix(2000))"
        }
    }

    /// The re-ask failed (a provider error): what the first request already cost still counts.
    public struct Spent: Error, CustomStringConvertible {
        public var underlying: Error
        public var usage: ChatAnswer
        public var description: String { "\(underlying)" }
    }

    public static func ask(_ client: ProviderClient, system: String, user: String, schema: JSONSchema, schemaJSON: JSONValue,
                           maxTokens: Int) throws -> StructuredAnswer {
        var messages: [ChatMessage] = [.system(system), .user(user)]
        var first = try client.chat(messages, schema: schemaJSON, maxTokens: maxTokens)
        var (value, problems) = check(first.content, schema)
        if let value, problems.isEmpty { return StructuredAnswer(value: value, usage: first) }
        messages += [.assistant(first.content),
                     .user("That answer does not fit the JSON schema: \(problems.prefix(5).joined(separator: "; ")). Answer again with only the JSON object.")]
        let second: ChatAnswer
        do {
            second = try client.chat(messages, schema: schemaJSON, maxTokens: maxTokens)
        } catch {
            throw Spent(underlying: error, usage: first)
        }
        (value, problems) = check(second.content, schema)
        first.tokensIn += second.tokensIn
        first.tokensOut += second.tokensOut
        first.latencyMs += second.latencyMs
        first.requests += second.requests
        guard let value, problems.isEmpty else { throw Invalid(problems: problems, raw: second.content, usage: first) }
        return StructuredAnswer(value: value, usage: first)
    }

    /// The repaired answer and what is still wrong with it.
    static func check(_ text: String, _ schema: JSONSchema) -> (JSONValue?, [String]) {
        guard let parsed = ModelAnswer.json(in: text) else { return (nil, ["no JSON object in the answer"]) }
        let repaired = schema.repair(parsed)
        return (repaired, schema.problems(in: repaired))
    }
}
