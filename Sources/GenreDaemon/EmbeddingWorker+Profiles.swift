import GenreEmbedding
import GenrePostgres
import GenreSupport

extension EmbeddingWorker {
    /// Claims users whose profile in force changed, embeds its interests (one vector each: a reason can then
    /// name the interest an item matches) and stores the vectors, or drops them when no profile is in force
    /// any more; then queues the users' lists for a refresh. Returns how many users were claimed.
    func embedProfiles(_ db: PostgresConnection, _ source: VectorSource) throws -> Int {
        let claimed = try claim(db, queue: "profile_texts")
        guard !claimed.isEmpty else { return 0 }
        let rows = try db.query("""
            SELECT u, p.version, to_jsonb(p.interests)::text FROM unnest($1::text[]) u LEFT JOIN LATERAL genre._current_profile(u) p ON true
            """, [claimed.map(\.key)], context: "read profiles to embed")
        var profiles: [(user: String, version: Int, interests: [String])] = []
        var gone: [String] = []
        for row in 0..<rows.rowCount {
            guard let user = rows.string(row, 0) else { continue }
            let interests = rows.string(row, 2).flatMap(JSONValue.strict)?.array?.compactMap(\.string) ?? []
            if let version = try rows.int(row, 1), !interests.isEmpty {
                profiles.append((user, version, interests))
            } else {
                gone.append(user)
            }
        }
        let texts = profiles.flatMap(\.interests)
        guard let vectors = try vectors(db, source, texts, queue: "profile_texts", claimed: claimed) else { return 0 }
        try db.transaction {
            var offset = 0
            for profile in profiles {
                let flat = vectors[offset..<offset + profile.interests.count].flatMap { $0 }
                offset += profile.interests.count
                try db.query("""
                    INSERT INTO genre.user_profile_vectors (user_id, version, texts, model, dims, embeddings)
                    VALUES ($1, $2, $3::text[], $4, $5, $6::real[])
                    ON CONFLICT (user_id) DO UPDATE SET version = EXCLUDED.version, texts = EXCLUDED.texts, model = EXCLUDED.model,
                      dims = EXCLUDED.dims, embeddings = EXCLUDED.embeddings, embedded_at = now()
                    """, [profile.user, profile.version, profile.interests, source.modelName, vectors.first?.count ?? 0,
                          postgresArrayText(flat)])
            }
            try db.query("DELETE FROM genre.user_profile_vectors WHERE user_id = ANY ($1::text[])", [gone])
            try complete(db, queue: "profile_texts", claimed)
            // Their interests changed: refresh their lists (the real-time path reads the new vectors).
            try db.query("SELECT genre._enqueue('users', $1::text[])", [claimed.map(\.key)])
        }
        context.stats.add("profiles_embedded", profiles.count)
        return claimed.count
    }
}
