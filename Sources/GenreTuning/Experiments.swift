import Foundation
import GenreSupport

/// The statistics of online experiments: conversion-rate intervals and Thompson sampling over variants.
public enum ExperimentStatistics {
    /// The Wilson score interval of a conversion rate (95 % by default): unlike rate ± 1.96·σ, it stays
    /// inside [0, 1] and behaves with few impressions.
    public static func wilson(conversions: Int, impressions: Int, z: Double = 1.959964) -> (low: Double, high: Double) {
        guard impressions > 0 else { return (0, 1) }
        let n = Double(impressions), p = Double(conversions) / n
        let denominator = 1 + z * z / n
        let centre = (p + z * z / (2 * n)) / denominator
        let half = z * (p * (1 - p) / n + z * z / (4 * n * n)).squareRoot() / denominator
        return (max(0, centre - half), min(1, centre + half))
    }

    /// For each variant, the posterior probability that its conversion rate is the highest, with a
    /// Beta(1 + conversions, 1 + misses) posterior per variant, by Monte Carlo (seeded).
    public static func probabilityBest(conversions: [Int], impressions: [Int], draws: Int = 20_000, seed: UInt64 = 7) -> [Double] {
        precondition(conversions.count == impressions.count)
        guard !conversions.isEmpty else { return [] }
        var rng = SplitMix64(seed: seed)
        var wins = [Int](repeating: 0, count: conversions.count)
        for _ in 0..<draws {
            var best = 0, bestValue = -1.0
            for v in conversions.indices {
                let x = beta(1 + Double(conversions[v]), 1 + Double(max(0, impressions[v] - conversions[v])), &rng)
                if x > bestValue { best = v; bestValue = x }
            }
            wins[best] += 1
        }
        return wins.map { Double($0) / Double(draws) }
    }

    /// Traffic shares from Thompson sampling: each variant gets its probability of being best, floored at
    /// `minimumShare` so no variant stops learning entirely, then renormalised.
    public static func thompsonShares(conversions: [Int], impressions: [Int], minimumShare: Double = 0.05) -> [Double] {
        let p = probabilityBest(conversions: conversions, impressions: impressions)
        let floored = p.map { max($0, minimumShare) }
        let total = floored.reduce(0, +)
        return floored.map { $0 / total }
    }

    static func beta(_ a: Double, _ b: Double, _ rng: inout SplitMix64) -> Double {
        let x = gamma(a, &rng), y = gamma(b, &rng)
        return x / (x + y)
    }

    /// Marsaglia and Tsang's method (shape ≥ 1, which Beta(1 + s, 1 + f) always has).
    static func gamma(_ shape: Double, _ rng: inout SplitMix64) -> Double {
        let d = shape - 1.0 / 3.0, c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double, v: Double
            repeat {
                x = Double(rng.nextNormal())
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = max(Double(rng.nextUnit()), 1e-12)
            if log(u) < 0.5 * x * x + d - d * v + d * log(v) { return d * v }
        }
    }
}
