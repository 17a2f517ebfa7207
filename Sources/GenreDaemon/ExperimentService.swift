import Foundation
import GenrePostgres

/// The experiment service: every min(daemon.poll_interval_seconds, 5) s it advances the experiments' counts
/// (genre._update_experiment_counts) and learns from them (ExperimentUpdater: each variant's probability of
/// being best, Thompson shares, auto-promotion). It runs on every daemon, trainer or not, so experiments keep
/// learning during a long build and on `--no-train` daemons. One daemon at a time does a step: it takes a
/// transaction-level advisory lock and the others skip the step. The step is one transaction, so the shares
/// are stored with the counts they were computed from, and the lock goes with the transaction whatever
/// happens (a lost connection included).
// @unchecked: created on one thread and then used only by the service thread it is handed to.
public final class ExperimentService: @unchecked Sendable {
    static let lockKey: Int64 = 0x67_65_6e_72_65_02  // "genre" + 2

    let context: DaemonContext
    let connection: ReconnectingConnection

    public init(context: DaemonContext) {
        self.context = context
        // Nothing to LISTEN for: the step runs on a timer, and reads the interval afresh each time.
        connection = ServiceLoop.connection(context)
    }

    public func run() {
        ServiceLoop.run("experiments", connection: connection, context: context, errorPause: 5) { db in
            try step(db)
            let poll = try db.query("SELECT genre.get('daemon.poll_interval_seconds')::text::float8").double(0, 0) ?? 5
            _ = context.shutdown.sleep(min(poll, 5))
        }
    }

    /// One step: counts, then probabilities, shares and promotion. Returns false when another daemon was
    /// doing it.
    @discardableResult
    func step(_ db: PostgresConnection) throws -> Bool {
        try db.transaction {
            guard try db.query("SELECT pg_try_advisory_xact_lock($1)", [Self.lockKey]).bool(0, 0) == true else { return false }
            try db.query("SELECT genre._update_experiment_counts()")
            try ExperimentUpdater().update(on: db)
            return true
        }
    }
}
