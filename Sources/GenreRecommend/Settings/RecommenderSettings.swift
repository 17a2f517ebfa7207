import Foundation
import GenreSettings

/// The settings that shape models and lists, by the keys of SettingsCatalogue (reader `.model`), so the
/// daemon (reading genre.current_settings) and `genre eval --set key=value` configure models identically.
///
/// The values live in `values`, validated against their definitions; the typed properties are read from
/// them in one place, `init(values:)`, and change only through `apply`, so the two cannot disagree.
public struct RecommenderSettings: Sendable, Equatable {
    public private(set) var values: SettingValues
    public private(set) var eventWeights: EventWeights
    public private(set) var popularityHalfLifeDays: Double
    public private(set) var neighborsPerItem: Int
    public private(set) var shrinkage: Double
    public private(set) var historyItems: Int
    public private(set) var excludeSeen: Bool
    /// Seconds after which a seen item may come back (recommend.reshow_after_days; nil = never).
    public private(set) var reshowAfterSeconds: Double?
    public private(set) var categoryBoosts: [String: Float]
    public private(set) var similarContentWeight: Float
    public private(set) var blend: BlendWeights
    public private(set) var interestTextWeight: Double
    public private(set) var interestProfileWeight: Double
    /// The LLM re-ranking stage's candidates per list (0 = off); it runs in the generation service.
    public private(set) var rerankTopN: Int
    public private(set) var interestHalfLifeDays: Double
    public private(set) var diversityLambda: Float
    /// The freshness part halves every this many days of an item's age (recommend.freshness_half_life_days).
    public private(set) var freshnessHalfLifeDays: Double
    /// "als", "bpr", "ease", "ensemble" or "none".
    public private(set) var collaborativeModel: String
    /// Members of the "ensemble" model and their weights (collaborative.ensemble).
    public private(set) var ensemble: [String: Float]
    /// Confidence of an interaction halves every this many days before the newest event (0 = no decay).
    public private(set) var collaborativeHalfLifeDays: Double
    public private(set) var als: ImplicitALS.Configuration
    public private(set) var bpr: BPR.Configuration
    public private(set) var ease: EASE.Configuration

    /// The catalogue's defaults. (A test checks every default is valid, so this cannot trap.)
    public init() {
        do { try self.init(values: SettingsCatalogue.defaults) } catch { preconditionFailure("SettingsCatalogue defaults are invalid: \(error)") }
    }

    /// Every model setting read from validated values: the one place a key meets its property.
    public init(values v: SettingValues) throws {
        values = v
        eventWeights = EventWeights(v.weights("event.weights"))
        popularityHalfLifeDays = v.number("popularity.half_life_days")
        neighborsPerItem = v.integer("cooccurrence.neighbors")
        shrinkage = v.number("cooccurrence.shrinkage")
        historyItems = v.integer("recommend.history_items")
        excludeSeen = v.boolean("recommend.exclude_seen")
        let reshowDays = v.number("recommend.reshow_after_days")
        reshowAfterSeconds = reshowDays > 0 ? reshowDays * 86_400 : nil
        categoryBoosts = v.weights("recommend.category_boosts").mapValues(Float.init)
        similarContentWeight = Float(v.number("similar.content_weight"))
        blend = try BlendWeights(v.weights("blend.weights"))
        interestTextWeight = v.number("interest.text_weight")
        interestProfileWeight = v.number("interest.profile_weight")
        rerankTopN = v.integer("rerank.top_n")
        interestHalfLifeDays = v.number("interest.half_life_days")
        diversityLambda = Float(v.number("diversity.lambda"))
        freshnessHalfLifeDays = v.number("recommend.freshness_half_life_days")
        collaborativeModel = v.string("collaborative.model")
        ensemble = v.weights("collaborative.ensemble").mapValues(Float.init)
        collaborativeHalfLifeDays = v.number("collaborative.half_life_days")
        let seed = UInt64(clamping: v.integer("model.seed"))
        guard let negatives = BPR.NegativeSampling(rawValue: v.string("bpr.negatives")) else {
            throw SettingError.invalidValue(key: "bpr.negatives", expected: "a sampling BPR knows", got: v.string("bpr.negatives"))
        }
        als = ImplicitALS.Configuration(factors: v.integer("als.factors"), regularization: Float(v.number("als.regularization")),
                                        alpha: Float(v.number("als.alpha")), iterations: v.integer("als.iterations"),
                                        cgSteps: v.integer("als.cg_steps"), seed: seed)
        bpr = BPR.Configuration(factors: v.integer("bpr.factors"), learningRate: Float(v.number("bpr.learning_rate")),
                                regularization: Float(v.number("bpr.regularization")), iterations: v.integer("bpr.iterations"),
                                seed: seed, negatives: negatives)
        ease = EASE.Configuration(regularization: Float(v.number("ease.regularization")), maxItems: v.integer("ease.max_items"))
    }

    /// The keys these settings read (SettingsCatalogue's reader `.model`).
    public static let keys: [String] = SettingsCatalogue.definitions.filter { $0.reader == .model }.map(\.key)

    /// The models an ensemble may hold (the names collaborative.ensemble allows).
    public static let ensembleMembers: [String] = SettingsCatalogue.byKey["collaborative.ensemble"]?.allowed ?? []

    /// Applies one setting given as JSON text ('0.5', '"als"', 'true', '{"view": 1}'); a bare word that is
    /// not JSON counts as a string, so `--set collaborative.model=bpr` works from a shell. Refuses keys that
    /// are not model settings and values their definition refuses.
    public mutating func apply(key: String, json text: String) throws {
        guard Self.keys.contains(key) else { throw SettingError.unknownKey(key) }
        var changed = values
        try changed.set(key, json: text)
        self = try RecommenderSettings(values: changed)
    }

    /// Applies one setting given as a value.
    public mutating func apply(key: String, value: SettingValue) throws {
        guard Self.keys.contains(key) else { throw SettingError.unknownKey(key) }
        var changed = values
        try changed.set(key, value)
        self = try RecommenderSettings(values: changed)
    }
}

extension RecommenderSettings {
    /// Whether a user's interest vector comes out the same under both settings (so it can be shared).
    public func sameInterest(as other: RecommenderSettings) -> Bool {
        eventWeights == other.eventWeights && historyItems == other.historyItems
            && interestTextWeight == other.interestTextWeight && interestHalfLifeDays == other.interestHalfLifeDays
            && interestProfileWeight == other.interestProfileWeight
    }

    /// A user's history under these settings' event weights, anchor limit and re-show rule.
    public func history(_ groups: [UserHistory.EventGroup], now: Double) -> UserHistory {
        UserHistory(entries: UserHistory.entries(from: groups, weights: eventWeights), limit: historyItems,
                    reshowAfter: reshowAfterSeconds, now: now)
    }
}
