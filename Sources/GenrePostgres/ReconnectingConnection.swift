import Logging

/// Keeps one connection open for a long-lived service, reconnecting with capped backoff.
///
/// After every (re)connection the channels are LISTENed again, because a new session starts with none, and
/// the owner is told through `isFreshConnection` so it re-reads its tables: notifications sent while the
/// connection was down are lost for good, the tables are the truth.
public final class ReconnectingConnection {
    public let url: String
    public let channels: [String]
    private let logger: Logger
    private var backoff: Backoff
    private var connection: PostgresConnection?
    /// Handed to every connection opened here: statements still running once it is readable get cancelled.
    private let interruptFD: Int32?
    /// Set when a new connection was opened and cleared by `markCaughtUp()`.
    public private(set) var isFreshConnection = false

    public init(url: String, listening channels: [String] = [], backoff: Backoff = Backoff(), interruptFD: Int32? = nil,
                logger: Logger) {
        self.url = url
        self.interruptFD = interruptFD
        self.channels = channels
        self.backoff = backoff
        self.logger = logger
    }

    /// Returns an open connection, connecting (and sleeping between failed attempts with `sleep`) as
    /// needed. `sleep` returns false when the service is shutting down; then this returns nil.
    public func connect(sleep: (Double) -> Bool) -> PostgresConnection? {
        if let connection, connection.isHealthy { return connection }
        connection = nil
        while true {
            do {
                let fresh = try PostgresConnection(url: url)
                fresh.interruptFD = interruptFD
                for channel in channels { try fresh.listen(channel) }
                if backoff.attempt > 0 {
                    logger.info("reconnected", metadata: ["db.attempts": "\(backoff.attempt)"])
                }
                backoff.reset()
                connection = fresh
                isFreshConnection = true
                return fresh
            } catch {
                let delay = backoff.nextDelay()
                logger.warning("cannot reach PostgreSQL; retrying",
                               metadata: ["error": "\(error)", "db.retry_in_s": "\(String(format: "%.2f", delay))"])
                if !sleep(delay) { return nil }
            }
        }
    }

    /// Forgets the current connection after a connection-loss error; the next `connect` opens a new one.
    public func drop() { connection = nil }

    public func markCaughtUp() { isFreshConnection = false }
}
