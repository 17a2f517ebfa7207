import GenrePostgres
import GenreRecommend
import GenreSupport

/// Reads genre.item_embeddings into the models' index space (row i is item i's vector).
enum ItemVectors {
    /// One model's vectors: the one most items have. While a switch of model (embedding.provider) re-embeds in
    /// the background, the old vectors serve until the new model has more; two vector spaces never mix.
    static func load(_ connection: PostgresConnection, itemIndex: [String: Int32]) throws -> ItemVectorTable {
        var vectors = ItemVectorTable(values: [], present: [Bool](repeating: false, count: itemIndex.count), dims: 0)
        let model = try connection.query("""
            SELECT model FROM genre.item_embeddings WHERE embedding IS NOT NULL GROUP BY model ORDER BY count(*) DESC, model LIMIT 1
            """, context: "choose the vectors' model").string(0, 0) ?? ""
        try connection.forEachBatch("SELECT item_id, dims, embedding::text FROM genre.item_embeddings WHERE embedding IS NOT NULL AND model = $1",
                                    [model], batchSize: 5_000, context: "read item vectors") { rows in
            if vectors.dims == 0, rows.rowCount > 0 {
                let dims = try rows.int(0, 1) ?? 0
                vectors = ItemVectorTable(values: [Float](repeating: 0, count: itemIndex.count * dims), present: vectors.present, dims: dims)
                vectors.model = model
            }
            let dims = vectors.dims
            for row in 0..<rows.rowCount {
                guard let id = rows.string(row, 0), let item = itemIndex[id], try rows.int(row, 1) == dims,
                      let vector = rows.floats(row, 2, count: dims) else { continue }
                vectors.values.replaceSubrange(Int(item) * dims..<(Int(item) + 1) * dims, with: vector)
                vectors.present[Int(item)] = true
            }
        }
        return vectors
    }

    /// Every user's embedded search and comment texts, newest first per user (at most `perUser` each), then
    /// the interests of their profile in force; only vectors of `model` (the item vectors' model). One user's texts (the real-time path: by index), or everyone's
    /// (a build). Two statements rather than `$1 IS NULL OR user_id = $1`, whose generic plan scans every
    /// user's texts on each refresh.
    static func loadTexts(_ connection: PostgresConnection, user: String? = nil, model: String, perUser: Int = 50) throws -> [String: [UserInterest.TextEvent]] {
        let sql = """
            SELECT user_id, event_type, text, at, embedding::text, dims FROM (
              SELECT t.user_id, t.event_type, e.text, extract(epoch FROM e.occurred_at)::float8 AS at, t.embedding, t.dims,
                     row_number() OVER (PARTITION BY t.user_id ORDER BY e.occurred_at DESC, e.id DESC) AS n
                FROM genre.event_text_embeddings t JOIN genre.events e ON e.id = t.event_id
               WHERE t.model = $2 \(user == nil ? "" : "AND t.user_id = $3")) x
             WHERE n <= $1
            """
        var texts: [String: [UserInterest.TextEvent]] = [:]
        func add(_ rows: QueryResult) throws {
            for row in 0..<rows.rowCount {
                guard let id = rows.string(row, 0), let event = rows.string(row, 1), let text = rows.string(row, 2),
                      let dims = try rows.int(row, 5), let vector = rows.floats(row, 4, count: dims) else { continue }
                texts[id, default: []].append(.init(text: text, event: event, at: try rows.double(row, 3) ?? 0, vector: vector))
            }
        }
        if let user {
            try add(try connection.query(sql, [perUser, model, user], context: "read text interests"))
        } else {
            try connection.forEachBatch(sql, [perUser, model], batchSize: 5_000, context: "read text interests", add)
        }
        try loadProfiles(connection, user: user, model: model, into: &texts)
        return texts
    }

    /// The vectors of each user's profile interests (genre.user_profile_vectors), appended to their texts.
    static func loadProfiles(_ connection: PostgresConnection, user: String?, model: String, into texts: inout [String: [UserInterest.TextEvent]]) throws {
        let sql = "SELECT user_id, to_jsonb(texts)::text, dims, embeddings::text FROM genre.user_profile_vectors WHERE model = $1"
        func add(_ rows: QueryResult) throws {
            for row in 0..<rows.rowCount {
                guard let id = rows.string(row, 0), let dims = try rows.int(row, 2),
                      let interests = rows.string(row, 1).flatMap(JSONValue.strict)?.array?.compactMap(\.string),
                      let flat = rows.floats(row, 3, count: interests.count * dims) else { continue }
                for (n, interest) in interests.enumerated() {
                    texts[id, default: []].append(.profileInterest(interest, vector: Array(flat[n * dims..<(n + 1) * dims])))
                }
            }
        }
        if let user {
            try add(try connection.query(sql + " AND user_id = $2", [model, user], context: "read profile interests"))
        } else {
            try connection.forEachBatch(sql, [model], batchSize: 5_000, context: "read profile interests", add)
        }
    }
}
