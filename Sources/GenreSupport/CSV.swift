import Foundation

/// RFC 4180 CSV: comma-separated fields, double-quoted when they hold commas, quotes or line breaks, with
/// "" for a literal quote. Enough for MovieLens and for the generic interaction files of `genre eval`.
public enum CSV {
    /// Parses `text` into rows of fields. A trailing newline does not create an empty row.
    public static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var fieldStarted = false  // a quoted empty field ("") at the very end still counts
        var iterator = Array(text.utf8).makeIterator()
        var pending: UInt8? = nil
        func endField() {
            row.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            fieldStarted = false
        }
        while let byte = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    let next = iterator.next()
                    if next == UInt8(ascii: "\"") { field.append(byte) } else { quoted = false; pending = next }
                } else {
                    field.append(byte)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): quoted = true; fieldStarted = true
            case UInt8(ascii: ","): endField()
            case UInt8(ascii: "\r"): continue
            case UInt8(ascii: "\n"):
                endField()
                rows.append(row)
                row = []
            default: field.append(byte)
            }
        }
        if !field.isEmpty || !row.isEmpty || fieldStarted {
            endField()
            rows.append(row)
        }
        return rows
    }
}

extension CSV {
    /// One field as CSV writes it: quoted (with "" for a quote) only when it holds a comma, quote or line break.
    public static func field(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
