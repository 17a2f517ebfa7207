import Foundation
import GenrePostgres

/// Folds committed events into genre.interactions past the watermark (genre._apply_events), woken by the
/// events' NOTIFY and by the poll interval. Every daemon runs one; the watermark row's lock makes them take
/// turns, and each transaction's events cross the watermark exactly once.
// @unchecked: created on one thread and then used only by the service thread it is handed to.
final class EventFolder: @unchecked Sendable {
    let context: DaemonContext
    let connection: ReconnectingConnection
    var settings = DaemonSettings()
    var settingsStale = true

    init(context: DaemonContext) {
        self.context = context
        connection = ServiceLoop.connection(context, listening: ["genre_work", "genre_settings"])
    }

    func run() {
        ServiceLoop.run("events", connection: connection, context: context, errorPause: 1) { db in
            if connection.isFreshConnection || settingsStale {
                settings = try DaemonSettings.load(db)
                settingsStale = false
                connection.markCaughtUp()
            }
            let applied = try db.query("SELECT genre._apply_events()").int(0, 0) ?? 0
            context.stats.add("events_applied", applied)
            if applied > 0 { return }
            for note in try db.waitForNotifications(timeout: min(settings.pollIntervalSeconds, 5), wakeFD: context.shutdown.fileDescriptor)
            where note.channel == "genre_settings" {
                settingsStale = true
            }
        }
    }
}
