import Foundation
import GenrePostgres

/// Replaces a whole result table: a fresh staging partition, filled by binary COPY, swapped in atomically
/// by genre._publish_generation.
enum ResultWriter {
    enum Result: String {
        case recommendations, itemNeighbors = "item_neighbors", popularItems = "popular_items", itemFactors = "item_factors"
    }

    struct Outcome {
        var rows: Int
        /// Seconds spent streaming rows (producing them included) and publishing (index + swap).
        var copySeconds: Double
        var publishSeconds: Double
    }

    /// Writes a new generation of `result`, filled by `produce`, and publishes it.
    /// For recommendations, `completing` lists the queued users (and versions) the new rows reflect.
    /// `beforePublish` and `afterPublish` run in the publishing transaction, so what they write becomes
    /// visible together with the new rows: never a record of rows not published yet, nor the reverse.
    @discardableResult
    static func replace(_ result: Result, columns: String, carrySince: String? = nil,
                        completing queue: [(user: String, version: Int)] = [], on connection: PostgresConnection,
                        beforePublish: (_ generation: Int64) throws -> Void = { _ in },
                        afterPublish: (_ outcome: Outcome) throws -> Void = { _ in },
                        produce: (_ generation: Int64, _ stream: CopyStream) throws -> Void) throws -> Outcome {
        let prepared = try connection.query("SELECT table_name, generation FROM genre._prepare_generation($1)", [result.rawValue])
        guard let table = prepared.string(0, 0), let generation = try prepared.int(0, 1),
              table.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
            throw PostgresError(kind: .decode, message: "genre._prepare_generation returned no usable table", context: "write \(result.rawValue)")
        }
        let copyStart = Date()
        try connection.copyIn("COPY genre.\(table) (\(columns)) FROM STDIN (FORMAT binary)") { stream in
            try produce(Int64(generation), stream)
        }
        let publishStart = Date()
        return try connection.transaction {
            try beforePublish(Int64(generation))
            let published = try connection.query("SELECT genre._publish_generation($1, $2, $3::timestamptz, $4::text[], $5::bigint[])",
                                                  [result.rawValue, generation, carrySince, queue.map(\.user),
                                                   "{" + queue.map { String($0.version) }.joined(separator: ",") + "}"])
            let outcome = Outcome(rows: try published.int(0, 0) ?? 0, copySeconds: publishStart.timeIntervalSince(copyStart),
                                  publishSeconds: Date().timeIntervalSince(publishStart))
            try afterPublish(outcome)
            return outcome
        }
    }
}
