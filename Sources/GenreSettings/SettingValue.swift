import Foundation
import GenreSupport

/// A setting's value as JSON: what genre.settings stores (jsonb) and what `--set key=value` gives.
public enum SettingValue: Sendable, Hashable, CustomStringConvertible {
    case number(Double)
    case bool(Bool)
    case string(String)
    case array([SettingValue])
    case object([String: SettingValue])

    /// Parses JSON text ('0.5', '"als"', 'true', '{"view": 1}'). Text that is not JSON reads as a string, so
    /// `--set collaborative.model=bpr` works from a shell.
    public static func parse(_ text: String) -> SettingValue {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let value = try? JSONDecoder().decode(SettingValue.self, from: Data(trimmed.utf8)) { return value }
        return .string(text)
    }

    /// Canonical JSON text: object keys sorted, integral numbers without a fraction, other numbers as the
    /// shortest text that reads back to the same Double.
    public var json: String {
        switch self {
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
    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
}

extension SettingValue: Decodable {
    /// Type-strict decoding: JSONDecoder never reads 1 as true, unlike JSONSerialization's NSNumber on Linux.
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let b = try? container.decode(Bool.self) { self = .bool(b) }
        else if let n = try? container.decode(Double.self) { self = .number(n) }
        else if let s = try? container.decode(String.self) { self = .string(s) }
        else if let a = try? container.decode([SettingValue].self) { self = .array(a) }
        else { self = .object(try container.decode([String: SettingValue].self)) }
    }
}
