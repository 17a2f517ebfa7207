import ArgumentParser
import Foundation
import Logging
import GenreDaemon
import GenrePostgres
import GenreSchema
import GenreSettings
import GenreSupport

@main
struct Genre: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "genre",
        abstract: "Personalised, explainable recommendations beside PostgreSQL.",
        version: GenreVersion.current,
        subcommands: [Install.self, PrintSQL.self, PrintSettings.self, Run.self, Status.self, Recommend.self, Import.self, Model.self, Embed.self, Eval.self, Generate.self, Tune.self, Bench.self])
}

/// `--database-url`, falling back to GENRE_DATABASE_URL.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "PostgreSQL URL (default: $GENRE_DATABASE_URL).")
    var databaseURL: String?

    func resolvedURL() throws -> String {
        if let databaseURL, !databaseURL.isEmpty { return databaseURL }
        if let env = ProcessInfo.processInfo.environment["GENRE_DATABASE_URL"], !env.isEmpty { return env }
        throw ValidationError("no database given: pass --database-url or set GENRE_DATABASE_URL (scripts/dev-postgres.sh start starts a local one and prints its URL)")
    }

    func connect() throws -> PostgresConnection {
        try PostgresConnection(url: try resolvedURL())
    }
}

func makeLogger(_ label: String = "genre") -> Logger {
    LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
    var logger = Logger(label: label)
    let level = ProcessInfo.processInfo.environment["GENRE_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
    logger.logLevel = level ?? .info
    return logger
}

/// Turns library errors into a message and a distinct exit code instead of a stack of types.
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as SchemaError {
        FileHandle.standardError.write(Data("genre: \(error.message)\n".utf8))
        throw ExitCode(error.exitCode)
    } catch let error as PostgresError {
        FileHandle.standardError.write(Data("genre: \(error)\n".utf8))
        throw ExitCode(error.isConnectionLoss ? 2 : 1)
    }
}

struct Install: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Install or upgrade the genre schema (migrations once, functions every time) under an advisory lock.",
        discussion: "Exit codes: 3 the database schema is newer than this binary, 5 a released migration was edited. Records the function files' checksum in genre.function_bundle; `genre run` refuses a database whose migrations or functions are not its own (exit 4).")
    @OptionGroup var database: DatabaseOptions
    @Option(help: "Role for reading lists and explanations (created NOLOGIN if missing).") var readerRole: String?
    @Option(help: "Role for writing items and events.") var writerRole: String?
    @Option(help: "Role for settings, scenarios, tuning and experiments.") var adminRole: String?
    @Option(help: "Role the daemon (genre run) logs in as, or is granted to its login role.") var daemonRole: String?
    @Flag(help: "Create and grant no roles (only the installing role can use GENRE; PUBLIC still gets nothing).") var noRoles = false

    func run() throws {
        try runReportingErrors {
            let connection = try database.connect()
            var roles = SchemaInstaller.Roles()
            roles.reader = readerRole ?? roles.reader
            roles.writer = writerRole ?? roles.writer
            roles.admin = adminRole ?? roles.admin
            roles.daemon = daemonRole ?? roles.daemon
            roles.explicit = [readerRole, writerRole, adminRole, daemonRole].contains { $0 != nil }
            let outcome = try SchemaInstaller(catalog: try SQLCatalog.bundled()).install(on: connection, roles: noRoles ? nil : roles)
            if let note = outcome.rolesNote { FileHandle.standardError.write(Data("warning: \(note)\n".utf8)) }
            if outcome.appliedMigrations.isEmpty {
                print("genre schema \(outcome.currentVersion) is current; functions re-applied")
            } else {
                print("genre schema \(outcome.previousVersion) → \(outcome.currentVersion): applied \(outcome.appliedMigrations.joined(separator: ", "))")
            }
        }
    }
}

struct PrintSQL: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "print-sql", abstract: "Print the SQL `genre install` would run, for a DBA to apply by hand.")
    @Option(help: "Leave out migrations up to and including this version (already applied).")
    var fromVersion = 0

    func run() throws {
        try runReportingErrors { print(try SQLCatalog.bundled().script(fromVersion: fromVersion), terminator: "") }
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the daemon until SIGTERM or SIGINT.")
    @OptionGroup var database: DatabaseOptions
    @Flag(help: "Never train or run tuning runs (no training lock); real time, embeddings, experiments and health still run.")
    var noTrain = false
    @Option(help: "Threads refreshing users in real time (each with its own connection).") var realtimeWorkers = 2
    @Flag(help: "Exit once a model is built and no user is waiting for a refresh (demos, benchmarks).")
    var exitWhenIdle = false

    func run() throws {
        let logger = makeLogger()
        try runReportingErrors {
            let context = DaemonContext(databaseURL: try database.resolvedURL(), logger: logger, trains: !noTrain)
            let daemon = Daemon(context: context, realtimeWorkers: realtimeWorkers)
            // The signal sources must outlive run(): `_ = signals` afterwards is not a use, and an optimised
            // build released them at once, so SIGTERM was silently ignored.
            let signals = daemon.stopOnSignals()
            try withExtendedLifetime(signals) {
                guard try daemon.waitForSchema() else { return }
                if exitWhenIdle { IdleWatcher.start(context: context) }
                daemon.run()
            }
        }
    }
}

struct PrintSettings: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "print-settings",
        abstract: "Print the settings reference table (docs/SETTINGS.md holds it) generated from the settings catalogue.")

    func run() throws {
        print(SettingsCatalogue.markdown, terminator: "")
    }
}
