import Foundation

/// The settings that shape models and lists, by the same keys as genre.setting_definitions, so the daemon
/// (reading genre.current_settings) and `genre eval --set key=value` configure models identically.
///
/// Ranges are enforced by the SQL catalogue on write and by each model's own validation; this type checks
/// key names and value types.
public struct RecommenderSettings: Sendable, Equatable {
    public var eventWeights = EventWeights.defaults
    public var popularityHalfLifeDays = 30.0
    public var neighborsPerItem = 50
    public var shrinkage = 2.0
    public var historyItems = 200
    public var excludeSeen = true
    /// Seconds after which a seen item may come back (recommend.reshow_after_days; nil = never).
    public var reshowAfterSeconds: Double?
    public var categoryBoosts: [String: Float] = [:]
    public var similarContentWeight: Float = 0.5
    public var blend = BlendWeights.defaults
    public var interestTextWeight = 3.0
    public var interestHalfLifeDays = 90.0
    public var diversityLambda: Float = 0.9
    /// The freshness part halves every this many days of an item's age (recommend.freshness_half_life_days).
    public var freshnessHalfLifeDays = 14.0
    /// "als", "bpr", "ease", "ensemble" or "none".
    public var collaborativeModel = "als"
    /// Members of the "ensemble" model and their weights (collaborative.ensemble).
    public var ensemble: [String: Float] = ["als": 1, "ease": 0.5, "bpr": 0.3]
    /// Confidence of an interaction halves every this many days before the newest event (0 = no decay).
    public var collaborativeHalfLifeDays = 0.0
    public var als = ImplicitALS.Configuration()
    public var bpr = BPR.Configuration()
    public var ease = EASE.Configuration()

    public init() {}

    public static let collaborativeModels = ["als", "bpr", "ease", "ensemble", "none"]
    /// The models an ensemble may hold.
    public static let ensembleMembers = ["als", "bpr", "ease"]

    /// Every key this type understands (each is also in the SQL catalogue; a test checks).
    public static let keys: [String] = [
        "event.weights", "popularity.half_life_days", "cooccurrence.neighbors", "cooccurrence.shrinkage",
        "recommend.history_items", "recommend.exclude_seen", "recommend.reshow_after_days", "recommend.category_boosts",
        "similar.content_weight", "blend.weights", "interest.text_weight", "interest.half_life_days", "diversity.lambda",
        "collaborative.model", "collaborative.ensemble", "collaborative.half_life_days", "model.seed", "recommend.freshness_half_life_days",
        "als.factors", "als.regularization", "als.alpha", "als.iterations", "als.cg_steps",
        "bpr.factors", "bpr.learning_rate", "bpr.regularization", "bpr.iterations", "bpr.negatives",
        "ease.regularization", "ease.max_items",
    ]

    /// Applies one setting given as JSON text ('0.5', '"als"', 'true', '{"view": 1}'). A bare word that is
    /// not JSON counts as a string, so `--set collaborative.model=bpr` works from a shell.
    public mutating func apply(key: String, json text: String) throws {
        let value = Self.decode(text)
        func number() throws -> Double {
            if let n = value as? Double, n.isFinite { return n }
            throw SettingError.invalidValue(key: key, expected: "a finite number", got: text)
        }
        func integer() throws -> Int {
            let n = try number()
            guard n == n.rounded(), abs(n) < 1e15 else { throw SettingError.invalidValue(key: key, expected: "an integer", got: text) }
            return Int(n)
        }
        func boolean() throws -> Bool {
            if let b = value as? Bool { return b }
            throw SettingError.invalidValue(key: key, expected: "true or false", got: text)
        }
        func weights() throws -> [String: Double] {
            guard let object = value as? [String: Any] else {
                throw SettingError.invalidValue(key: key, expected: "a JSON object of name: number", got: text)
            }
            return try object.mapValues { entry in
                guard let n = entry as? Double, n.isFinite else {
                    throw SettingError.invalidValue(key: key, expected: "numbers as values", got: text)
                }
                return n
            }
        }
        switch key {
        case "event.weights": eventWeights = EventWeights(try weights())
        case "popularity.half_life_days": popularityHalfLifeDays = try number()
        case "cooccurrence.neighbors": neighborsPerItem = try integer()
        case "cooccurrence.shrinkage": shrinkage = try number()
        case "recommend.history_items": historyItems = try integer()
        case "recommend.exclude_seen": excludeSeen = try boolean()
        case "recommend.reshow_after_days":
            let days = try number()
            reshowAfterSeconds = days > 0 ? days * 86_400 : nil
        case "recommend.category_boosts": categoryBoosts = try weights().mapValues(Float.init)
        case "similar.content_weight": similarContentWeight = Float(try number())
        case "blend.weights": blend = try BlendWeights(try weights(), key: key)
        case "interest.text_weight": interestTextWeight = try number()
        case "interest.half_life_days": interestHalfLifeDays = try number()
        case "diversity.lambda": diversityLambda = Float(try number())
        case "collaborative.model":
            guard let name = value as? String, Self.collaborativeModels.contains(name) else {
                throw SettingError.invalidValue(key: key, expected: Self.collaborativeModels.joined(separator: ", "), got: text)
            }
            collaborativeModel = name
        case "collaborative.ensemble":
            let members = try weights()
            if let unknown = members.keys.sorted().first(where: { !Self.ensembleMembers.contains($0) }) {
                throw SettingError.invalidValue(key: key, expected: "members among \(Self.ensembleMembers.joined(separator: ", ")) (not \"\(unknown)\")", got: text)
            }
            guard members.values.allSatisfy({ $0 >= 0 }), members.values.contains(where: { $0 > 0 }) else {
                throw SettingError.invalidValue(key: key, expected: "weights ≥ 0 with at least one > 0", got: text)
            }
            ensemble = members.mapValues(Float.init)
        case "collaborative.half_life_days": collaborativeHalfLifeDays = try number()
        case "recommend.freshness_half_life_days": freshnessHalfLifeDays = try number()
        case "model.seed":
            let seed = UInt64(clamping: try integer())
            als.seed = seed
            bpr.seed = seed
        case "als.factors": als.factors = try integer()
        case "als.regularization": als.regularization = Float(try number())
        case "als.alpha": als.alpha = Float(try number())
        case "als.iterations": als.iterations = try integer()
        case "als.cg_steps": als.cgSteps = try integer()
        case "bpr.factors": bpr.factors = try integer()
        case "bpr.learning_rate": bpr.learningRate = Float(try number())
        case "bpr.regularization": bpr.regularization = Float(try number())
        case "bpr.iterations": bpr.iterations = try integer()
        case "bpr.negatives":
            guard let name = value as? String, let sampling = BPR.NegativeSampling(rawValue: name) else {
                throw SettingError.invalidValue(key: key, expected: "uniform or popularity", got: text)
            }
            bpr.negatives = sampling
        case "ease.regularization": ease.regularization = Float(try number())
        case "ease.max_items": ease.maxItems = try integer()
        default: throw SettingError.unknownKey(key)
        }
    }

    /// true/false → Bool, a number (bare or quoted) → Double, a JSON object → [String: Any], a JSON string →
    /// its contents, anything else → the text itself. Scalars are parsed by hand: Foundation's JSON numbers
    /// bridge to Bool on Linux, so 1 would read as true.
    static func decode(_ text: String) -> Any {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "true" || trimmed == "false" { return trimmed == "true" }
        if let number = Double(trimmed) { return number }
        if trimmed.hasPrefix("{"), let data = trimmed.data(using: .utf8),
           let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            return object.mapValues { entry -> Any in
                if let string = entry as? String { return string }
                return Double("\(entry)") ?? entry
            }
        }
        if trimmed.hasPrefix("\""), let data = trimmed.data(using: .utf8),
           let string = try? JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed) as? String {
            return decode(string)
        }
        return text
    }
}

public enum SettingError: Error, Equatable, CustomStringConvertible {
    case unknownKey(String)
    case invalidValue(key: String, expected: String, got: String)

    public var description: String {
        switch self {
        case .unknownKey(let key):
            return "unknown setting \"\(key)\" (see docs/SETTINGS.md for the keys)"
        case .invalidValue(let key, let expected, let got):
            return "setting \"\(key)\" must be \(expected), got \(got.prefix(100))"
        }
    }
}

extension RecommenderSettings {
    /// Whether a user's interest vector comes out the same under both settings (so it can be shared).
    public func sameInterest(as other: RecommenderSettings) -> Bool {
        eventWeights == other.eventWeights && historyItems == other.historyItems
            && interestTextWeight == other.interestTextWeight && interestHalfLifeDays == other.interestHalfLifeDays
    }

    /// A user's history under these settings' event weights, anchor limit and re-show rule.
    public func history(_ groups: [UserHistory.EventGroup], now: Double) -> UserHistory {
        UserHistory(entries: UserHistory.entries(from: groups, weights: eventWeights), limit: historyItems,
                    reshowAfter: reshowAfterSeconds, now: now)
    }
}
