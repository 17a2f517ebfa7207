import GenreLLM
import GenrePostgres
import GenreSupport

/// Grounded explanations as the generation service runs them: a queued list row (key `["user", "item"]`)
/// in, its facts (genre._explanation_facts) to the model, the sentence checked against those facts and
/// stored in genre.explanations: shown when grounded, kept as rejected (never shown) when not.
struct ExplanationTask: GenerationTask {
    let explanation: GroundedExplanation
    let topK: Int
    var name: String { "explanations" }
    var queue: String { "explanations" }
    var promptHash: String { explanation.promptHash }
    /// Lists change with every build: the sweep looks again when a new one is published.
    var sweepEverySeconds: Double? { nil }

    func sweepKey(_ db: PostgresConnection) throws -> String {
        "\(promptHash):\(topK):\(try QueueKey.publishedLists(db))"
    }

    func inputs(_ db: PostgresConnection, keys: [String]) throws -> [String: GenerationInput] {
        var out: [String: GenerationInput] = [:]
        for key in keys {
            // No row: the item left the list (or the key is not one of ours); nothing to explain.
            let row = try db.query("SELECT facts, to_jsonb(names)::text, genre._text_hash(facts) FROM genre._explanation_input($1)",
                                   [key], context: "read the facts of a list row")
            guard row.rowCount > 0, let facts = row.string(0, 0), let hash = row.string(0, 2) else { continue }
            let names = row.string(0, 1).flatMap(JSONValue.strict)?.array?.compactMap(\.string) ?? []
            out[key] = GenerationInput(text: facts, hash: hash, detail: .object(["names": .array(names.map { .string($0) })]))
        }
        return out
    }

    func ask(_ client: ProviderClient, _ input: GenerationInput) throws -> StructuredAnswer {
        try explanation.run(client, facts: input.text).requiring("$.sentence: empty") { explanation.sentence(from: $0) != nil }
    }

    func save(_ db: PostgresConnection, key: String, input: GenerationInput, answer: JSONValue, _ p: GenerationProvenance) throws {
        guard let sentence = explanation.sentence(from: answer), let (user, item) = QueueKey.pair(key) else { return }
        let mentioned = try db.query("SELECT genre._titles_in($1)", [sentence], context: "find titles in a sentence")
        let titles = (0..<mentioned.rowCount).compactMap { mentioned.string($0, 0) }
        let names = input.detail["names"]?.array?.compactMap(\.string) ?? []
        let problem = GroundedExplanation.problem(sentence: sentence, facts: input.text, names: names, mentionedTitles: titles)
        try db.query("""
            INSERT INTO genre.explanations (user_id, item_id, facts_hash, sentence, rejected, problem, provider, model, prompt_hash,
                                            tokens_in, tokens_out, latency_ms)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            ON CONFLICT (user_id, item_id) DO UPDATE SET facts_hash = EXCLUDED.facts_hash, sentence = EXCLUDED.sentence,
              rejected = EXCLUDED.rejected, problem = EXCLUDED.problem, provider = EXCLUDED.provider, model = EXCLUDED.model,
              prompt_hash = EXCLUDED.prompt_hash, tokens_in = EXCLUDED.tokens_in, tokens_out = EXCLUDED.tokens_out,
              latency_ms = EXCLUDED.latency_ms, generated_at = now()
            """, [user, item, input.hash, problem == nil ? sentence : nil, problem == nil ? nil : sentence, problem,
                  p.provider.name, p.provider.model, promptHash, p.tokensIn, p.tokensOut, p.latencyMs])
    }

    /// The first rows of every user who has explanations, whose lists a build has replaced.
    func sweep(_ db: PostgresConnection) throws -> Int {
        try db.query("SELECT genre._enqueue_stale_explanations($1)", [topK]).int(0, 0) ?? 0
    }
}
