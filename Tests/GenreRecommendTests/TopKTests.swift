import Testing
import GenreSupport
@testable import GenreRecommend

@Suite struct TopKTests {
    /// The reference: sort everything by score descending, ties by smaller index, and cut.
    func naiveTop(_ candidates: [(index: Int32, score: Float)], k: Int) -> [(index: Int32, score: Float)] {
        Array(candidates.filter { !$0.score.isNaN }
            .sorted { $0.score > $1.score || ($0.score == $1.score && $0.index < $1.index) }
            .prefix(k))
    }

    func run(_ candidates: [(index: Int32, score: Float)], k: Int) -> [(index: Int32, score: Float)] {
        var top = TopK(k: k)
        for candidate in candidates { top.offer(candidate.index, candidate.score) }
        return top.sorted()
    }

    @Test func handWorkedExample() {
        let result = run([(0, 0.5), (1, 0.9), (2, 0.1), (3, 0.9), (4, 0.7)], k: 3)
        #expect(result.map(\.index) == [1, 3, 4])
        #expect(result.map(\.score) == [0.9, 0.9, 0.7])
    }

    @Test func tiesPreferTheSmallerIndexWhateverTheOrder() {
        #expect(run([(9, 1), (4, 1), (7, 1), (2, 1)], k: 2).map(\.index) == [2, 4])
        #expect(run([(2, 1), (4, 1), (7, 1), (9, 1)], k: 2).map(\.index) == [2, 4])
    }

    @Test func nanIsIgnored() {
        #expect(run([(0, .nan), (1, 0.2), (2, .nan)], k: 2).map(\.index) == [1])
    }

    @Test func thresholdIsMinusInfinityUntilFullThenTheWeakestKept() {
        var top = TopK(k: 2)
        #expect(top.threshold == -.infinity)
        top.offer(0, 3)
        #expect(top.threshold == -.infinity)
        top.offer(1, 5)
        #expect(top.threshold == 3)
        top.offer(2, 4)
        #expect(top.threshold == 4)
        #expect(top.count == 2)
    }

    @Test func zeroKKeepsNothingAndHasAThreshold() {
        var top = TopK(k: 0)
        top.offer(1, 1)
        #expect(top.count == 0)
        #expect(top.sorted().isEmpty)
        #expect(top.threshold == .infinity)
    }

    @Test(arguments: [1, 2, 5, 17, 100, 250])
    func agreesWithAFullSortOnRandomInput(k: Int) {
        var random = SplitMix64(seed: 0xC0FFEE &+ UInt64(k))
        for round in 0..<20 {
            let n = Int.random(in: 0...200, using: &random)
            // Half the rounds draw from few distinct values, so ties are frequent.
            let coarse = round % 2 == 0
            var candidates: [(index: Int32, score: Float)] = (0..<n).map { i in
                let score = coarse ? Float(Int.random(in: -3...3, using: &random))
                                   : Float.random(in: -1...1, using: &random)
                return (Int32(i), score)
            }
            candidates.shuffle(using: &random)
            let expected = naiveTop(candidates, k: k)
            let actual = run(candidates, k: k)
            #expect(actual.map(\.index) == expected.map(\.index), "k \(k) round \(round)")
            #expect(actual.map(\.score) == expected.map(\.score), "k \(k) round \(round)")
        }
    }
}
