import Foundation
import GenrePostgres
import GenreSupport

/// Tells the database this daemon is alive, every few seconds: a heartbeat row in genre.workers (with its
/// snapshot and counters) and each service's health in genre.service_health, which genre.status() reads.
/// Its own service, so a long step elsewhere (a build, a backlog fold) never makes a live daemon look dead.
// @unchecked: created on one thread and then used only by the service thread it is handed to.
final class HeartbeatService: @unchecked Sendable {
    static let interval = 5.0
    let context: DaemonContext
    let connection: ReconnectingConnection

    init(context: DaemonContext) {
        self.context = context
        connection = ServiceLoop.connection(context)
    }

    func run() {
        ServiceLoop.run("heartbeat", connection: connection, context: context, errorPause: 1) { db in
            let reported = context.health.transitions
            try beat(db)
            // Next beat after the interval, or as soon as a service turns failing or recovers.
            let deadline = Date().addingTimeInterval(Self.interval)
            while deadline.timeIntervalSinceNow > 0, context.health.transitions == reported, context.shutdown.sleep(0.2) {}
        }
    }

    func beat(_ db: PostgresConnection) throws {
        try checkSettings(db)
        let state = "{\"snapshot_build\":\(context.snapshots.snapshot?.buildID ?? 0),\"counters\":\(context.stats.json)}"
        try db.transaction {
            try db.query("SELECT genre._heartbeat($1, $2, $3, $4, $5::jsonb)",
                         [context.workerID, ProcessInfo.processInfo.hostName, Int(getpid()), GenreVersion.current, state])
            try db.query("SELECT genre._report_services($1, $2::jsonb)", [context.workerID, context.health.json])
        }
    }

    /// Settings this binary cannot apply are reported as failures of "settings" on every beat until fixed.
    func checkSettings(_ db: PostgresConnection) throws {
        let problems = try DaemonSettings.load(db).problems
        context.health.stepStarted("settings")
        if !problems.isEmpty {
            context.logger.error("settings cannot be applied", metadata: ["error": "\(problems.joined(separator: "; "))"])
            context.health.fail("settings", problems.joined(separator: "; "))
        }
        context.health.stepEnded("settings")
    }
}
