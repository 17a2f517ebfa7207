import GenreSupport

/// Ids and titles of the items a model knows, by dense index; what reasons need to name things.
public struct ItemCatalog: Sendable {
    public let ids: [String]
    public let titles: [String?]
    /// Category of each item (nil when unknown), for per-category boosts.
    public let categories: [String?]

    public init(ids: [String], titles: [String?], categories: [String?]? = nil) {
        precondition(ids.count == titles.count && (categories?.count ?? ids.count) == ids.count)
        self.ids = ids
        self.titles = titles
        self.categories = categories ?? Array(repeating: nil, count: ids.count)
    }

    public func name(_ item: Int32) -> String {
        let index = Int(item)
        if let title = titles[index], !title.isEmpty { return title }
        return ids[index]
    }
}

/// Turns scored rows into the `reasons` jsonb stored with each result row: which strategies scored the
/// item and how much, the anchors, and a sentence a person can read.
public enum Reasons {
    public static func json(for row: Recommendation, catalog: ItemCatalog, phrases: EventPhrases) -> String {
        let shares = row.shares.isEmpty ? [row.strategy: Float(1)] : row.shares
        var out = "{\"strategies\":{" + shares.sorted { $0.key < $1.key }
            .map { "\"\($0.key.rawValue)\":\(JSONText.number(Double($0.value)))" }.joined(separator: ",") + "}"
        if !row.anchors.isEmpty {
            out += ",\"because\":["
            out += row.anchors.map { anchor in
                "{\"item_id\":\(JSONText.quote(catalog.ids[Int(anchor.item)])),\"title\":\(JSONText.quote(catalog.name(anchor.item))),"
                    + "\"event\":\(JSONText.quote(anchor.event)),\"share\":\(JSONText.number(Double(anchor.share)))}"
            }.joined(separator: ",")
            out += "]"
        }
        if let anchor = row.contentAnchor {
            switch anchor.kind {
            case .text(let text):
                out += ",\"similar_to\":{\"text\":\(JSONText.quote(text)),\"event\":\(JSONText.quote(anchor.event)),"
            case .item(let item):
                out += ",\"similar_to\":{\"item_id\":\(JSONText.quote(catalog.ids[Int(item)])),\"title\":\(JSONText.quote(catalog.name(item))),"
                    + "\"event\":\(JSONText.quote(anchor.event)),"
            }
            out += "\"similarity\":\(JSONText.number(Double(anchor.similarity)))}"
        }
        if shares[.popularity] != nil { out += ",\"users\":\(row.users)" }
        out += ",\"summary\":\(JSONText.quote(summary(for: row, catalog: catalog, phrases: phrases)))}"
        return out
    }

    public static func summary(for row: Recommendation, catalog: ItemCatalog, phrases: EventPhrases) -> String {
        func verb(for event: String) -> String { phrases.verb(for: event) }
        switch row.strategy {
        case .cooccurrence, .collaborative:
            let anchors = Array(row.anchors.prefix(2))
            guard let first = anchors.first else {
                return row.strategy == .collaborative ? "Chosen by people whose tastes match yours" : "Often chosen together with items in your history"
            }
            var sentence = "Because you \(verb(for: first.event)) \(catalog.name(first.item))"
            if anchors.count > 1 {
                let second = anchors[1]
                // "liked Big and Ghostbusters" rather than "liked Big and liked Ghostbusters".
                let secondVerb = second.event == first.event ? "" : verb(for: second.event) + " "
                sentence += " and \(secondVerb)\(catalog.name(second.item))"
            }
            if let anchor = row.contentAnchor, case .text(let text) = anchor.kind {
                sentence += "; close to " + textPhrase(text, event: anchor.event)
            }
            return sentence
        case .content:
            guard let anchor = row.contentAnchor else { return "Close to your interests" }
            switch anchor.kind {
            case .text(let text):
                return "Matches " + textPhrase(text, event: anchor.event)
            case .item(let item):
                return "Similar to \(catalog.name(item)), which you \(verb(for: anchor.event))"
            }
        case .freshness:
            return "New in the catalogue"
        case .popularity:
            return popularitySummary(users: row.users)
        }
    }

    static func popularitySummary(users: Int) -> String {
        users == 1 ? "Popular: 1 person chose it recently" : "Popular: \(users) people chose it recently"
    }

    /// "your search 'space opera'", "your comment 'loved the ending'", "your interest in heist films" (long
    /// texts shortened).
    static func textPhrase(_ text: String, event: String) -> String {
        let short = text.count > 60 ? String(text.prefix(57)) + "…" : text
        if event == UserInterest.profileEvent { return "your interest in \(short)" }
        let noun = event == "search" ? "search" : (event == "comment" ? "comment" : event)
        return "your \(noun) '\(short)'"
    }

    /// Reasons for one row of genre.item_neighbors: each strategy's share of the score, the raw scores
    /// (content cosine, co-occurrence similarity), and a sentence.
    public static func neighborJSON(_ entry: SimilarItems.Entry, of item: Int32, catalog: ItemCatalog) -> String {
        let total = Double(max(entry.score, 1e-12))
        var strategies: [String] = []
        var sentences: [String] = []
        if entry.contentPart > 0 {
            strategies.append("\"content\":\(JSONText.number(Double(entry.contentPart) / total))")
            sentences.append("similar text to \(catalog.name(item))")
        }
        if entry.cooccurrencePart > 0 {
            strategies.append("\"cooccurrence\":\(JSONText.number(Double(entry.cooccurrencePart) / total))")
            sentences.append("\(entry.commonUsers) \(entry.commonUsers == 1 ? "person" : "people") who chose \(catalog.name(item)) also chose this")
        }
        if entry.collaborativePart > 0 {
            strategies.append("\"collaborative\":\(JSONText.number(Double(entry.collaborativePart) / total))")
            if entry.cooccurrencePart == 0 { sentences.append("people who like \(catalog.name(item)) tend to like this too") }
        }
        var summary = sentences.joined(separator: "; ")
        if let first = summary.first { summary.replaceSubrange(summary.startIndex...summary.startIndex, with: String(first).uppercased()) }
        return "{\"strategies\":{\(strategies.joined(separator: ","))},\"scores\":{\"content\":\(JSONText.number(Double(entry.content))),"
            + "\"cooccurrence\":\(JSONText.number(Double(entry.cooccurrence))),\"collaborative\":\(JSONText.number(Double(entry.collaborative)))},"
            + "\"common_users\":\(entry.commonUsers),\"summary\":\(JSONText.quote(summary))}"
    }

    /// Reasons for one row of genre.popular_items.
    public static func popularJSON(_ entry: PopularityModel.Entry) -> String {
        "{\"strategies\":{\"popularity\":1},\"users\":\(entry.users),\"summary\":\(JSONText.quote(popularitySummary(users: entry.users)))}"
    }
}
