import CLibPQ

/// The sending side of one `COPY ... FROM STDIN (FORMAT binary)`: rows go into `encoder`, and
/// `flushIfFull()` ships the buffer once it passes the flush size, so memory stays bounded however many
/// rows are written.
public final class CopyStream {
    public var encoder: BinaryCopyEncoder
    let connection: PostgresConnection
    let flushBytes: Int
    let context: String

    init(connection: PostgresConnection, flushBytes: Int, context: String) {
        self.connection = connection
        self.flushBytes = flushBytes
        self.context = context
        encoder = BinaryCopyEncoder(capacity: flushBytes + 4096)
    }

    public func flushIfFull() throws {
        if encoder.bytes.count >= flushBytes { try flush() }
    }

    /// Sends rows encoded elsewhere (by a `BinaryCopyEncoder(header: false)`), after what is buffered here.
    public func send(rows: [UInt8]) throws {
        try flush()
        try connection.putCopyData(rows, context: context)
    }

    func flush() throws {
        try encoder.drain { try connection.putCopyData($0, context: context) }
    }
}

extension PostgresConnection {
    /// Streams binary COPY data into `COPY ... FROM STDIN (FORMAT binary)`; returns the rows the server
    /// stored. If `produce` throws, the COPY is aborted (nothing is stored) and the error is rethrown.
    @discardableResult
    public func copyIn(_ sql: String, flushBytes: Int = 1 << 20, produce: (CopyStream) throws -> Void) throws -> Int {
        let context = Self.summary(of: sql)
        guard PQsendQuery(handle, sql) == 1 else { throw makeError(nil, kind: .copy, context: context) }
        let start = awaitResult(context: context)
        try check(start, expecting: [PGRES_COPY_IN], context: context)
        PQclear(start)

        let stream = CopyStream(connection: self, flushBytes: flushBytes, context: context)
        do {
            try produce(stream)
            stream.encoder.finish()
            try stream.flush()
        } catch {
            // Abort the COPY so the connection is usable again, then report the original error.
            PQputCopyEnd(handle, "aborted by client")
            while let result = PQgetResult(handle) { PQclear(result) }
            throw error
        }
        guard PQputCopyEnd(handle, nil) == 1 else {
            throw makeError(nil, kind: .copy, context: context)
        }
        let end = awaitResult(context: context)
        let status = end.map { PQresultStatus($0) } ?? PGRES_FATAL_ERROR
        guard status == PGRES_COMMAND_OK, let end else {
            let failure = makeError(end, kind: .copy, context: context)
            if let end { PQclear(end) }
            throw failure
        }
        let rows = Int(String(cString: PQcmdTuples(end))) ?? 0
        PQclear(end)
        return rows
    }

    func putCopyData(_ bytes: [UInt8], context: String) throws {
        let sent = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { PQputCopyData(handle, $0.baseAddress, Int32($0.count)) }
        }
        if sent != 1 { throw makeError(nil, kind: .copy, context: context) }
    }
}
