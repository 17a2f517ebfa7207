import Foundation
import Logging
import GenrePostgres
import GenreRecommend
import GenreSupport

/// A full build: read interactions; train popularity, co-occurrence, the collaborative model and content
/// similarity; stage popular_items, item_factors and item_neighbors; score every user into a staged
/// recommendations partition; publish it all with the build's record and the model state every daemon
/// serves from (genre.model_state). Each result set is swapped in whole, so readers never see a
/// half-written table. The build hands no model over in memory: the trainer, like every replica, serves
/// what was stored (SnapshotLoader), so all daemons serve the same model.
public struct ModelBuilder {
    let workerID: String
    let logger: Logger

    public init(workerID: String, logger: Logger) {
        self.workerID = workerID
        self.logger = logger
    }

    public struct Report: Sendable {
        public var buildID: Int64
        public var users: Int
        public var items: Int
        public var interactions: Int
        public var recommendationRows: Int
        public var seconds: [String: Double]
    }

    /// Index ranges of about 64 items or users each: small enough to keep the pipeline busy, large enough
    /// that per-chunk overhead (a scratch buffer, one socket write) does not matter.
    static func chunks(_ count: Int, size: Int = 64) -> [Range<Int>] {
        stride(from: 0, to: count, by: size).map { $0..<min($0 + size, count) }
    }

    /// Thrown between chunks when the daemon is shutting down: the COPY in progress is aborted (its staging
    /// partition is dropped by the next build) and nothing is published.
    struct Cancelled: Error {}

    /// A build's phases, timed, with the shutdown check before each (and between chunks inside them).
    final class Phases {
        let shouldStop: @Sendable () -> Bool
        var seconds: [String: Double] = [:]
        init(shouldStop: @escaping @Sendable () -> Bool) { self.shouldStop = shouldStop }
        func checkStop() throws { if shouldStop() { throw Cancelled() } }
        func timed<T>(_ phase: String, _ body: () throws -> T) throws -> T {
            try checkStop()
            let start = Date()
            defer { seconds[phase] = Date().timeIntervalSince(start) }
            return try body()
        }
    }

    /// Train, stage, refresh, publish: each a stage a reader can follow (BuildTraining.swift,
    /// BuildStaging.swift, BuildRefresh.swift, and `publish` below).
    /// - Parameter shouldStop: polled before every phase, between chunks, and by the scoring threads per
    ///   user, so a shutdown interrupts even a slow (debug, large) build within a moment.
    public func build(on connection: PostgresConnection, settings: DaemonSettings,
                      shouldStop: @escaping @Sendable () -> Bool) throws -> Report {
        let phases = Phases(shouldStop: shouldStop)
        let startedAt = try connection.query("SELECT clock_timestamp()::text").string(0, 0)
        try connection.query("SELECT genre._drop_abandoned_generations()")
        let data = try phases.timed("load") { try TrainingData.load(connection) }
        let trained = try BuildTraining.train(data, settings: settings, on: connection, phases: phases, logger: logger)
        let staged = try BuildStaging.stage(trained, settings: settings, on: connection, phases: phases)
        let refresh = try BuildRefresh.stage(trained, settings: settings, on: connection, phases: phases)
        phases.seconds["refresh_users.copy"] = refresh.copySeconds
        try phases.checkStop()
        return try publish(trained, staged: staged, refresh: refresh, startedAt: startedAt, settings: settings, on: connection, phases: phases)
    }

    /// Publishes the staged results, the collaborative model, the build's record and its model state in one
    /// transaction, so a reader sees the old build everywhere or the new one everywhere.
    func publish(_ trained: BuildTraining.Trained, staged: BuildStaging.Staged, refresh: ResultWriter.Staged, startedAt: String?,
                 settings: DaemonSettings, on connection: PostgresConnection, phases: Phases) throws -> Report {
        let data = trained.data, matrix = trained.matrix, collaborative = trained.collaborative
        let collaborativeNote = collaborative.note.map { ",\"collaborative_note\":\(JSONText.quote($0))" } ?? ""
        let details = "{\"fingerprint\":\"\(settings.modelFingerprint)\",\"collaborative\":\(JSONText.quote(collaborative.model?.name ?? "none"))\(collaborativeNote),\"embedded_until\":\(JSONText.quote(data.embeddedUntil)),\"recommendation_rows\":\(refresh.rows),\"seconds\":{"
            + phases.seconds.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\(String(format: "%.3f", $0.value))" }.joined(separator: ",") + "}}"
        let state = ModelState(itemIDs: data.catalog.ids, categories: data.catalog.categories, createdAt: data.createdAt,
                               cooccurrence: trained.cooccurrence.neighbors, popularity: trained.popularity.ranked,
                               itemWeights: CollaborativeStore.itemWeights(collaborative.model, k: settings.model.neighborsPerItem),
                               factorsGeneration: staged.factors.generation)
        let model = "hybrid: " + Self.strategies(settings.model.blend, collaborative: collaborative.model?.name).joined(separator: "+")
        let (buildID, rows) = try phases.timed("publish") {
            try connection.transaction { () -> (Int64, Int) in
                // In the order readers take these tables (genre.recommend: recommendations, then popular_items;
                // genre.explain: then item_neighbors), so a reader never holds one the swap still needs while
                // waiting for one the swap holds: that would be a deadlock.
                let rows = try ResultWriter.publish(refresh, on: connection)
                for result in [staged.popular, staged.neighbors] { try ResultWriter.publish(result, on: connection) }
                try CollaborativeStore.publish(staged.factors, collaborative, on: connection)
                let buildID = try Self.record(state, on: connection, model: model,
                                              values: [startedAt, workerID, matrix.userCount, matrix.itemCount, matrix.nonZeroCount,
                                                       Int(data.eventsSeen), details])
                return (buildID, rows)
            }
        }
        logger.info("model build finished", metadata: [
            "genre.build_id": "\(buildID)", "genre.users": "\(matrix.userCount)", "genre.items": "\(matrix.itemCount)",
            "genre.interactions": "\(matrix.nonZeroCount)", "genre.rows": "\(rows)",
        ])
        return Report(buildID: buildID, users: matrix.userCount, items: matrix.itemCount, interactions: matrix.nonZeroCount,
                      recommendationRows: rows, seconds: phases.seconds)
    }

    /// Records the build and its model state (older builds' state goes), inside the publishing transaction,
    /// and wakes every daemon's snapshot follower when it commits.
    static func record(_ state: ModelState, on connection: PostgresConnection, model: String, values: [(any PostgresBindable)?]) throws -> Int64 {
        let recorded = try connection.query("""
            INSERT INTO genre.model_builds (model, started_at, worker_id, users, items, interactions, events_seen, details)
            VALUES ($8, $1::timestamptz, $2, $3, $4, $5, $6, $7::jsonb) RETURNING id
            """, values + [model])
        let buildID = Int64(try recorded.int(0, 0) ?? 0)
        try connection.copyIn("COPY genre.model_state (build_id, part, data) FROM STDIN (FORMAT binary)") { stream in
            for (part, data) in state.encoded() {
                stream.encoder.beginRow(fieldCount: 3)
                stream.encoder.appendInt64(buildID)
                stream.encoder.appendText(part)
                stream.encoder.appendBytes(data)
                try stream.flushIfFull()
            }
        }
        try connection.query("DELETE FROM genre.model_state WHERE build_id <> $1", [Int(buildID)])
        try connection.query("SELECT pg_notify('genre_refreshed', '*')")
        return buildID
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
