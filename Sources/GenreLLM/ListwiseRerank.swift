import Foundation
import GenreSupport

/// The LLM re-ranking stage, listwise through chat completions: the model reads what the user likes and the
/// first candidates of their list, and answers with the candidates' ids from best to worst fit. The schema
/// lists the ids (an `enum`), so a grammar-constrained server cannot answer others; ids left out keep their
/// blend order after the ones named. The alternative is a `/rerank` endpoint (`ProviderClient.rerank`).
public struct ListwiseRerank: Sendable {
    public let maxTokens: Int

    public init(maxTokens: Int = 256) {
        self.maxTokens = maxTokens
    }

    public static let instructions = """
        You re-rank recommendations for one user. You get what the user likes and a list of candidate items, \
        each with its id in square brackets. Answer with one JSON object only: {"order": [ids]}, every \
        candidate's id once, the best fit for this user first. Use only the ids given.
        """

    public var promptHash: String {
        SHA256.hex(of: Array("\(Self.instructions)\nmax_tokens=\(maxTokens)".utf8))
    }

    /// The answer's schema for these candidates.
    public static func schema(ids: [String]) -> JSONValue {
        .object(["type": .string("object"), "additionalProperties": .bool(false), "required": .array([.string("order")]),
                 "properties": .object(["order": .object(["type": .string("array"), "maxItems": .number(Double(ids.count)),
                                                          "items": .object(["type": .string("string"), "enum": .array(ids.map { .string($0) })])])])])
    }

    /// The prompt: the user's side, then one line per candidate ("[id] title — topics").
    public static func prompt(user: String, candidates: [(id: String, text: String)]) -> String {
        "The user: \(user.isEmpty ? "(nothing known yet)" : user)\nCandidates:\n"
            + candidates.map { "[\($0.id)] \($0.text)" }.joined(separator: "\n")
    }

    /// A score in 0…1 per candidate (in the candidates' order) from the model's order: the first named gets
    /// 1 and the last of all n gets 0; repeats and unknown ids are ignored, ids left out follow the named ones
    /// in their blend order.
    public static func scores(order: [String], ids: [String]) -> [Double] {
        var position: [String: Int] = [:]
        for id in order where ids.contains(id) && position[id] == nil { position[id] = position.count }
        for id in ids where position[id] == nil { position[id] = position.count }
        let last = Double(max(ids.count - 1, 1))
        return ids.map { 1 - Double(position[$0]!) / last }
    }

    /// Asks for the order and returns `{"scores": [...]}` in the candidates' order (what is cached and applied).
    public func run(_ client: ProviderClient, prompt: String, ids: [String]) throws -> StructuredAnswer {
        let schemaJSON = Self.schema(ids: ids)
        let answer = try StructuredAnswer.ask(client, system: Self.instructions, user: prompt, schema: try JSONSchema(schemaJSON),
                                              schemaJSON: schemaJSON, maxTokens: maxTokens)
        let order = answer.value["order"]?.array?.compactMap(\.string) ?? []
        return StructuredAnswer(value: Self.scoresJSON(Self.scores(order: order, ids: ids)), usage: answer.usage)
    }

    /// Scores from a `/rerank` endpoint, stretched to 0…1 (endpoints differ in scale: logits, probabilities).
    public static func endpointScores(_ raw: [Double]) -> [Double] {
        guard let low = raw.min(), let high = raw.max(), high > low else { return raw.map { _ in 0.5 } }
        return raw.map { ($0 - low) / (high - low) }
    }

    public static func scoresJSON(_ scores: [Double]) -> JSONValue { .object(["scores": .array(scores.map { .number($0) })]) }
}
