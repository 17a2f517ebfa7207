import Foundation
import GenreSupport

/// Proposes points of the unit cube and learns from their observed values (higher is better).
public protocol Optimizer {
    var name: String { get }
    mutating func suggest() -> [Double]
    mutating func observe(_ point: [Double], value: Double)
}

/// Uniform random points: the baseline every smarter strategy must beat.
public struct RandomSearch: Optimizer {
    public let name = "random"
    let dimensions: Int
    var rng: SplitMix64

    public init(dimensions: Int, seed: UInt64) {
        self.dimensions = dimensions
        rng = SplitMix64(seed: seed)
    }

    public mutating func suggest() -> [Double] { (0..<dimensions).map { _ in Double(rng.nextUnit()) } }
    public mutating func observe(_ point: [Double], value: Double) {}
}

/// Bayesian optimisation: a Gaussian-process surrogate (Matérn 5/2 kernel, length scale chosen by marginal
/// likelihood on a grid, observations standardised) and expected improvement, maximised over random
/// candidates plus perturbations of the best points so far. The first `initialPoints` suggestions are random.
public struct BayesianOptimizer: Optimizer {
    public let name = "bayesian"
    let dimensions: Int
    let initialPoints: Int
    var rng: SplitMix64
    var points: [[Double]] = []
    var values: [Double] = []

    public init(dimensions: Int, seed: UInt64, initialPoints: Int = 5) {
        self.dimensions = dimensions
        self.initialPoints = max(2, initialPoints)
        rng = SplitMix64(seed: seed)
    }

    public mutating func observe(_ point: [Double], value: Double) {
        guard value.isFinite else { return }  // a failed trial teaches nothing about the surface
        points.append(point)
        values.append(value)
    }

    public mutating func suggest() -> [Double] {
        func random() -> [Double] { (0..<dimensions).map { _ in Double(rng.nextUnit()) } }
        guard points.count >= initialPoints, let process = GaussianProcess.fit(points, values) else { return random() }
        let best = values.max()!
        var candidates = (0..<1000).map { _ in random() }
        // Local search: Gaussian steps around the three best points.
        for index in values.indices.sorted(by: { values[$0] > values[$1] }).prefix(3) {
            for _ in 0..<100 {
                candidates.append(points[index].map { min(1, max(0, $0 + 0.05 * Double(rng.nextNormal()))) })
            }
        }
        var chosen = candidates[0], chosenValue = -Double.infinity
        for candidate in candidates {
            let improvement = process.expectedImprovement(at: candidate, over: best)
            if improvement > chosenValue { chosen = candidate; chosenValue = improvement }
        }
        return chosen
    }
}

/// A Gaussian process on the unit cube with a Matérn 5/2 kernel, in Double. Small (tens to a few hundred
/// points), so a plain Cholesky factorisation is enough.
struct GaussianProcess {
    let points: [[Double]]
    let lengthScale: Double
    let noise: Double
    let mean: Double, scale: Double
    let cholesky: [Double]     // lower-triangular L, row-major n × n
    let alpha: [Double]        // (K + σ²I)⁻¹ (y − mean) / scale

    static func kernel(_ a: [Double], _ b: [Double], lengthScale: Double) -> Double {
        var squared = 0.0
        for (x, y) in zip(a, b) { squared += (x - y) * (x - y) }
        let r = squared.squareRoot() / lengthScale * 5.0.squareRoot()
        return (1 + r + r * r / 3) * exp(-r)
    }

    /// The best-fitting length scale from a small grid, or nil when no factorisation succeeds.
    static func fit(_ points: [[Double]], _ values: [Double], noise: Double = 1e-4) -> GaussianProcess? {
        let mean = values.reduce(0, +) / Double(values.count)
        let spread = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
        let scale = spread > 1e-12 ? spread : 1
        let y = values.map { ($0 - mean) / scale }
        let dimensionScale = Double(points.first?.count ?? 1).squareRoot()
        var best: (GaussianProcess, Double)?
        for base in [0.05, 0.1, 0.2, 0.4, 0.8] {
            let lengthScale = base * dimensionScale
            guard let (l, alpha) = factor(points, y, lengthScale: lengthScale, noise: noise) else { continue }
            // log p(y) = −½ yᵀα − Σ log Lᵢᵢ − n/2 log 2π
            let n = points.count
            var logDet = 0.0
            for i in 0..<n { logDet += log(l[i * n + i]) }
            let likelihood = -0.5 * zip(y, alpha).reduce(0) { $0 + $1.0 * $1.1 } - logDet
            if best == nil || likelihood > best!.1 {
                best = (GaussianProcess(points: points, lengthScale: lengthScale, noise: noise, mean: mean, scale: scale,
                                        cholesky: l, alpha: alpha), likelihood)
            }
        }
        return best?.0
    }

    /// L with L·Lᵀ = K + noise·I, and α = (K + noise·I)⁻¹ y.
    static func factor(_ points: [[Double]], _ y: [Double], lengthScale: Double, noise: Double) -> ([Double], [Double])? {
        let n = points.count
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var sum = kernel(points[i], points[j], lengthScale: lengthScale) + (i == j ? noise : 0)
                for k in 0..<j { sum -= l[i * n + k] * l[j * n + k] }
                if i == j {
                    guard sum > 0 else { return nil }
                    l[i * n + i] = sum.squareRoot()
                } else {
                    l[i * n + j] = sum / l[j * n + j]
                }
            }
        }
        return (l, solve(l, y))
    }

    /// Solves (L·Lᵀ) x = b.
    static func solve(_ l: [Double], _ b: [Double]) -> [Double] {
        let n = b.count
        var z = b
        for i in 0..<n {
            for k in 0..<i { z[i] -= l[i * n + k] * z[k] }
            z[i] /= l[i * n + i]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            for k in (i + 1)..<n { z[i] -= l[k * n + i] * z[k] }
            z[i] /= l[i * n + i]
        }
        return z
    }

    /// Posterior mean and standard deviation at x, in the original units.
    func predict(_ x: [Double]) -> (mean: Double, deviation: Double) {
        let n = points.count
        let k = points.map { Self.kernel($0, x, lengthScale: lengthScale) }
        let mu = zip(k, alpha).reduce(0) { $0 + $1.0 * $1.1 }
        // v = L⁻¹ k; variance = k(x, x) − vᵀv
        var v = k
        for i in 0..<n {
            for j in 0..<i { v[i] -= cholesky[i * n + j] * v[j] }
            v[i] /= cholesky[i * n + i]
        }
        let variance = max(1 + noise - v.reduce(0) { $0 + $1 * $1 }, 1e-12)
        return (mean + scale * mu, scale * variance.squareRoot())
    }

    /// E[max(f(x) − best − ξ, 0)] under the posterior (ξ = 0.01 of the observed spread).
    func expectedImprovement(at x: [Double], over best: Double) -> Double {
        let (mu, sigma) = predict(x)
        let gain = mu - best - 0.01 * scale
        let z = gain / sigma
        return gain * normalCDF(z) + sigma * exp(-0.5 * z * z) / (2 * Double.pi).squareRoot()
    }
}

func normalCDF(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }
