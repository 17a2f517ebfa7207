import GenreLinearAlgebra
/// Maximal marginal relevance: re-orders the head of a ranked list so that each next item balances its
/// relevance against its text similarity to the items already chosen:
///     pick argmax  λ · relevance(c) − (1 − λ) · max_{s chosen} cos(c, s)
/// with relevance = score / best score. λ = 1 keeps the order; lower values spread the list. Items without
/// a vector count as dissimilar to everything. Each step updates every candidate's closest-chosen
/// similarity with one dot product, so re-ranking w positions of a pool of n costs w · n dot products.
public enum Diversity {
    public static func rerank(_ rows: [Recommendation], vectors: ItemVectorTable, lambda: Float, window: Int) -> [Recommendation] {
        guard lambda < 1, rows.count > 1, !vectors.isEmpty, window > 1 else { return rows }
        let pool = Array(rows.prefix(max(window * 3, window)))
        let best = max(pool.map(\.score).max() ?? 1, 1e-12)
        var remaining = Array(pool.indices)
        var closest = [Float](repeating: 0, count: pool.count)  // max similarity to the chosen items
        var chosen: [Int] = []
        while chosen.count < min(window, pool.count) {
            var pick = remaining[0], pickValue = -Float.infinity
            for candidate in remaining {
                let value = lambda * pool[candidate].score / best - (1 - lambda) * closest[candidate]
                if value > pickValue { pick = candidate; pickValue = value }
            }
            chosen.append(pick)
            remaining.removeAll { $0 == pick }
            guard let picked = vectors.vector(pool[pick].item) else { continue }
            for candidate in remaining {
                guard let v = vectors.vector(pool[candidate].item) else { continue }
                closest[candidate] = max(closest[candidate], VectorKernels.dot(picked, v))
            }
        }
        let head = chosen.map { pool[$0] }
        let taken = Set(head.map(\.item))
        return head + rows.filter { !taken.contains($0.item) }
    }

    /// 1 − the mean pairwise cosine of the listed items' vectors (items without one are skipped): 0 for a
    /// list of near-duplicates, about 1 for unrelated items.
    public static func intraListDiversity(_ items: [Int32], vectors: ItemVectorTable) -> Float? {
        let present = items.compactMap { vectors.vector($0) }
        guard present.count > 1 else { return nil }
        var total: Float = 0, pairs = 0
        for i in 0..<present.count {
            for j in (i + 1)..<present.count {
                total += VectorKernels.dot(present[i], present[j])
                pairs += 1
            }
        }
        return 1 - total / Float(pairs)
    }
}
