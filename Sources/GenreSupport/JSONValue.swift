import Foundation

/// A JSON value: a setting (what genre.settings stores and `--set key=value` gives), a language model's
/// answer, a schema. Decoded type-strictly (see `init(from:)`).
public enum JSONValue: Sendable, Hashable, CustomStringConvertible {
    case null
    case number(Double)
    case bool(Bool)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses JSON text ('0.5', '"als"', 'true', '{"view": 1}'). Text that is not JSON reads as a string, so
    /// `--set collaborative.model=bpr` works from a shell.
    public static func parse(_ text: String) -> JSONValue {
        strict(text) ?? .string(text)
    }

    /// Parses JSON text, or nil when it is not JSON.
    public static func strict(_ text: String) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(text.trimmingCharacters(in: .whitespacesAndNewlines).utf8))
    }

    /// Canonical JSON text: object keys sorted, integral numbers without a fraction, other numbers as the
    /// shortest text that reads back to the same Double.
    public var json: String {
        switch self {
        case .null: return "null"
        case .number(let n):
            if n == n.rounded(), abs(n) < 1e15 { return String(Int64(n)) }
            return n.isFinite ? "\(n)" : "null"
        case .bool(let b): return b ? "true" : "false"
        case .string(let s): return JSONText.quote(s)
        case .array(let values): return "[" + values.map(\.json).joined(separator: ", ") + "]"
        case .object(let entries):
            return "{" + entries.sorted { $0.key < $1.key }.map { "\(JSONText.quote($0.key)): \($0.value.json)" }
                .joined(separator: ", ") + "}"
        }
    }

    public var description: String { json }

    public var number: Double? { if case .number(let n) = self { return n } else { return nil } }
    /// A whole number that fits an Int (nil for 1.5, 1e20, NaN or anything else): never traps on what a
    /// remote party sent.
    public var integer: Int? { number.flatMap { Int(exactly: $0) } }
    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
    public var array: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    public var object: [String: JSONValue]? { if case .object(let o) = self { return o } else { return nil } }

    /// A member of an object (nil for anything else or a missing key).
    public subscript(key: String) -> JSONValue? { object?[key] }
}

extension JSONValue: Decodable {
    /// Type-strict decoding: JSONDecoder never reads 1 as true, unlike JSONSerialization's NSNumber on Linux.
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let b = try? container.decode(Bool.self) { self = .bool(b) }
        else if let n = try? container.decode(Double.self) { self = .number(n) }
        else if let s = try? container.decode(String.self) { self = .string(s) }
        else if let a = try? container.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }
}
