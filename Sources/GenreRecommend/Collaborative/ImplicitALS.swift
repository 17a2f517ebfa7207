import GenreLinearAlgebra
import GenreSupport

/// Implicit-feedback matrix factorisation (Hu, Koren & Volinsky 2008), trained by alternating least
/// squares with a few conjugate-gradient steps per row (Takács et al. 2011, as the `implicit` library does)
/// instead of an f×f solve per row.
///
/// An interaction of strength s gives preference p = 1 (s > 0) or 0 (s < 0: a dislike) with confidence
/// c = 1 + alpha·|s|; every other cell has p = 0, c = 1. Minimises
/// Σ c·(p − xᵤ·yᵢ)² + λ(Σ‖xᵤ‖² + Σ‖yᵢ‖²). Rows are solved independently in parallel, so a seed gives the
/// same model on any number of threads.
public struct ImplicitALS: CollaborativeModel {
    /// Defaults are the catalogue's (`RecommenderSettings().als`), not this type's.
    public struct Configuration: Sendable, Equatable {
        public var factors: Int
        public var regularization: Float
        /// Confidence per unit of strength.
        public var alpha: Float
        public var iterations: Int
        /// Conjugate-gradient steps per row and half-iteration (3 is `implicit`'s default).
        public var cgSteps: Int
        public var seed: UInt64

        public init(factors: Int, regularization: Float, alpha: Float, iterations: Int, cgSteps: Int, seed: UInt64) {
            (self.factors, self.regularization, self.alpha, self.iterations, self.cgSteps, self.seed) =
                (factors, regularization, alpha, iterations, cgSteps, seed)
        }
    }

    public let name = "als"
    public let configuration: Configuration
    public let model: FactorModel
    /// YᵀY + λI of the final item factors: folding a user in needs it.
    let itemGram: [Float]

    public var userCount: Int { model.userCount }
    public var itemCount: Int { model.itemCount }

    /// A model rebuilt from stored item factors (no user factors): it scores users by fold-in only.
    public init(configuration: Configuration, itemFactors: [Float]) {
        self.init(configuration: configuration, model: FactorModel(factors: configuration.factors, userFactors: [], itemFactors: itemFactors))
    }

    init(configuration: Configuration, model: FactorModel) {
        self.configuration = configuration
        self.model = model
        itemGram = VectorKernels.gram(model.itemFactors, rows: model.itemCount, columns: model.factors, ridge: configuration.regularization)
    }

    /// Initial factors: small uniform values from the seed (users first, then items).
    public static func initialFactors(users: Int, items: Int, configuration c: Configuration) -> FactorModel {
        var rng = SplitMix64(seed: c.seed)
        let scale = 0.1 / Float(c.factors).squareRoot()
        let userFactors = (0..<users * c.factors).map { _ in rng.nextUnit() * scale }
        let itemFactors = (0..<items * c.factors).map { _ in rng.nextUnit() * scale }
        return FactorModel(factors: c.factors, userFactors: userFactors, itemFactors: itemFactors)
    }

    public static func train(_ matrix: InteractionMatrix, configuration c: Configuration,
                             shouldStop: @Sendable () -> Bool = { false }) throws -> ImplicitALS {
        try validate(c)
        let start = initialFactors(users: matrix.userCount, items: matrix.itemCount, configuration: c)
        let users = SharedRows(start.userFactors), items = SharedRows(start.itemFactors)
        let f = c.factors
        for iteration in 0..<c.iterations {
            if shouldStop() { break }
            let itemGram = VectorKernels.gram(items.pointer, rows: matrix.itemCount, columns: f, ridge: c.regularization)
            solveRows(count: matrix.userCount, start: matrix.userStart, indices: matrix.userItems, values: matrix.userValues,
                      fixed: items, gram: itemGram, target: users, configuration: c)
            let userGram = VectorKernels.gram(users.pointer, rows: matrix.userCount, columns: f, ridge: c.regularization)
            solveRows(count: matrix.itemCount, start: matrix.itemStart, indices: matrix.itemUsers, values: matrix.itemValues,
                      fixed: users, gram: userGram, target: items, configuration: c)
            if !users.allFinite || !items.allFinite { throw CollaborativeError.diverged(model: "ALS", iteration: iteration + 1) }
        }
        return ImplicitALS(configuration: c, model: FactorModel(factors: f, userFactors: users.array, itemFactors: items.array))
    }

    static func validate(_ c: Configuration) throws {
        guard c.factors > 0, c.iterations >= 0, c.cgSteps > 0, c.regularization >= 0, c.alpha >= 0,
              c.regularization.isFinite, c.alpha.isFinite else {
            throw CollaborativeError.invalidConfiguration("ALS needs factors > 0, iterations ≥ 0, cg steps > 0 and finite regularisation, alpha ≥ 0")
        }
    }

    /// One half-iteration: every row of `target` re-solved against the fixed factors.
    static func solveRows(count: Int, start: [Int], indices: [Int32], values: [Float], fixed: SharedRows, gram: [Float],
                          target: SharedRows, configuration c: Configuration) {
        parallelChunks(count) { rows in
            var scratch = [Float](repeating: 0, count: 3 * c.factors)
            indices.withUnsafeBufferPointer { idx in
                values.withUnsafeBufferPointer { val in
                    gram.withUnsafeBufferPointer { g in
                        scratch.withUnsafeMutableBufferPointer { s in
                            for row in rows {
                                conjugateGradient(x: target.pointer + row * c.factors, fixed: fixed.pointer,
                                                  indices: idx.baseAddress! + start[row], values: val.baseAddress! + start[row],
                                                  count: start[row + 1] - start[row], gram: g.baseAddress!, scratch: s.baseAddress!,
                                                  factors: c.factors, alpha: c.alpha, steps: c.cgSteps)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Improves x towards the solution of (G + Σ (c−1)·y·yᵀ) x = Σ c·p·y, starting from x (warm start).
    @inline(__always)
    static func conjugateGradient(x: UnsafeMutablePointer<Float>, fixed: UnsafePointer<Float>, indices: UnsafePointer<Int32>,
                                  values: UnsafePointer<Float>, count: Int, gram: UnsafePointer<Float>,
                                  scratch: UnsafeMutablePointer<Float>, factors f: Int, alpha: Float, steps: Int) {
        let r = scratch, p = scratch + f, ap = scratch + 2 * f
        // r = b − A·x = Σ (c·p − (c−1)·y·x)·y − G·x
        for d in 0..<f { r[d] = -VectorKernels.dot(gram + d * f, x, count: f) }
        for n in 0..<count {
            let y = fixed + Int(indices[n]) * f
            let strength = values[n]
            let confidence = 1 + alpha * abs(strength)
            let preference: Float = strength > 0 ? 1 : 0
            VectorKernels.axpy(confidence * preference - (confidence - 1) * VectorKernels.dot(y, x, count: f), y, r, count: f)
        }
        p.update(from: r, count: f)
        var rsOld = VectorKernels.dot(r, r, count: f)
        guard rsOld > 1e-20 else { return }
        for _ in 0..<steps {
            // Ap = G·p + Σ (c−1)·(y·p)·y
            for d in 0..<f { ap[d] = VectorKernels.dot(gram + d * f, p, count: f) }
            for n in 0..<count {
                let y = fixed + Int(indices[n]) * f
                let confidence = 1 + alpha * abs(values[n])
                VectorKernels.axpy((confidence - 1) * VectorKernels.dot(y, p, count: f), y, ap, count: f)
            }
            let step = rsOld / VectorKernels.dot(p, ap, count: f)
            VectorKernels.axpy(step, p, x, count: f)
            VectorKernels.axpy(-step, ap, r, count: f)
            let rsNew = VectorKernels.dot(r, r, count: f)
            if rsNew < 1e-20 { break }
            let ratio = rsNew / rsOld
            for d in 0..<f { p[d] = r[d] + ratio * p[d] }
            rsOld = rsNew
        }
    }

    /// The exact least-squares user vector for `history` with the item factors fixed (a Cholesky solve):
    /// how the real-time path scores a user whose events arrived after training.
    public func foldIn(_ history: [Interaction]) throws -> [Float] {
        let (a, b) = normalEquations(history)
        do {
            return try PositiveDefinite.solve(a, b, order: model.factors)
        } catch let error as LinearAlgebraError {
            throw CollaborativeError.notPositiveDefinite(model: "ALS fold-in", detail: error.description)
        }
    }

    /// A·x = b for the user: A = YᵀY + λI + Σ (c−1)·y·yᵀ, b = Σ c·p·y over the history. The sum of outer
    /// products is one matrix product: Sᵀ·S with S's rows √(c−1)·y.
    func normalEquations(_ history: [Interaction]) -> (a: [Float], b: [Float]) {
        let f = model.factors
        var a = itemGram
        var b = [Float](repeating: 0, count: f)
        let entries = history.filter { Int($0.item) < model.itemCount && $0.strength != 0 }
        guard !entries.isEmpty else { return (a, b) }
        var scaled = [Float](repeating: 0, count: entries.count * f)
        for (row, interaction) in entries.enumerated() {
            let base = Int(interaction.item) * f
            let confidence = 1 + configuration.alpha * abs(interaction.strength)
            let preference: Float = interaction.strength > 0 ? 1 : 0
            let root = (confidence - 1).squareRoot()
            for d in 0..<f {
                let y = model.itemFactors[base + d]
                b[d] += confidence * preference * y
                scaled[row * f + d] = root * y
            }
        }
        scaled.withUnsafeBufferPointer { s in
            a.withUnsafeMutableBufferPointer { pa in
                BLAS.gemm(m: f, n: f, k: entries.count, a: s.baseAddress!, lda: f, transposeA: true,
                          b: s.baseAddress!, ldb: f, beta: 1, c: pa.baseAddress!, ldc: f)
            }
        }
        return (a, b)
    }

    /// score(j) = yⱼᵀ·W·b = Σᵢ cᵢ·pᵢ·(yⱼᵀ·W·yᵢ) with W = A⁻¹, so entry i contributes cᵢ·pᵢ·yⱼᵀ·W·yᵢ
    /// (a dislike has p = 0: it acts through W, lowering similar items, and contributes nothing itself).
    /// Two matrix products: Z = W·Yⱼᵀ, then (c·Yᵢ)·Z.
    public func contributions(history: [Interaction], to items: [Int32]) -> [[Float]] {
        let f = model.factors
        var (w, _) = normalEquations(history)
        let positives = history.indices.filter { history[$0].strength > 0 && Int(history[$0].item) < model.itemCount }
        guard !items.isEmpty, !positives.isEmpty, (try? PositiveDefinite.invert(&w, order: f)) != nil else {
            return items.map { _ in history.map { _ in 0 } }
        }
        var candidates = [Float](repeating: 0, count: items.count * f)
        for (row, item) in items.enumerated() {
            candidates.replaceSubrange(row * f..<(row + 1) * f, with: model.itemFactors[Int(item) * f..<(Int(item) + 1) * f])
        }
        var weighted = [Float](repeating: 0, count: positives.count * f)
        for (row, h) in positives.enumerated() {
            let confidence = 1 + configuration.alpha * history[h].strength
            let base = Int(history[h].item) * f
            for d in 0..<f { weighted[row * f + d] = confidence * model.itemFactors[base + d] }
        }
        var z = [Float](repeating: 0, count: f * items.count), parts = [Float](repeating: 0, count: positives.count * items.count)
        w.withUnsafeBufferPointer { pw in
            candidates.withUnsafeBufferPointer { pc in
                z.withUnsafeMutableBufferPointer { pz in
                    BLAS.gemm(m: f, n: items.count, k: f, a: pw.baseAddress!, lda: f, b: pc.baseAddress!, ldb: f, transposeB: true,
                              c: pz.baseAddress!, ldc: items.count)
                }
            }
        }
        weighted.withUnsafeBufferPointer { ph in
            z.withUnsafeBufferPointer { pz in
                parts.withUnsafeMutableBufferPointer { pp in
                    BLAS.gemm(m: positives.count, n: items.count, k: f, a: ph.baseAddress!, lda: f, b: pz.baseAddress!, ldb: items.count,
                              c: pp.baseAddress!, ldc: items.count)
                }
            }
        }
        return items.indices.map { n in
            var row = [Float](repeating: 0, count: history.count)
            for (position, h) in positives.enumerated() { row[h] = parts[position * items.count + n] }
            return row
        }
    }

    public var factors: FactorModel? { model }
    public func itemNeighbors(k: Int) -> [[ItemNeighbor]] { model.itemNeighbors(k: k) }
    public func scores(user: Int) -> [Float] { model.scores(userVector: model.userVector(user)) }
    public func scores(history: [Interaction]) throws -> [Float] { model.scores(userVector: try foldIn(history)) }
}
