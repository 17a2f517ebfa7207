import Foundation
import GenrePostgres

/// Loads a model published by another daemon (the trainer hands its own snapshot over directly): when
/// genre.model_builds has a newer build than the one this daemon serves, the snapshot is rebuilt from the
/// result tables. Woken by the swap's NOTIFY genre_refreshed '*' and by a poll.
// @unchecked: created on one thread and then used only by the service thread it is handed to.
final class SnapshotFollower: @unchecked Sendable {
    static let pollSeconds = 2.0
    let context: DaemonContext
    let connection: ReconnectingConnection

    init(context: DaemonContext) {
        self.context = context
        connection = ServiceLoop.connection(context, listening: ["genre_refreshed"])
    }

    func run() {
        ServiceLoop.run("snapshots", connection: connection, context: context, errorPause: 5) { db in
            connection.markCaughtUp()
            try loadIfNewer(db)
            // Only a full swap ('*') can publish a build; per-user refreshes are ignored.
            try db.waitForNotification(timeout: Self.pollSeconds, wakeFD: context.shutdown.fileDescriptor) { $0.payload == "*" }
        }
    }

    func loadIfNewer(_ db: PostgresConnection) throws {
        if context.snapshots.ownBuildInProgress { return }
        guard let latest = try SnapshotLoader.latestBuildID(db) else { return }
        if let current = context.snapshots.snapshot, current.buildID >= latest { return }
        if let loaded = try SnapshotLoader.load(db) {
            context.snapshots.replace(loaded)
            context.logger.info("loaded model snapshot from the result tables", metadata: ["genre.build_id": "\(loaded.buildID)"])
        }
    }
}
