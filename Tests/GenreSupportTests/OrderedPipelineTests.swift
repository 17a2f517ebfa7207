import Foundation
import Synchronization
import Testing
import GenreSupport

@Suite("ordered pipeline")
struct OrderedPipelineTests {
    @Test("results arrive in index order whatever order the workers finish in", arguments: [1, 2, 4])
    func ordered(workers: Int) throws {
        var received: [Int] = []
        orderedPipeline(count: 200, workers: workers, lookahead: 3, produce: { index in
            // Later chunks finish sooner, to shuffle completion order.
            if index % 7 == 0 { Thread.sleep(forTimeInterval: 0.001) }
            return index * index
        }, consume: { received.append($0) })
        #expect(received == (0..<200).map { $0 * $0 })
    }

    @Test("producers never run more than `lookahead` chunks ahead of the consumer")
    func bounded() throws {
        let produced = Atomic<Int>(0)
        var maxAhead = 0
        var consumed = 0
        orderedPipeline(count: 100, workers: 2, lookahead: 4, produce: { index in
            produced.add(1, ordering: .relaxed)
            return index
        }, consume: { _ in
            Thread.sleep(forTimeInterval: 0.0005)
            consumed += 1
            maxAhead = max(maxAhead, produced.load(ordering: .relaxed) - consumed)
        })
        #expect(consumed == 100)
        #expect(maxAhead <= 4)
    }

    @Test("an error from the consumer stops the pipeline and propagates")
    func consumerError() throws {
        struct Stop: Error {}
        var seen = 0
        #expect(throws: Stop.self) {
            try orderedPipeline(count: 1000, workers: 2, lookahead: 2, produce: { $0 }, consume: { index in
                seen += 1
                if index == 10 { throw Stop() }
            })
        }
        #expect(seen == 11)
    }

    @Test("zero chunks is a no-op")
    func empty() {
        var called = false
        orderedPipeline(count: 0, produce: { $0 }, consume: { (_: Int) in called = true })
        #expect(!called)
    }
}
