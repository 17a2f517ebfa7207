import GenreSupport

/// Parses JSON text with the two slips chat models make most often: a trailing comma before `}` or `]`, and
/// typographic quotes (“ ”) where straight quotes belong. Each repair is tried only when the text as written
/// does not parse, so a valid answer that contains a “quotation” keeps it.
enum LenientJSON {
    static func parse(_ text: Substring) -> JSONValue? {
        if let value = JSONValue.strict(String(text)) { return value }
        if let value = JSONValue.strict(withoutTrailingCommas(text)) { return value }
        let straightQuotes = String(text).replacing("\u{201C}", with: "\"").replacing("\u{201D}", with: "\"")
        return JSONValue.strict(withoutTrailingCommas(Substring(straightQuotes)))
    }

    /// `text` without commas that are followed (after white space) by `}` or `]`; commas in strings are kept.
    static func withoutTrailingCommas(_ text: Substring) -> String {
        let scalars = Array(text.unicodeScalars)
        var tracker = JSONStringTracker()
        var kept = String.UnicodeScalarView()
        for (index, scalar) in scalars.enumerated() {
            if tracker.isStructure(scalar), scalar == ",",
               let next = scalars[(index + 1)...].first(where: { !$0.properties.isWhitespace }), next == "}" || next == "]" {
                continue
            }
            kept.append(scalar)
        }
        return String(kept)
    }
}
