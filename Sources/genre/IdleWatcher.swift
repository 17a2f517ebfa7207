import Foundation
import GenreDaemon
import GenrePostgres

/// For `genre run --exit-when-idle`: stops the daemon once a model exists, every event is folded in and no
/// user waits for a refresh.
enum IdleWatcher {
    static func start(context: DaemonContext) {
        let thread = Thread {
            guard let connection = try? PostgresConnection(url: context.databaseURL) else { return }
            while context.shutdown.sleep(0.5) {
                let status = try? connection.query(
                    "SELECT last_build_at IS NOT NULL AND users_queued = 0 AND events_pending = 0 FROM genre.status()")
                if (try? status?.bool(0, 0)) == true {
                    context.logger.info("idle: model built and every user refreshed")
                    context.shutdown.trigger()
                }
            }
        }
        thread.start()
    }
}
