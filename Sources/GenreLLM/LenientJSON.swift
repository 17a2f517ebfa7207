import GenreSupport

/// Parses JSON text a chat model wrote, forgiving its typographic quotes (“ ”) where straight quotes belong.
/// They are straightened only when the text as written does not parse, so a valid answer that contains a
/// “quotation” keeps it.
///
/// The other common slip, a trailing comma before `}` or `]`, needs nothing here: Foundation's JSONDecoder
/// (behind `JSONValue.strict`) accepts it on purpose (swift-corelibs-foundation#4682), and a test pins that.
enum LenientJSON {
    static func parse(_ text: Substring) -> JSONValue? {
        if let value = JSONValue.strict(String(text)) { return value }
        let straightQuotes = text.replacing("\u{201C}", with: "\"").replacing("\u{201D}", with: "\"")
        return JSONValue.strict(String(straightQuotes))
    }
}
