import ArgumentParser
import Foundation
import GenreBench
import GenreDaemon
import GenrePostgres
import GenreSchema

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmarks; see docs/BENCHMARKS.md.", subcommands: [BenchRefresh.self, BenchLoad.self, BenchEmbed.self, BenchCollaborative.self])
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

struct BenchLoad: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "A steady event stream against a running daemon; event → recommendation freshness p50/p95/p99.",
        discussion: """
            Run `genre run` on the same database first (scripts/bench/load.sh does it all, with pgbench measuring             genre.recommend() beside a primary-key read). Events come from the database's own users and items;             probes are new users' first events, timed from INSERT to the daemon's NOTIFY genre_refreshed.
            """)
    @OptionGroup var database: DatabaseOptions
    @Option(help: "Events per second.") var rate = 500
    @Option(help: "How long to keep it up.") var seconds = 60.0
    @Option(help: "Probe events per second (part of the rate).") var probes = 10
    @Option(help: "Write the figures as JSON here.") var json: String?

    func run() throws {
        try runReportingErrors {
            let url = try database.resolvedURL()
            let r = try LoadBenchmark(databaseURL: url, rate: rate, seconds: seconds, probesPerSecond: probes).run()
            let p = { (q: Double) in RefreshBenchmark.Result.percentile(r.freshness, q) * 1000 }
            print(String(format: "sustained %.1f events/s for %.1f s (%d events); users queued: max %d, at the end %d",
                         r.eventsPerSecond, r.seconds, r.events, r.maxQueuedUsers, r.queuedAtEnd))
            print(String(format: "freshness, event INSERT → list rewritten (NOTIFY), %d of %d probes: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms",
                         r.freshness.count, r.probes, p(0.5), p(0.95), p(0.99), (r.freshness.max() ?? .nan) * 1000))
            if let json {
                let text = String(format: "{\"events_per_second\":%.2f,\"seconds\":%.2f,\"events\":%d,\"probes\":%d,\"probes_answered\":%d,"
                                  + "\"freshness_ms\":{\"p50\":%.2f,\"p95\":%.2f,\"p99\":%.2f,\"max\":%.2f},\"max_queued_users\":%d,\"queued_at_end\":%d}\n",
                                  r.eventsPerSecond, r.seconds, r.events, r.probes, r.freshness.count, p(0.5), p(0.95), p(0.99),
                                  (r.freshness.max() ?? .nan) * 1000, r.maxQueuedUsers, r.queuedAtEnd)
                try Data(text.utf8).write(to: URL(fileURLWithPath: json))
            }
        }
    }
}
