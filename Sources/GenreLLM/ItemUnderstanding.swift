import Foundation
import GenreSupport

/// The item-understanding task (the GENRE paper's content summarizer): a model reads what an item says about
/// itself and writes structured features (features.schema) that the embedding template can use. The
/// instructions are fixed here; what varies is the schema, the token limit and the item text.
public struct ItemUnderstanding: Sendable {
    public let schema: JSONSchema
    public let schemaJSON: JSONValue
    public let maxTokens: Int

    public init(schema schemaJSON: JSONValue, maxTokens: Int) throws {
        self.schema = try JSONSchema(schemaJSON)
        self.schemaJSON = schemaJSON
        self.maxTokens = maxTokens
    }

    public var instructions: String {
        """
        You describe items of a catalogue for a recommender system. Read the item and answer with one JSON object \
        only, matching this JSON schema: \(schemaJSON.json)
        Be factual and specific. When the item's own text is short (a film or book title), use what you know about \
        the item. Write in English.
        """
    }

    /// Identifies the task (instructions, schema, token limit): with the provider, model and item text it is
    /// the cache key, and a change makes every item's features stale.
    public var promptHash: String {
        SHA256.hex(of: Array("\(instructions)\nmax_tokens=\(maxTokens)".utf8))
    }

    /// Features for one item's rendered text.
    public func run(_ client: ProviderClient, itemText: String) throws -> StructuredAnswer {
        try StructuredAnswer.ask(client, system: instructions, user: itemText, schema: schema, schemaJSON: schemaJSON, maxTokens: maxTokens)
    }
}
