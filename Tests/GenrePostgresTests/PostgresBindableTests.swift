import Foundation
import Testing
import GenrePostgres

@Suite struct PostgresBindableTests {
    @Test func doubles() {
        #expect(Double.nan.postgresText == "NaN")
        #expect(Double.infinity.postgresText == "Infinity")
        #expect((-Double.infinity).postgresText == "-Infinity")
        #expect(1.5.postgresText == "1.5")
        #expect((-0.25).postgresText == "-0.25")
        #expect(Float.nan.postgresText == "NaN")
        #expect(Float(0.5).postgresText == "0.5")
        #expect((-Float.infinity).postgresText == "-Infinity")
    }

    @Test func integersBoolsAndStrings() {
        #expect(true.postgresText == "true")
        #expect(false.postgresText == "false")
        #expect(42.postgresText == "42")
        #expect(Int32(-7).postgresText == "-7")
        #expect(Int64.max.postgresText == "9223372036854775807")
        #expect("it's".postgresText == "it's")
        #expect("abcdef".dropFirst(2).postgresText == "cdef")
    }

    @Test func textArrayLiteralQuotesAndEscapes() {
        #expect([String]().postgresText == "{}")
        #expect(["a"].postgresText == "{\"a\"}")
        #expect(["a", "b c", ""].postgresText == "{\"a\",\"b c\",\"\"}")
        // say "hi"  ->  "say \"hi\""     C:\x  ->  "C:\\x"
        #expect(["say \"hi\"", "C:\\x"].postgresText == "{\"say \\\"hi\\\"\",\"C:\\\\x\"}")
        #expect(["a,b", "{x}", "NULL"].postgresText == "{\"a,b\",\"{x}\",\"NULL\"}")
    }

    @Test func datesAreUTCWithMicroseconds() {
        #expect(Date(timeIntervalSince1970: 946_684_800).postgresText == "2000-01-01 00:00:00.000000+00")
        #expect(Date(timeIntervalSince1970: 946_684_800.25).postgresText == "2000-01-01 00:00:00.250000+00")
        #expect(Date(timeIntervalSince1970: 0).postgresText == "1970-01-01 00:00:00.000000+00")
        #expect(Date(timeIntervalSince1970: 1_709_210_096).postgresText == "2024-02-29 12:34:56.000000+00")
        #expect(Date(timeIntervalSince1970: -0.5).postgresText == "1969-12-31 23:59:59.500000+00")
    }

    /// A fraction that rounds up to a whole second must carry into the seconds, not print 7 digits.
    @Test func microsecondRoundingCarriesIntoSeconds() {
        #expect(Date(timeIntervalSince1970: 0.999_999_9).postgresText == "1970-01-01 00:00:01.000000+00")
        #expect(Date(timeIntervalSince1970: 946_684_799.999_999_9).postgresText == "2000-01-01 00:00:00.000000+00")
    }
}
