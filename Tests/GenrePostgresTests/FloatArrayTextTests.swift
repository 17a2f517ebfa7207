import Testing
@testable import GenrePostgres

@Suite("real[] text values")
struct FloatArrayTextTests {
    func parse(_ text: String, _ count: Int) -> [Float]? {
        text.withCString { QueryResult.parseFloatArray($0, count: count) }
    }

    @Test func parsesPostgresArrayText() {
        #expect(parse("{0.5,-2e-05,3}", 3) == [0.5, -2e-05, 3])
        #expect(parse("{}", 0) == [])
    }

    @Test func refusesWrongLengthsAndMalformedText() {
        #expect(parse("{1,2}", 3) == nil)
        #expect(parse("{1,2,3,4}", 3) == nil)
        #expect(parse("1,2,3", 3) == nil)
        #expect(parse("{1,x,3}", 3) == nil)
    }
}
