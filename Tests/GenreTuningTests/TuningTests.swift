import Foundation
import Testing
@testable import GenreTuning
import GenreSupport

@Suite struct SearchSpaceTests {
    @Test func parsesEncodesAndDecodes() throws {
        let space = try SearchSpace.parse(json: """
            {"als.factors": {"type": "int", "min": 16, "max": 256, "log": true},
             "als.regularization": {"type": "real", "min": 0.01, "max": 100, "log": true},
             "diversity.lambda": {"type": "real", "min": 0.5, "max": 1},
             "collaborative.model": {"type": "choice", "values": ["als", "bpr", "ease"]}}
            """)
        #expect(space.parameters.map(\.name) == ["als.factors", "als.regularization", "collaborative.model", "diversity.lambda"])
        let low = space.decode([0, 0, 0, 0]), high = space.decode([1, 1, 1, 1])
        #expect(low["als.factors"] == .integer(16) && high["als.factors"] == .integer(256))
        #expect(low["collaborative.model"] == .choice("als") && high["collaborative.model"] == .choice("ease"))
        // Log scale: the middle of the range is the geometric mean.
        #expect(space.decode([0.5, 0.5, 0.5, 0.5])["als.factors"] == .integer(64))
        if case .real(let x)? = space.decode([0.5, 0.5, 0.5, 0.5])["als.regularization"] { #expect(abs(x - 1) < 1e-9) } else { Issue.record("not real") }
        let point = space.decode([0.3, 0.7, 0.5, 0.2])
        #expect(space.decode(space.encode(point)) == point)
    }

    @Test(arguments: [
        ("[1, 2]", "must be a JSON object"),
        ("{}", "has no parameters"),
        ("{\"x\": {\"type\": \"real\", \"min\": 2, \"max\": 1}}", "min must be below max"),
        ("{\"x\": {\"type\": \"real\", \"min\": 0, \"max\": 1, \"log\": true}}", "a log scale needs min > 0"),
        ("{\"x\": {\"type\": \"int\", \"min\": 1.5, \"max\": 4}}", "whole numbers"),
        ("{\"x\": {\"type\": \"choice\", \"values\": []}}", "at least one"),
        ("{\"x\": {\"type\": \"gaussian\"}}", "unknown type"),
        ("{\"x\": 3}", "needs an object"),
    ])
    func badSpacesAreRefusedWithAReason(json: String, message: String) {
        do {
            _ = try SearchSpace.parse(json: json)
            Issue.record("accepted \(json)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }
}

@Suite struct OptimizerTests {
    /// Branin (negated, to maximise) on x ∈ [−5, 10], y ∈ [0, 15]; the maximum is −0.397887 at three points.
    static func negativeBranin(_ u: [Double]) -> Double {
        let x = -5 + 15 * u[0], y = 15 * u[1]
        let b = 5.1 / (4 * Double.pi * Double.pi), c = 5 / Double.pi, t = 1 / (8 * Double.pi)
        return -(pow(y - b * x * x + c * x - 6, 2) + 10 * (1 - t) * cos(x) + 10)
    }

    /// A 4-D bowl with its top (0) at (0.2, 0.8, 0.5, 0.35).
    static func bowl(_ u: [Double]) -> Double {
        -zip(u, [0.2, 0.8, 0.5, 0.35]).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    }

    static func best<O: Optimizer>(_ optimizer: inout O, budget: Int, _ f: ([Double]) -> Double) -> Double {
        var best = -Double.infinity
        for _ in 0..<budget {
            let u = optimizer.suggest()
            let v = f(u)
            optimizer.observe(u, value: v)
            best = max(best, v)
        }
        return best
    }

    @Test func gaussianProcessInterpolatesItsObservations() throws {
        let points = [[0.1, 0.2], [0.5, 0.5], [0.9, 0.1], [0.3, 0.8]]
        let values = points.map(Self.bowl(_:))
        let process = try #require(GaussianProcess.fit(points, values))
        for (p, v) in zip(points, values) {
            let (mean, deviation) = process.predict(p)
            #expect(abs(mean - v) < 1e-2 && deviation < 0.05)
        }
        #expect(process.predict([0.7, 0.7]).deviation > process.predict([0.5, 0.5]).deviation)
    }

    /// Over 30 seeds at the same budget, Bayesian optimisation must end higher than random search in most of
    /// them: a one-sided sign test at p < 0.01 (22 or more wins of 30), on two objectives.
    @Test(arguments: ["branin", "bowl"])
    func bayesianBeatsRandomOverSeeds(objective: String) {
        let f: ([Double]) -> Double
        if objective == "branin" { f = { Self.negativeBranin($0) } } else { f = { Self.bowl($0) } }
        let dimensions = objective == "branin" ? 2 : 4
        var wins = 0, ties = 0
        var bayesianTotal = 0.0, randomTotal = 0.0
        for seed in 1...30 {
            var bayesian = BayesianOptimizer(dimensions: dimensions, seed: UInt64(seed))
            var random = RandomSearch(dimensions: dimensions, seed: UInt64(seed))
            let b = Self.best(&bayesian, budget: 25, f), r = Self.best(&random, budget: 25, f)
            bayesianTotal += b
            randomTotal += r
            if b > r { wins += 1 } else if b == r { ties += 1 }
        }
        let trials = 30 - ties
        // P(X ≥ wins) for X ~ Binomial(trials, 1/2).
        var tail = 0.0
        for k in wins...max(wins, trials) { tail += binomial(trials, k) }
        tail /= pow(2, Double(trials))
        // Printed for docs/TUNING.md (`swift test --filter bayesianBeatsRandomOverSeeds`).
        print(String(format: "%@: bayesian beat random in %d of %d seeds (sign test p = %.2g); mean best %.4f vs %.4f",
                     objective, wins, trials, tail, bayesianTotal / 30, randomTotal / 30))
        #expect(tail < 0.01, "\(objective): bayesian won \(wins) of \(trials) (p = \(tail)); means \(bayesianTotal / 30) vs \(randomTotal / 30)")
        #expect(bayesianTotal > randomTotal)
    }

    @Test func tunerRecordsTrialsFailuresAndTheGivenFirstPoint() throws {
        let space = try SearchSpace([.init(name: "x", kind: .real(min: 0, max: 1, log: false))])
        var seen: [Int] = []
        let trials = try Tuner.run(space: space, strategy: "random", trials: 5, seed: 3, first: ["x": .real(0.25)],
                                   objective: { point in
            guard case .real(let x)? = point["x"] else { return 0 }
            if x > 0.9 { throw SearchSpaceError("too big") }
            return -abs(x - 0.5)
        }, onTrial: { seen.append($0.number) })
        #expect(seen == [1, 2, 3, 4, 5])
        #expect(trials[0].parameters["x"] == .real(0.25) && trials[0].value == -0.25)
        let best = Tuner.bestSoFar(trials).compactMap { $0 }
        #expect(zip(best, best.dropFirst()).allSatisfy { $0 <= $1 }, "best so far never falls")
        #expect(throws: SearchSpaceError.self) { try Tuner.optimizer("grid", space: space, seed: 1) }
        // Same seed, same suggestions.
        var a = BayesianOptimizer(dimensions: 2, seed: 9), b = BayesianOptimizer(dimensions: 2, seed: 9)
        #expect(Self.best(&a, budget: 12, { Self.negativeBranin($0) }) == Self.best(&b, budget: 12, { Self.negativeBranin($0) }))
    }
}

func binomial(_ n: Int, _ k: Int) -> Double {
    guard k >= 0 && k <= n else { return 0 }
    var result = 1.0
    for i in 0..<min(k, n - k) { result = result * Double(n - i) / Double(i + 1) }
    return result
}

@Suite struct ExperimentStatisticsTests {
    @Test func wilsonIntervalMatchesAWorkedExample() {
        // 20 conversions in 100 impressions: the 95 % Wilson interval is [0.1333, 0.2888].
        let (low, high) = ExperimentStatistics.wilson(conversions: 20, impressions: 100)
        #expect(abs(low - 0.1333) < 1e-3 && abs(high - 0.2888) < 1e-3)
        #expect(ExperimentStatistics.wilson(conversions: 0, impressions: 0) == (0, 1))
        let zero = ExperimentStatistics.wilson(conversions: 0, impressions: 10)
        #expect(zero.low == 0 && zero.high > 0.2)
    }

    @Test func probabilityBestFollowsTheEvidence() {
        let even = ExperimentStatistics.probabilityBest(conversions: [50, 50], impressions: [1000, 1000])
        #expect(abs(even[0] - 0.5) < 0.05)
        let clear = ExperimentStatistics.probabilityBest(conversions: [50, 90], impressions: [1000, 1000])
        #expect(clear[1] > 0.99)
    }

    /// A simulated population whose true conversion rates are known (4 % and 6 %): Thompson sampling moves
    /// traffic to the better variant round after round, and the evidence becomes strong enough to promote it.
    @Test func thompsonSamplingShiftsTrafficToTheBetterVariant() {
        var rng = GenreSupport.SplitMix64(seed: 11)
        let truth = [0.04, 0.06]
        var shares = [0.5, 0.5], conversions = [0, 0], impressions = [0, 0]
        var history: [Double] = []
        for _ in 0..<20 {
            for _ in 0..<1_000 {
                let variant = Double(rng.nextUnit()) < shares[0] ? 0 : 1
                impressions[variant] += 1
                if Double(rng.nextUnit()) < truth[variant] { conversions[variant] += 1 }
            }
            shares = ExperimentStatistics.thompsonShares(conversions: conversions, impressions: impressions)
            history.append(shares[1])
        }
        // Printed for docs/TUNING.md (`swift test --filter thompsonSamplingShiftsTrafficToTheBetterVariant`).
        print("thompson: share of the 6 % variant after each round of 1,000 users: "
              + history.map { String(format: "%.2f", $0) }.joined(separator: " ")
              + "; impressions \(impressions), conversions \(conversions)")
        #expect(history.last! > 0.9, "share of the better variant: \(history)")
        #expect(impressions[1] > impressions[0])
        #expect(ExperimentStatistics.probabilityBest(conversions: conversions, impressions: impressions)[1] > 0.95)
    }
}
