import Foundation
import GenreSupport

/// One setting GENRE understands: its key, type, default, what values it takes, what a change requires and
/// what it means. SettingsCatalogue lists them all; the database's genre.setting_definitions, the Swift
/// settings types and docs/SETTINGS.md are all made from that list.
public struct SettingDefinition: Sendable {
    public enum Kind: String, Sendable {
        case number, integer, boolean, text, template
        case enumeration = "enum"
        /// A JSON object of name: number.
        case weights
        /// A JSON array of event types (names in event.weights).
        case eventTypes = "event_types"
        /// The name of a row in genre.providers ("" = none); SQL checks it exists.
        case provider
        /// A JSON schema of an object, for a language model's answer (GenreLLM.JSONSchema checks it fully).
        case jsonSchema = "json_schema"
    }

    /// What a daemon must redo when the value changes (shown to users; the model fingerprint covers
    /// everything but `nothing`).
    public enum Requires: String, Sendable {
        case nothing, rerank, rebuild
    }

    /// Which code reads the value: the model settings (also `genre eval`), the daemon's own schedules and
    /// queues, or SQL alone.
    public enum Reader: Sendable {
        case model, daemon, database
    }

    public var key: String
    public var kind: Kind
    public var defaultValue: SettingValue
    /// Numbers, and each weight of a weights setting.
    public var range: ClosedRange<Double>?
    /// Enum values, or the only names a weights setting takes.
    public var allowed: [String]?
    /// A regular expression every name of a weights setting must match (event types become identifiers).
    public var namePattern: String?
    public var requires: Requires
    public var reader: Reader
    /// Whether a scenario (genre.set_scenario) may override it: the keys that shape lists, not models.
    public var scenario: Bool
    public var description: String

    /// Keeps catalogue entries short: only what differs from "no range, no allowed names, not a scenario key".
    public init(key: String, kind: Kind, defaultValue: SettingValue, range: ClosedRange<Double>? = nil, allowed: [String]? = nil,
         namePattern: String? = nil, requires: Requires, reader: Reader, scenario: Bool = false, description: String) {
        self.key = key
        self.kind = kind
        self.defaultValue = defaultValue
        self.range = range
        self.allowed = allowed
        self.namePattern = namePattern
        self.requires = requires
        self.reader = reader
        self.scenario = scenario
        self.description = description
    }

    /// Values longer than this (as text) are refused.
    public static let maxTextLength = 10_000

    /// Validates a value given as text (as `--set` or genre.set receives it) and returns its canonical form,
    /// by the rules SQL's genre._parse_setting applies (a test runs both on the same inputs).
    public func parse(_ text: String) throws -> SettingValue {
        guard text.count <= Self.maxTextLength else {
            throw SettingError.invalidValue(key: key, expected: "at most \(Self.maxTextLength) characters", got: "\(text.count) characters")
        }
        return try validate(SettingValue.parse(text), text: text)
    }

    /// Validates a decoded value (a stored jsonb value, a default).
    public func validate(_ value: SettingValue, text: String? = nil) throws -> SettingValue {
        let got = text ?? value.json
        func fail(_ expected: String) -> SettingError { .invalidValue(key: key, expected: expected, got: got) }
        switch kind {
        case .number, .integer:
            return .number(try number(value, name: key, got: got))
        case .boolean:
            switch value {
            case .bool(let b): return .bool(b)
            case .number(1): return .bool(true)
            case .number(0): return .bool(false)
            case .string(let s):
                switch s.trimmingCharacters(in: .whitespaces).lowercased() {
                case "true", "t", "on", "yes", "1": return .bool(true)
                case "false", "f", "off", "no", "0": return .bool(false)
                default: break
                }
            default: break
            }
            throw fail("true or false")
        case .text, .template:
            return .string(value.string ?? value.json)
        case .provider:
            let name = (value.string ?? value.json).trimmingCharacters(in: .whitespaces)
            guard name.isEmpty || name.range(of: "^[a-z][a-z0-9_-]{0,62}$", options: .regularExpression) != nil else {
                throw fail("the name of a provider, or \"\" for none")
            }
            return .string(name)
        case .jsonSchema:
            let schema = value.string.flatMap(JSONValue.strict) ?? value
            guard schema["type"]?.string == "object", schema["properties"]?.object != nil else {
                throw fail("a JSON schema of an object: {\"type\": \"object\", \"properties\": {...}}")
            }
            return schema
        case .enumeration:
            guard let s = value.string, allowed?.contains(s) == true else { throw fail("one of \((allowed ?? []).joined(separator: ", "))") }
            return value
        case .weights:
            guard case .object(let entries) = value else { throw fail("a JSON object of name: number") }
            var out: [String: SettingValue] = [:]
            for (name, weight) in entries {
                if let pattern = namePattern, name.range(of: "^(\(pattern))$", options: .regularExpression) == nil {
                    throw fail("names matching \(pattern) (not \"\(name.prefix(100))\")")
                }
                guard !name.trimmingCharacters(in: .whitespaces).isEmpty, name.count <= 256 else { throw fail("names of 1 to 256 characters") }
                if let allowed, !allowed.contains(name) {
                    throw fail("weights named among \(allowed.joined(separator: ", ")) (not \"\(name.prefix(100))\")")
                }
                out[name] = .number(try number(weight, name: "\(key).\(name)", got: got))
            }
            if allowed != nil, !out.values.contains(where: { ($0.number ?? 0) > 0 }) { throw fail("weights with at least one above 0") }
            return .object(out)
        case .eventTypes:
            guard case .array(let entries) = value, !entries.isEmpty else { throw fail("a non-empty JSON array of event types") }
            var seen: [String] = []
            for entry in entries {
                guard let name = entry.string else { throw fail("event types as strings") }
                if !seen.contains(name) { seen.append(name) }
            }
            return .array(seen.map(SettingValue.string))
        }
    }

    /// A finite number (or a string holding one), an integer where the kind says so, within the range.
    private func number(_ value: SettingValue, name: String, got: String) throws -> Double {
        let range = self.range.map { " between \(Self.format($0.lowerBound)) and \(Self.format($0.upperBound))" } ?? ""
        let expected = (kind == .integer ? "an integer" : "a number") + range
        let n: Double?
        switch value {
        case .number(let x): n = x
        case .string(let s): n = Self.decimal(s.trimmingCharacters(in: .whitespaces))
        default: n = nil
        }
        guard let n, n.isFinite, kind != .integer || n == n.rounded(), self.range?.contains(n) ?? true else {
            throw SettingError.invalidValue(key: name, expected: expected, got: got)
        }
        return n
    }

    /// A number written in decimal as PostgreSQL's numeric reads it ("7", "-0.5", ".5", "1e-6"); not the
    /// hexadecimal, "inf" or "nan" spellings Double(String) would also take.
    static func decimal(_ text: String) -> Double? {
        guard text.range(of: #"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"#, options: .regularExpression) != nil else { return nil }
        return Double(text)
    }

    /// A bound as people write it: 36500, 0.01.
    public static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }
}

public enum SettingError: Error, Equatable, CustomStringConvertible {
    case unknownKey(String)
    case invalidValue(key: String, expected: String, got: String)

    public var description: String {
        switch self {
        case .unknownKey(let key):
            return "unknown setting \"\(key)\" (see docs/SETTINGS.md for the keys)"
        case .invalidValue(let key, let expected, let got):
            return "setting \"\(key)\" must be \(expected), got \(got.prefix(100))"
        }
    }
}
