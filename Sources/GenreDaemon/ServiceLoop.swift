import Foundation
import GenrePostgres
import Logging

/// The shape every service shares: keep a connection and run one step at a time until shutdown. A lost
/// connection is dropped (the next step reconnects, re-LISTENs and re-reads the tables: notifications sent
/// meanwhile are gone); any other error is logged, recorded in the service's health (genre.status() shows
/// it) and the step retried after a pause, so a bad row or a bug in one step never ends the service.
enum ServiceLoop {
    /// `service` names the service in genre.service_health and the log ("trainer", "realtime-0", …).
    static func run(_ service: String, connection: ReconnectingConnection, context: DaemonContext, errorPause: Double,
                    step: (PostgresConnection) throws -> Void) {
        let health = context.health
        health.register(service)
        while !context.shutdown.isTriggered {
            guard let db = connection.connect(sleep: context.shutdown.sleep) else { break }
            health.stepStarted(service)
            do {
                try step(db)
                health.stepEnded(service)
            } catch _ where context.shutdown.isTriggered {
                break  // a statement cancelled by the shutdown, or work abandoned for it: not a failure
            } catch let error as PostgresError where error.isConnectionLoss {
                context.logger.warning("\(service) lost the database connection; reconnecting", metadata: ["error": "\(error)"])
                health.fail(service, "lost the database connection: \(error)")
                connection.drop()
            } catch {
                context.logger.error("\(service) step failed", metadata: ["error": "\(error)"])
                health.fail(service, "\(error)")
                context.shutdown.sleep(errorPause)
            }
        }
        context.logger.info("\(service) stopped")
    }

    /// Sleeps up to `seconds` until a notification concerns the caller: `handle` sees every notification
    /// (so none of a batch is lost) and says whether it was relevant. Returns early on shutdown. Services
    /// that do not wait for every `genre_work` wake-up use this: under 500 events/s, each event's "users"
    /// notification would otherwise cost a query (4 ms of server time apiece).
    static func waitForNotes(_ db: PostgresConnection, _ context: DaemonContext, seconds: Double,
                             handle: (PostgresNotification) -> Bool) {
        let deadline = Date().addingTimeInterval(seconds)
        while !context.shutdown.isTriggered {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0, let notes = try? db.waitForNotifications(timeout: remaining, wakeFD: context.shutdown.fileDescriptor)
            else { return }
            var relevant = false
            for note in notes where handle(note) { relevant = true }
            if relevant { return }
        }
    }

    /// Claims up to `batch` items of a queue for this daemon: (key, version) pairs.
    static func claim(_ db: PostgresConnection, _ context: DaemonContext, queue: String, batch: Int,
                      settings: DaemonSettings) throws -> [(key: String, version: Int)] {
        let rows = try db.query("SELECT work_key, version FROM genre._claim($1, $2, $3, $4, $5)",
                                [queue, context.workerID, batch, settings.leaseSeconds, settings.maxAttempts])
        return (0..<rows.rowCount).compactMap { row in
            guard let key = rows.string(row, 0), let version = try? rows.int(row, 1) else { return nil }
            return (key, version)
        }
    }

    /// A connection for a service: LISTENs on `channels` after every reconnect, and its statements are
    /// cancelled once the daemon is stopping (see PostgresConnection+Interrupt.swift).
    static func connection(_ context: DaemonContext, listening channels: [String] = []) -> ReconnectingConnection {
        ReconnectingConnection(url: context.databaseURL, listening: channels, interruptFD: context.shutdown.fileDescriptor,
                               logger: context.logger)
    }
}
