import Foundation
import GenreSupport

extension JSONSchema {
    /// `value` with the slips small models make fixed, where the fix cannot change what the model meant:
    ///
    /// - a string where an array of strings is expected is split on commas, semicolons and newlines
    ///   (`"sci-fi, space opera"` → `["sci-fi", "space opera"]`), parts trimmed, empty parts dropped;
    /// - a one-element array of a string where a string is expected becomes that string;
    /// - a number written as a string (`"5"`) where a number is expected becomes the number (JSON's number
    ///   syntax only, and an integer only when it is whole: `"2.5"` stays a string where an integer is expected);
    /// - arrays longer than `maxItems` keep their first `maxItems` elements;
    /// - strings longer than `maxLength` are cut at the last word boundary that fits;
    /// - member names that differ from a property's only in case are renamed (`"Summary"` → `"summary"`);
    /// - members that are not properties are dropped when `additionalProperties` is false.
    ///
    /// Nothing is invented: a missing or null required value stays missing or null, and anything else that is
    /// wrong stays wrong, for `problems(in:)` to report.
    public func repair(_ value: JSONValue) -> JSONValue {
        switch (type, value) {
        case (.object, .object(let members)):
            return .object(repairedMembers(members))
        case (.array, .string(let text)) where items?.type == .string:
            return repair(.array(Self.listItems(in: text).map(JSONValue.string)))
        case (.array, .array(let elements)):
            let repaired = elements.map { items?.repair($0) ?? $0 }
            return .array(maxItems.map { Array(repaired.prefix($0)) } ?? repaired)
        case (.string, .array(let elements)) where elements.count == 1 && elements[0].string != nil:
            return repair(elements[0])
        case (.string, .string(let text)):
            return .string(maxLength.map { Self.cut(text, toAtMost: $0) } ?? text)
        case (.number, .string(let text)), (.integer, .string(let text)):
            guard case .number(let n)? = JSONValue.strict(text), n.isFinite, type == .number || n == n.rounded() else {
                return value
            }
            return .number(n)
        default:
            return value
        }
    }

    /// Properties spelt exactly are taken first, so a correctly spelt member wins over a differently cased
    /// duplicate; the other members are matched to a still-missing property ignoring case, else kept or dropped.
    private func repairedMembers(_ members: [String: JSONValue]) -> [String: JSONValue] {
        var repaired: [String: JSONValue] = [:]
        for (name, property) in properties {
            if let member = members[name] { repaired[name] = property.repair(member) }
        }
        for (key, member) in members.sorted(by: { $0.key < $1.key }) where properties[key] == nil {
            let name = properties.keys.sorted().first { repaired[$0] == nil && $0.lowercased() == key.lowercased() }
            if let name, let property = properties[name] {
                repaired[name] = property.repair(member)
            } else if !closed {
                repaired[key] = member
            }
        }
        return repaired
    }

    /// The items of a list a model wrote as one string: "a, b; c\nd".
    private static func listItems(in text: String) -> [String] {
        text.split(whereSeparator: { $0 == "," || $0 == ";" || $0.isNewline })
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }

    /// `text` shortened to at most `limit` Unicode scalars (JSON Schema's measure of length), ending at a word
    /// boundary so that no word is left half-written; a text whose first word alone is too long is cut inside
    /// it. Whole characters are kept (an emoji or an accented letter is never split), and trailing spaces and
    /// separators are dropped.
    private static func cut(_ text: String, toAtMost limit: Int) -> String {
        guard text.unicodeScalars.count > limit else { return text }
        var end = text.startIndex
        var length = 0
        for character in text {
            length += character.unicodeScalars.count
            if length > limit { break }
            end = text.index(after: end)
        }
        var kept = text[..<end]
        let cutInsideAWord = end < text.endIndex && !text[end].isWhitespace
        if cutInsideAWord, let space = kept.lastIndex(where: \.isWhitespace) {
            let wholeWords = kept[..<space]
            if wholeWords.contains(where: { !$0.isWhitespace }) { kept = wholeWords }
        }
        while let last = kept.last, last.isWhitespace || ",;:".contains(last) { kept = kept.dropLast() }
        return String(kept)
    }
}
