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

        public init(number: Int, parameters: [String: SearchSpace.Value], value: Double? = nil, error: String? = nil, seconds: Double) {
            self.number = number
            self.parameters = parameters
            self.value = value
            self.error = error
            self.seconds = seconds
        }
    }

    public static func optimizer(_ strategy: String, space: SearchSpace, seed: UInt64) throws -> any Optimizer {
        switch strategy {
        case "random": return RandomSearch(dimensions: space.dimensions, seed: seed)
        case "bayesian": return BayesianOptimizer(dimensions: space.dimensions, seed: seed)
        default: throw SearchSpaceError("unknown strategy \"\(strategy)\"; use random or bayesian")
        }
    }

    /// - Parameter completed: trials of an interrupted run, in order (only their value, error and seconds
    ///   are used). They are replayed, not evaluated again: the optimizer suggests what it suggested then
    ///   (same seed, same observations) and observes the recorded value, so a resumed run continues exactly
    ///   where it stopped and ends with all its trials.
    @discardableResult
    public static func run(space: SearchSpace, strategy: String, trials: Int, seed: UInt64,
                           first: [String: SearchSpace.Value]? = nil, completed: [Trial] = [],
                           objective: ([String: SearchSpace.Value]) throws -> Double,
                           onTrial: (Trial) throws -> Void = { _ in }) throws -> [Trial] {
        var optimizer = try optimizer(strategy, space: space, seed: seed)
        var done: [Trial] = []
        for number in 1...max(trials, 1) {
            // The first trial may be given (the current settings), so "better than the defaults" is measured.
            let unit = number == 1 && first != nil ? space.encode(first!) : optimizer.suggest()
            let parameters = number == 1 && first != nil ? first! : space.decode(unit)
            if number <= completed.count {
                let recorded = completed[number - 1]
                optimizer.observe(unit, value: recorded.value ?? .nan)
                done.append(Trial(number: number, parameters: parameters, value: recorded.value, error: recorded.error,
                                  seconds: recorded.seconds))
                continue
            }
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
