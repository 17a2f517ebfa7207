import Testing
@testable import GenreRecommend

@Suite struct RerankBlendTests {
    let scores: [Float] = [1.0, 0.8, 0.5]

    @Test("weight 0 keeps the blend order, weight 1 follows the re-ranker; the list's scores are handed out again in order")
    func weights() {
        let kept = RerankBlend.blend(scores: scores, rerank: [0, 0.5, 1], weight: 0)
        #expect(kept.map(\.original) == [0, 1, 2] && kept.map(\.score) == scores && kept.allSatisfy { $0.rerankShare == 0 })
        let followed = RerankBlend.blend(scores: scores, rerank: [0, 0.5, 1], weight: 1)
        #expect(followed.map(\.original) == [2, 1, 0] && followed.map(\.score) == scores)
        #expect(followed[0].rerankShare == 1)
    }

    @Test("in between, each row's reranker share is w · rerank ÷ its new score")
    func shares() {
        let rows = RerankBlend.blend(scores: scores, rerank: [0, 0.5, 1], weight: 0.5)
        // New values: 0.5, 0.4 + 0.25 = 0.65, 0.25 + 0.5 = 0.75 → order 2, 1, 0.
        #expect(rows.map(\.original) == [2, 1, 0])
        #expect(abs(rows[0].rerankShare - 0.5 / 0.75) < 1e-6 && abs(rows[1].rerankShare - 0.25 / 0.65) < 1e-6 && rows[2].rerankShare == 0)
    }
}
