import ArgumentParser
import Foundation
import GenreDaemon
import GenrePostgres
import GenreSchema

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmarks; see docs/BENCHMARKS.md.", subcommands: [BenchRefresh.self, BenchEmbed.self, BenchCollaborative.self])
}

struct BenchRefresh: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refresh",
        abstract: "Full-refresh time and rows/s versus a plain COPY of the same rows; real-time refresh latency p50/p95/p99.",
        discussion: "Run it on a scratch database: it loads MovieLens when genre.items is empty and inserts one 'view' event per latency sample.")
    @OptionGroup var database: DatabaseOptions
    @Option(help: "MovieLens latest-small folder, loaded when the database has no items.") var dir = "../shared/data/ml-latest-small"
    @Option(help: "Real-time latency samples.") var samples = 200
    @Option(help: "Cold-start samples: a new user's only event is a search (embeds every item first; needs the model).")
    var searches = 0

    func run() throws {
        let logger = makeLogger()
        try runReportingErrors {
            let url = try database.resolvedURL()
            let connection = try PostgresConnection(url: url)
            try SchemaInstaller(catalog: try SQLCatalog.bundled()).checkCurrent(on: connection)
            if try connection.query("SELECT count(*) FROM genre.items").int(0, 0) == 0 {
                let summary = try GenreImport.movieLens(directory: dir, connection: connection, maxUsers: nil)
                print("loaded \(summary.items) items and \(summary.events) events from \(dir)")
            }
            let r = try RefreshBenchmark(databaseURL: url, samples: samples, searches: searches, logger: logger).run()
            func ms(_ s: Double) -> String { String(format: "%.1f ms", s * 1000) }
            print("data: \(r.users) users, \(r.items) items, \(r.interactions) user-item interactions")
            print(String(format: "full build + refresh: %.2f s (%@)", r.buildSeconds,
                         r.phases.sorted { $0.key < $1.key }.map { String(format: "%@ %.2f s", $0.key, $0.value) }.joined(separator: ", ")))
            print(String(format: "recommendation rows: %d; full refresh (score + COPY + swap): %.0f rows/s", r.rows, r.refreshRowsPerSecond))
            print(String(format: "plain binary COPY of the same rows: %.2f s, %.0f rows/s; refresh/plain ratio %.2f",
                         r.plainCopySeconds, r.plainCopyRowsPerSecond, r.refreshRowsPerSecond / r.plainCopyRowsPerSecond))
            print("real-time refresh, event INSERT → genre_refreshed NOTIFY (\(r.latencies.count) samples): "
                  + "p50 \(ms(r.percentile(0.5))), p95 \(ms(r.percentile(0.95))), p99 \(ms(r.percentile(0.99))), max \(ms(r.latencies.max() ?? .nan))")
            if searches > 0 {
                let p = { (q: Double) in ms(RefreshBenchmark.Result.percentile(r.searchLatencies, q)) }
                print(String(format: "embedded every item first: %.1f s", r.embedSeconds))
                print("cold start, a new user's search INSERT → their list holds content rows (\(r.searchLatencies.count) of \(searches) samples): "
                      + "p50 \(p(0.5)), p95 \(p(0.95)), max \(ms(r.searchLatencies.max() ?? .nan))")
            }
        }
    }
}
