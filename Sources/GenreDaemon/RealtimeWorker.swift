import Foundation
import Logging
import GenrePostgres
import GenreSupport

/// The real-time service: folds new events into genre.interactions past the watermark, claims users with
/// new events, recomputes their lists, and sends heartbeats. Woken by NOTIFY on genre_work; polls anyway
/// every daemon.poll_interval_seconds because notifications are lost while disconnected.
///
/// A daemon runs several of these lanes (`genre run --realtime-workers`), each with its own connection:
/// refreshing a user is half CPU here and half waiting on the server, so two lanes keep two cores busy.
/// Lane 0 alone does the housekeeping (heartbeats, the watermark, loading other daemons' snapshots).
// @unchecked: created on one thread and then used only by the service thread it is handed to.
public final class RealtimeWorker: @unchecked Sendable {
    let context: DaemonContext
    let connection: ReconnectingConnection
    var settings = DaemonSettings()
    var settingsStale = true
    var lastHeartbeat = Date.distantPast
    let claimBatch = 32
    let lane: Int

    public init(context: DaemonContext, lane: Int = 0) {
        self.context = context
        self.lane = lane
        connection = ReconnectingConnection(url: context.databaseURL, listening: ["genre_work", "genre_settings"],
                                            logger: context.logger)
    }

    public func run() {
        ServiceLoop.run("real-time worker", connection: connection, context: context, errorPause: 1, step: step)
    }

    /// Gives back whatever this daemon still holds, so others need not wait for the leases. Called once
    /// every service of the daemon stopped (lanes share the daemon's worker id).
    static func releaseClaims(_ context: DaemonContext) {
        let connection = ReconnectingConnection(url: context.databaseURL, logger: context.logger)
        guard let db = connection.connect(sleep: { _ in false }) else { return }
        _ = try? db.query("UPDATE genre.work_queue SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = $1", [context.workerID])
        _ = try? db.query("SELECT genre._worker_stopped($1)", [context.workerID])
    }

    func step(_ db: PostgresConnection) throws {
        if connection.isFreshConnection || settingsStale {
            settings = try DaemonSettings.load(db)
            settingsStale = false
            connection.markCaughtUp()
        }
        if lane == 0 {
            try heartbeatIfDue(db)
            try applyPendingEvents(db)
            try refreshSnapshotIfNeeded(db)
        }
        if try refreshClaimedUsers(db) > 0 { return }  // more may be waiting: no pause
        let timeout = min(settings.pollIntervalSeconds, 5)
        for note in try db.waitForNotifications(timeout: timeout, wakeFD: context.shutdown.fileDescriptor)
        where note.channel == "genre_settings" {
            settingsStale = true
        }
    }

    func heartbeatIfDue(_ db: PostgresConnection) throws {
        guard Date().timeIntervalSince(lastHeartbeat) >= 5 else { return }
        let state = "{\"snapshot_build\":\(context.snapshots.snapshot?.buildID ?? 0),\"counters\":\(context.stats.json)}"
        try db.query("SELECT genre._heartbeat($1, $2, $3, $4, $5::jsonb)",
                     [context.workerID, ProcessInfo.processInfo.hostName, Int(getpid()), GenreVersion.current, state])
        lastHeartbeat = Date()
    }

    func applyPendingEvents(_ db: PostgresConnection) throws {
        let applied = try db.query("SELECT genre._apply_events()").int(0, 0) ?? 0
        context.stats.add("events_applied", applied)
    }

    /// Picks up a build published by another daemon (ours hands its snapshot over directly).
    func refreshSnapshotIfNeeded(_ db: PostgresConnection) throws {
        guard let latest = try SnapshotLoader.latestBuildID(db) else { return }
        if let current = context.snapshots.snapshot, current.buildID >= latest { return }
        if let loaded = try SnapshotLoader.load(db) {
            context.snapshots.replace(loaded)
            context.logger.info("loaded model snapshot from the result tables", metadata: ["genre.build_id": "\(loaded.buildID)"])
        }
    }

    /// Claims a batch of users and refreshes each; returns how many were claimed.
    func refreshClaimedUsers(_ db: PostgresConnection) throws -> Int {
        // Without a model there is nothing to score with; the first build refreshes everyone anyway.
        guard let snapshot = context.snapshots.snapshot else { return 0 }
        let claimed = try db.query("SELECT work_key, version FROM genre._claim('users', $1, $2, $3, $4)",
                                   [context.workerID, claimBatch, settings.leaseSeconds, settings.maxAttempts])
        let refresher = UserRefresher()
        for row in 0..<claimed.rowCount {
            guard let user = claimed.string(row, 0), let version = try claimed.int(row, 1) else { continue }
            do {
                _ = try refresher.refresh(user: user, snapshot: snapshot, settings: settings, on: db)
                try db.query("SELECT genre._complete('users', $1, $2)", [user, version])
                context.stats.add("users_refreshed")
            } catch let error as PostgresError where error.isConnectionLoss {
                throw error  // the lease brings the rest of the batch back
            } catch {
                context.logger.warning("refresh failed", metadata: ["genre.user_id": "\(user)", "error": "\(error)"])
                try db.query("SELECT genre._fail('users', $1, $2, $3)", [user, "\(error)", settings.maxAttempts])
                context.stats.add("users_failed")
            }
        }
        return claimed.rowCount
    }
}
