import Foundation
import Logging
import GenrePostgres
import GenreSupport

/// The real-time service: claims users with new events and recomputes their lists with the current model
/// snapshot. Woken by NOTIFY on genre_work; polls anyway every daemon.poll_interval_seconds because
/// notifications are lost while disconnected.
///
/// A daemon runs several of these lanes (`genre run --realtime-workers`), each with its own connection:
/// refreshing a user is half CPU here and half waiting on the server, so two lanes keep two cores busy.
// @unchecked: created on one thread and then used only by the service thread it is handed to.
public final class RealtimeWorker: @unchecked Sendable {
    let context: DaemonContext
    let connection: ReconnectingConnection
    var settings = DaemonSettings()
    var settingsStale = true
    let claimBatch = 32
    let lane: Int

    public init(context: DaemonContext, lane: Int = 0) {
        self.context = context
        self.lane = lane
        connection = ServiceLoop.connection(context, listening: ["genre_work", "genre_settings"])
    }

    public func run() {
        ServiceLoop.run("realtime-\(lane)", connection: connection, context: context, errorPause: 1, step: step)
    }

    /// Gives back whatever this daemon still holds, so others need not wait for the leases. Called once
    /// every service of the daemon stopped (lanes share the daemon's worker id).
    static func releaseClaims(_ context: DaemonContext) {
        let connection = ReconnectingConnection(url: context.databaseURL, logger: context.logger)
        guard let db = connection.connect(sleep: { _ in false }) else { return }
        do {
            try db.query("UPDATE genre.work_queue SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = $1", [context.workerID])
            try db.query("SELECT genre._worker_stopped($1)", [context.workerID])
        } catch {
            context.logger.warning("could not give back claims at shutdown; their leases will expire", metadata: ["error": "\(error)"])
        }
    }

    func step(_ db: PostgresConnection) throws {
        if connection.isFreshConnection || settingsStale {
            settings = try DaemonSettings.load(db)
            settingsStale = false
            connection.markCaughtUp()
        }
        if try refreshClaimedUsers(db) > 0 { return }  // more may be waiting: no pause
        let timeout = min(settings.pollIntervalSeconds, 5)
        for note in try db.waitForNotifications(timeout: timeout, wakeFD: context.shutdown.fileDescriptor)
        where note.channel == "genre_settings" {
            settingsStale = true
        }
    }

    static let snapshotGraceSeconds = 30.0

    /// Claims a batch of users and refreshes each; returns how many were claimed. Stops between users once
    /// the daemon is stopping: the rest of the batch is given back with every other claim.
    func refreshClaimedUsers(_ db: PostgresConnection) throws -> Int {
        // Without a model there is nothing to score with; the first build refreshes everyone anyway.
        guard let snapshot = context.snapshots.snapshot else { return 0 }
        // A newer build was just published and is on its way into this daemon: scoring with the older model now
        // would write lists that nothing refreshes again. Wait for it (the queue keeps the users); a build
        // that could not be loaded within `snapshotGraceSeconds` does not stop the real-time path.
        let latest = try db.query("SELECT id, extract(epoch FROM clock_timestamp() - finished_at)::float8 FROM genre.model_builds ORDER BY id DESC LIMIT 1")
        if let id = try latest.int(0, 0), Int64(id) > snapshot.buildID, (try latest.double(0, 1) ?? .infinity) < Self.snapshotGraceSeconds { return 0 }
        let claimed = try db.query("SELECT work_key, version FROM genre._claim('users', $1, $2, $3, $4)",
                                   [context.workerID, claimBatch, settings.leaseSeconds, settings.maxAttempts])
        let refresher = UserRefresher()
        for row in 0..<claimed.rowCount {
            if context.shutdown.isTriggered { break }
            guard let user = claimed.string(row, 0), let version = try claimed.int(row, 1) else { continue }
            do {
                _ = try refresher.refresh(user: user, snapshot: snapshot, settings: settings, on: db)
                try db.query("SELECT genre._complete('users', $1, $2)", [user, version])
                context.stats.add("users_refreshed")
            } catch let error as PostgresError where error.isConnectionLoss || context.shutdown.isTriggered {
                throw error  // the lease (or the release at shutdown) brings the rest of the batch back
            } catch {
                context.logger.warning("refresh failed", metadata: ["genre.user_id": "\(user)", "error": "\(error)"])
                try db.query("SELECT genre._fail('users', $1, $2, $3)", [user, "\(error)", settings.maxAttempts])
                context.stats.add("users_failed")
            }
        }
        return claimed.rowCount
    }
}
