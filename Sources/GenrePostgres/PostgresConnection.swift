import CLibPQ
#if canImport(Glibc)
import Glibc
#endif

/// One libpq connection, used from one thread at a time.
///
/// Every value goes to the server as a bound parameter. Errors become `PostgresError` with the SQLSTATE, and
/// a broken socket is reported as `.connectionLost` so callers can reconnect.
public final class PostgresConnection {
    let handle: OpaquePointer
    /// The URL with its password masked, for messages and logs.
    public let redactedURL: String
    /// Readable once the owner is stopping (the daemon's shutdown pipe): a statement still running
    /// `interruptGraceSeconds` later is cancelled on the server. See PostgresConnection+Interrupt.swift.
    public var interruptFD: Int32?
    public var interruptGraceSeconds = 1.0

    public init(url: String) throws {
        redactedURL = PostgresError.redact(url)
        guard let handle = PQconnectdb(url) else {
            throw PostgresError(kind: .connect, message: "libpq could not allocate a connection",
                                context: "connect to \(redactedURL)")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(handle)).trimmingTrailingNewlines
            PQfinish(handle)
            throw PostgresError(kind: .connect, message: message, context: "connect to \(redactedURL)")
        }
        self.handle = handle
        // Server notices (e.g. "relation already exists, skipping") would otherwise go to stderr.
        PQsetNoticeReceiver(handle, { _, _ in }, nil)
    }

    deinit { PQfinish(handle) }

    /// True while libpq believes the socket is usable.
    public var isHealthy: Bool { PQstatus(handle) == CONNECTION_OK }

    /// The server's backend process id, useful for tests that terminate a session on purpose.
    public var backendPID: Int32 { PQbackendPID(handle) }

    /// Runs one statement with bound parameters (`$1`, `$2` ...) and returns its rows.
    @discardableResult
    public func query(_ sql: String, _ parameters: [(any PostgresBindable)?] = [], context: String? = nil) throws -> QueryResult {
        let texts = parameters.map { $0?.postgresText }
        // libpq takes C strings: a NUL would silently cut the value short. PostgreSQL text cannot hold
        // U+0000 anyway, so refuse it by name instead of storing half a value.
        if let position = texts.firstIndex(where: { $0?.utf8.contains(0) == true }) {
            throw PostgresError(kind: .query, sqlState: "22021",
                                message: "parameter $\(position + 1) contains a NUL character (U+0000), which PostgreSQL text cannot store",
                                context: context ?? Self.summary(of: sql))
        }
        let context = context ?? Self.summary(of: sql)
        let sent = withCStringArray(texts) { values in
            // Without parameters the simple protocol runs several statements, as PQexec did.
            parameters.isEmpty ? PQsendQuery(handle, sql) : PQsendQueryParams(handle, sql, Int32(values.count), nil, values, nil, nil, 0)
        }
        guard sent == 1 else { throw makeError(nil, context: context) }
        let result = awaitResult(context: context)
        try check(result, expecting: [PGRES_COMMAND_OK, PGRES_TUPLES_OK], context: context)
        return QueryResult(result: result)
    }

    /// Runs `body` inside BEGIN/COMMIT, rolling back if it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try query("BEGIN")
        do {
            let value = try body()
            try query("COMMIT")
            return value
        } catch {
            if isHealthy { _ = try? query("ROLLBACK") }
            throw error
        }
    }

    /// Turns a finished `PGresult` into an error when its status is not one of `expecting`; frees it then.
    func check(_ result: OpaquePointer?, expecting: [ExecStatusType], context: String) throws {
        let status = result.map { PQresultStatus($0) } ?? PGRES_FATAL_ERROR
        if expecting.contains(status) { return }
        let error = makeError(result, context: context)
        if let result { PQclear(result) }
        throw error
    }

    func makeError(_ result: OpaquePointer?, kind: PostgresError.Kind = .query, context: String) -> PostgresError {
        func field(_ code: UInt8) -> String? {
            guard let result, let value = PQresultErrorField(result, Int32(code)) else { return nil }
            return String(cString: value)
        }
        let sqlState = field(UInt8(ascii: "C"))
        var message = field(UInt8(ascii: "M")) ?? String(cString: PQerrorMessage(handle)).trimmingTrailingNewlines
        if message.isEmpty { message = "no answer from the server" }
        let lost = PQstatus(handle) != CONNECTION_OK
        return PostgresError(kind: lost ? .connectionLost : kind, sqlState: sqlState, message: message,
                             detail: field(UInt8(ascii: "D")), hint: field(UInt8(ascii: "H")), context: context)
    }

    /// First line of a statement, shortened: enough to say which statement failed without logging values.
    static func summary(of sql: String) -> String {
        let firstLine = sql.split(whereSeparator: \.isNewline).first.map(String.init) ?? sql
        let trimmed = firstLine.trimmingCharacters(in: " \t")
        return trimmed.count > 80 ? String(trimmed.prefix(77)) + "..." : trimmed
    }
}

/// Calls `body` with a C array of C strings (NULL for nil) that stays valid for the duration of the call.
func withCStringArray<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let pointers: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0) } ?? nil }
    defer { pointers.forEach { free($0) } }
    return body(pointers.map { $0.map { UnsafePointer($0) } })
}

extension String {
    var trimmingTrailingNewlines: String {
        var text = self
        while text.last?.isNewline == true { text.removeLast() }
        return text
    }

    func trimmingCharacters(in set: String) -> String {
        let chars = Set(set)
        var slice = Substring(self)
        while let first = slice.first, chars.contains(first) { slice.removeFirst() }
        while let last = slice.last, chars.contains(last) { slice.removeLast() }
        return String(slice)
    }
}
