import GenreLinearAlgebra
import GenreSupport

/// Bayesian personalised ranking (Rendle et al. 2009): stochastic gradient ascent on
/// ln σ(x̂ᵤᵢ − x̂ᵤⱼ) over sampled triples (user, an item they chose, an item they did not), with
/// x̂ᵤᵢ = xᵤ·yᵢ + bᵢ and L2 regularisation. Disliked items are never positives, so they are sampled as
/// negatives. Single-threaded on purpose: the samples are applied in one seeded order, so a seed gives
/// the same model every time (lock-free parallel SGD would not).
public struct BPR: CollaborativeModel {
    /// Defaults are the catalogue's (`RecommenderSettings().bpr`), not this type's.
    public struct Configuration: Sendable, Equatable {
        public var factors: Int
        public var learningRate: Float
        public var regularization: Float
        /// Epochs; each draws as many triples as there are positive interactions.
        public var iterations: Int
        public var seed: UInt64
        /// How the item a user did not choose is drawn: uniformly over the catalogue, or in proportion to
        /// popularity (a random interaction's item, as `implicit` does), which pushes the model past
        /// popularity on long-tailed data.
        public var negatives: NegativeSampling

        public init(factors: Int, learningRate: Float, regularization: Float, iterations: Int, seed: UInt64, negatives: NegativeSampling) {
            (self.factors, self.learningRate, self.regularization, self.iterations, self.seed, self.negatives) =
                (factors, learningRate, regularization, iterations, seed, negatives)
        }
    }

    public enum NegativeSampling: String, Sendable, Equatable, CaseIterable {
        case uniform, popularity
    }

    public let name = "bpr"
    public let configuration: Configuration
    public let model: FactorModel

    init(configuration: Configuration, model: FactorModel) {
        self.configuration = configuration
        self.model = model
    }

    /// A model rebuilt from stored item factors and biases (no user factors): it scores users by fold-in only.
    public init(configuration: Configuration, itemFactors: [Float], itemBias: [Float]) {
        self.init(configuration: configuration,
                  model: FactorModel(factors: configuration.factors, userFactors: [], itemFactors: itemFactors, itemBias: itemBias))
    }

    public var userCount: Int { model.userCount }
    public var itemCount: Int { model.itemCount }

    /// Draws training triples: a uniformly chosen positive (user, item) and an item that is not among the
    /// user's positives, uniform or by popularity (rejection sampling, up to 16 tries).
    public struct Sampler {
        let matrix: InteractionMatrix
        /// Indices into the CSR arrays of every positive entry.
        let positives: [Int]
        /// Each entry's user (CSR has only row starts).
        let rowOf: [Int32]
        var rng: SplitMix64
        let negatives: NegativeSampling

        public init(_ matrix: InteractionMatrix, seed: UInt64, negatives: NegativeSampling = .uniform) {
            self.negatives = negatives
            self.matrix = matrix
            var positives: [Int] = [], rowOf = [Int32](repeating: 0, count: matrix.nonZeroCount)
            for user in 0..<matrix.userCount {
                for slot in matrix.items(ofUser: user) {
                    rowOf[slot] = Int32(user)
                    if matrix.userValues[slot] > 0 { positives.append(slot) }
                }
            }
            self.positives = positives
            self.rowOf = rowOf
            rng = SplitMix64(seed: seed ^ 0xB9B)
        }

        public var positiveCount: Int { positives.count }

        public mutating func next() -> (user: Int, positive: Int, negative: Int)? {
            guard !positives.isEmpty, matrix.itemCount > 1 else { return nil }
            let slot = positives[rng.nextIndex(positives.count)]
            let user = Int(rowOf[slot])
            for _ in 0..<16 {
                let candidate = negatives == .uniform ? rng.nextIndex(matrix.itemCount)
                    : Int(matrix.userItems[rng.nextIndex(matrix.nonZeroCount)])
                if !isPositive(user: user, item: candidate) {
                    return (user, Int(matrix.userItems[slot]), candidate)
                }
            }
            return nil
        }

        func isPositive(user: Int, item: Int) -> Bool {
            let row = matrix.items(ofUser: user)
            var low = row.lowerBound, high = row.upperBound
            while low < high {
                let mid = (low + high) / 2
                if Int(matrix.userItems[mid]) < item { low = mid + 1 } else { high = mid }
            }
            return low < row.upperBound && Int(matrix.userItems[low]) == item && matrix.userValues[low] > 0
        }
    }

    /// Initial factors: uniform in ±0.5/factors from the seed (users first, then items); biases zero.
    public static func initialFactors(users: Int, items: Int, configuration c: Configuration) -> FactorModel {
        var rng = SplitMix64(seed: c.seed)
        let scale = 1 / Float(c.factors)
        let userFactors = (0..<users * c.factors).map { _ in (rng.nextUnit() - 0.5) * scale }
        let itemFactors = (0..<items * c.factors).map { _ in (rng.nextUnit() - 0.5) * scale }
        return FactorModel(factors: c.factors, userFactors: userFactors, itemFactors: itemFactors,
                           itemBias: [Float](repeating: 0, count: items))
    }

    public static func train(_ matrix: InteractionMatrix, configuration c: Configuration,
                             shouldStop: () -> Bool = { false }) throws -> BPR {
        guard c.factors > 0, c.iterations >= 0, c.learningRate > 0, c.learningRate.isFinite, c.regularization >= 0,
              c.regularization.isFinite else {
            throw CollaborativeError.invalidConfiguration("BPR needs factors > 0, iterations ≥ 0, a finite learning rate > 0 and regularisation ≥ 0")
        }
        var model = initialFactors(users: matrix.userCount, items: matrix.itemCount, configuration: c)
        var sampler = Sampler(matrix, seed: c.seed, negatives: c.negatives)
        let f = c.factors
        var step = [Float](repeating: 0, count: f)
        for epoch in 0..<c.iterations {
            if shouldStop() { break }
            model.userFactors.withUnsafeMutableBufferPointer { users in
                model.itemFactors.withUnsafeMutableBufferPointer { items in
                    model.itemBias.withUnsafeMutableBufferPointer { bias in
                        step.withUnsafeMutableBufferPointer { scratch in
                            for _ in 0..<sampler.positiveCount {
                                // No negative found in 16 tries (a user who chose nearly everything drawn): skip the draw.
                                guard let (u, i, j) = sampler.next() else { continue }
                                update(user: users.baseAddress! + u * f, positive: items.baseAddress! + i * f,
                                       negative: items.baseAddress! + j * f, positiveBias: &bias[i], negativeBias: &bias[j],
                                       scratch: scratch.baseAddress!, factors: f, rate: c.learningRate, lambda: c.regularization)
                            }
                        }
                    }
                }
            }
            if !model.isFinite { throw CollaborativeError.diverged(model: "BPR", iteration: epoch + 1) }
        }
        return BPR(configuration: c, model: model)
    }

    /// One stochastic step on a triple; every gradient is taken at the old values.
    @inline(__always)
    static func update(user x: UnsafeMutablePointer<Float>, positive yi: UnsafeMutablePointer<Float>,
                       negative yj: UnsafeMutablePointer<Float>, positiveBias: inout Float, negativeBias: inout Float,
                       scratch: UnsafeMutablePointer<Float>, factors f: Int, rate: Float, lambda: Float) {
        let margin = VectorKernels.dot(x, yi, count: f) - VectorKernels.dot(x, yj, count: f) + positiveBias - negativeBias
        // d/dθ ln σ(margin) = σ(−margin) · d margin/dθ
        let g = 1 / (1 + expf(margin))
        scratch.update(from: x, count: f)
        for d in 0..<f {
            x[d] += rate * (g * (yi[d] - yj[d]) - lambda * x[d])
            yi[d] += rate * (g * scratch[d] - lambda * yi[d])
            yj[d] += rate * (-g * scratch[d] - lambda * yj[d])
        }
        positiveBias += rate * (g - lambda * positiveBias)
        negativeBias += rate * (-g - lambda * negativeBias)
    }

    /// A user vector for `history` with the item parameters fixed: the same SGD on the user's own triples
    /// only (50 passes over their positives, seeded), starting from zero.
    public func foldIn(_ history: [Interaction]) -> [Float] {
        let f = model.factors
        var x = [Float](repeating: 0, count: f)
        let positives = history.filter { $0.strength > 0 && Int($0.item) < model.itemCount }.map { Int($0.item) }
        guard !positives.isEmpty else { return x }
        let chosen = Set(positives)
        var rng = SplitMix64(seed: configuration.seed ^ 0xF01D)
        let c = configuration
        let y = model.itemFactors, b = model.itemBias
        for _ in 0..<(50 * positives.count) {
            let i = positives[rng.nextIndex(positives.count)]
            var j = rng.nextIndex(model.itemCount), tries = 0
            while chosen.contains(j) && tries < 16 { j = rng.nextIndex(model.itemCount); tries += 1 }
            if chosen.contains(j) { continue }
            var margin = b[i] - b[j]
            for d in 0..<f { margin += x[d] * (y[i * f + d] - y[j * f + d]) }
            let g = 1 / (1 + expf(margin))
            for d in 0..<f { x[d] += c.learningRate * (g * (y[i * f + d] - y[j * f + d]) - c.regularization * x[d]) }
        }
        return x
    }

    /// BPR's user vector is not a closed-form function of the history, so an entry's part is approximated by
    /// its strength times the similarity of the two items' factors.
    public func contributions(history: [Interaction], to items: [Int32]) -> [[Float]] {
        let f = model.factors, y = model.itemFactors
        return items.map { item in
            history.map { entry in
                guard Int(entry.item) < model.itemCount else { return 0 }
                var dot: Float = 0
                for d in 0..<f { dot += y[Int(entry.item) * f + d] * y[Int(item) * f + d] }
                return entry.strength * dot
            }
        }
    }

    public var factors: FactorModel? { model }
    public func itemNeighbors(k: Int) -> [[ItemNeighbor]] { model.itemNeighbors(k: k) }
    public func scores(user: Int) -> [Float] { model.scores(userVector: model.userVector(user)) }
    public func scores(history: [Interaction]) throws -> [Float] { model.scores(userVector: foldIn(history)) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
