import Testing
import GenreSupport

/// JSON written as text in a test, which reads far better than nested `JSONValue` cases.
func json(_ text: String) throws -> JSONValue {
    try #require(JSONValue.strict(text), "not JSON: \(text)")
}
