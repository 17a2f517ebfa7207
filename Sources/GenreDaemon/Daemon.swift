import Foundation
import Logging
import GenrePostgres
import GenreLinearAlgebra
import GenreSchema

/// `genre run`: checks the schema, then runs its services, each on its own thread with its own connection
/// (libpq calls block), until SIGTERM or SIGINT: real-time lanes, the event folder, the snapshot follower,
/// the embedding worker, generation (language-model providers), experiments, the heartbeat and, on a
/// daemon that trains, the trainer and tuning.
public final class Daemon: Sendable {
    public let context: DaemonContext
    /// Real-time lanes (threads claiming and refreshing users).
    public let realtimeWorkers: Int

    public init(context: DaemonContext, realtimeWorkers: Int = 2) {
        self.context = context
        self.realtimeWorkers = max(1, realtimeWorkers)
    }

    /// Refuses to start against a database whose schema is missing, older or newer than this binary. An
    /// unreachable database is not a refusal: it waits (with backoff) until the database answers, so a
    /// daemon started before or during a PostgreSQL restart comes up by itself. Returns false if shutdown
    /// was requested while waiting.
    public func waitForSchema() throws -> Bool {
        let connection = ReconnectingConnection(url: context.databaseURL, logger: context.logger)
        let installer = SchemaInstaller(catalog: try SQLCatalog.bundled())
        while let db = connection.connect(sleep: context.shutdown.sleep) {
            do {
                try installer.checkCurrent(on: db)
                return true
            } catch let error as PostgresError where error.isConnectionLoss {
                connection.drop()
            }
        }
        return false
    }

    /// Runs until `context.shutdown` is triggered; returns once both services have stopped.
    public func run() {
        // Every service parallelises its own work; OpenBLAS threads on top would only contend for two cores.
        BLAS.setThreads(1)
        let group = DispatchGroup()
        for lane in 0..<realtimeWorkers {
            let worker = RealtimeWorker(context: context, lane: lane)
            spawn("genre-realtime-\(lane)", group) { worker.run() }
        }
        let events = EventFolder(context: context), snapshots = SnapshotFollower(context: context)
        spawn("genre-events", group) { events.run() }
        spawn("genre-snapshots", group) { snapshots.run() }
        if context.trains {
            let trainer = Trainer(context: context), tuning = TuningService(context: context)
            spawn("genre-trainer", group) { trainer.run() }
            spawn("genre-tuning", group) { tuning.run() }
        }
        let embedding = EmbeddingWorker(context: context), heartbeat = HeartbeatService(context: context)
        spawn("genre-embedding", group) { embedding.run() }
        let experiments = ExperimentService(context: context), generation = GenerationService(context: context)
        spawn("genre-experiments", group) { experiments.run() }
        spawn("genre-generation", group) { generation.run() }
        spawn("genre-heartbeat", group) { heartbeat.run() }
        context.logger.info("daemon running", metadata: ["genre.trains": "\(context.trains)"])
        group.wait()
        RealtimeWorker.releaseClaims(context)
        context.logger.info("daemon stopped")
    }

    /// Installs SIGTERM/SIGINT handlers that trigger the shutdown signal.
    public func stopOnSignals() -> [DispatchSourceSignal] {
        [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            let shutdown = context.shutdown
            let logger = context.logger
            source.setEventHandler {
                logger.info("signal received; shutting down", metadata: ["signal": "\(number)"])
                shutdown.trigger()
            }
            source.resume()
            return source
        }
    }

    private func spawn(_ name: String, _ group: DispatchGroup, _ body: @escaping @Sendable () -> Void) {
        group.enter()
        let thread = Thread {
            body()
            group.leave()
        }
        thread.name = name
        thread.stackSize = 8 << 20
        thread.start()
    }
}
