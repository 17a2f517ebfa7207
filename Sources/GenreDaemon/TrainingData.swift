import GenrePostgres
import GenreRecommend

/// Everything a model build reads, turned from rows into plain values (the daemon boundary).
///
/// Read in one REPEATABLE READ transaction, so the interactions, the catalogue and the watermark position
/// describe the same moment.
struct TrainingData {
    var catalog: ItemCatalog
    var itemIndex: [String: Int32]
    /// Each item's creation time (seconds since 1970).
    var createdAt: [Double]
    var userIDs: [String]
    /// Per user (aligned with userIDs): their event groups on catalogue items.
    var groups: [[UserHistory.EventGroup]]
    /// Events folded into interactions when this was read.
    var eventsSeen: Int64
    /// Server time when this was read (seconds since 1970), the "now" for popularity decay.
    var readAt: Double
    /// Server time as text, used as the carry-over point when publishing recommendations.
    var readAtText: String
    /// Queued users (id, version) as of this read: the full refresh reflects every event behind these
    /// versions, so publishing it completes them (unless a newer real-time list is kept instead).
    var queue: [(user: String, version: Int)] = []
    /// Newest item embedding this read saw (text), so the trainer can tell when new vectors arrived.
    var embeddedUntil = ""

    static func load(_ connection: PostgresConnection) throws -> TrainingData {
        try connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        defer { _ = try? connection.query("COMMIT") }
        let clock = try connection.query("""
            SELECT extract(epoch FROM now())::float8, now()::text, (SELECT events FROM genre.watermarks WHERE name = 'interactions'),
                   coalesce((SELECT max(embedded_at) FROM genre.item_embeddings), '-infinity')::text
            """)
        let (catalog, itemIndex, createdAt) = try CatalogLoader.load(connection)
        // Interactions, plus events committed since the watermark: the build must reflect every event visible
        // in its snapshot, or it could overwrite a real-time refresh that already counted them.
        var userIDs: [String] = []
        var groups: [[UserHistory.EventGroup]] = []
        try connection.forEachBatch("""
            WITH pending AS (
              SELECT e.user_id, e.item_id, e.event_type, count(*) FILTER (WHERE e.weight IS NULL) AS default_count,
                     coalesce(sum(e.weight), 0) AS explicit_weight, max(e.occurred_at) AS last_at
                FROM genre.watermarks w, genre._events_unapplied(w.snapshot) e
               WHERE w.name = 'interactions' AND e.item_id IS NOT NULL
               GROUP BY 1, 2, 3)
            SELECT user_id, item_id, event_type, sum(default_count)::bigint, sum(explicit_weight)::float8,
                   extract(epoch FROM max(last_at))::float8
              FROM (SELECT user_id, item_id, event_type, default_count, explicit_weight, last_at FROM genre.interactions
                    UNION ALL SELECT * FROM pending) x
             GROUP BY 1, 2, 3 ORDER BY 1
            """, context: "read interactions") { rows in
            for row in 0..<rows.rowCount {
                guard let user = rows.string(row, 0), let itemID = rows.string(row, 1), let item = itemIndex[itemID] else { continue }
                if userIDs.last != user {
                    userIDs.append(user)
                    groups.append([])
                }
                groups[groups.count - 1].append(.init(item: item, eventType: rows.string(row, 2) ?? "",
                                                      defaultCount: try rows.int(row, 3) ?? 0,
                                                      explicitWeight: try rows.double(row, 4) ?? 0,
                                                      lastAt: try rows.double(row, 5) ?? 0))
            }
        }
        let queueRows = try connection.query("SELECT work_key, version FROM genre.work_queue WHERE queue = 'users'")
        var queue: [(user: String, version: Int)] = []
        for row in 0..<queueRows.rowCount {
            if let user = queueRows.string(row, 0), let version = try queueRows.int(row, 1) { queue.append((user, version)) }
        }
        return TrainingData(catalog: catalog, itemIndex: itemIndex, createdAt: createdAt, userIDs: userIDs,
                            groups: groups, eventsSeen: Int64(try clock.int(0, 2) ?? 0),
                            readAt: try clock.double(0, 0) ?? 0, readAtText: clock.string(0, 1) ?? "", queue: queue,
                            embeddedUntil: clock.string(0, 3) ?? "-infinity")
    }

    /// The user × item strength matrix (decayed by collaborative.half_life_days) and, aligned with its
    /// entries, the time of each entry's last event.
    func matrix(settings: RecommenderSettings) -> (matrix: InteractionMatrix, lastEventAt: [Double]) {
        let histories = groups.map { UserHistory.entries(from: $0, weights: settings.eventWeights) }
        return TrainingMatrix.build(histories: histories, itemCount: catalog.ids.count, halfLifeDays: settings.collaborativeHalfLifeDays)
    }
}
