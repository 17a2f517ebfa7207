/// Blends a re-ranker's view into the first rows of a list: each row's new score is
/// (1 − w) · score / top score + w · rerank, with rerank in 0…1. The rows keep the list's own scores, handed
/// out again in the new order, so the rows below them stay in order; each row's reranker share is
/// w · rerank / new score, and the blend's strategies share the rest in proportion.
public enum RerankBlend {
    public struct Row: Sendable, Equatable {
        /// The row's position before the blend (0-based).
        public var original: Int
        public var score: Float
        public var rerankShare: Double
    }

    public static func blend(scores: [Float], rerank: [Double], weight: Double) -> [Row] {
        precondition(scores.count == rerank.count)
        let top = Double(scores.max() ?? 0)
        let w = min(max(weight, 0), 1)
        let blended = scores.indices.map { i -> (index: Int, value: Double, share: Double) in
            let own = top > 0 ? (1 - w) * Double(scores[i]) / top : 0
            let value = own + w * rerank[i]
            return (i, value, value > 0 ? w * rerank[i] / value : 0)
        }
        let order = blended.sorted { $0.value > $1.value || ($0.value == $1.value && $0.index < $1.index) }
        let handedOut = scores.sorted(by: >)
        return order.enumerated().map { position, row in Row(original: row.index, score: handedOut[position], rerankShare: row.share) }
    }
}
