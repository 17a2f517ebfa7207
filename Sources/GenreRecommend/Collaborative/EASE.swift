import GenreLinearAlgebra

/// EASE (Steck 2019): item-item weights B = I − P·diag(1/diag(P)) with P = (XᵀX + λI)⁻¹, the closed-form
/// solution of min ‖X − XB‖² + λ‖B‖² with a zero diagonal. A user's scores are x·B. X holds positive
/// strengths (dislikes are left out of the Gram matrix); when scoring, a disliked item's negative strength
/// pulls its neighbours down.
///
/// B is dense, items × items: memory grows with the square of the catalogue (4 bytes · n², so 15,000 items
/// take 900 MB). Above `maxItems` training throws `catalogueTooLarge` and the caller falls back to ALS.
public struct EASE: CollaborativeModel {
    /// Defaults are the catalogue's (`RecommenderSettings().ease`), not this type's.
    public struct Configuration: Sendable, Equatable {
        public var regularization: Float
        public var maxItems: Int

        public init(regularization: Float, maxItems: Int) {
            (self.regularization, self.maxItems) = (regularization, maxItems)
        }
    }

    public let name = "ease"
    public let configuration: Configuration
    /// Row-major items × items; row i holds what choosing item i adds to every other item.
    public let weights: [Float]
    public let itemCount: Int
    let training: InteractionMatrix

    public var userCount: Int { training.userCount }

    public static func train(_ matrix: InteractionMatrix, configuration c: Configuration) throws -> EASE {
        let n = matrix.itemCount
        guard n <= c.maxItems else { throw CollaborativeError.catalogueTooLarge(items: n, limit: c.maxItems) }
        guard c.regularization > 0, c.regularization.isFinite else {
            throw CollaborativeError.invalidConfiguration("EASE needs a finite regularisation > 0 (it keeps XᵀX + λI invertible)")
        }
        // G = XᵀX from each user's pairs (sparse: Σ |items of u|² work, not users × n²).
        var gram = [Float](repeating: 0, count: n * n)
        for user in 0..<matrix.userCount {
            let row = matrix.items(ofUser: user).filter { matrix.userValues[$0] > 0 }
            for a in row {
                let i = Int(matrix.userItems[a]), va = matrix.userValues[a]
                for b in row { gram[i * n + Int(matrix.userItems[b])] += va * matrix.userValues[b] }
            }
        }
        for i in 0..<n { gram[i * n + i] += c.regularization }
        do {
            try PositiveDefinite.invert(&gram, order: n)
        } catch let error as LinearAlgebraError {
            throw CollaborativeError.notPositiveDefinite(model: "EASE", detail: error.description)
        }
        // B[i][j] = −P[i][j] / P[j][j] off the diagonal, 0 on it.
        var diagonal = [Float](repeating: 0, count: n)
        for j in 0..<n { diagonal[j] = gram[j * n + j] }
        for i in 0..<n {
            for j in 0..<n { gram[i * n + j] = i == j ? 0 : -gram[i * n + j] / diagonal[j] }
        }
        return EASE(configuration: c, weights: gram, itemCount: n, training: matrix)
    }

    public func scores(user: Int) -> [Float] { scores(of: training.interactions(ofUser: user)) }
    public func scores(history: [Interaction]) throws -> [Float] { scores(of: history) }

    func scores(of history: [Interaction]) -> [Float] {
        var out = [Float](repeating: 0, count: itemCount)
        weights.withUnsafeBufferPointer { w in
            out.withUnsafeMutableBufferPointer { o in
                for interaction in history where Int(interaction.item) < itemCount && interaction.strength != 0 {
                    VectorKernels.axpy(interaction.strength, w.baseAddress! + Int(interaction.item) * itemCount, o.baseAddress!, count: itemCount)
                }
            }
        }
        return out
    }

    /// score(j) = Σᵢ xᵢ·B[i][j], so entry i contributes exactly xᵢ·B[i][j].
    public func contributions(history: [Interaction], to items: [Int32]) -> [[Float]] {
        items.map { item in
            history.map { entry in
                Int(entry.item) < itemCount ? entry.strength * weights[Int(entry.item) * itemCount + Int(item)] : 0
            }
        }
    }

    /// Item i's strongest positive weights, top k: its collaborative neighbours.
    public func itemNeighbors(k: Int) -> [[ItemNeighbor]] {
        (0..<itemCount).map { i in
            var best = TopK(k: k)
            for j in 0..<itemCount where weights[i * itemCount + j] > 0 { best.offer(Int32(j), weights[i * itemCount + j]) }
            return best.sorted().map { ItemNeighbor(item: $0.index, score: $0.score) }
        }
    }
}
