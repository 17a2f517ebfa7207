import Foundation

/// A Swift value that can be sent as a bound query parameter (text format).
///
/// Values always travel as parameters, never spliced into SQL, so no quoting is ever needed.
public protocol PostgresBindable {
    var postgresText: String { get }
}

extension String: PostgresBindable { public var postgresText: String { self } }
extension Substring: PostgresBindable { public var postgresText: String { String(self) } }
extension Int: PostgresBindable { public var postgresText: String { String(self) } }
extension Int32: PostgresBindable { public var postgresText: String { String(self) } }
extension Int64: PostgresBindable { public var postgresText: String { String(self) } }
extension Bool: PostgresBindable { public var postgresText: String { self ? "true" : "false" } }
extension Double: PostgresBindable {
    public var postgresText: String {
        if isNaN { return "NaN" }
        if isInfinite { return self > 0 ? "Infinity" : "-Infinity" }
        return String(self)
    }
}
extension Float: PostgresBindable { public var postgresText: String { Double(self).postgresText } }

extension Date: PostgresBindable {
    /// ISO 8601 with microseconds in UTC, which PostgreSQL parses as timestamptz without ambiguity.
    public var postgresText: String {
        let seconds = timeIntervalSince1970
        var whole = floor(seconds)
        var micros = Int(((seconds - whole) * 1_000_000).rounded())
        // A fraction of .9999995 or more rounds to a whole second: carry it, or "%06d" would print 7 digits.
        if micros == 1_000_000 { whole += 1; micros = 0 }
        let date = Date(timeIntervalSince1970: whole)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d.%06d+00", c.year!, c.month!, c.day!, c.hour!,
                      c.minute!, c.second!, micros)
    }
}

/// A `real[]` parameter's text, e.g. `{0.25,-1.5}` (bound as text, cast with `$n::real[]`).
public func postgresArrayText(_ values: [Float]) -> String { "{" + values.map { "\($0)" }.joined(separator: ",") + "}" }

extension Array: PostgresBindable where Element == String {
    /// A text[] literal: every element double-quoted, with `"` and `\` escaped.
    public var postgresText: String {
        let quoted = map { element -> String in
            var escaped = ""
            for ch in element {
                if ch == "\"" || ch == "\\" { escaped.append("\\") }
                escaped.append(ch)
            }
            return "\"" + escaped + "\""
        }
        return "{" + quoted.joined(separator: ",") + "}"
    }
}
