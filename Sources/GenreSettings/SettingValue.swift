import GenreSupport

/// A setting's value: JSON, as genre.settings stores it (jsonb).
public typealias SettingValue = JSONValue
