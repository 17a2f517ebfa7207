import Testing
@testable import GenreEmbedding

/// WordPiece on a hand-made vocabulary, so each rule is visible without the real model.
@Suite("WordPiece tokenizer")
struct TokenizerTests {
    static let tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "cafe", "the", "!", ",",
                         "$", "东", "京", "hello", "world", "naive", "a", "##b"]
    let tokenizer = try! WordPieceTokenizer(vocabulary: Dictionary(uniqueKeysWithValues: tokens.enumerated().map { ($1, Int32($0)) }),
                                            maxLength: 12)

    func words(_ ids: [Int32]) -> [String] { ids.map { Self.tokens[Int($0)] } }

    @Test func continuationPieces() {
        #expect(words(tokenizer.encode("unaffable")) == ["[CLS]", "un", "##aff", "##able", "[SEP]"])
    }

    @Test func accentsStrippedAndLowerCased() {
        #expect(words(tokenizer.encode("Café NAÏVE")) == ["[CLS]", "cafe", "naive", "[SEP]"])
    }

    @Test func punctuationAndAsciiSymbolsAreSplitOff() {
        #expect(words(tokenizer.encode("hello,world!$")) == ["[CLS]", "hello", ",", "world", "!", "$", "[SEP]"])
    }

    @Test func cjkCharactersAreWordsOfTheirOwn() {
        #expect(words(tokenizer.encode("东京")) == ["[CLS]", "东", "京", "[SEP]"])
    }

    @Test func unknownWordsAndOverlongWordsBecomeUNK() {
        #expect(words(tokenizer.encode("hello xyz")) == ["[CLS]", "hello", "[UNK]", "[SEP]"])
        #expect(words(tokenizer.encode(String(repeating: "ab", count: 50) + "a")) == ["[CLS]", "[UNK]", "[SEP]"])
        // 100 characters is still a word (a, ##b, ##b, ...), cut here by the 12-token limit, not [UNK].
        #expect(words(tokenizer.encode("a" + String(repeating: "b", count: 99))) == ["[CLS]", "a"] + Array(repeating: "##b", count: 9) + ["[SEP]"])
    }

    @Test func literalSpecialTokensKeepTheirIds() {
        #expect(words(tokenizer.encode("hello [MASK] world[SEP]")) == ["[CLS]", "hello", "[MASK]", "world", "[SEP]", "[SEP]"])
        // Special tokens are matched case-sensitively in the raw text: "[mask]" is punctuation and a word.
        #expect(words(tokenizer.encode("[mask]")) == ["[CLS]", "[UNK]", "[UNK]", "[UNK]", "[SEP]"])
    }

    @Test func controlCharactersDroppedAndWhitespaceSplits() {
        #expect(words(tokenizer.encode("hello\u{0}\u{200B}\tworld\u{00A0}the\n")) == ["[CLS]", "hello", "world", "the", "[SEP]"])
    }

    @Test func emptyTextIsJustTheMarkers() {
        #expect(words(tokenizer.encode("")) == ["[CLS]", "[SEP]"])
        #expect(words(tokenizer.encode("  \n ")) == ["[CLS]", "[SEP]"])
    }

    @Test func truncationKeepsSEPLast() {
        let ids = tokenizer.encode(Array(repeating: "the", count: 30).joined(separator: " "))
        #expect(ids.count == 12)
        #expect(words(ids).first == "[CLS]" && words(ids).last == "[SEP]")
        #expect(words(ids).dropFirst().dropLast().allSatisfy { $0 == "the" })
    }

    @Test func batchesCutByTokenBudget() {
        let batches = SentenceEmbedder.batches(lengths: [3, 10, 4, 10, 2], maxTokens: 14)
        #expect(batches == [[1], [3, 2], [0, 4]])
        #expect(Set(batches.flatMap { $0 }) == Set(0..<5))
        #expect(SentenceEmbedder.batches(lengths: [50], maxTokens: 10) == [[0]], "a sequence longer than the budget still gets a batch")
    }
}
