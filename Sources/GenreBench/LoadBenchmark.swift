import Foundation
import GenreDaemon
import GenrePostgres

/// `genre bench load`: a steady stream of events against a running daemon (`genre run`, a separate
/// process), and how fresh users' lists stay under it. Events come from the database's existing users on
/// its existing items, at `rate` per second in small multi-row INSERTs every 20 ms. Among them, `probes`
/// per second are a brand-new user's first event: the time from its INSERT to the daemon's
/// NOTIFY genre_refreshed naming that user is the freshness of one event (a new user cannot have been
/// refreshed by anything older).
public struct LoadBenchmark {
    public let databaseURL: String
    public let rate: Int
    public let seconds: Double
    public let probesPerSecond: Int

    public init(databaseURL: String, rate: Int, seconds: Double, probesPerSecond: Int) {
        self.databaseURL = databaseURL
        self.rate = rate
        self.seconds = seconds
        self.probesPerSecond = probesPerSecond
    }

    public struct Result: Sendable {
        public var events = 0
        public var seconds = 0.0
        public var eventsPerSecond: Double { seconds > 0 ? Double(events) / seconds : 0 }
        /// Probe INSERT → NOTIFY for that user, in seconds.
        public var freshness: [Double] = []
        public var probes = 0
        /// Users waiting in the real-time queue, sampled every second.
        public var maxQueuedUsers = 0
        public var queuedAtEnd = 0
    }

    public func run() throws -> Result {
        let writer = try PostgresConnection(url: databaseURL)
        let users = try column(writer, "SELECT DISTINCT user_id FROM genre.interactions WHERE user_id NOT LIKE 'load-%' LIMIT 100000")
        let items = try column(writer, "SELECT item_id FROM genre.items WHERE available LIMIT 100000")
        guard !users.isEmpty, !items.isEmpty else {
            throw PostgresError(kind: .query, message: "genre bench load needs users and items in the database (load a dataset first)")
        }
        let listener = HandedOver(try PostgresConnection(url: databaseURL))
        try listener.connection.listen("genre_refreshed")
        let probes = ProbeClock()
        let stop = ShutdownSignal()
        let listening = Thread {
            while !stop.isTriggered {
                guard let notes = try? listener.connection.waitForNotifications(timeout: 0.2) else {
                    Thread.sleep(forTimeInterval: 0.2)  // a lost listener: unanswered probes will show it
                    continue
                }
                for note in notes { probes.arrived(note.payload) }
            }
        }
        listening.start()
        defer { stop.trigger(); while !listening.isFinished { Thread.sleep(forTimeInterval: 0.01) } }

        var result = Result()
        var generator = SystemRandomNumberGenerator()
        let tick = 0.02
        let probeEvery = probesPerSecond > 0 ? 1 / Double(probesPerSecond) : .infinity
        let start = Date()
        var nextProbe = 0.0, nextSample = 0.0, probeNumber = 0
        let runID = UUID().uuidString.prefix(8)
        while true {
            let elapsed = Date().timeIntervalSince(start)
            if elapsed >= seconds { break }
            // What the schedule owes by now, so the mean rate holds even after a slow INSERT or a late tick.
            var batch = max(0, Int(Double(rate) * elapsed) - result.events)
            if elapsed >= nextProbe {
                let user = "load-\(runID)-\(probeNumber)"
                probeNumber += 1
                nextProbe += probeEvery
                probes.sent(user)
                try writer.query("INSERT INTO genre.events (user_id, item_id, event_type) VALUES ($1, $2, 'view')",
                                 [user, items.randomElement(using: &generator)!])
                result.events += 1
                batch = max(0, batch - 1)
            }
            if batch > 0 {
                var values: [String] = []
                for _ in 0..<batch {
                    values.append("(\(quote(users.randomElement(using: &generator)!)), \(quote(items.randomElement(using: &generator)!)), "
                                  + "'\(["view", "click", "like", "purchase"].randomElement(using: &generator)!)')")
                }
                try writer.query("INSERT INTO genre.events (user_id, item_id, event_type) VALUES " + values.joined(separator: ", "))
                result.events += batch
            }
            if elapsed >= nextSample {
                nextSample += 1
                result.maxQueuedUsers = max(result.maxQueuedUsers, try queuedUsers(writer))
            }
            let next = start.addingTimeInterval(Double(Int(elapsed / tick) + 1) * tick)
            let wait = next.timeIntervalSinceNow
            if wait > 0 { Thread.sleep(forTimeInterval: wait) }
        }
        result.seconds = Date().timeIntervalSince(start)
        // Late probes still count: wait up to 10 s for the last ones.
        let deadline = Date().addingTimeInterval(10)
        while probes.outstanding > 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        result.queuedAtEnd = try queuedUsers(writer)
        result.freshness = probes.latencies
        result.probes = probeNumber
        return result
    }

    /// Identifiers come from the database itself; quoted as SQL literals for the multi-row INSERT.
    private func quote(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }

    private func column(_ c: PostgresConnection, _ sql: String) throws -> [String] {
        let rows = try c.query(sql)
        return (0..<rows.rowCount).compactMap { rows.string($0, 0) }
    }

    private func queuedUsers(_ c: PostgresConnection) throws -> Int {
        try c.query("SELECT count(*) FROM genre.work_queue WHERE queue = 'users'").int(0, 0) ?? 0
    }
}

/// Send times of probe users and the latency of each first notification naming one.
private final class ProbeClock: @unchecked Sendable {
    private let lock = NSLock()
    private var sentAt: [String: Date] = [:]
    private var done: [Double] = []

    func sent(_ user: String) { lock.withLock { sentAt[user] = Date() } }

    func arrived(_ user: String) {
        lock.withLock {
            guard let start = sentAt.removeValue(forKey: user) else { return }
            done.append(Date().timeIntervalSince(start))
        }
    }

    var outstanding: Int { lock.withLock { sentAt.count } }
    var latencies: [Double] { lock.withLock { done } }
}

/// A connection handed to one thread, which alone uses it from then on.
private final class HandedOver: @unchecked Sendable {
    let connection: PostgresConnection
    init(_ connection: PostgresConnection) { self.connection = connection }
}
