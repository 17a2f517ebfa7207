import GenreRecommend
import GenreSupport

/// A block-structured ("checkerboard") world where the right answer is known: users of block b only ever
/// choose items of block b, so every model should recommend each user the unseen items of their own block.
struct Checkerboard {
    let blocks: Int
    let usersPerBlock: Int
    let itemsPerBlock: Int
    let matrix: InteractionMatrix

    /// Each user chooses between `chosenPerUser − 3` and `chosenPerUser + 2` items of their block (varied, so
    /// that items of one block are not forced to compete for a fixed number of slots).
    init(blocks: Int = 4, usersPerBlock: Int = 12, itemsPerBlock: Int = 15, chosenPerUser: Int = 9, seed: UInt64 = 1,
         leaveOutUser: Int? = nil) {
        self.blocks = blocks
        self.usersPerBlock = usersPerBlock
        self.itemsPerBlock = itemsPerBlock
        var rng = SplitMix64(seed: seed)
        var entries: [InteractionMatrix.Entry] = []
        for user in 0..<blocks * usersPerBlock where user != leaveOutUser {
            let block = user / usersPerBlock
            let count = min(itemsPerBlock - 1, max(1, chosenPerUser - 3 + rng.nextIndex(6)))
            let items = (0..<itemsPerBlock).shuffled(using: &rng).prefix(count)
            for item in items {
                entries.append(.init(user: Int32(user), item: Int32(block * itemsPerBlock + item), value: Float(1 + rng.nextIndex(3))))
            }
        }
        matrix = InteractionMatrix(userCount: blocks * usersPerBlock, itemCount: blocks * itemsPerBlock, entries: entries)
    }

    /// The same world with `user`'s row present (for fold-in comparisons, train without it and fold it in).
    func history(of user: Int, in full: Checkerboard) -> [Interaction] { full.matrix.interactions(ofUser: user) }

    func block(ofUser user: Int) -> Int { user / usersPerBlock }
    func block(ofItem item: Int) -> Int { item / itemsPerBlock }

    /// The user's best `k` items among those they have not chosen.
    static func topUnseen(_ scores: [Float], seen: Set<Int32>, k: Int) -> [Int] {
        var best = TopK(k: k)
        for (item, score) in scores.enumerated() where !seen.contains(Int32(item)) { best.offer(Int32(item), score) }
        return best.sorted().map { Int($0.index) }
    }

    /// Fraction of every user's top-k unseen items that lie in the user's own block.
    func inBlockFraction(k: Int, scores: (Int) throws -> [Float]) rethrows -> Double {
        var hits = 0, total = 0
        for user in 0..<matrix.userCount where !matrix.items(ofUser: user).isEmpty {
            let seen = Set(matrix.items(ofUser: user).map { matrix.userItems[$0] })
            for item in Self.topUnseen(try scores(user), seen: seen, k: k) {
                total += 1
                if block(ofItem: item) == block(ofUser: user) { hits += 1 }
            }
        }
        return Double(hits) / Double(max(total, 1))
    }
}

/// The implicit-ALS objective, computed naively over every cell (tests only: O(users · items · factors)).
func implicitLoss(_ matrix: InteractionMatrix, _ model: FactorModel, alpha: Float, lambda: Float) -> Double {
    var loss = 0.0
    for user in 0..<matrix.userCount {
        var strength = [Float](repeating: 0, count: matrix.itemCount)
        for slot in matrix.items(ofUser: user) { strength[Int(matrix.userItems[slot])] = matrix.userValues[slot] }
        for item in 0..<matrix.itemCount {
            let c = 1 + Double(alpha) * Double(abs(strength[item]))
            let p: Double = strength[item] > 0 ? 1 : 0
            var dot = 0.0
            for d in 0..<model.factors {
                dot += Double(model.userFactors[user * model.factors + d]) * Double(model.itemFactors[item * model.factors + d])
            }
            loss += c * (p - dot) * (p - dot)
        }
    }
    let norms = (model.userFactors + model.itemFactors).reduce(0.0) { $0 + Double($1) * Double($1) }
    return loss + Double(lambda) * norms
}

/// Solves a·x = b (n×n, row-major) by Gaussian elimination with partial pivoting, in Double.
func naiveSolve(_ a: [Double], _ b: [Double]) -> [Double] {
    let n = b.count
    var m = a, v = b
    for column in 0..<n {
        let pivot = (column..<n).max { abs(m[$0 * n + column]) < abs(m[$1 * n + column]) }!
        for k in 0..<n { m.swapAt(column * n + k, pivot * n + k) }
        v.swapAt(column, pivot)
        for row in (column + 1)..<n {
            let factor = m[row * n + column] / m[column * n + column]
            for k in column..<n { m[row * n + k] -= factor * m[column * n + k] }
            v[row] -= factor * v[column]
        }
    }
    var x = [Double](repeating: 0, count: n)
    for row in stride(from: n - 1, through: 0, by: -1) {
        var sum = v[row]
        for k in (row + 1)..<n { sum -= m[row * n + k] * x[k] }
        x[row] = sum / m[row * n + row]
    }
    return x
}
