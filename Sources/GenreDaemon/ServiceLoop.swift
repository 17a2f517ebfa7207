import GenrePostgres
import Logging

/// The shape every service shares: keep a connection and run one step at a time until shutdown. A lost
/// connection is dropped (the next step reconnects, re-LISTENs and re-reads the tables: notifications sent
/// meanwhile are gone); any other error is logged and the step retried after a pause, so a bad row or a bug
/// in one step never ends the service.
enum ServiceLoop {
    static func run(_ name: String, connection: ReconnectingConnection, context: DaemonContext, errorPause: Double,
                    step: (PostgresConnection) throws -> Void) {
        while !context.shutdown.isTriggered {
            guard let db = connection.connect(sleep: context.shutdown.sleep) else { break }
            do {
                try step(db)
            } catch let error as PostgresError where error.isConnectionLoss {
                context.logger.warning("\(name) lost the database connection; reconnecting", metadata: ["error": "\(error)"])
                connection.drop()
            } catch {
                context.logger.error("\(name) step failed", metadata: ["error": "\(error)"])
                context.shutdown.sleep(errorPause)
            }
        }
        context.logger.info("\(name) stopped")
    }
}
