import Foundation
import GenreLinearAlgebra

/// Item-to-item similarity of text: the cosine between items' unit-length embeddings, top k per item.
///
/// Computed in row blocks (block × n scores at a time through sgemm), so memory stays at one block of
/// scores whatever the catalogue size; the blocks run on `concurrency` threads with one BLAS thread each.
/// An all-pairs product is quadratic in the catalogue: fine for tens of thousands of items, not millions.
public enum ContentSimilarity {
    /// - Parameters:
    ///   - vectors: n × dims, row-major, unit length; an item without a vector has `present[i] == false`.
    public static func neighbors(vectors: [Float], present: [Bool], dims: Int, k: Int, block: Int = 256,
                                 concurrency: Int = 2) -> [[ItemNeighbor]] {
        let n = present.count
        precondition(vectors.count == n * dims && k > 0)
        let blocks = stride(from: 0, to: n, by: block).map { $0..<min($0 + block, n) }
        let results = NeighborLists(count: n)
        DispatchQueue.concurrentPerform(iterations: max(1, min(concurrency, blocks.count))) { worker in
            var scores = [Float](repeating: 0, count: block * n)
            var index = worker
            while index < blocks.count {
                let rows = blocks[index]
                vectors.withUnsafeBufferPointer { v in
                    scores.withUnsafeMutableBufferPointer { s in
                        BLAS.gemm(m: rows.count, n: n, k: dims, a: v.baseAddress! + rows.lowerBound * dims, lda: dims,
                                  b: v.baseAddress!, ldb: dims, transposeB: true, c: s.baseAddress!, ldc: n)
                    }
                }
                for (offset, item) in rows.enumerated() where present[item] {
                    var best = TopK(k: k)
                    let base = offset * n
                    for other in 0..<n where other != item && present[other] {
                        let score = scores[base + other]
                        if score >= best.threshold { best.offer(Int32(other), score) }
                    }
                    results.store(item, best.sorted().map { ItemNeighbor(item: $0.index, score: $0.score) })
                }
                index += max(1, min(concurrency, blocks.count))
            }
        }
        return results.values
    }
}

/// Per-item lists written from several threads; each index is written once.
final class NeighborLists: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [[ItemNeighbor]]
    init(count: Int) { values = Array(repeating: [], count: count) }
    func store(_ index: Int, _ list: [ItemNeighbor]) {
        lock.lock()
        values[index] = list
        lock.unlock()
    }
}
