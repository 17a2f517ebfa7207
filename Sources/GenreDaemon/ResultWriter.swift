import Foundation
import GenrePostgres

/// Replaces whole result tables: each new generation is staged (a fresh partition filled by binary COPY and
/// indexed), and a build then publishes all of its generations together with its record, in one
/// transaction (genre._publish_generation per table), so a reader sees every table of the old build or
/// every table of the new one, and never lists of a build that is not recorded yet.
enum ResultWriter {
    enum Result: String {
        case recommendations, itemNeighbors = "item_neighbors", popularItems = "popular_items", itemFactors = "item_factors"
    }

    /// A filled, indexed staging partition, not yet visible to readers.
    struct Staged {
        var result: Result
        var generation: Int64
        var rows: Int
        /// Seconds spent streaming rows (producing them included).
        var copySeconds: Double
        /// For recommendations: real-time rows newer than this are kept instead of the staged ones, and
        /// `queue` lists the queued users (and versions) the staged rows reflect.
        var carrySince: String?
        var queue: [(user: String, version: Int)]
    }

    /// Stages a new generation of `result`, filled by `produce`.
    static func stage(_ result: Result, columns: String, carrySince: String? = nil,
                      completing queue: [(user: String, version: Int)] = [], on connection: PostgresConnection,
                      produce: (_ generation: Int64, _ stream: CopyStream) throws -> Void) throws -> Staged {
        let prepared = try connection.query("SELECT table_name, generation FROM genre._prepare_generation($1)", [result.rawValue])
        guard let table = prepared.string(0, 0), let generation = try prepared.int(0, 1),
              table.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
            throw PostgresError(kind: .decode, message: "genre._prepare_generation returned no usable table", context: "write \(result.rawValue)")
        }
        let copyStart = Date()
        let rows = try connection.copyIn("COPY genre.\(table) (\(columns)) FROM STDIN (FORMAT binary)") { stream in
            try produce(Int64(generation), stream)
        }
        try connection.query("SELECT genre._index_generation($1, $2)", [result.rawValue, generation])
        return Staged(result: result, generation: Int64(generation), rows: rows, copySeconds: Date().timeIntervalSince(copyStart),
                      carrySince: carrySince, queue: queue)
    }

    /// Swaps a staged generation in; call inside the build's publishing transaction. Returns the live rows.
    @discardableResult
    static func publish(_ staged: Staged, on connection: PostgresConnection) throws -> Int {
        let published = try connection.query("SELECT genre._publish_generation($1, $2, $3::timestamptz, $4::text[], $5::bigint[])",
                                              [staged.result.rawValue, Int(staged.generation), staged.carrySince, staged.queue.map(\.user),
                                               "{" + staged.queue.map { String($0.version) }.joined(separator: ",") + "}"])
        return try published.int(0, 0) ?? 0
    }
}
