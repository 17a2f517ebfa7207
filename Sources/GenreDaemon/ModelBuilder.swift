import Foundation
import Logging
import GenrePostgres
import GenreRecommend
import GenreSupport

/// A full build: read interactions, build popularity and co-occurrence, write popular_items and
/// item_neighbors, refresh every user's recommendations and record the build in the same transaction. Each
/// result set is swapped in whole, so readers never see a half-written table.
struct ModelBuilder {
    let workerID: String
    let logger: Logger

    struct Report: Sendable {
        var buildID: Int64
        var users: Int
        var items: Int
        var interactions: Int
        var recommendationRows: Int
        var seconds: [String: Double]
    }

    /// Index ranges of about 64 items or users each: small enough to keep the pipeline busy, large enough
    /// that per-chunk overhead (a scratch buffer, one socket write) does not matter.
    static func chunks(_ count: Int, size: Int = 64) -> [Range<Int>] {
        stride(from: 0, to: count, by: size).map { $0..<min($0 + size, count) }
    }

    /// Thrown between chunks when the daemon is shutting down: the COPY in progress is aborted (its staging
    /// partition is dropped by the next build) and nothing is published.
    struct Cancelled: Error {}

    /// - Parameter shouldStop: polled before every phase, between chunks, and by the scoring threads per
    ///   user, so a shutdown interrupts even a slow (debug, large) build within a moment.
    func build(on connection: PostgresConnection, settings: DaemonSettings,
               shouldStop: @escaping @Sendable () -> Bool) throws -> (ModelSnapshot, Report)? {
        func checkStop() throws { if shouldStop() { throw Cancelled() } }
        var timings: [String: Double] = [:]
        func timed<T>(_ phase: String, _ body: () throws -> T) throws -> T {
            try checkStop()
            let start = Date()
            defer { timings[phase] = Date().timeIntervalSince(start) }
            return try body()
        }
        let startedAt = try connection.query("SELECT clock_timestamp()::text").string(0, 0)
        try connection.query("SELECT genre._drop_abandoned_generations()")
        let data = try timed("load") { try TrainingData.load(connection) }
        let (matrix, lastEventAt) = try timed("matrix") { data.matrix(settings: settings.model) }
        let popularity = try timed("popularity") {
            PopularityModel(matrix: matrix, lastEventAt: lastEventAt, halfLifeDays: settings.model.popularityHalfLifeDays)
        }
        let cooccurrence = try timed("cooccurrence") {
            CooccurrenceModel(matrix: matrix, neighborsPerItem: settings.model.neighborsPerItem, shrinkage: settings.model.shrinkage)
        }
        let collaborative = try timed("collaborative") { () -> CollaborativeStore.Trained in
            guard settings.model.blend.collaborative > 0 else { return .init(model: nil, note: "blend.weights gives collaborative 0") }
            return try CollaborativeStore.train(matrix, settings: settings.model, shouldStop: shouldStop) { note in
                logger.warning("collaborative model fallback", metadata: ["genre.note": "\(note)"])
            }
        }
        if shouldStop() { return nil }
        let recommender = CooccurrenceRecommender(cooccurrence: cooccurrence, popularity: popularity)
        let catalog = data.catalog

        _ = try timed("write_popular") {
            try ResultWriter.replace(.popularItems, columns: "rank, item_id, score, users, reasons, generation", on: connection) { generation, stream in
                for (position, entry) in popularity.ranked.prefix(1000).enumerated() {
                    stream.encoder.beginRow(fieldCount: 6)
                    stream.encoder.appendInt32(Int32(position + 1))
                    stream.encoder.appendText(catalog.ids[Int(entry.item)])
                    stream.encoder.appendFloat32(entry.score)
                    stream.encoder.appendInt32(Int32(entry.users))
                    stream.encoder.appendJSONB(Reasons.popularJSON(entry))
                    stream.encoder.appendInt64(generation)
                    try stream.flushIfFull()
                }
            }
        }
        _ = try timed("write_factors") { try CollaborativeStore.publish(collaborative, catalog: catalog, on: connection) }
        let vectors = try timed("load_vectors") { try ItemVectors.load(connection, itemIndex: data.itemIndex) }
        let texts = try timed("load_texts") { try ItemVectors.loadTexts(connection) }
        let content = try timed("content") { () -> [[ContentSimilarity.Neighbor]] in
            guard !vectors.isEmpty else { return [] }
            return ContentSimilarity.neighbors(vectors: vectors.values, present: vectors.present, dims: vectors.dims,
                                               k: settings.model.neighborsPerItem)
        }
        let collaborativeNeighbors = try timed("collaborative_neighbors") {
            collaborative.model?.itemNeighbors(k: settings.model.neighborsPerItem) ?? []
        }
        let snapshot = ModelSnapshot(buildID: 0, catalog: catalog, itemIndex: data.itemIndex, recommender: recommender, vectors: vectors,
                                     collaborative: collaborative.model, createdAt: data.createdAt)
        let similar = SimilarItems.blend(cooccurrence: cooccurrence.neighbors, content: content, collaborative: collaborativeNeighbors,
                                         contentWeight: settings.model.similarContentWeight)
        _ = try timed("write_neighbors") {
            try ResultWriter.replace(.itemNeighbors, columns: "item_id, rank, neighbor_id, score, reasons, generation", on: connection) { generation, stream in
                let chunks = Self.chunks(similar.count)
                try orderedPipeline(count: chunks.count, produce: { chunk in
                    var encoder = BinaryCopyEncoder(capacity: 1 << 16, header: false)
                    for item in chunks[chunk] where !shouldStop() {
                        for (position, entry) in similar[item].enumerated() {
                            encoder.beginRow(fieldCount: 6)
                            encoder.appendText(catalog.ids[item])
                            encoder.appendInt32(Int32(position + 1))
                            encoder.appendText(catalog.ids[Int(entry.item)])
                            encoder.appendFloat32(entry.score)
                            encoder.appendJSONB(Reasons.neighborJSON(entry, of: Int32(item), catalog: catalog))
                            encoder.appendInt64(generation)
                        }
                    }
                    return encoder.bytes
                }, consume: { try checkStop(); try stream.send(rows: $0) })
            }
        }
        if shouldStop() { return nil }
        /// Inserts this build's genre.model_builds row; returns its id.
        func record(rows: Int) throws -> Int64 {
            let collaborativeNote = collaborative.note.map { ",\"collaborative_note\":\(JSONText.quote($0))" } ?? ""
            let details = "{\"fingerprint\":\"\(settings.modelFingerprint)\",\"collaborative\":\(JSONText.quote(collaborative.model?.name ?? "none"))\(collaborativeNote),\"embedded_until\":\(JSONText.quote(data.embeddedUntil)),\"recommendation_rows\":\(rows),\"seconds\":{"
                + timings.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\(String(format: "%.3f", $0.value))" }.joined(separator: ",") + "}}"
            let recorded = try connection.query("""
                INSERT INTO genre.model_builds (model, started_at, worker_id, users, items, interactions, events_seen, details)
                VALUES ($8, $1::timestamptz, $2, $3, $4, $5, $6, $7::jsonb) RETURNING id
                """, [startedAt, workerID, matrix.userCount, matrix.itemCount, matrix.nonZeroCount, Int(data.eventsSeen), details,
                      "hybrid: " + Self.strategies(settings.model.blend, collaborative: collaborative.model?.name).joined(separator: "+")])
            return Int64(try recorded.int(0, 0) ?? 0)
        }
        // The build is recorded in the transaction that publishes its lists, so whoever sees the lists also
        // sees their build (genre.status, other daemons, a test waiting for either): recorded afterwards, the
        // lists were visible for a moment as the product of a build that did not exist yet.
        var buildID: Int64 = 0
        let refreshStart = Date()
        let refresh = try timed("refresh_users") {
            try ResultWriter.replace(.recommendations, columns: RecommendationRows.copyColumns, carrySince: data.readAtText,
                                     completing: data.queue, on: connection, afterPublish: { outcome in
                timings["refresh_users"] = Date().timeIntervalSince(refreshStart)
                timings["refresh_users.copy"] = outcome.copySeconds
                timings["refresh_users.publish"] = outcome.publishSeconds
                buildID = try record(rows: outcome.rows)
            }) { generation, stream in
                // Everyone with item events, plus users known only by what they searched or wrote.
                let known = Set(data.userIDs)
                let textOnly = texts.keys.filter { !known.contains($0) }.sorted()
                let users = data.userIDs + textOnly
                let chunks = Self.chunks(users.count)
                let scenarios = ScenarioLists(snapshot: snapshot, settings: settings)
                // Scoring (a matrix-vector product per user for content) is the heavy side here: two producers.
                try orderedPipeline(count: chunks.count, workers: 2, produce: { chunk in
                    var scratch = CooccurrenceRecommender.Scratch(itemCount: catalog.ids.count, anchors: recommender.anchorsPerItem)
                    var encoder = BinaryCopyEncoder(capacity: 1 << 16, header: false)
                    let groups = chunks[chunk].map { user in user < data.groups.count ? data.groups[user] : [] }
                    var shared = zip(chunks[chunk], groups).map { user, userGroups in
                        scenarios.shared(groups: userGroups, texts: texts[users[user]] ?? [], now: data.readAt)
                    }
                    // The chunk's content scores in one matrix product, and trained users' collaborative scores
                    // (one matrix product for factor models).
                    let withInterest = shared.indices.filter { shared[$0].interest != nil }
                    for (position, row) in zip(withInterest, vectors.scores(batch: withInterest.map { shared[$0].interest!.vector })) {
                        shared[position].contentScores = row
                    }
                    let trained = Self.collaborativeScores(collaborative.model, users: chunks[chunk].clamped(to: 0..<matrix.userCount))
                    for (position, user) in chunks[chunk].enumerated() where !shouldStop() {
                        shared[position].collaborativeScores = trained[user]
                        let lists = scenarios.lists(groups: groups[position], texts: texts[users[user]] ?? [], now: data.readAt,
                                                    shared: shared[position], scratch: &scratch)
                        for (scenario, rows) in lists {
                            RecommendationRows.encode(rows, user: users[user], scenario: scenario, generation: generation,
                                                      catalog: catalog, into: &encoder)
                        }
                    }
                    return encoder.bytes
                }, consume: { try checkStop(); try stream.send(rows: $0) })
            }
        }
        let rows = refresh.rows
        let report = Report(buildID: buildID, users: matrix.userCount, items: matrix.itemCount, interactions: matrix.nonZeroCount,
                            recommendationRows: rows, seconds: timings)
        logger.info("model build finished", metadata: [
            "genre.build_id": "\(buildID)", "genre.users": "\(matrix.userCount)", "genre.items": "\(matrix.itemCount)",
            "genre.interactions": "\(matrix.nonZeroCount)", "genre.rows": "\(rows)",
        ])
        return (ModelSnapshot(buildID: buildID, catalog: catalog, itemIndex: data.itemIndex, recommender: recommender, vectors: vectors,
                              collaborative: collaborative.model, createdAt: data.createdAt), report)
    }

    /// The blended strategies with a weight above 0, the collaborative one by its model's name.
    static func strategies(_ blend: BlendWeights, collaborative: String?) -> [String] {
        [(collaborative ?? "collaborative", collaborative == nil ? 0 : blend.collaborative), ("cooccurrence", blend.cooccurrence),
         ("content", blend.content), ("popularity", blend.popularity), ("freshness", blend.freshness)]
            .filter { $0.1 > 0 }.map(\.0)
    }

    /// Trained users' scores by user index (factor models in one matrix product).
    static func collaborativeScores(_ model: (any CollaborativeModel)?, users: Range<Int>) -> [Int: [Float]] {
        guard let model, !users.isEmpty else { return [:] }
        guard let factors = model.factors else { return Dictionary(uniqueKeysWithValues: users.map { ($0, model.scores(user: $0)) }) }
        let all = factors.scores(users: users)
        return Dictionary(uniqueKeysWithValues: users.enumerated().map { offset, user in
            (user, Array(all[offset * factors.itemCount..<(offset + 1) * factors.itemCount]))
        })
    }
}
