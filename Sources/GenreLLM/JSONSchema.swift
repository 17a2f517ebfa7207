import GenreSupport

/// The shape a language model's structured answer must have: a small subset of JSON Schema that every provider
/// understands and that can be checked and repaired here without a schema library.
///
/// The subset is `type` (object, array, string, number, integer, boolean), `properties`, `required`,
/// `additionalProperties` (a boolean), `items`, `minItems`, `maxItems`, `maxLength` and `enum` (strings), plus the
/// annotations `description` and `title`, which constrain nothing and help the model. Anything else is refused
/// when the schema is made: a keyword we silently ignored would be a promise about the answer that nobody checks.
/// Keywords must also belong to their `type` (`maxLength` on an array is refused, not ignored), because a
/// constraint in the wrong place is nearly always a mistake that would otherwise go unnoticed.
public struct JSONSchema: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case object, array, string, number, integer, boolean
    }

    /// The schema as written, to send to a provider that enforces it itself.
    public let value: JSONValue
    public let type: Kind
    let properties: [String: JSONSchema]
    let required: [String]
    /// `additionalProperties: false`: members not in `properties` are not allowed.
    let closed: Bool
    /// Zero or one element: a struct cannot hold an optional of itself, but it can hold an array of itself.
    private let itemSchemas: [JSONSchema]
    var items: JSONSchema? { itemSchemas.first }
    let minItems: Int?
    let maxItems: Int?
    let maxLength: Int?
    /// The strings an `enum` allows, or nil when any string will do.
    let allowed: [String]?

    /// Reads `schema`, refusing anything outside the subset with the keyword and where it is.
    public init(_ schema: JSONValue) throws(Invalid) {
        try self.init(schema, at: .root)
    }

    /// The top-level properties in a stable order for prompts and tables: the required ones in the order
    /// `required` lists them, then the others sorted (JSON objects are unordered, so `properties` has none).
    public var propertyNames: [String] {
        required + properties.keys.filter { !required.contains($0) }.sorted()
    }

    /// Why a schema was refused: the keyword at fault (nil when the schema is not an object at all) and where it
    /// is in the schema.
    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public let path: String
        public let keyword: String?
        public let reason: String
        public var description: String { "\(path): \(reason)" }

        init(_ path: JSONPath, _ keyword: String?, _ reason: String) {
            (self.path, self.keyword, self.reason) = (path.description, keyword, reason)
        }
    }

    private static let annotations: Set = ["description", "title"]
    private static let keywords: [Kind: Set<String>] = [
        .object: ["properties", "required", "additionalProperties"],
        .array: ["items", "minItems", "maxItems"],
        .string: ["enum", "maxLength"],
        .number: [], .integer: [], .boolean: [],
    ]
    private static let allKeywords = keywords.values.reduce(annotations.union(["type"])) { $0.union($1) }

    private init(_ schema: JSONValue, at path: JSONPath) throws(Invalid) {
        guard let members = schema.object else {
            throw Invalid(path, nil, "a schema must be an object, got \(schema.json)")
        }
        if let unknown = members.keys.sorted().first(where: { !Self.allKeywords.contains($0) }) {
            throw Invalid(path, unknown, "unsupported keyword \"\(unknown)\"")
        }
        guard let typeValue = members["type"] else { throw Invalid(path, "type", "missing keyword \"type\"") }
        guard let type = typeValue.string.flatMap(Kind.init(rawValue:)) else {
            let names = Kind.allCases.map(\.rawValue).joined(separator: ", ")
            throw Invalid(path.member("type"), "type", "type must be one of \(names), got \(typeValue.json)")
        }
        let applicable = Self.keywords[type, default: []].union(Self.annotations).union(["type"])
        if let misplaced = members.keys.sorted().first(where: { !applicable.contains($0) }) {
            throw Invalid(path, misplaced, "keyword \"\(misplaced)\" does not apply to type \(type.rawValue)")
        }
        let reader = KeywordReader(members: members, path: path)

        var properties: [String: JSONSchema] = [:]
        for (name, property) in try reader.object("properties") ?? [:] {
            properties[name] = try JSONSchema(property, at: path.member("properties").member(name))
        }
        let required = try reader.strings("required") ?? []
        if let unknown = required.first(where: { properties[$0] == nil }) {
            throw Invalid(path.member("required"), "required", "\"\(unknown)\" is required but not in properties")
        }
        var itemSchemas: [JSONSchema] = []
        if let items = members["items"] { itemSchemas.append(try JSONSchema(items, at: path.member("items"))) }
        let (minItems, maxItems) = (try reader.count("minItems"), try reader.count("maxItems"))
        if let minItems, let maxItems, minItems > maxItems {
            throw Invalid(path, "minItems", "minItems \(minItems) is more than maxItems \(maxItems)")
        }
        let allowed = try reader.strings("enum")
        if allowed?.isEmpty == true { throw Invalid(path.member("enum"), "enum", "enum allows nothing") }

        self.value = schema
        self.type = type
        self.properties = properties
        self.required = required
        self.closed = try reader.bool("additionalProperties") == false
        self.itemSchemas = itemSchemas
        self.minItems = minItems
        self.maxItems = maxItems
        self.maxLength = try reader.count("maxLength")
        self.allowed = allowed
    }
}

/// Reads one keyword's value with the type the subset gives it, or refuses it naming the keyword.
private struct KeywordReader {
    let members: [String: JSONValue]
    let path: JSONPath

    func object(_ keyword: String) throws(JSONSchema.Invalid) -> [String: JSONValue]? {
        guard let value = members[keyword] else { return nil }
        guard let object = value.object else { throw refusal(keyword, "an object", value) }
        return object
    }

    func strings(_ keyword: String) throws(JSONSchema.Invalid) -> [String]? {
        guard let value = members[keyword] else { return nil }
        guard let strings = value.array?.compactMap(\.string), strings.count == value.array?.count else {
            throw refusal(keyword, "an array of strings", value)
        }
        return strings
    }

    func count(_ keyword: String) throws(JSONSchema.Invalid) -> Int? {
        guard let value = members[keyword] else { return nil }
        guard let n = value.number, n >= 0, n == n.rounded(), n <= Double(Int32.max) else {
            throw refusal(keyword, "a non-negative integer", value)
        }
        return Int(n)
    }

    func bool(_ keyword: String) throws(JSONSchema.Invalid) -> Bool? {
        guard let value = members[keyword] else { return nil }
        guard case .bool(let flag) = value else { throw refusal(keyword, "true or false", value) }
        return flag
    }

    private func refusal(_ keyword: String, _ expected: String, _ value: JSONValue) -> JSONSchema.Invalid {
        JSONSchema.Invalid(path.member(keyword), keyword, "\(keyword) must be \(expected), got \(value.json)")
    }
}
