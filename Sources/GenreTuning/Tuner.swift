import Foundation

/// Runs a tuning loop: the strategy proposes, the objective scores (higher is better), every trial is
/// reported as it finishes. A trial whose objective throws is recorded with its error and no value.
public enum Tuner {
    public struct Trial: Sendable {
        public var number: Int
        public var parameters: [String: SearchSpace.Value]
        public var value: Double?
        public var error: String?
        public var seconds: Double
    }

    public static func optimizer(_ strategy: String, space: SearchSpace, seed: UInt64) throws -> any Optimizer {
        switch strategy {
        case "random": return RandomSearch(dimensions: space.dimensions, seed: seed)
        case "bayesian": return BayesianOptimizer(dimensions: space.dimensions, seed: seed)
        default: throw SearchSpaceError("unknown strategy \"\(strategy)\"; use random or bayesian")
        }
    }

    @discardableResult
    public static func run(space: SearchSpace, strategy: String, trials: Int, seed: UInt64,
                           first: [String: SearchSpace.Value]? = nil,
                           objective: ([String: SearchSpace.Value]) throws -> Double,
                           onTrial: (Trial) throws -> Void = { _ in }) throws -> [Trial] {
        var optimizer = try optimizer(strategy, space: space, seed: seed)
        var done: [Trial] = []
        for number in 1...max(trials, 1) {
            // The first trial may be given (the current settings), so "better than the defaults" is measured.
            let unit = number == 1 && first != nil ? space.encode(first!) : optimizer.suggest()
            let parameters = number == 1 && first != nil ? first! : space.decode(unit)
            let start = Date()
            var trial = Trial(number: number, parameters: parameters, value: nil, error: nil, seconds: 0)
            do {
                let value = try objective(parameters)
                trial.value = value.isFinite ? value : nil
                if !value.isFinite { trial.error = "objective was not finite" }
            } catch {
                trial.error = "\(error)"
            }
            trial.seconds = Date().timeIntervalSince(start)
            optimizer.observe(unit, value: trial.value ?? .nan)
            done.append(trial)
            try onTrial(trial)
        }
        return done
    }

    /// Best value after each trial (nil until one succeeded).
    public static func bestSoFar(_ trials: [Trial]) -> [Double?] {
        var best: Double?
        return trials.map { trial in
            if let v = trial.value, best == nil || v > best! { best = v }
            return best
        }
    }
}
