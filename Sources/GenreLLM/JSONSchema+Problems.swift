import GenreSupport

extension JSONSchema {
    /// Every way `value` breaks the schema, each with where it is ("$.topics[2]: expected a string, got 5");
    /// empty when the value conforms. All problems are listed, not just the first, so one log line or one
    /// follow-up prompt can ask the model to fix them all.
    public func problems(in value: JSONValue) -> [String] {
        var problems: [String] = []
        collectProblems(in: value, at: .root, into: &problems)
        return problems
    }

    private func collectProblems(in value: JSONValue, at path: JSONPath, into problems: inout [String]) {
        func report(_ problem: String) { problems.append("\(path): \(problem)") }

        switch (type, value) {
        case (.object, .object(let members)):
            for name in required where members[name] == nil {
                problems.append("\(path.member(name)): required property is missing")
            }
            for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                if let property = properties[name] {
                    property.collectProblems(in: member, at: path.member(name), into: &problems)
                } else if closed {
                    problems.append("\(path.member(name)): property is not allowed")
                }
            }
        case (.array, .array(let elements)):
            if let minItems, elements.count < minItems { report("expected at least \(Self.items(minItems)), got \(elements.count)") }
            if let maxItems, elements.count > maxItems { report("expected at most \(Self.items(maxItems)), got \(elements.count)") }
            for (index, element) in elements.enumerated() {
                items?.collectProblems(in: element, at: path.element(index), into: &problems)
            }
        case (.string, .string(let text)):
            let length = text.unicodeScalars.count
            if let maxLength, length > maxLength { report("expected at most \(maxLength) characters, got \(length)") }
            if let allowed, !allowed.contains(text) {
                report("expected one of \(allowed.map(JSONText.quote).joined(separator: ", ")), got \(Self.brief(value))")
            }
        case (.integer, .number(let n)) where n != n.rounded():
            report("expected an integer, got \(Self.brief(value))")
        case (.number, .number), (.integer, .number), (.boolean, .bool):
            break
        default:
            report("expected \(type.withArticle), got \(Self.brief(value))")
        }
    }

    private static func items(_ count: Int) -> String { count == 1 ? "1 item" : "\(count) items" }

    /// The offending value as JSON, shortened so that a runaway answer cannot flood the log; containers are
    /// only named, their problems are reported inside them.
    private static func brief(_ value: JSONValue) -> String {
        switch value {
        case .object: return "an object"
        case .array: return "an array"
        default:
            let text = value.json
            return text.count <= 40 ? text : text.prefix(40) + "…"
        }
    }
}

extension JSONSchema.Kind {
    var withArticle: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .integer: "an integer"
        case .boolean: "a boolean"
        }
    }
}
