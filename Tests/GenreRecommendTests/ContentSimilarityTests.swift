import Testing
@testable import GenreRecommend

@Suite("content similarity and the similar-items blend")
struct ContentSimilarityTests {
    /// Unit vectors in 3-D: 0 and 1 close, 2 orthogonal, 3 has no vector.
    static let vectors: [Float] = [1, 0, 0,  0.8, 0.6, 0,  0, 0, 1,  0, 0, 0]
    static let present = [true, true, true, false]

    @Test("top-k by cosine, self and vector-less items excluded, against a naive double loop", arguments: [1, 2])
    func againstNaive(block: Int) {
        let lists = ContentSimilarity.neighbors(vectors: Self.vectors, present: Self.present, dims: 3, k: 2, block: block)
        #expect(lists[0].map(\.item) == [1, 2])
        #expect(abs(lists[0][0].score - 0.8) < 1e-6 && abs(lists[0][1].score) < 1e-6)
        #expect(lists[3].isEmpty)
        for item in 0..<3 {
            var naive: [(item: Int32, score: Float)] = []
            for other in 0..<3 where other != item {
                var dot: Float = 0
                for d in 0..<3 { dot += Self.vectors[item * 3 + d] * Self.vectors[other * 3 + d] }
                naive.append((Int32(other), dot))
            }
            naive.sort { $0.score > $1.score || ($0.score == $1.score && $0.item < $1.item) }
            let expected: [Int32] = naive.map { $0.item }
            #expect(lists[item].map { $0.item } == expected)
        }
    }

    @Test("the blend keeps the union of both lists, scored w·content + (1−w)·co-occurrence")
    func blend() {
        let cooccurrence: [[CooccurrenceModel.Neighbor]] = [[.init(item: 2, score: 0.9, commonUsers: 4)], [], []]
        let content: [[ItemNeighbor]] = [[.init(item: 1, score: 0.8), .init(item: 2, score: 0.1)], [], []]
        let blended = SimilarItems.blend(cooccurrence: cooccurrence, content: content, contentWeight: 0.25)
        #expect(blended[0].map(\.item) == [2, 1])
        #expect(abs(blended[0][0].score - (0.25 * 0.1 + 0.75 * 0.9)) < 1e-6)
        #expect(blended[0][0].commonUsers == 4)
        #expect(abs(blended[0][1].score - 0.25 * 0.8) < 1e-6 && blended[0][1].cooccurrence == 0)
        #expect(blended[1].isEmpty)
    }
}

@Suite("item vector table scoring")
struct ItemVectorTableTests {
    @Test("matrix-vector and batched scores agree with the naive dot products")
    func scoresAgree() {
        var state: UInt64 = 42
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2000) / 1000 - 1
        }
        let items = 37, dims = 12
        let values = (0..<items * dims).map { _ in next() }
        let table = ItemVectorTable(values: values, present: Array(repeating: true, count: items), dims: dims)
        let queries = (0..<5).map { _ in (0..<dims).map { _ in next() } }
        let batch = table.scores(batch: queries)
        for (q, query) in queries.enumerated() {
            let single = table.scores(query)
            for item in 0..<items {
                let naive = (0..<dims).reduce(Float(0)) { $0 + values[item * dims + $1] * query[$1] }
                #expect(abs(single[item] - naive) < 1e-4 && abs(batch[q][item] - naive) < 1e-4)
            }
        }
    }
}
