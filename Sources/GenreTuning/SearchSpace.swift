import Foundation

/// What a tuning run may change: named parameters (setting keys, or "blend.weights.content" for one entry
/// of a weights setting), each continuous, integer or categorical, optionally on a log scale.
///
/// Points are encoded into the unit cube for the optimisers: continuous and integer parameters map their
/// (log-)range onto [0, 1]; a categorical parameter with n choices takes one coordinate whose [0, 1] range
/// is cut into n equal bins (so nearby values are the same choice, and the surrogate still sees one dimension).
public struct SearchSpace: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case real(min: Double, max: Double, log: Bool)
        case integer(min: Int, max: Int, log: Bool)
        case choice([String])
    }

    public struct Parameter: Sendable, Equatable {
        public var name: String
        public var kind: Kind
        public init(name: String, kind: Kind) {
            self.name = name
            self.kind = kind
        }
    }

    /// A parameter's value at one point.
    public enum Value: Sendable, Equatable, CustomStringConvertible {
        case real(Double)
        case integer(Int)
        case choice(String)

        public var description: String {
            switch self {
            case .real(let x): return String(format: "%.6g", x)
            case .integer(let n): return String(n)
            case .choice(let s): return s
            }
        }

        /// As JSON text (a number, or a quoted string).
        public var json: String {
            switch self {
            case .real(let x): return x.isFinite ? String(format: "%.6g", x) : "null"
            case .integer(let n): return String(n)
            case .choice(let s):
                let data = try? JSONSerialization.data(withJSONObject: s, options: .fragmentsAllowed)
                return data.map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
            }
        }
    }

    public var parameters: [Parameter]

    public init(_ parameters: [Parameter]) throws {
        var seen = Set<String>()
        for p in parameters {
            guard seen.insert(p.name).inserted else { throw SearchSpaceError("parameter \"\(p.name)\" appears twice") }
            switch p.kind {
            case .real(let lo, let hi, let log):
                guard lo.isFinite, hi.isFinite, lo < hi else { throw SearchSpaceError("\"\(p.name)\": min must be below max (got \(lo), \(hi))") }
                if log && lo <= 0 { throw SearchSpaceError("\"\(p.name)\": a log scale needs min > 0 (got \(lo))") }
            case .integer(let lo, let hi, let log):
                guard lo < hi else { throw SearchSpaceError("\"\(p.name)\": min must be below max (got \(lo), \(hi))") }
                if log && lo <= 0 { throw SearchSpaceError("\"\(p.name)\": a log scale needs min > 0 (got \(lo))") }
            case .choice(let values):
                guard !values.isEmpty, Set(values).count == values.count else {
                    throw SearchSpaceError("\"\(p.name)\": choices must be distinct and at least one")
                }
            }
        }
        guard !parameters.isEmpty else { throw SearchSpaceError("the search space has no parameters") }
        self.parameters = parameters
    }

    public var dimensions: Int { parameters.count }

    /// The point at unit coordinates `u` (each in [0, 1]).
    public func decode(_ u: [Double]) -> [String: Value] {
        var out: [String: Value] = [:]
        for (p, x) in zip(parameters, u) {
            let t = min(max(x, 0), 1)
            switch p.kind {
            case .real(let lo, let hi, let log):
                out[p.name] = .real(log ? exp(Foundation.log(lo) + t * (Foundation.log(hi) - Foundation.log(lo))) : lo + t * (hi - lo))
            case .integer(let lo, let hi, let log):
                let value = log ? exp(Foundation.log(Double(lo)) + t * (Foundation.log(Double(hi)) - Foundation.log(Double(lo))))
                    : Double(lo) + t * Double(hi - lo)
                out[p.name] = .integer(min(hi, max(lo, Int(value.rounded()))))
            case .choice(let values):
                out[p.name] = .choice(values[min(values.count - 1, Int(t * Double(values.count)))])
            }
        }
        return out
    }

    /// Unit coordinates of a point (the inverse of decode, up to rounding of integers and bins).
    public func encode(_ point: [String: Value]) -> [Double] {
        parameters.map { p in
            switch (p.kind, point[p.name]) {
            case (.real(let lo, let hi, let log), .real(let x)?):
                return log ? (Foundation.log(x) - Foundation.log(lo)) / (Foundation.log(hi) - Foundation.log(lo)) : (x - lo) / (hi - lo)
            case (.integer(let lo, let hi, let log), .integer(let n)?):
                return log ? (Foundation.log(Double(n)) - Foundation.log(Double(lo))) / (Foundation.log(Double(hi)) - Foundation.log(Double(lo)))
                    : Double(n - lo) / Double(hi - lo)
            case (.choice(let values), .choice(let s)?):
                return (Double(values.firstIndex(of: s) ?? 0) + 0.5) / Double(values.count)
            default:
                return 0.5
            }
        }
    }

    /// Parses `{"name": {"type": "real"|"int"|"choice", "min": …, "max": …, "log": bool, "values": […]}, …}`.
    public static func parse(json text: String) throws -> SearchSpace {
        guard let data = text.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw SearchSpaceError("the search space must be a JSON object of parameter name: {type, min, max, log, values}")
        }
        return try SearchSpace(object.keys.sorted().map { name in
            guard let spec = object[name] as? [String: Any], let type = spec["type"] as? String else {
                throw SearchSpaceError("\"\(name)\" needs an object with \"type\": real, int or choice")
            }
            let log = spec["log"] as? Bool ?? false
            func number(_ key: String) throws -> Double {
                guard let n = spec[key] as? NSNumber, n.doubleValue.isFinite else { throw SearchSpaceError("\"\(name)\" needs a finite \"\(key)\"") }
                return n.doubleValue
            }
            switch type {
            case "real", "float": return Parameter(name: name, kind: .real(min: try number("min"), max: try number("max"), log: log))
            case "int", "integer":
                let lo = try number("min"), hi = try number("max")
                guard lo == lo.rounded(), hi == hi.rounded() else { throw SearchSpaceError("\"\(name)\": an int range needs whole numbers") }
                return Parameter(name: name, kind: .integer(min: Int(lo), max: Int(hi), log: log))
            case "choice", "categorical":
                guard let values = spec["values"] as? [String] else { throw SearchSpaceError("\"\(name)\": a choice needs \"values\": [strings]") }
                return Parameter(name: name, kind: .choice(values))
            default:
                throw SearchSpaceError("\"\(name)\": unknown type \"\(type)\" (real, int or choice)")
            }
        })
    }
}

public struct SearchSpaceError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
