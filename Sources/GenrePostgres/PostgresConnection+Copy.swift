import CLibPQ

extension PostgresConnection {
    /// Streams binary COPY data into `COPY ... FROM STDIN (FORMAT binary)`.
    ///
    /// `produce` appends rows to the encoder; whenever the buffer passes `flushBytes` it is sent and reused,
    /// so memory stays bounded however many rows are written. Returns the number of rows the server stored.
    @discardableResult
    public func copyIn(_ sql: String, flushBytes: Int = 1 << 20,
                       produce: (_ encoder: inout BinaryCopyEncoder, _ flush: (inout BinaryCopyEncoder) throws -> Void) throws -> Void) throws -> Int {
        let context = Self.summary(of: sql)
        let start = PQexec(handle, sql)
        try check(start, expecting: [PGRES_COPY_IN], context: context)
        PQclear(start)

        var encoder = BinaryCopyEncoder(capacity: flushBytes + 4096)
        let send: (inout BinaryCopyEncoder) throws -> Void = { encoder in
            guard encoder.bytes.count >= flushBytes else { return }
            try encoder.drain { try self.putCopyData($0, context: context) }
        }
        do {
            try produce(&encoder, send)
            encoder.finish()
            try encoder.drain { try putCopyData($0, context: context) }
        } catch {
            // Abort the COPY so the connection is usable again, then report the original error.
            PQputCopyEnd(handle, "aborted by client: \(error)")
            while let result = PQgetResult(handle) { PQclear(result) }
            throw error
        }
        guard PQputCopyEnd(handle, nil) == 1 else {
            throw makeError(nil, kind: .copy, context: context)
        }
        var rows = 0
        var failure: PostgresError?
        while let result = PQgetResult(handle) {
            if PQresultStatus(result) == PGRES_COMMAND_OK {
                rows = Int(String(cString: PQcmdTuples(result))) ?? 0
                PQclear(result)
            } else if failure == nil {
                failure = makeError(result, kind: .copy, context: context)
                PQclear(result)
            } else {
                PQclear(result)
            }
        }
        if let failure { throw failure }
        return rows
    }

    private func putCopyData(_ bytes: [UInt8], context: String) throws {
        let sent = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { PQputCopyData(handle, $0.baseAddress, Int32($0.count)) }
        }
        if sent != 1 { throw makeError(nil, kind: .copy, context: context) }
    }
}
