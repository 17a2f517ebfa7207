import Foundation
import GenreRecommend
import GenreSettings
import GenreSupport

/// Tuning GENRE's own settings: parameters are setting keys ("als.factors"), or one entry of a weights
/// setting ("blend.weights.content", "event.weights.purchase"); a trial applies them to the base settings
/// and evaluates the hybrid on a hold-out with the same code as `genre eval`.
public enum RecommenderTuning {
    /// The whole pipeline: blend weights, collaborative model and its parameters, decay half-lives, MMR λ,
    /// event-type weights.
    public static let defaultSearchSpace = """
        {"blend.weights.collaborative": {"type": "real", "min": 0, "max": 1},
         "blend.weights.content": {"type": "real", "min": 0, "max": 1},
         "blend.weights.cooccurrence": {"type": "real", "min": 0, "max": 1},
         "blend.weights.popularity": {"type": "real", "min": 0, "max": 0.3},
         "collaborative.model": {"type": "choice", "values": ["als", "bpr", "ease"]},
         "als.factors": {"type": "int", "min": 16, "max": 128, "log": true},
         "als.regularization": {"type": "real", "min": 0.1, "max": 200, "log": true},
         "als.alpha": {"type": "real", "min": 0.5, "max": 50, "log": true},
         "als.iterations": {"type": "int", "min": 5, "max": 25},
         "bpr.factors": {"type": "int", "min": 16, "max": 128, "log": true},
         "bpr.learning_rate": {"type": "real", "min": 0.001, "max": 0.1, "log": true},
         "bpr.regularization": {"type": "real", "min": 0.0001, "max": 0.1, "log": true},
         "bpr.iterations": {"type": "int", "min": 20, "max": 200},
         "ease.regularization": {"type": "real", "min": 10, "max": 3000, "log": true},
         "collaborative.half_life_days": {"type": "choice", "values": ["0", "30", "180", "720"]},
         "interest.half_life_days": {"type": "real", "min": 1, "max": 3650, "log": true},
         "diversity.lambda": {"type": "real", "min": 0.5, "max": 1},
         "event.weights.view": {"type": "real", "min": 0.1, "max": 5},
         "event.weights.like": {"type": "real", "min": 0.5, "max": 10},
         "event.weights.purchase": {"type": "real", "min": 1, "max": 20}}
        """

    /// A metric name such as "ndcg@10", "map@10", "precision@5", "recall@20", "hit_rate@10", "mrr@10".
    public struct Metric: Sendable, Equatable {
        public var name: String
        public var k: Int
        public static let names = ["ndcg", "map", "precision", "recall", "hit_rate", "mrr"]

        public init(_ text: String) throws {
            let parts = text.lowercased().split(separator: "@")
            guard parts.count == 2, Self.names.contains(String(parts[0])), let k = Int(parts[1]), k >= 1, k <= 1000 else {
                throw SearchSpaceError("metric must be one of \(Self.names.joined(separator: ", ")) with @k (1…1000), e.g. ndcg@10; got \(text)")
            }
            name = String(parts[0])
            self.k = k
        }

        public func value(_ m: RankingMetrics) -> Double {
            switch name {
            case "ndcg": return m.ndcg
            case "map": return m.map
            case "precision": return m.precision
            case "recall": return m.recall
            case "hit_rate": return m.hitRate
            default: return m.mrr
            }
        }
    }

    /// The weights settings whose entries a parameter may name ("blend.weights.content").
    static let weightsKeys = ["blend.weights", "event.weights"]

    /// The settings a trial's parameters describe.
    public static func apply(_ point: [String: SearchSpace.Value], to base: RecommenderSettings) throws -> RecommenderSettings {
        var settings = base
        // Entries of a weights setting are gathered and applied as one object: one at a time, a blend could
        // pass through all zeros, which the setting refuses.
        var objects: [String: [String: SettingValue]] = [:]
        for (name, value) in point.sorted(by: { $0.key < $1.key }) {
            if let key = weightsKeys.first(where: { name.hasPrefix($0 + ".") }) {
                if objects[key] == nil, case .object(let current)? = base.values[key] { objects[key] = current }
                objects[key, default: [:]][String(name.dropFirst(key.count + 1))] = .number(numeric(value))
            } else {
                try settings.apply(key: name, json: value.json)
            }
        }
        for (key, var entries) in objects.sorted(by: { $0.key < $1.key }) {
            // A point whose blend weights are all 0 still recommends: by the collaborative part.
            if key == "blend.weights", !entries.values.contains(where: { ($0.number ?? 0) > 0 }) { entries["collaborative"] = .number(1) }
            try settings.apply(key: key, value: .object(entries))
        }
        return settings
    }

    /// The settings as JSON text keyed by setting, for the genre.settings rows a winner becomes: weights
    /// entries folded into their setting's object.
    public static func settingValues(_ point: [String: SearchSpace.Value], base: RecommenderSettings) throws -> [String: String] {
        let settings = try apply(point, to: base)
        var out: [String: String] = [:]
        for (name, value) in point {
            if let key = weightsKeys.first(where: { name.hasPrefix($0 + ".") }) {
                out[key] = settings.values[key]?.json
            } else {
                out[name] = value.json
            }
        }
        return out
    }

    static func numeric(_ value: SearchSpace.Value) -> Double {
        switch value {
        case .real(let x): return x
        case .integer(let n): return Double(n)
        case .choice(let s): return Double(s) ?? 0
        }
    }

    /// One trial: evaluate the hybrid under `point` on the split; returns the metric and all metrics.
    public static func evaluate(_ point: [String: SearchSpace.Value], base: RecommenderSettings, split: Split,
                                itemCount: Int, vectors: ItemVectorTable?, metric: Metric) throws -> (value: Double, metrics: RankingMetrics) {
        let settings = try apply(point, to: base)
        let result = try Evaluator(itemCount: itemCount, settings: settings, vectors: vectors).run(model: "hybrid", split: split, k: metric.k)
        return (metric.value(result.metrics), result.metrics)
    }
}

extension RecommenderTuning {
    /// The point a run starts from (its trial 1): the base settings' values where the space can express them,
    /// the middle of the range elsewhere.
    public static func startingPoint(_ space: SearchSpace, _ base: RecommenderSettings) -> [String: SearchSpace.Value] {
        var point = space.decode(Array(repeating: 0.5, count: space.dimensions))
        for p in space.parameters {
            if let value = currentValue(p, in: base) { point[p.name] = value }
        }
        return point
    }

    /// A point as a JSON object, keys sorted (what tuning_trials.params and `genre tune --json` hold).
    public static func json(_ point: [String: SearchSpace.Value]) -> String {
        "{" + point.sorted { $0.key < $1.key }.map { "\(JSONText.quote($0.key)):\($0.value.json)" }.joined(separator: ",") + "}"
    }

    /// Every ranking metric as a JSON object, keyed "name@k".
    public static func json(_ m: RankingMetrics, k: Int) -> String {
        let values = [("map", m.map), ("ndcg", m.ndcg), ("precision", m.precision), ("recall", m.recall), ("hit_rate", m.hitRate), ("mrr", m.mrr)]
        return "{" + values.map { "\"\($0.0)@\(k)\":\(JSONText.number($0.1))" }.joined(separator: ",") + "}"
    }

    /// A parameter's value in the given settings, when it is one this code can read back.
    public static func currentValue(_ p: SearchSpace.Parameter, in s: RecommenderSettings) -> SearchSpace.Value? {
        func real(_ x: Double) -> SearchSpace.Value? {
            switch p.kind {
            case .real(let lo, let hi, _): return .real(min(hi, max(lo, x)))
            case .integer(let lo, let hi, _): return .integer(min(hi, max(lo, Int(x.rounded()))))
            case .choice(let values):
                let text = x == x.rounded() ? String(Int(x)) : String(x)
                return values.contains(text) ? .choice(text) : nil
            }
        }
        // Read from the settings' values, so any setting (or weights entry) the space names can be read back.
        let stored: SettingValue?
        if let key = weightsKeys.first(where: { p.name.hasPrefix($0 + ".") }), case .object(let entries)? = s.values[key] {
            let name = String(p.name.dropFirst(key.count + 1))
            // A part a blend leaves out counts 0 (weights settings with allowed names say so).
            stored = entries[name] ?? (SettingsCatalogue.byKey[key]?.allowed?.contains(name) == true ? .number(0) : nil)
        } else {
            stored = s.values[p.name]
        }
        switch stored {
        case .number(let x)?: return real(x)
        case .string(let name)?:
            if case .choice(let values) = p.kind, values.contains(name) { return .choice(name) }
            return nil
        default: return nil
        }
    }
}
