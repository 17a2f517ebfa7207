/// Keeps the `k` highest-scoring candidates seen so far, in O(n log k), without sorting everything.
///
/// Ties are broken by the smaller index, so results are deterministic whatever the input order.
public struct TopK: Sendable {
    public let k: Int
    /// A min-heap on (score, -index): the root is the weakest kept candidate.
    private var heap: [(index: Int32, score: Float)] = []

    public init(k: Int) {
        precondition(k >= 0)
        self.k = k
        heap.reserveCapacity(k)
    }

    public var count: Int { heap.count }

    /// Lowest score that would still be kept, or -infinity while the heap is not full (+infinity when k is 0:
    /// nothing is ever kept, and there is no heap root to read).
    public var threshold: Float { k == 0 ? .infinity : heap.count < k ? -.infinity : heap[0].score }

    public mutating func offer(_ index: Int32, _ score: Float) {
        guard k > 0, !score.isNaN else { return }
        if heap.count < k {
            heap.append((index, score))
            siftUp(heap.count - 1)
        } else if Self.weaker(heap[0], (index, score)) {
            heap[0] = (index, score)
            siftDown(0)
        }
    }

    /// The kept candidates, best first.
    public func sorted() -> [(index: Int32, score: Float)] {
        heap.sorted { Self.weaker($1, $0) }
    }

    /// True when `a` ranks below `b`.
    static func weaker(_ a: (index: Int32, score: Float), _ b: (index: Int32, score: Float)) -> Bool {
        a.score < b.score || (a.score == b.score && a.index > b.index)
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.weaker(heap[child], heap[parent]) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1, right = left + 1
            var weakest = parent
            if left < heap.count && Self.weaker(heap[left], heap[weakest]) { weakest = left }
            if right < heap.count && Self.weaker(heap[right], heap[weakest]) { weakest = right }
            if weakest == parent { return }
            heap.swapAt(parent, weakest)
            parent = weakest
        }
    }
}
