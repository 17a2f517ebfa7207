import GenreSettings

/// How much each strategy counts in the blend (setting blend.weights). A strategy left out counts 0.
public struct BlendWeights: Sendable, Equatable {
    /// The collaborative model chosen by collaborative.model (ALS, BPR or EASE).
    public var collaborative: Float
    public var cooccurrence: Float
    public var content: Float
    public var popularity: Float
    /// New items first: halves every recommend.freshness_half_life_days of an item's age.
    public var freshness: Float

    public init(collaborative: Float = 0, cooccurrence: Float = 0, content: Float = 0, popularity: Float = 0, freshness: Float = 0) {
        self.collaborative = collaborative
        self.cooccurrence = cooccurrence
        self.content = content
        self.popularity = popularity
        self.freshness = freshness
    }

    /// The parts a blend may name (the names blend.weights allows).
    public static let names: [String] = SettingsCatalogue.byKey["blend.weights"]?.allowed ?? []

    /// From a setting value: names among `names`, weights ≥ 0, at least one above 0.
    public init(_ weights: [String: Double], key: String = "blend.weights") throws {
        let unknown = weights.keys.filter { !Self.names.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw SettingError.invalidValue(key: key, expected: "weights named among \(Self.names.joined(separator: ", "))",
                                            got: unknown.joined(separator: ", "))
        }
        guard weights.values.allSatisfy({ $0 >= 0 }), weights.values.contains(where: { $0 > 0 }) else {
            throw SettingError.invalidValue(key: key, expected: "weights ≥ 0 with at least one above 0", got: "\(weights)")
        }
        func w(_ name: String) -> Float { Float(weights[name] ?? 0) }
        self.init(collaborative: w("collaborative"), cooccurrence: w("cooccurrence"), content: w("content"),
                  popularity: w("popularity"), freshness: w("freshness"))
    }
}
