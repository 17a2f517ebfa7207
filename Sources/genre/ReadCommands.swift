import ArgumentParser
import Foundation
import GenrePostgres

struct Status: ParsableCommand {
    /// Exit code when genre.status() says degraded, so the command serves as a container health check.
    static let degradedExitCode: Int32 = 8
    static let configuration = CommandConfiguration(
        abstract: "Show the state (ok or degraded: why), queues, dead letters, the watermark, the last build, live daemons and their services.",
        discussion: "Exits 0 when the state is ok, \(degradedExitCode) when degraded, 2 when the database cannot be reached.")
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        var state = ""
        try runReportingErrors {
            let rows = try database.connect().query("SELECT * FROM genre.status()")
            for column in 0..<rows.columnCount {
                print("\(rows.columnName(column).padding(toLength: 20, withPad: " ", startingAt: 0)) \(rows.string(0, column) ?? "—")")
            }
            state = rows.string(0, 0) ?? ""
        }
        if state != "ok" { throw ExitCode(Self.degradedExitCode) }
    }
}

struct Recommend: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a user's recommendations with their reasons (genre.recommend).")
    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The user id.") var user: String
    @Option(name: .shortAndLong, help: "How many.") var k = 10

    func run() throws {
        try runReportingErrors {
            let rows = try database.connect().query("""
                SELECT r.rank, r.item_id, coalesce(i.title, r.item_id), r.score, r.reasons->>'summary'
                  FROM genre.recommend($1, $2) r LEFT JOIN genre.items i USING (item_id) ORDER BY r.rank
                """, [user, k])
            print("Recommendations for user \(user):")
            for row in 0..<rows.rowCount {
                let rank = rows.string(row, 0) ?? ""
                let title = rows.string(row, 2) ?? ""
                let score = String(format: "%.3f", (try? rows.double(row, 3) ?? 0) ?? 0)
                print(String(format: "%3@. %@  (score %@)", rank as NSString, title as NSString, score as NSString))
                print("     \(rows.string(row, 4) ?? "")")
            }
        }
    }
}

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Load a public dataset into genre.items and genre.events.",
                                                    subcommands: [ImportMovieLens.self])
}

struct ImportMovieLens: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "movielens",
        abstract: "Load MovieLens latest-small (movies.csv, ratings.csv, tags.csv) with binary COPY.")
    @OptionGroup var database: DatabaseOptions
    @Option(help: "Folder holding movies.csv, ratings.csv and tags.csv.") var dir: String
    @Option(help: "Load only the first N users' ratings.") var maxUsers: Int?

    func run() throws {
        try runReportingErrors {
            let start = Date()
            let summary = try GenreImport.movieLens(directory: dir, connection: try database.connect(), maxUsers: maxUsers)
            print("loaded \(summary.items) items and \(summary.events) events in \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
        }
    }
}
