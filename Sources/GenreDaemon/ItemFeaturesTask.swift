import GenreLLM
import GenrePostgres
import GenreSupport

/// Item understanding as the generation service runs it: an item's text rendered with features.template in,
/// genre.item_features out.
struct ItemFeaturesTask: GenerationTask {
    let understanding: ItemUnderstanding
    var name: String { "features" }
    var queue: String { "item_features" }
    var promptHash: String { understanding.promptHash }
    var sweepEverySeconds: Double? { nil }

    func inputs(_ db: PostgresConnection, keys: [String]) throws -> [String: GenerationInput] {
        let rows = try db.query("""
            SELECT i.item_id, t.text, genre._text_hash(t.text)
              FROM genre.items i, LATERAL (SELECT genre._feature_input(i) AS text) t
             WHERE i.item_id = ANY ($1::text[])
            """, [keys], context: "read item texts for features")
        var out: [String: GenerationInput] = [:]
        for row in 0..<rows.rowCount {
            // A deleted item, or one with no text to read: nothing to generate.
            guard let key = rows.string(row, 0), let text = rows.string(row, 1), !text.isEmpty else { continue }
            out[key] = GenerationInput(text: text, hash: rows.string(row, 2) ?? "")
        }
        return out
    }

    func ask(_ client: ProviderClient, _ input: GenerationInput) throws -> StructuredAnswer {
        try understanding.run(client, itemText: input.text)
    }

    func save(_ db: PostgresConnection, key: String, input: GenerationInput, answer: JSONValue, _ p: GenerationProvenance) throws {
        try db.query("""
            INSERT INTO genre.item_features (item_id, features, provider, model, prompt_hash, input_hash, tokens_in, tokens_out, latency_ms)
            SELECT $1, $2::jsonb, $3, $4, $5, $6, $7, $8, $9 WHERE EXISTS (SELECT 1 FROM genre.items WHERE item_id = $1)
            ON CONFLICT (item_id) DO UPDATE SET features = EXCLUDED.features, provider = EXCLUDED.provider, model = EXCLUDED.model,
              prompt_hash = EXCLUDED.prompt_hash, input_hash = EXCLUDED.input_hash, tokens_in = EXCLUDED.tokens_in,
              tokens_out = EXCLUDED.tokens_out, latency_ms = EXCLUDED.latency_ms, generated_at = now()
            """, [key, answer.json, p.provider.name, p.provider.model, promptHash, input.hash, p.tokensIn, p.tokensOut, p.latencyMs])
    }

    /// Every item with no features, or features from another task or another text.
    func sweep(_ db: PostgresConnection) throws -> Int {
        try db.query("SELECT genre._enqueue_stale_features($1)", [promptHash]).int(0, 0) ?? 0
    }
}
