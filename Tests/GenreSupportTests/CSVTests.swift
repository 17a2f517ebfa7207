import Testing
import GenreSupport

@Suite struct CSVTests {
    @Test func plainRows() {
        #expect(CSV.parse("a,b,c\n1,2,3\n") == [["a", "b", "c"], ["1", "2", "3"]])
    }

    @Test func emptyInputHasNoRows() {
        #expect(CSV.parse("") == [])
    }

    @Test func trailingNewlineDoesNotAddARow() {
        #expect(CSV.parse("x,y\n") == [["x", "y"]])
        #expect(CSV.parse("x,y") == [["x", "y"]])
    }

    @Test func quotedCommaStaysInField() {
        #expect(CSV.parse("1,\"Toy Story, The\",1995\n") == [["1", "Toy Story, The", "1995"]])
    }

    @Test func doubledQuoteIsALiteralQuote() {
        #expect(CSV.parse("\"say \"\"hi\"\"\",x\n") == [["say \"hi\"", "x"]])
        #expect(CSV.parse("\"\"\"\"") == [["\""]])
    }

    @Test func embeddedNewlineInsideQuotes() {
        #expect(CSV.parse("\"line1\nline2\",b\nc,d\n") == [["line1\nline2", "b"], ["c", "d"]])
    }

    @Test func crlfLineEndings() {
        #expect(CSV.parse("a,b\r\nc,d\r\n") == [["a", "b"], ["c", "d"]])
        #expect(CSV.parse("a,b\r\nc,d") == [["a", "b"], ["c", "d"]])
    }

    @Test func emptyFields() {
        #expect(CSV.parse(",a,,\n") == [["", "a", "", ""]])
        #expect(CSV.parse("\"\",x\n") == [["", "x"]])
        #expect(CSV.parse("a,\n") == [["a", ""]])
    }

    @Test func nonASCIIIsKept() {
        #expect(CSV.parse("Amélie,\"Crouching Tiger, 卧虎藏龙\"\n") == [["Amélie", "Crouching Tiger, 卧虎藏龙"]])
    }

    @Test func quotedEmptyFieldAtTheVeryEnd() {
        #expect(CSV.parse("a\n\"\"") == [["a"], [""]])
    }
}
