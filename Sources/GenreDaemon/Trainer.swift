import Foundation
import Logging
import GenrePostgres

/// The training service: rebuilds models and refreshes every user when enough new events arrived, when the
/// rebuild interval passed, or when a setting that shapes the model changed. Only one daemon trains at a
/// time: the build runs under a session advisory lock, and the others keep serving in real time.
// @unchecked: created on one thread and then used only by the service thread it is handed to.
public final class Trainer: @unchecked Sendable {
    static let lockKey: Int64 = 0x67_65_6e_72_65_01  // "genre" + 1

    let context: DaemonContext
    let connection: ReconnectingConnection

    public init(context: DaemonContext) {
        self.context = context
        connection = ServiceLoop.connection(context, listening: ["genre_settings"])
    }

    public func run() {
        ServiceLoop.run("trainer", connection: connection, context: context, errorPause: 5) { db in
            let settings = try DaemonSettings.load(db)
            if let reason = try buildReason(db, settings: settings) {
                try buildUnderLock(db, settings: settings, reason: reason)
            }
            _ = try db.waitForNotifications(timeout: min(settings.pollIntervalSeconds, 2), wakeFD: context.shutdown.fileDescriptor)
        }
    }

    /// Why a build is due now, or nil.
    func buildReason(_ db: PostgresConnection, settings: DaemonSettings) throws -> String? {
        let row = try db.query("""
            SELECT w.events + genre._events_pending(), b.events_seen, extract(epoch FROM now() - b.finished_at)::float8,
                   b.details->>'fingerprint',
                   (SELECT count(*) FROM genre.item_embeddings e
                     WHERE e.embedded_at > coalesce((b.details->>'embedded_until')::timestamptz, '-infinity')),
                   (SELECT count(*) FROM genre.work_queue WHERE queue IN ('items', 'item_features')),
                   b.id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM genre.model_state s WHERE s.build_id = b.id)
              FROM genre.watermarks w
              LEFT JOIN LATERAL (SELECT * FROM genre.model_builds ORDER BY id DESC LIMIT 1) b ON true
             WHERE w.name = 'interactions'
            """)
        let events = try row.int(0, 0) ?? 0
        let newVectors = try row.int(0, 4) ?? 0, itemsQueued = try row.int(0, 5) ?? 0
        guard let seen = try row.int(0, 1) else { return events > 0 || newVectors > 0 ? "first build" : nil }
        let age = try row.double(0, 2) ?? 0
        // A build made before model state was stored cannot be served by any daemon: build again.
        if try row.bool(0, 6) == true { return "the last build has no stored model state" }
        if row.string(0, 3) != settings.modelFingerprint { return "settings changed" }
        if events - seen >= settings.rebuildAfterEvents && age >= settings.minRebuildGapSeconds { return "\(events - seen) new events" }
        if events != seen && age >= settings.rebuildIntervalSeconds { return "rebuild interval passed" }
        // New item vectors feed content similarity: rebuild once the embedding backlog is done (or has
        // been going on for a whole interval), not after every batch. Generated features re-embed their
        // items one by one as they arrive, so their backlog counts too.
        if newVectors > 0 && (itemsQueued == 0 || age >= settings.rebuildIntervalSeconds) { return "\(newVectors) new item vectors" }
        return nil
    }

    func buildUnderLock(_ db: PostgresConnection, settings: DaemonSettings, reason: String) throws {
        guard try db.query("SELECT pg_try_advisory_lock($1)", [Trainer.lockKey]).bool(0, 0) == true else { return }
        defer { _ = try? db.query("SELECT pg_advisory_unlock($1)", [Trainer.lockKey]) }
        // Another daemon may have finished a build while we waited for the lock.
        guard try buildReason(db, settings: settings) != nil else { return }
        context.logger.info("model build starting", metadata: ["genre.reason": "\(reason)"])
        // Fold everything committed so far into interactions first, so the build sees it.
        try db.query("SELECT genre._apply_events()")
        let builder = ModelBuilder(workerID: context.workerID, logger: context.logger)
        context.snapshots.ownBuildInProgress = true
        defer { context.snapshots.ownBuildInProgress = false }
        do {
            let shutdown = context.shutdown
            _ = try builder.build(on: db, settings: settings, shouldStop: { shutdown.isTriggered })
            context.stats.add("builds")
            // Served exactly as every other daemon serves it: from what the build stored.
            if let snapshot = try SnapshotLoader.load(db) { context.snapshots.replace(snapshot) }
        } catch is ModelBuilder.Cancelled {
            context.logger.info("model build cancelled: shutting down")
        }
    }
}
