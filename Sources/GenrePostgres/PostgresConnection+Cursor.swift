import CLibPQ

extension PostgresConnection {
    /// Runs a query through a cursor and hands its rows over `batchSize` at a time, so reading a whole table
    /// (a build's interactions, every item vector) never holds more than one batch of result text in memory.
    /// Runs inside the caller's transaction (its snapshot) or, outside one, in its own.
    public func forEachBatch(_ sql: String, _ parameters: [(any PostgresBindable)?] = [], batchSize: Int = 20_000,
                             context: String? = nil, _ body: (QueryResult) throws -> Void) throws {
        let context = context ?? Self.summary(of: sql)
        let ownTransaction = PQtransactionStatus(handle) == PQTRANS_IDLE
        if ownTransaction { try query("BEGIN READ ONLY") }
        do {
            try query("DECLARE genre_batch NO SCROLL CURSOR FOR \(sql)", parameters, context: context)
            while true {
                let batch = try query("FETCH FORWARD \(max(1, batchSize)) FROM genre_batch", context: context)
                if batch.rowCount == 0 { break }
                try body(batch)
            }
            try query("CLOSE genre_batch", context: context)
            if ownTransaction { try query("COMMIT") }
        } catch {
            if ownTransaction && isHealthy { _ = try? query("ROLLBACK") }
            throw error
        }
    }
}
