import Testing
@testable import GenreRecommend

@Suite("MMR diversity")
struct DiversityTests {
    /// Items 0–2 are near-duplicates (east), 3 points north, 4 has no vector.
    static let vectors = ItemVectorTable(values: [1, 0,  0.999, 0.045,  0.998, 0.063,  0, 1,  0, 0],
                                         present: [true, true, true, true, false], dims: 2)
    static func row(_ item: Int32, _ score: Float) -> Recommendation {
        Recommendation(item: item, score: score, strategy: .content, anchors: [], users: 0)
    }
    static let ranked = [row(0, 1.0), row(1, 0.95), row(2, 0.9), row(3, 0.7), row(4, 0.5)]

    @Test("λ = 1 keeps the order")
    func lambdaOneKeepsOrder() {
        #expect(Diversity.rerank(Self.ranked, vectors: Self.vectors, lambda: 1, window: 5).map(\.item) == [0, 1, 2, 3, 4])
    }

    @Test("a lower λ pulls the different item up past the near-duplicates, and loses nothing")
    func spreads() {
        let reranked = Diversity.rerank(Self.ranked, vectors: Self.vectors, lambda: 0.7, window: 5)
        // After 0: item 1 scores 0.7·0.95 − 0.3·0.999 = 0.365, item 3 scores 0.7·0.7 − 0 = 0.49.
        #expect(reranked.map(\.item).prefix(2) == [0, 3])
        #expect(Set(reranked.map(\.item)) == Set(0..<5))
        let before = Diversity.intraListDiversity(Self.ranked.prefix(3).map(\.item), vectors: Self.vectors)!
        let after = Diversity.intraListDiversity(reranked.prefix(3).map(\.item), vectors: Self.vectors)!
        #expect(after > before + 0.3, "ILD of the top 3: \(before) → \(after)")
    }

    @Test("intra-list diversity: 0 for identical items, 1 for orthogonal ones, nil below two vectors")
    func ild() {
        #expect(abs(Diversity.intraListDiversity([0, 3], vectors: Self.vectors)! - 1) < 1e-6)
        #expect(Diversity.intraListDiversity([0, 0], vectors: Self.vectors)! < 1e-6)
        #expect(Diversity.intraListDiversity([4, 0], vectors: Self.vectors) == nil)
    }
}
