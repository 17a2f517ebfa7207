import Foundation

/// Item-to-item similarity from co-occurrence: the cosine between two items' user vectors (positive
/// strengths only), damped for pairs seen by few users: cos · n / (n + shrinkage).
///
/// Built one item at a time with a dense accumulator, walking item → its users → their items, which costs
/// Σ over users of (items per user)² and needs no item × item matrix. Items are split across cores.
public struct CooccurrenceModel: Sendable {
    public struct Neighbor: Sendable, Equatable {
        public var item: Int32
        public var score: Float
        /// Users who interacted positively with both items.
        public var commonUsers: Int32
        public init(item: Int32, score: Float, commonUsers: Int32) {
            self.item = item
            self.score = score
            self.commonUsers = commonUsers
        }
    }

    /// neighbors[i]: the most similar items to item i, best first.
    public let neighbors: [[Neighbor]]

    public init(neighbors: [[Neighbor]]) { self.neighbors = neighbors }

    public init(matrix: InteractionMatrix, neighborsPerItem: Int, shrinkage: Double, concurrency: Int = 2) {
        precondition(neighborsPerItem > 0 && shrinkage >= 0)
        let positive = Self.positiveOnly(matrix)
        var norms = [Double](repeating: 0, count: matrix.itemCount)
        for item in 0..<matrix.itemCount {
            var sum = 0.0
            for slot in positive.users(ofItem: item) { sum += Double(positive.itemValues[slot] * positive.itemValues[slot]) }
            norms[item] = sum.squareRoot()
        }
        let itemCount = matrix.itemCount
        let chunks = max(1, min(concurrency * 4, itemCount))
        let results = ChunkResults(count: itemCount)
        let normsCopy = norms
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            var dot = [Double](repeating: 0, count: itemCount)
            var common = [Int32](repeating: 0, count: itemCount)
            var touched: [Int32] = []
            var item = chunk
            while item < itemCount {
                results.store(item, Self.neighbors(of: item, in: positive, norms: normsCopy, k: neighborsPerItem,
                                                   shrinkage: shrinkage, dot: &dot, common: &common, touched: &touched))
                item += chunks
            }
        }
        neighbors = results.values
    }

    static func neighbors(of item: Int, in m: InteractionMatrix, norms: [Double], k: Int, shrinkage: Double,
                          dot: inout [Double], common: inout [Int32], touched: inout [Int32]) -> [Neighbor] {
        guard norms[item] > 0 else { return [] }
        touched.removeAll(keepingCapacity: true)
        for userSlot in m.users(ofItem: item) {
            let user = Int(m.itemUsers[userSlot])
            let weight = Double(m.itemValues[userSlot])
            for slot in m.items(ofUser: user) {
                let other = Int(m.userItems[slot])
                if other == item { continue }
                if common[other] == 0 { touched.append(Int32(other)) }
                dot[other] += weight * Double(m.userValues[slot])
                common[other] += 1
            }
        }
        var best = TopK(k: k)
        var counts: [Int32: Int32] = [:]
        for other in touched {
            let o = Int(other)
            let n = Double(common[o])
            let cosine = dot[o] / (norms[item] * norms[o])
            let score = Float(cosine * n / (n + shrinkage))
            // >=, not >: a score equal to the threshold may still win on the smaller index (TopK's tie rule).
            if score >= best.threshold { best.offer(other, score); counts[other] = common[o] }
            dot[o] = 0
            common[o] = 0
        }
        return best.sorted().map { Neighbor(item: $0.index, score: $0.score, commonUsers: counts[$0.index] ?? 0) }
    }

    /// The same matrix with non-positive strengths dropped: dislikes are not evidence of similarity.
    static func positiveOnly(_ m: InteractionMatrix) -> InteractionMatrix {
        var entries: [InteractionMatrix.Entry] = []
        entries.reserveCapacity(m.nonZeroCount)
        for user in 0..<m.userCount {
            for slot in m.items(ofUser: user) where m.userValues[slot] > 0 {
                entries.append(.init(user: Int32(user), item: m.userItems[slot], value: m.userValues[slot]))
            }
        }
        return InteractionMatrix(userCount: m.userCount, itemCount: m.itemCount, entries: entries)
    }
}

/// Per-item results written from several threads; each index is written by exactly one chunk.
final class ChunkResults: @unchecked Sendable {
    private(set) var values: [[CooccurrenceModel.Neighbor]]
    private let lock = NSLock()
    init(count: Int) { values = Array(repeating: [], count: count) }
    func store(_ index: Int, _ value: [CooccurrenceModel.Neighbor]) {
        lock.lock()
        values[index] = value
        lock.unlock()
    }
}
