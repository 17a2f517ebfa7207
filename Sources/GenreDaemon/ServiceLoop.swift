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

    /// A connection for a service: LISTENs on `channels` after every reconnect, and its statements are
    /// cancelled once the daemon is stopping (see PostgresConnection+Interrupt.swift).
    static func connection(_ context: DaemonContext, listening channels: [String] = []) -> ReconnectingConnection {
        ReconnectingConnection(url: context.databaseURL, listening: channels, interruptFD: context.shutdown.fileDescriptor,
                               logger: context.logger)
    }
}
