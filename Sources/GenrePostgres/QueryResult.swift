import CLibPQ
#if canImport(Glibc)
import Glibc
#endif

/// The rows of one statement, read lazily from libpq's result (text format).
///
/// Owns the `PGresult` and frees it on deinit. Accessors return nil for SQL NULL and throw `.decode` when a
/// value cannot be read as the type asked for.
public final class QueryResult {
    private let result: OpaquePointer?

    init(result: OpaquePointer?) { self.result = result }
    deinit { if let result { PQclear(result) } }

    public var rowCount: Int { result.map { Int(PQntuples($0)) } ?? 0 }
    public var columnCount: Int { result.map { Int(PQnfields($0)) } ?? 0 }

    /// Rows changed by INSERT/UPDATE/DELETE (0 when not reported).
    public var affectedRows: Int {
        guard let result, let text = PQcmdTuples(result) else { return 0 }
        return Int(String(cString: text)) ?? 0
    }

    public func columnName(_ column: Int) -> String {
        guard let result, let name = PQfname(result, Int32(column)) else { return "" }
        return String(cString: name)
    }

    public func isNull(_ row: Int, _ column: Int) -> Bool {
        guard let result else { return true }
        return PQgetisnull(result, Int32(row), Int32(column)) == 1
    }

    public func string(_ row: Int, _ column: Int) -> String? {
        guard let result, !isNull(row, column), let value = PQgetvalue(result, Int32(row), Int32(column)) else {
            return nil
        }
        return String(cString: value)
    }

    public func int(_ row: Int, _ column: Int) throws -> Int? {
        guard let text = string(row, column) else { return nil }
        guard let value = Int(text) else { throw decodeError(text, "an integer", column) }
        return value
    }

    public func double(_ row: Int, _ column: Int) throws -> Double? {
        guard let text = string(row, column) else { return nil }
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default:
            guard let value = Double(text) else { throw decodeError(text, "a number", column) }
            return value
        }
    }

    public func bool(_ row: Int, _ column: Int) throws -> Bool? {
        guard let text = string(row, column) else { return nil }
        switch text {
        case "t", "true": return true
        case "f", "false": return false
        default: throw decodeError(text, "a boolean", column)
        }
    }

    /// Calls `body` with the C string of each non-null value in `column`, without copying it into a String.
    /// Used by bulk readers (model builds) where millions of small Strings would dominate the time.
    public func withCString<T>(_ row: Int, _ column: Int, _ body: (UnsafePointer<CChar>) throws -> T) rethrows -> T? {
        guard let result, !isNull(row, column), let value = PQgetvalue(result, Int32(row), Int32(column)) else {
            return nil
        }
        return try body(value)
    }

    /// A `real[]` / `float8[]` value ("{0.1,-2e-05,...}") of exactly `count` elements, parsed in place with
    /// strtof (embeddings are read by the thousand); nil for NULL, a malformed value or another length.
    public func floats(_ row: Int, _ column: Int, count: Int) -> [Float]? {
        withCString(row, column) { Self.parseFloatArray($0, count: count) } ?? nil
    }

    static func parseFloatArray(_ text: UnsafePointer<CChar>, count: Int) -> [Float]? {
        guard text.pointee == CChar(UInt8(ascii: "{")) else { return nil }
        var values = [Float]()
        values.reserveCapacity(count)
        var cursor = text + 1
        while cursor.pointee != 0 && cursor.pointee != CChar(UInt8(ascii: "}")) {
            var end: UnsafeMutablePointer<CChar>?
            let value = strtof(cursor, &end)
            guard let end, end != UnsafeMutablePointer(mutating: cursor), values.count < count else { return nil }
            values.append(value)
            cursor = UnsafePointer(end)
            if cursor.pointee == CChar(UInt8(ascii: ",")) { cursor += 1 }
        }
        return values.count == count ? values : nil
    }

    /// A `bytea` value (the server's hex text form, "\\x0a1b…"), decoded; nil for NULL.
    public func bytes(_ row: Int, _ column: Int) throws -> [UInt8]? {
        guard let result, !isNull(row, column), let value = PQgetvalue(result, Int32(row), Int32(column)) else { return nil }
        let length = Int(PQgetlength(result, Int32(row), Int32(column)))
        return try value.withMemoryRebound(to: UInt8.self, capacity: length) { text in
            guard length >= 2, length % 2 == 0, text[0] == UInt8(ascii: "\\"), text[1] == UInt8(ascii: "x") else {
                throw decodeError(String(cString: value), "bytea in hex form", column)
            }
            func nibble(_ c: UInt8) throws -> UInt8 {
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
                default: throw decodeError(String(UnicodeScalar(c)), "a hex digit", column)
                }
            }
            var out = [UInt8](repeating: 0, count: (length - 2) / 2)
            for index in out.indices { out[index] = try nibble(text[2 + 2 * index]) << 4 | nibble(text[3 + 2 * index]) }
            return out
        }
    }

    private func decodeError(_ text: String, _ expected: String, _ column: Int) -> PostgresError {
        PostgresError(kind: .decode, message: "column \(columnName(column)) holds \(text.prefix(40)), not \(expected)")
    }
}
