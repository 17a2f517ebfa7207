import Foundation
import GenreLinearAlgebra

/// The parameters of a latent-factor model (ALS, BPR): row-major user and item factor matrices, and an
/// optional per-item bias. A score is userFactors[u] · itemFactors[i] + itemBias[i].
public struct FactorModel: Sendable {
    public let factors: Int
    public let userCount: Int
    public let itemCount: Int
    public var userFactors: [Float]
    public var itemFactors: [Float]
    /// Empty when the model has no bias (ALS).
    public var itemBias: [Float]

    public init(factors: Int, userFactors: [Float], itemFactors: [Float], itemBias: [Float] = []) {
        precondition(factors > 0 && userFactors.count % factors == 0 && itemFactors.count % factors == 0)
        self.factors = factors
        self.userCount = userFactors.count / factors
        self.itemCount = itemFactors.count / factors
        self.userFactors = userFactors
        self.itemFactors = itemFactors
        self.itemBias = itemBias
        precondition(itemBias.isEmpty || itemBias.count == itemCount)
    }

    public func userVector(_ user: Int) -> [Float] { Array(userFactors[user * factors..<(user + 1) * factors]) }
    public func itemVector(_ item: Int) -> [Float] { Array(itemFactors[item * factors..<(item + 1) * factors]) }

    /// Every item's score for one user vector: one matrix-vector product.
    public func scores(userVector: [Float]) -> [Float] {
        precondition(userVector.count == factors)
        var out = itemBias.isEmpty ? [Float](repeating: 0, count: itemCount) : itemBias
        guard itemCount > 0 else { return out }
        itemFactors.withUnsafeBufferPointer { y in
            userVector.withUnsafeBufferPointer { x in
                out.withUnsafeMutableBufferPointer { o in
                    // y = Y·x + bias: sgemv with beta 1 keeps the bias already in `out`.
                    BLAS.gemv(m: itemCount, n: factors, a: y.baseAddress!, lda: factors, x: x.baseAddress!, y: o.baseAddress!, beta: 1)
                }
            }
        }
        return out
    }

    /// Scores of users `users` (row-major, users.count × itemCount) in one matrix product.
    public func scores(users: Range<Int>) -> [Float] {
        var out = [Float](repeating: 0, count: users.count * itemCount)
        guard !users.isEmpty, itemCount > 0 else { return out }
        userFactors.withUnsafeBufferPointer { u in
            itemFactors.withUnsafeBufferPointer { y in
                out.withUnsafeMutableBufferPointer { o in
                    BLAS.gemm(m: users.count, n: itemCount, k: factors, a: u.baseAddress! + users.lowerBound * factors, lda: factors,
                              b: y.baseAddress!, ldb: factors, transposeB: true, c: o.baseAddress!, ldc: itemCount)
                }
            }
        }
        if !itemBias.isEmpty {
            for row in 0..<users.count { for item in 0..<itemCount { out[row * itemCount + item] += itemBias[item] } }
        }
        return out
    }

    /// Cosine similarity of item factor vectors, top `k` per item (the collaborative neighbours of
    /// genre.similar_items).
    public func itemNeighbors(k: Int) -> [[ItemNeighbor]] {
        var unit = itemFactors
        var present = [Bool](repeating: false, count: itemCount)
        for item in 0..<itemCount {
            let range = item * factors..<(item + 1) * factors
            let norm = unit[range].reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 1e-12 else { continue }
            present[item] = true
            for d in range { unit[d] /= norm }
        }
        return ContentSimilarity.neighbors(vectors: unit, present: present, dims: factors, k: k)
    }

    var isFinite: Bool { userFactors.allSatisfy(\.isFinite) && itemFactors.allSatisfy(\.isFinite) && itemBias.allSatisfy(\.isFinite) }
}

/// A float buffer several threads write disjoint rows of (each solve owns its row), without the copy-on-
/// write checks of an array shared across threads.
final class SharedRows: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int
    init(_ values: [Float]) {
        count = values.count
        pointer = .allocate(capacity: max(count, 1))
        values.withUnsafeBufferPointer { if count > 0 { pointer.initialize(from: $0.baseAddress!, count: count) } }
    }
    var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
    var allFinite: Bool { UnsafeBufferPointer(start: pointer, count: count).allSatisfy(\.isFinite) }
    deinit { pointer.deallocate() }
}

/// Runs `body` over 0..<count in chunks on every core; each index is handled exactly once.
func parallelChunks(_ count: Int, chunk: Int = 32, _ body: @Sendable (Range<Int>) -> Void) {
    let chunks = (count + chunk - 1) / chunk
    DispatchQueue.concurrentPerform(iterations: chunks) { index in
        body(index * chunk..<min((index + 1) * chunk, count))
    }
}
