import GenreLLM
import GenrePostgres
import GenreSupport

/// User profiles as the generation service runs them: a user's newest events (profile.history_tokens of
/// them) in, a new version in genre.user_profiles out. Due users are queued by the sweep
/// (profile.refresh_after_events, profile.refresh_interval_hours).
struct UserProfileTask: GenerationTask {
    let profiling: UserProfiling
    let refreshAfterEvents: Int
    let refreshIntervalHours: Double
    var name: String { "profiles" }
    var queue: String { "profiles" }
    var promptHash: String { profiling.promptHash }
    /// Users become due as their events are folded: looked for this often.
    var sweepEverySeconds: Double? { 10 }
    /// Events read per user before the token budget trims them.
    static let historyRows = 400

    func inputs(_ db: PostgresConnection, keys: [String]) throws -> [String: GenerationInput] {
        var out: [String: GenerationInput] = [:]
        for user in keys {
            let rows = try db.query("""
                SELECT event_type, title, topics, text, (SELECT new_events FROM genre.profile_activity WHERE user_id = $1)
                  FROM genre._profile_history($1, $2)
                """, [user, Self.historyRows], context: "read a user's history for their profile")
            let events = (0..<rows.rowCount).compactMap { row in
                rows.string(row, 0).map { UserProfiling.Event(type: $0, title: rows.string(row, 1), topics: rows.string(row, 2), text: rows.string(row, 3)) }
            }
            let history = profiling.historyText(events)
            guard history.events > 0 else {
                // No history left (or none that fits): nothing to profile, and nothing due any more.
                try db.query("DELETE FROM genre.profile_activity WHERE user_id = $1", [user])
                continue
            }
            out[user] = GenerationInput(text: history.text, hash: SHA256.hex(of: Array(history.text.utf8)),
                                        detail: .object(["events": .number(Double(history.events)),
                                                         "new_events": .number(Double((try? rows.int(0, 4)) ?? 0))]))
        }
        return out
    }

    func ask(_ client: ProviderClient, _ input: GenerationInput) throws -> StructuredAnswer {
        try profiling.run(client, history: input.text).requiring(UserProfiling.noInterest) { profiling.profile(from: $0) != nil }
    }

    func save(_ db: PostgresConnection, key: String, input: GenerationInput, answer: JSONValue, _ p: GenerationProvenance) throws {
        // A cached answer was validated when it was stored; one that no longer reads (another schema) is not used.
        guard let profile = profiling.profile(from: answer) else { return }
        try db.query("SELECT genre._store_profile($1, $2::text[], $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                     [key, profile.interests, profile.summary.isEmpty ? nil : profile.summary, p.provider.name, p.provider.model,
                      promptHash, input.hash, Int(input.detail["events"]?.number ?? 0), p.tokensIn, p.tokensOut, p.latencyMs,
                      Int(input.detail["new_events"]?.number ?? 0)])
    }

    func sweep(_ db: PostgresConnection) throws -> Int {
        try db.query("SELECT genre._enqueue_due_profiles($1, $2)", [refreshAfterEvents, refreshIntervalHours]).int(0, 0) ?? 0
    }
}
