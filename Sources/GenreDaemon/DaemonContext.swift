import Foundation
import Logging
import Synchronization

/// What every service of one daemon process shares: who it is, where the database is, how to stop.
public struct DaemonContext: Sendable {
    public let databaseURL: String
    /// Unique per process: "hostname:pid:random".
    public let workerID: String
    public let logger: Logger
    public let shutdown: ShutdownSignal
    public let snapshots: SnapshotBox
    public let stats: DaemonStats
    /// Every service's last step, success and error, copied to genre.service_health by the heartbeat.
    public let health: ServiceHealth
    /// Whether this daemon competes for the training lock (a pure real-time replica can opt out).
    public let trains: Bool

    public init(databaseURL: String, logger: Logger, shutdown: ShutdownSignal = ShutdownSignal(), trains: Bool = true) {
        self.databaseURL = databaseURL
        let host = ProcessInfo.processInfo.hostName
        self.workerID = "\(host):\(getpid()):\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        var logger = logger
        logger[metadataKey: "genre.worker"] = "\(workerID)"
        self.logger = logger
        self.shutdown = shutdown
        self.snapshots = SnapshotBox()
        self.stats = DaemonStats()
        self.health = ServiceHealth()
        self.trains = trains
    }
}

/// Counters reported in heartbeats and by tests.
public final class DaemonStats: Sendable {
    private let values = Mutex<[String: Int]>([:])
    public init() {}
    public func add(_ key: String, _ amount: Int = 1) { values.withLock { $0[key, default: 0] += amount } }
    public subscript(key: String) -> Int { values.withLock { $0[key] ?? 0 } }
    public var json: String {
        values.withLock { v in "{" + v.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}" }
    }
}
