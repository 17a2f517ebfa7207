/// Follows JSON text one Unicode scalar at a time and says which scalars are structure and which are inside a
/// string literal, so that a scan for the brace closing an object ignores `"}"` in values, and escaped quotes
/// (`"say \"hi\""`) do not end a string early. JSON's syntax is ASCII, so scalars are exactly the right unit.
struct JSONStringTracker {
    private var inString = false
    private var escaped = false

    /// Moves past `scalar`: true when it is structure (outside every string literal and not a quote).
    mutating func isStructure(_ scalar: Unicode.Scalar) -> Bool {
        if inString {
            if escaped { escaped = false }
            else if scalar == "\\" { escaped = true }
            else if scalar == "\"" { inString = false }
            return false
        }
        if scalar == "\"" {
            inString = true
            return false
        }
        return true
    }
}
