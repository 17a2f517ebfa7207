/// Setting values by key, with typed reads for the code that uses them. The values were validated against
/// their definitions (SettingDefinition.validate), so a read of the kind the catalogue declares cannot fail;
/// a read of another kind is a programming error in the reader and says so.
public struct SettingValues: Sendable, Equatable {
    public private(set) var byKey: [String: SettingValue]

    public init(_ entries: [(String, SettingValue)]) {
        byKey = Dictionary(entries, uniquingKeysWith: { $1 })
    }

    /// Validates `text` for `key` and stores its canonical value.
    public mutating func set(_ key: String, json text: String) throws {
        byKey[key] = try SettingsCatalogue.definition(key).parse(text)
    }

    /// Validates `value` for `key` and stores it.
    public mutating func set(_ key: String, _ value: SettingValue) throws {
        byKey[key] = try SettingsCatalogue.definition(key).validate(value)
    }

    public subscript(key: String) -> SettingValue? { byKey[key] }

    public func number(_ key: String) -> Double {
        guard case .number(let n)? = byKey[key] else { misread(key, "number") }
        return n
    }

    public func integer(_ key: String) -> Int { Int(number(key)) }

    public func boolean(_ key: String) -> Bool {
        guard case .bool(let b)? = byKey[key] else { misread(key, "boolean") }
        return b
    }

    public func string(_ key: String) -> String {
        guard case .string(let s)? = byKey[key] else { misread(key, "string") }
        return s
    }

    /// A weights setting as name: number.
    public func weights(_ key: String) -> [String: Double] {
        guard case .object(let entries)? = byKey[key] else { misread(key, "weights") }
        return entries.compactMapValues(\.number)
    }

    public func strings(_ key: String) -> [String] {
        guard case .array(let entries)? = byKey[key] else { misread(key, "array") }
        return entries.compactMap(\.string)
    }

    private func misread(_ key: String, _ kind: String) -> Never {
        preconditionFailure("setting \(key) read as a \(kind) but holds \(byKey[key]?.json ?? "nothing"): the reader and SettingsCatalogue disagree")
    }
}
