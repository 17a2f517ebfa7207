import Foundation
import GenreSupport

/// Grounded explanations: a model rewrites a list row's facts (its anchors, the closest search or profile
/// interest, popularity, shares) as one sentence for the person. The sentence may use those facts only: one
/// that quotes anything the facts do not hold, names a catalogue title the facts do not name, or uses a
/// capitalised name the facts do not contain (an invented company, person or place) is rejected (the
/// template sentence stays), so a model can make the reason friendlier but not invent one. What it cannot
/// catch: an invented detail in lower-case words ("a recent release").
public struct GroundedExplanation: Sendable {
    public let maxTokens: Int
    public static let maxLength = 240
    public let schemaJSON: JSONValue = .object([
        "type": .string("object"), "additionalProperties": .bool(false), "required": .array([.string("sentence")]),
        "properties": .object(["sentence": .object(["type": .string("string"), "maxLength": .number(Double(maxLength))])]),
    ])
    public let schema: JSONSchema

    public init(maxTokens: Int = 96) {
        self.maxTokens = maxTokens
        // Built from known parts above: it always parses.
        schema = try! JSONSchema(schemaJSON)
    }

    public var instructions: String {
        """
        You explain to a person, in one short friendly sentence addressed to them ("you"), why an item is \
        recommended to them. Use only the facts given: do not mention any other title, person, search or \
        reason, and do not make up details about the item. Answer with one JSON object only, matching this \
        JSON schema: \(schemaJSON.json)
        """
    }

    public var promptHash: String {
        SHA256.hex(of: Array("\(instructions)\nmax_tokens=\(maxTokens)".utf8))
    }

    public func run(_ client: ProviderClient, facts: String) throws -> StructuredAnswer {
        try StructuredAnswer.ask(client, system: instructions, user: facts, schema: schema, schemaJSON: schemaJSON, maxTokens: maxTokens)
    }

    /// The sentence in a validated answer (trimmed), or nil when it is blank.
    public func sentence(from answer: JSONValue) -> String? {
        guard let text = answer["sentence"]?.string?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        return text
    }

    /// Why a sentence is not grounded in the facts, or nil when it is. `mentionedTitles`: the catalogue titles
    /// found in the sentence (normalised with `titleKey`); each must belong to a name the facts allow.
    public static func problem(sentence: String, facts: String, names: [String], mentionedTitles: [String]) -> String? {
        let lowerFacts = facts.lowercased()
        for quote in quotations(in: sentence) where !lowerFacts.contains(quote.lowercased()) {
            return "it quotes \"\(quote)\", which is not in the facts"
        }
        let allowed = names.map(titleKey)
        let lowerSentence = sentence.lowercased()
        for title in mentionedTitles where containsWord(lowerSentence, title) {
            if !allowed.contains(where: { containsWord($0, title) }) { return "it names \"\(title)\", which is not in the facts" }
        }
        if let name = unknownProperName(in: sentence, facts: lowerFacts) { return "it names \"\(name)\", which is not in the facts" }
        return nil
    }

    /// A title as the check compares it: lower case, a trailing year in parentheses left out ("Heat (1995)" →
    /// "heat"); the same rule as genre._titles_in.
    public static func titleKey(_ title: String) -> String {
        var key = title.trimmingCharacters(in: .whitespaces)
        if let range = key.range(of: #"\s*\(\d{4}\)\s*$"#, options: .regularExpression) { key.removeSubrange(range) }
        return key.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// Spans between double quotes (straight or curly) and curly single quotes; straight single quotes are
    /// apostrophes too often ("you'll") to tell apart.
    static func quotations(in text: String) -> [String] {
        var out: [String] = []
        for (open, close) in [("\"", "\""), ("\u{201C}", "\u{201D}"), ("\u{2018}", "\u{2019}")] {
            var rest = text[...]
            while let start = rest.range(of: open), let end = rest[start.upperBound...].range(of: close) {
                let quote = rest[start.upperBound..<end.lowerBound].trimmingCharacters(in: .whitespaces.union(.punctuationCharacters))
                if !quote.isEmpty { out.append(quote) }
                rest = rest[end.upperBound...]
            }
        }
        return out
    }

    /// The first capitalised word that does not start a sentence and does not occur in the facts.
    static func unknownProperName(in sentence: String, facts lowerFacts: String) -> String? {
        var sentenceStart = true
        var word = ""
        func check() -> String? {
            defer { word = "" }
            guard let first = word.first else { return nil }
            let starts = sentenceStart
            sentenceStart = false
            guard first.isUppercase, !starts, word != "I", !containsWord(lowerFacts, word.lowercased()) else { return nil }
            return word
        }
        for character in sentence {
            if character.isLetter || character.isNumber || (character == "'" && !word.isEmpty) {
                word.append(character)
                continue
            }
            if let name = check() { return name }
            if ".!?:;\n".contains(character) { sentenceStart = true }
        }
        return check()
    }

    /// Whether `word` occurs in `text` with no letter or digit right before or after it.
    static func containsWord(_ text: String, _ word: String) -> Bool {
        var rest = text[...]
        while let range = rest.range(of: word) {
            let before = range.lowerBound == text.startIndex ? nil : text[text.index(before: range.lowerBound)]
            let after = range.upperBound == text.endIndex ? nil : text[range.upperBound]
            if !(before?.isLetter ?? false || before?.isNumber ?? false) && !(after?.isLetter ?? false || after?.isNumber ?? false) { return true }
            rest = text[range.upperBound...]
        }
        return false
    }
}
