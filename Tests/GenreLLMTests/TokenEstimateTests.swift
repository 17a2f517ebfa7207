import Testing
import GenreLLM

@Suite struct TokenEstimateTests {
    @Test("An empty text costs nothing")
    func emptyText() {
        #expect(TokenEstimate.tokens("") == 0)
    }

    @Test("Long words are counted at about four bytes a token")
    func longWordsByBytes() {
        // 38 bytes, 2 words: bytes ÷ 4 rounded up (10) beats words × 1.3 rounded up (3).
        #expect(TokenEstimate.tokens("incomprehensibilities antidisestablish") == 10)
    }

    @Test("Short words are counted at 1.3 tokens each")
    func shortWordsByWords() {
        // 19 bytes (5 tokens by bytes), 10 words: words × 1.3 = 13.
        #expect(TokenEstimate.tokens("a b c d e f g h i j") == 13)
    }

    @Test("Multi-byte text is counted by its UTF-8 bytes, not its characters")
    func multiByteText() {
        // Eight characters, 24 UTF-8 bytes.
        #expect(TokenEstimate.tokens("卧虎藏龙卧虎藏龙") == 6)
    }

    @Test("A longer text never costs fewer tokens than its prefix")
    func monotonic() {
        let text = "The quick brown fox jumps over the lazy dog, again and again."
        var previous = 0
        for end in text.indices {
            let count = TokenEstimate.tokens(String(text[..<end]))
            #expect(count >= previous)
            previous = count
        }
    }
}
