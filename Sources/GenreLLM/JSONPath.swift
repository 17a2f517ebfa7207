import GenreSupport

/// Where a value sits inside a JSON document, written the way people read it: `$.topics[2]`,
/// `$["first name"]`. Schema problems and schema refusals name places with it, so a log line says exactly which
/// part of a model's answer (or of a schema) is wrong.
struct JSONPath: Sendable, Equatable, CustomStringConvertible {
    private(set) var description = "$"

    static let root = JSONPath()

    func member(_ key: String) -> JSONPath {
        var path = self
        path.description += Self.isIdentifier(key) ? "." + key : "[" + JSONText.quote(key) + "]"
        return path
    }

    func element(_ index: Int) -> JSONPath {
        var path = self
        path.description += "[\(index)]"
        return path
    }

    /// Keys made of ASCII letters, digits and underscores (not starting with a digit) read well after a dot;
    /// anything else is quoted in brackets so the path stays unambiguous.
    private static func isIdentifier(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return key.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
    }
}
