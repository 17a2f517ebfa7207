import Foundation
import GenrePostgres

/// Runs the tuning runs queued by genre.tune(), one at a time, claimed from the work queue so one daemon
/// runs each. Runs on daemons that train (tuning is training many times over). Woken by the queue's NOTIFY.
// @unchecked: created on one thread and then used only by the service thread it is handed to.
final class TuningService: @unchecked Sendable {
    let context: DaemonContext
    let connection: ReconnectingConnection

    init(context: DaemonContext) {
        self.context = context
        connection = ServiceLoop.connection(context, listening: ["genre_work"])
    }

    func run() {
        let shutdown = context.shutdown
        ServiceLoop.run("tuning", connection: connection, context: context, errorPause: 5) { db in
            connection.markCaughtUp()
            let settings = try DaemonSettings.load(db)
            if try TuningRunner(workerID: context.workerID, logger: context.logger)
                .runNext(on: db, settings: settings, shouldStop: { shutdown.isTriggered }) {
                context.stats.add("tuning_runs")
                return  // another may be queued
            }
            try db.waitForNotification(timeout: min(settings.pollIntervalSeconds, 5), wakeFD: shutdown.fileDescriptor) { $0.payload == "tuning" }
        }
    }
}
