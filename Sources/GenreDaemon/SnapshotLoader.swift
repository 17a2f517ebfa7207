import GenrePostgres
import GenreRecommend

/// Builds the real-time snapshot every daemon serves, the trainer included, from what the latest build
/// stored: its model state (genre.model_state: catalogue, co-occurrence, popularity, EASE weights, bit for
/// bit), its item factors and fold-in parameters, and the item vectors. Nothing is read back from the
/// display JSON of the result tables.
public enum SnapshotLoader {
    public static func latestBuildID(_ connection: PostgresConnection) throws -> Int64? {
        try connection.query("SELECT max(id) FROM genre.model_builds").int(0, 0).map(Int64.init)
    }

    /// The latest build's snapshot; nil when nothing was built yet. Throws (and the caller keeps serving
    /// its previous snapshot) when the build's state is missing or cannot be rebuilt as it was trained.
    public static func load(_ connection: PostgresConnection) throws -> ModelSnapshot? {
        try connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        defer { if connection.isHealthy { _ = try? connection.query("COMMIT") } }
        guard let buildID = try latestBuildID(connection) else { return nil }
        let stored = try connection.query("SELECT part, data FROM genre.model_state WHERE build_id = $1", [Int(buildID)])
        guard stored.rowCount > 0 else {
            throw StoredModelError("build \(buildID) has no stored model state (it was made by an older genre); the next build writes it")
        }
        var parts: [String: [UInt8]] = [:]
        for row in 0..<stored.rowCount {
            if let part = stored.string(row, 0) { parts[part] = try stored.bytes(row, 1) }
        }
        let state: ModelState
        do {
            state = try ModelState(parts: parts)
        } catch {
            throw StoredModelError("the model state of build \(buildID) cannot be read: \(error)")
        }
        var index: [String: Int32] = [:]
        for (position, id) in state.itemIDs.enumerated() { index[id] = Int32(position) }
        // Titles only name items in reasons; they are read as they are now.
        let titled = try connection.query("SELECT item_id, title FROM genre.items WHERE item_id = ANY ($1::text[])", [state.itemIDs])
        var titles = [String?](repeating: nil, count: state.itemIDs.count)
        for row in 0..<titled.rowCount {
            if let item = titled.string(row, 0).flatMap({ index[$0] }) { titles[Int(item)] = titled.string(row, 1) }
        }
        let catalog = ItemCatalog(ids: state.itemIDs, titles: titles, categories: state.categories)
        let recommender = BehaviourRecommender(cooccurrence: CooccurrenceModel(neighbors: state.cooccurrence),
                                                  popularity: PopularityModel(ranked: state.popularity))
        return ModelSnapshot(buildID: buildID, catalog: catalog, itemIndex: index, recommender: recommender,
                             vectors: try ItemVectors.load(connection, itemIndex: index),
                             collaborative: try CollaborativeStore.load(connection, generation: state.factorsGeneration, itemIndex: index,
                                                                        itemWeights: state.itemWeights),
                             createdAt: state.createdAt)
    }
}
