import Foundation
import GenreLLM
import GenrePostgres
import GenreSupport

/// What the generation service reads for one piece of work: the prompt text, its hash (with the task's prompt
/// hash, the provider and the model, the cache key), and what else the task read with it (`detail`: for
/// profiles how many events the text holds and how many new events it answers for; for explanations the
/// names a sentence may use; for re-ranking the candidates and the weight).
struct GenerationInput: Sendable {
    var text: String
    var hash: String
    var detail: JSONValue = .null
}

/// Provenance of a stored answer.
struct GenerationProvenance {
    var provider: Provider
    var tokensIn: Int
    var tokensOut: Int
    var latencyMs: Int
}

/// A generative task the service runs from a queue: item understanding (genre.item_features) or user profiles
/// (genre.user_profiles). The service does the rest the same way for both: claims, the cache, the provider,
/// usage, failures and pauses.
protocol GenerationTask: Sendable {
    /// Its name in genre.llm_usage and in messages.
    var name: String { get }
    /// The work queue its keys wait in.
    var queue: String { get }
    /// Identifies the task's instructions, schema and limits: part of the cache key.
    var promptHash: String { get }
    /// The input of each claimed key; a key left out has nothing to generate from (it is completed).
    func inputs(_ db: PostgresConnection, keys: [String]) throws -> [String: GenerationInput]
    /// One answer from the provider, validated (throws StructuredAnswer.Invalid when it never fits).
    func ask(_ client: ProviderClient, _ input: GenerationInput) throws -> StructuredAnswer
    /// Stores a validated answer for a key (inside the service's transaction).
    func save(_ db: PostgresConnection, key: String, input: GenerationInput, answer: JSONValue, _ provenance: GenerationProvenance) throws
    /// Queues work this task finds due or stale; returns how many keys. Run when `sweepKey` changes and then
    /// every `sweepEverySeconds` (nil: only then).
    func sweep(_ db: PostgresConnection) throws -> Int
    var sweepEverySeconds: Double? { get }
    /// What the stale work depends on: the prompt hash (another task makes every answer stale), and for
    /// explanations the published lists too.
    func sweepKey(_ db: PostgresConnection) throws -> String
}

extension GenerationTask {
    func sweepKey(_ db: PostgresConnection) throws -> String { promptHash }
}

/// Keys of the queues whose work is a pair (`["user", "item"]`, `["user", "scenario"]`): JSON text, since ids
/// may hold any character.
enum QueueKey {
    static func pair(_ key: String) -> (String, String)? {
        guard case .array(let parts)? = JSONValue.strict(key), parts.count == 2, let first = parts[0].string, let second = parts[1].string else { return nil }
        return (first, second)
    }

    /// The generation of the published lists: it changes with every build, which replaces every list.
    static func publishedLists(_ db: PostgresConnection) throws -> String {
        try db.query("SELECT generation FROM genre.result_generations WHERE result = 'recommendations'").string(0, 0) ?? ""
    }
}
