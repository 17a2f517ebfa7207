import Foundation
import Logging
import GenreDaemon
import GenrePostgres
import GenreLinearAlgebra
import GenreRecommend

/// `genre bench refresh`: how fast a full refresh writes every user's list, compared with a plain binary
/// COPY of the very same rows into an unpartitioned table (the floor), and how long a user waits between
/// inserting an event and their recomputed list (NOTIFY genre_refreshed) in real time.
public struct RefreshBenchmark {
    public let databaseURL: String
    public let samples: Int
    /// Cold-start samples: a brand-new user's only event is a search; 0 skips the language model.
    public let searches: Int
    public let logger: Logger

    public init(databaseURL: String, samples: Int, searches: Int = 0, logger: Logger) {
        self.databaseURL = databaseURL
        self.samples = samples
        self.searches = searches
        self.logger = logger
    }

    public struct Result: Sendable {
        public var users = 0, items = 0, interactions = 0, rows = 0
        public var buildSeconds = 0.0
        public var phases: [String: Double] = [:]
        public var refreshRowsPerSecond = 0.0
        public var plainCopySeconds = 0.0
        public var plainCopyRowsPerSecond = 0.0
        public var latencies: [Double] = []
        /// Search INSERT → the new user's list holds content rows.
        public var searchLatencies: [Double] = []
        public var embedSeconds = 0.0

        public func percentile(_ p: Double) -> Double { Self.percentile(latencies, p) }

        public static func percentile(_ values: [Double], _ p: Double) -> Double {
            guard !values.isEmpty else { return .nan }
            let sorted = values.sorted()
            return sorted[min(sorted.count - 1, Int((p * Double(sorted.count)).rounded(.up)) - 1)]
        }
    }

    public func run() throws -> Result {
        BLAS.setThreads(1)  // as in the daemon
        let connection = try PostgresConnection(url: databaseURL)
        try connection.query("SELECT genre._apply_events()")
        let settings = try DaemonSettings.load(connection)
        var result = Result()
        // Searches need item vectors in the snapshot: embed every item first (the daemon's own worker).
        if searches > 0 {
            let embedding = try startEmbedding()
            defer { embedding.stop() }
            result.embedSeconds = try embedding.waitForItems(connection)
        }

        let start = Date()
        let report = try ModelBuilder(workerID: "bench", logger: logger).build(on: connection, settings: settings, shouldStop: { false })
        guard let snapshot = try SnapshotLoader.load(connection) else { return result }
        result.buildSeconds = Date().timeIntervalSince(start)
        result.users = report.users
        result.items = report.items
        result.interactions = report.interactions
        result.rows = report.recommendationRows
        result.phases = report.seconds
        result.refreshRowsPerSecond = Double(report.recommendationRows) / (report.seconds["refresh_users"] ?? .nan)
        (result.plainCopySeconds, result.plainCopyRowsPerSecond) = try plainCopy(connection)
        (result.latencies, result.searchLatencies) = try realtimeLatencies(snapshot: snapshot, users: connection)
        return result
    }

    /// The daemon's embedding worker on its own thread, until stopped.
    final class EmbeddingThread: @unchecked Sendable {
        let context: DaemonContext
        let thread: Thread
        init(context: DaemonContext) {
            self.context = context
            let worker = EmbeddingWorker(context: context)
            thread = Thread { worker.run() }
            thread.start()
        }
        func waitForItems(_ connection: PostgresConnection) throws -> Double {
            let start = Date()
            while try connection.query("SELECT items_to_embed FROM genre.status()").int(0, 0) ?? 1 > 0 { Thread.sleep(forTimeInterval: 0.2) }
            return Date().timeIntervalSince(start)
        }
        func stop() {
            context.shutdown.trigger()
            while !thread.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        }
    }

    func startEmbedding() throws -> EmbeddingThread {
        var quiet = logger
        quiet.logLevel = .warning
        return EmbeddingThread(context: DaemonContext(databaseURL: databaseURL, logger: quiet, trains: false))
    }

    /// The same rows, already in memory, written by one binary COPY into a plain table: the write floor.
    func plainCopy(_ connection: PostgresConnection) throws -> (Double, Double) {
        let rows = try connection.query("SELECT user_id, rank, item_id, score, reasons::text FROM genre.recommendations")
        var users: [String] = [], items: [String] = [], reasons: [String] = [], ranks: [Int32] = [], scores: [Float] = []
        for row in 0..<rows.rowCount {
            users.append(rows.string(row, 0) ?? "")
            ranks.append(Int32(try rows.int(row, 1) ?? 0))
            items.append(rows.string(row, 2) ?? "")
            scores.append(Float(try rows.double(row, 3) ?? 0))
            reasons.append(rows.string(row, 4) ?? "{}")
        }
        try connection.query("DROP TABLE IF EXISTS genre_bench_plain_copy")
        try connection.query("CREATE TABLE genre_bench_plain_copy (user_id text, rank int, item_id text, score real, reasons jsonb)")
        defer { _ = try? connection.query("DROP TABLE IF EXISTS genre_bench_plain_copy") }
        let start = Date()
        try connection.copyIn("COPY genre_bench_plain_copy FROM STDIN (FORMAT binary)") { stream in
            for k in 0..<users.count {
                stream.encoder.beginRow(fieldCount: 5)
                stream.encoder.appendText(users[k])
                stream.encoder.appendInt32(ranks[k])
                stream.encoder.appendText(items[k])
                stream.encoder.appendFloat32(scores[k])
                stream.encoder.appendJSONB(reasons[k])
                try stream.flushIfFull()
            }
        }
        let seconds = Date().timeIntervalSince(start)
        return (seconds, Double(users.count) / seconds)
    }

    /// Inserts one event at a time for a random user and waits for genre_refreshed with that user's id; then,
    /// with `searches`, one search per brand-new user, waiting until their list holds content rows (the
    /// search is embedded by the embedding worker, which re-queues the user).
    func realtimeLatencies(snapshot: ModelSnapshot, users connection: PostgresConnection) throws -> ([Double], [Double]) {
        let userRows = try connection.query("SELECT DISTINCT user_id FROM genre.interactions ORDER BY 1")
        let userIDs = (0..<userRows.rowCount).compactMap { userRows.string($0, 0) }
        guard !userIDs.isEmpty, !snapshot.catalog.ids.isEmpty else { return ([], []) }
        var quiet = logger
        quiet.logLevel = .warning
        let context = DaemonContext(databaseURL: databaseURL, logger: quiet, trains: false)
        context.snapshots.replace(snapshot)
        let worker = RealtimeWorker(context: context)
        let thread = Thread { worker.run() }
        thread.start()
        defer {
            context.shutdown.trigger()
            while !thread.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        }
        let listener = try PostgresConnection(url: databaseURL)
        try listener.listen("genre_refreshed")
        let writer = try PostgresConnection(url: databaseURL)
        // Let the worker drain whatever was queued before measuring.
        while try writer.query("SELECT count(*) FROM genre.work_queue WHERE queue = 'users'").int(0, 0) ?? 0 > 0 { Thread.sleep(forTimeInterval: 0.05) }
        var generator = SystemRandomNumberGenerator()
        var latencies: [Double] = []
        for _ in 0..<samples {
            let user = userIDs.randomElement(using: &generator)!
            let item = snapshot.catalog.ids.randomElement(using: &generator)!
            _ = try listener.pendingNotifications()
            let start = Date()
            try writer.query("INSERT INTO genre.events (user_id, item_id, event_type) VALUES ($1, $2, 'view')", [user, item])
            let deadline = start.addingTimeInterval(10)
            waiting: while Date() < deadline {
                for note in try listener.waitForNotifications(timeout: 0.5) where note.payload == user {
                    latencies.append(Date().timeIntervalSince(start))
                    break waiting
                }
            }
        }
        var searchLatencies: [Double] = []
        let titles = snapshot.catalog.titles.compactMap { $0 }
        let embedding = searches > 0 ? try startEmbedding() : nil
        defer { embedding?.stop() }
        for sample in 0..<searches where !titles.isEmpty {
            let user = "bench-searcher-\(UUID().uuidString.prefix(8))-\(sample)"
            // A query in the words of a random title, so some item matches it in text.
            let text = "films like " + titles.randomElement(using: &generator)!
            let start = Date()
            try writer.query("INSERT INTO genre.events (user_id, event_type, text) VALUES ($1, 'search', $2)", [user, text])
            let deadline = start.addingTimeInterval(30)
            waiting: while Date() < deadline {
                for note in try listener.waitForNotifications(timeout: 0.5) where note.payload == user {
                    if try writer.query("""
                        SELECT count(*) FROM genre.recommendations WHERE user_id = $1 AND reasons->'strategies' ? 'content'
                        """, [user]).int(0, 0) ?? 0 > 0 {
                        searchLatencies.append(Date().timeIntervalSince(start))
                        break waiting
                    }
                }
            }
        }
        return (latencies, searchLatencies)
    }
}
