import Foundation
import GenreSupport

/// The user-profiling task (the GENRE paper's user profiler): a model reads what a person did, searched and
/// wrote, newest first, and names their interests in a few words each plus a one-paragraph summary. The
/// interests are what the recommender uses (each is embedded and joins the user's interest vector) and what
/// reasons cite ("Matches your interest in heist films"); the summary is for people to read and correct.
public struct UserProfiling: Sendable {
    /// One thing the user did: an event on an item (its title and generated topics) or a text they wrote.
    public struct Event: Sendable, Equatable {
        public var type: String
        public var title: String?
        public var topics: String?
        public var text: String?
        public init(type: String, title: String? = nil, topics: String? = nil, text: String? = nil) {
            self.type = type
            self.title = title
            self.topics = topics
            self.text = text
        }
    }

    /// What a profile holds, read from a validated answer.
    public struct Profile: Sendable, Equatable {
        public var interests: [String]
        public var summary: String
    }

    public let maxInterests: Int
    public let maxTokens: Int
    public let historyTokens: Int
    public let schemaJSON: JSONValue
    public let schema: JSONSchema

    public init(maxInterests: Int, maxTokens: Int, historyTokens: Int) {
        self.maxInterests = maxInterests
        self.maxTokens = maxTokens
        self.historyTokens = historyTokens
        schemaJSON = .object([
            "type": .string("object"), "additionalProperties": .bool(false),
            "required": .array([.string("interests"), .string("summary")]),
            "properties": .object([
                "interests": .object(["type": .string("array"), "minItems": .number(1), "maxItems": .number(Double(maxInterests)),
                                      "items": .object(["type": .string("string"), "maxLength": .number(80)])]),
                "summary": .object(["type": .string("string"), "maxLength": .number(600)]),
            ]),
        ])
        // The schema above is built from known parts: it always parses.
        schema = try! JSONSchema(schemaJSON)
    }

    public var instructions: String {
        """
        You write the interest profile of a user of a recommender system from what they did, newest first. \
        Answer with one JSON object only, matching this JSON schema: \(schemaJSON.json)
        "interests": at most \(maxInterests) short phrases (two to five words each) naming what the user likes, \
        most important first, such as genres, themes, styles or subjects; never copy an item's title. \
        Disliked items show what to avoid, not interests. "summary": two sentences about the user's taste. Write in English.
        """
    }

    /// Identifies the task (instructions, limits): with the provider, model and history text it is the cache
    /// key, and a change makes profiles due again as users act.
    public var promptHash: String {
        SHA256.hex(of: Array("\(instructions)\nmax_tokens=\(maxTokens)\nhistory_tokens=\(historyTokens)".utf8))
    }

    /// The history as the model reads it: one line per event, newest first, as many as fit in
    /// `historyTokens` (a line too long for what is left is passed over); how many events it holds.
    public func historyText(_ events: [Event]) -> (text: String, events: Int) {
        var lines: [String] = []
        var tokens = 0
        for event in events {
            guard let line = Self.line(event) else { continue }
            let cost = TokenEstimate.tokens(line) + 1
            if tokens + cost > historyTokens { continue }
            tokens += cost
            lines.append(line)
        }
        return (lines.joined(separator: "\n"), lines.count)
    }

    /// "purchase: Heat (1995) [crime, heist]", "search: \"space opera\"", "comment on Alien: \"too slow\"".
    static func line(_ event: Event) -> String? {
        func clip(_ text: String, _ limit: Int) -> String {
            let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
            return flat.count > limit ? String(flat.prefix(limit - 1)) + "…" : flat
        }
        var line = event.type
        if let title = event.title, !title.isEmpty {
            line += (event.text == nil ? ": " : " on ") + clip(title, 120)
            if let topics = event.topics, !topics.isEmpty { line += " [\(clip(topics, 120))]" }
        }
        if let text = event.text, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            line += ": \"\(clip(text, 300))\""
        }
        return line == event.type ? nil : line
    }

    /// Why an answer whose interests are all blank is not used.
    public static let noInterest = "$.interests: no interest that is not empty"

    /// The profile in a validated answer: interests trimmed, empty and repeated ones dropped.
    public func profile(from answer: JSONValue) -> Profile? {
        guard let object = answer.object, case .array(let items)? = object["interests"] else { return nil }
        var interests: [String] = []
        for item in items {
            guard let text = item.string?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty,
                  !interests.contains(where: { $0.caseInsensitiveCompare(text) == .orderedSame }) else { continue }
            interests.append(text)
        }
        guard !interests.isEmpty else { return nil }
        let summary = object["summary"]?.string?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        return Profile(interests: Array(interests.prefix(maxInterests)), summary: summary)
    }

    /// A profile for one user's history text.
    public func run(_ client: ProviderClient, history: String) throws -> StructuredAnswer {
        try StructuredAnswer.ask(client, system: instructions, user: "The user's history, newest first:\n" + history,
                                 schema: schema, schemaJSON: schemaJSON, maxTokens: maxTokens)
    }
}
