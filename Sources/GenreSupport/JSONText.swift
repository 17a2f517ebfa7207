/// Writing JSON text by hand, for hot paths (reasons for millions of rows) where building dictionaries
/// and running JSONSerialization would dominate.
public enum JSONText {
    /// `value` as a JSON string literal, quotes included. Works on UTF-8 bytes: this runs for every
    /// title in every reason of a full refresh, and most titles need no escaping at all.
    public static func quote(_ value: String) -> String {
        var value = value
        return value.withUTF8 { utf8 -> String in
            var needsEscape = false
            for byte in utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                needsEscape = true
                break
            }
            var out = [UInt8]()
            out.reserveCapacity(utf8.count + (needsEscape ? 16 : 2))
            out.append(UInt8(ascii: "\""))
            if !needsEscape {
                out.append(contentsOf: utf8)
            } else {
                for byte in utf8 {
                    switch byte {
                    case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
                    case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                    case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                    case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                    case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                    case 0..<0x20:
                        let hex = Array("0123456789abcdef".utf8)
                        out.append(contentsOf: Array("\\u00".utf8))
                        out.append(hex[Int(byte >> 4)])
                        out.append(hex[Int(byte & 0x0f)])
                    default: out.append(byte)
                    }
                }
            }
            out.append(UInt8(ascii: "\""))
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// A finite number with at most 4 decimals (scores do not need more); non-finite values become 0.
    /// A number for machines (model parameters): the shortest text that reads back to exactly this Float.
    /// Not finite: null (JSON has no NaN or infinity).
    public static func exactNumber(_ value: Float) -> String {
        value.isFinite ? "\(value)" : "null"
    }

    public static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        // Past 1e15 there are no decimals left to round, and scaling by 10^4 could overflow to "inf".
        guard abs(value) < 1e15 else { return String(value) }
        let rounded = (value * 10_000).rounded() / 10_000
        if rounded == rounded.rounded() && abs(rounded) < 1e15 { return String(Int64(rounded)) }
        return String(rounded)
    }
}
