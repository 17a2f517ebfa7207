import Foundation
import Testing
import GenreSupport

@Suite struct JSONTextTests {
    @Test func plainString() {
        #expect(JSONText.quote("Dune") == "\"Dune\"")
        #expect(JSONText.quote("") == "\"\"")
    }

    @Test func quotesAndBackslashesAreEscaped() {
        #expect(JSONText.quote("a\"b") == "\"a\\\"b\"")
        #expect(JSONText.quote("C:\\dir") == "\"C:\\\\dir\"")
    }

    @Test func controlCharacters() {
        #expect(JSONText.quote("a\nb\rc\td") == "\"a\\nb\\rc\\td\"")
        #expect(JSONText.quote("\u{0}") == "\"\\u0000\"")
        #expect(JSONText.quote("\u{1}\u{1f}") == "\"\\u0001\\u001f\"")
        #expect(JSONText.quote("\u{8}\u{c}") == "\"\\u0008\\u000c\"")
        // 0x7f (DEL) is not a JSON control character and passes through.
        #expect(JSONText.quote("\u{7f}") == "\"\u{7f}\"")
    }

    @Test func unicodeAndEmojiAreKept() {
        #expect(JSONText.quote("Amélie 🎬 卧虎") == "\"Amélie 🎬 卧虎\"")
        #expect(JSONText.quote("👩‍👩‍👧") == "\"👩‍👩‍👧\"")
    }

    /// quote() must produce a JSON string that a real parser reads back as the original.
    @Test(arguments: ["", "plain", "a\"b\\c", "tab\there\nnew\rret", "\u{0}\u{1}\u{1f}\u{7f}", "é🎬卧虎\u{2028}", "/\\/\\"])
    func roundTripsThroughJSONSerialization(value: String) throws {
        let document = "[" + JSONText.quote(value) + "]"
        let parsed = try JSONSerialization.jsonObject(with: Data(document.utf8)) as? [String]
        #expect(parsed == [value])
    }

    @Test func integersHaveNoDecimalPoint() {
        #expect(JSONText.number(0) == "0")
        #expect(JSONText.number(1) == "1")
        #expect(JSONText.number(-3) == "-3")
        #expect(JSONText.number(0.99999) == "1")
        #expect(JSONText.number(-0.00001) == "0")
    }

    @Test func roundsToFourDecimals() {
        #expect(JSONText.number(0.123456) == "0.1235")
        #expect(JSONText.number(0.5) == "0.5")
        #expect(JSONText.number(2.00004) == "2")
        #expect(JSONText.number(-1.23456) == "-1.2346")
        #expect(JSONText.number(0.00005) == "0.0001")
        #expect(JSONText.number(0.00004) == "0")
    }

    @Test func nonFiniteBecomesZero() {
        #expect(JSONText.number(.nan) == "0")
        #expect(JSONText.number(.infinity) == "0")
        #expect(JSONText.number(-.infinity) == "0")
    }

    /// Every output must be a JSON number that parses back within the rounding error.
    @Test(arguments: [0.0, 1.0, 0.3333333, -2.71828, 12345.6789, 1e15, 1e20, 1e300, 1e306, -1.7e308])
    func outputIsValidJSON(value: Double) throws {
        let text = JSONText.number(value)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data("[\(text)]".utf8)) as? [NSNumber])
        #expect(abs(parsed[0].doubleValue - value) <= max(0.00005, abs(value) * 1e-12), "\(value) -> \(text)")
    }
}
