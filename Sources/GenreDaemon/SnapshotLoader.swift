import GenrePostgres
import GenreRecommend

/// Rebuilds a real-time snapshot from the published result tables, for a daemon that did not run the
/// build itself (another daemon holds the training lock).
enum SnapshotLoader {
    static func latestBuildID(_ connection: PostgresConnection) throws -> Int64? {
        try connection.query("SELECT max(id) FROM genre.model_builds").int(0, 0).map(Int64.init)
    }

    static func load(_ connection: PostgresConnection) throws -> ModelSnapshot? {
        try connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        defer { _ = try? connection.query("COMMIT") }
        guard let buildID = try latestBuildID(connection) else { return nil }
        let (catalog, index, createdAt) = try CatalogLoader.load(connection)
        var neighbors = [[CooccurrenceModel.Neighbor]](repeating: [], count: catalog.ids.count)
        var easeRows = [[ContentSimilarity.Neighbor]](repeating: [], count: catalog.ids.count)
        // item_neighbors holds blended rows; the co-occurrence and collaborative parts are in reasons.scores.
        let rows = try connection.query("""
            SELECT item_id, neighbor_id, coalesce((reasons->'scores'->>'cooccurrence')::real, 0) AS s,
                   coalesce((reasons->>'common_users')::int, 0), coalesce((reasons->'scores'->>'collaborative')::real, 0) AS c
              FROM genre.item_neighbors
             WHERE (reasons->'scores'->>'cooccurrence')::real > 0 OR (reasons->'scores'->>'collaborative')::real > 0
             ORDER BY item_id, s DESC, neighbor_id
            """)
        for row in 0..<rows.rowCount {
            guard let a = rows.string(row, 0).flatMap({ index[$0] }), let b = rows.string(row, 1).flatMap({ index[$0] }) else { continue }
            let cooccurrence = Float(try rows.double(row, 2) ?? 0), collaborative = Float(try rows.double(row, 4) ?? 0)
            if cooccurrence > 0 { neighbors[Int(a)].append(.init(item: b, score: cooccurrence, commonUsers: Int32(try rows.int(row, 3) ?? 0))) }
            if collaborative > 0 { easeRows[Int(a)].append(.init(item: b, score: collaborative)) }
        }
        let popular = try connection.query("SELECT item_id, score, users FROM genre.popular_items ORDER BY rank")
        var ranked: [PopularityModel.Entry] = []
        for row in 0..<popular.rowCount {
            guard let item = popular.string(row, 0).flatMap({ index[$0] }) else { continue }
            ranked.append(.init(item: item, score: Float(try popular.double(row, 1) ?? 0), users: try popular.int(row, 2) ?? 0))
        }
        let recommender = CooccurrenceRecommender(cooccurrence: CooccurrenceModel(neighbors: neighbors),
                                                  popularity: PopularityModel(ranked: ranked))
        return ModelSnapshot(buildID: buildID, catalog: catalog, itemIndex: index, recommender: recommender,
                             vectors: try ItemVectors.load(connection, itemIndex: index),
                             collaborative: try CollaborativeStore.load(connection, itemIndex: index, easeRows: easeRows),
                             createdAt: createdAt)
    }
}
