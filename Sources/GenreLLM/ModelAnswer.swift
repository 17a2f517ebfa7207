import GenreSupport

/// Finds the JSON a chat model meant as its answer. Models asked for JSON often wrap it: a preamble ("Sure!
/// Here is the JSON:"), a Markdown fence, a reasoning block, a closing remark. Providers that enforce a schema
/// return bare JSON, and the first step takes that as it is.
public enum ModelAnswer {
    /// The answer's JSON, looked for in this order, the first that parses winning:
    ///
    /// 1. the whole text (after any `<think>…</think>` reasoning block, which may hold drafts);
    /// 2. the contents of each Markdown fence (```` ```json ```` or bare ```` ``` ````), in order;
    /// 3. each balanced `{ … }`, in order; braces and escaped quotes inside JSON strings do not count.
    ///    A candidate that does not parse is skipped whole (its inner objects are parts of a broken answer,
    ///    not answers), and an unbalanced one ends the search: the output was cut off.
    ///
    /// Every candidate is read by `LenientJSON`, which forgives typographic quotes and trailing commas. Nil when
    /// nothing parses.
    public static func json(in text: String) -> JSONValue? {
        let answer = withoutReasoning(text)
        if let value = LenientJSON.parse(answer) { return value }
        for fenced in fencedBlocks(in: answer) {
            if let value = LenientJSON.parse(fenced) { return value }
        }
        return firstParsingObject(in: answer)
    }

    /// The text after the last `</think>`: reasoning models (DeepSeek-R1, Qwen3) think aloud before answering.
    private static func withoutReasoning(_ text: String) -> Substring {
        guard let end = text.ranges(of: "</think>").last else { return text[...] }
        return text[end.upperBound...]
    }

    /// The contents of each ``` fence, without the opening line (which may name a language).
    private static func fencedBlocks(in text: Substring) -> [Substring] {
        let pieces = text.split(separator: "```", omittingEmptySubsequences: false)
        // Pieces alternate outside, inside, outside…; a last inside piece with no closing fence is dropped.
        return stride(from: 1, to: pieces.count - 1, by: 2).map { index in
            let block = pieces[index]
            let firstLine = block.prefix { !$0.isNewline }
            let isLanguageTag = firstLine.allSatisfy { $0.isLetter }
            return isLanguageTag ? block.dropFirst(firstLine.count) : block
        }
    }

    private static func firstParsingObject(in text: Substring) -> JSONValue? {
        var rest = text
        while let open = rest.firstIndex(of: "{") {
            guard let close = matchingBrace(in: rest[open...]) else { return nil }
            if let value = LenientJSON.parse(rest[open...close]) { return value }
            rest = rest[rest.index(after: close)...]
        }
        return nil
    }

    /// The index of the `}` that closes the `{` at the start of `text`, or nil when the text ends first.
    private static func matchingBrace(in text: Substring) -> String.Index? {
        var tracker = JSONStringTracker()
        var depth = 0
        let scalars = text.unicodeScalars
        for index in scalars.indices where tracker.isStructure(scalars[index]) {
            switch scalars[index] {
            case "{": depth += 1
            case "}":
                depth -= 1
                if depth == 0 { return index }
            default: break
            }
        }
        return nil
    }
}
