import Testing
import GenreSettings
import GenreSupport

/// JSON written as text in a test, which reads far better than nested `JSONValue` cases.
func json(_ text: String) throws -> JSONValue {
    try #require(JSONValue.strict(text), "not JSON: \(text)")
}

/// The item-features schema GENRE ships (the default of setting features.schema): the tests read the real
/// default, so a default outside the supported subset fails here.
let itemFeaturesSchema: JSONValue = SettingsCatalogue.byKey["features.schema"]?.defaultValue ?? .null
