import Foundation
import Testing
import GenreSupport
import GenreRecommend

/// CooccurrenceModel against a naive dense reference: an item × user matrix of positive strengths, cosine
/// between rows, damped by n / (n + shrinkage), all pairs, full sort.
@Suite struct CooccurrenceModelTests {
    typealias Entry = InteractionMatrix.Entry

    struct ReferenceNeighbor { var item: Int; var score: Double; var common: Int }

    func reference(users: Int, items: Int, entries: [Entry], k: Int, shrinkage: Double) -> [[ReferenceNeighbor]] {
        var dense = [[Double]](repeating: [Double](repeating: 0, count: users), count: items)
        for entry in entries { dense[Int(entry.item)][Int(entry.user)] += Double(entry.value) }
        for i in 0..<items { for u in 0..<users where dense[i][u] <= 0 { dense[i][u] = 0 } }  // positive only
        func norm(_ i: Int) -> Double { dense[i].reduce(0) { $0 + $1 * $1 }.squareRoot() }
        return (0..<items).map { i in
            var row: [ReferenceNeighbor] = []
            for j in 0..<items where j != i {
                let common = (0..<users).filter { dense[i][$0] > 0 && dense[j][$0] > 0 }.count
                guard common > 0 else { continue }
                let dot = (0..<users).reduce(0.0) { $0 + dense[i][$1] * dense[j][$1] }
                let cosine = dot / (norm(i) * norm(j))
                row.append(ReferenceNeighbor(item: j, score: cosine * Double(common) / (Double(common) + shrinkage), common: common))
            }
            row.sort { $0.score > $1.score || ($0.score == $1.score && $0.item < $1.item) }
            return Array(row.prefix(k))
        }
    }

    func randomEntries(users: Int, items: Int, count: Int, using random: inout SplitMix64) -> [Entry] {
        (0..<count).map { _ in
            Entry(user: Int32(Int.random(in: 0..<users, using: &random)), item: Int32(Int.random(in: 0..<items, using: &random)),
                  value: Float.random(in: -2...5, using: &random))
        }
    }

    @Test(arguments: [(1, 0.0), (4, 2.0), (10, 25.0)])
    func agreesWithDenseReference(k: Int, shrinkage: Double) {
        var random = SplitMix64(seed: 7 &+ UInt64(k))
        for round in 0..<8 {
            let users = 30, items = 20
            let entries = randomEntries(users: users, items: items, count: 150, using: &random)
            let matrix = InteractionMatrix(userCount: users, itemCount: items, entries: entries)
            let model = CooccurrenceModel(matrix: matrix, neighborsPerItem: k, shrinkage: shrinkage, concurrency: 2)
            let expected = reference(users: users, items: items, entries: entries, k: k, shrinkage: shrinkage)
            #expect(model.neighbors.count == items)
            for i in 0..<items {
                let got = model.neighbors[i], want = expected[i]
                #expect(got.map { Int($0.item) } == want.map(\.item), "round \(round) item \(i)")
                for (g, w) in zip(got, want) {
                    #expect(abs(Double(g.score) - w.score) < 1e-5, "round \(round) item \(i) → \(w.item)")
                    #expect(Int(g.commonUsers) == w.common)
                }
                #expect(!got.contains { Int($0.item) == i })
            }
        }
    }

    /// Hand-worked: users 0 and 1 both like items 0 and 1; user 1 also likes item 2.
    /// cos(0,1) = (1·1 + 2·2) / (√5 · √5) = 1, n = 2; cos(0,2) = (2·4) / (√5 · 4) = 2/√5, n = 1.
    @Test func handWorkedExample() {
        let matrix = InteractionMatrix(userCount: 2, itemCount: 3, entries: [
            Entry(user: 0, item: 0, value: 1), Entry(user: 0, item: 1, value: 1),
            Entry(user: 1, item: 0, value: 2), Entry(user: 1, item: 1, value: 2), Entry(user: 1, item: 2, value: 4),
        ])
        let model = CooccurrenceModel(matrix: matrix, neighborsPerItem: 5, shrinkage: 1)
        let first = model.neighbors[0]
        #expect(first.map(\.item) == [1, 2])
        #expect(abs(first[0].score - Float(1.0 * 2 / 3)) < 1e-6)
        #expect(abs(first[1].score - Float(2 / 5.0.squareRoot() * 1 / 2)) < 1e-6)
        #expect(first.map(\.commonUsers) == [2, 1])
    }

    @Test func negativeStrengthsAreIgnored() {
        var random = SplitMix64(seed: 99)
        let users = 25, items = 15
        let plain = (0..<120).map { _ in
            Entry(user: Int32(Int.random(in: 0..<users, using: &random)), item: Int32(Int.random(in: 0..<items, using: &random)),
                  value: Float.random(in: 0.5...5, using: &random))
        }.filter { !($0.user == 0 && $0.item == 0) }
        let occupied = Set(plain.map { Int($0.user) * 1000 + Int($0.item) })
        var withDislikes = plain
        // Dislikes on cells nobody liked: they must not create similarity.
        for u in 0..<users {
            for i in 0..<items where !occupied.contains(u * 1000 + i) && (u + i) % 3 == 0 {
                withDislikes.append(Entry(user: Int32(u), item: Int32(i), value: -5))
            }
        }
        // A like cancelled by a bigger dislike on the same cell sums negative and counts as nothing.
        withDislikes.append(Entry(user: 0, item: 0, value: 2))
        withDislikes.append(Entry(user: 0, item: 0, value: -7))
        let a = CooccurrenceModel(matrix: InteractionMatrix(userCount: users, itemCount: items, entries: plain),
                                  neighborsPerItem: 6, shrinkage: 3)
        let b = CooccurrenceModel(matrix: InteractionMatrix(userCount: users, itemCount: items, entries: withDislikes),
                                  neighborsPerItem: 6, shrinkage: 3)
        #expect(a.neighbors == b.neighbors)
        #expect(a.neighbors.contains { !$0.isEmpty })
    }

    /// Items only disliked have no neighbours and are no one's neighbour.
    @Test func onlyDislikedItemHasNoNeighbours() {
        let matrix = InteractionMatrix(userCount: 2, itemCount: 3, entries: [
            Entry(user: 0, item: 0, value: 3), Entry(user: 0, item: 1, value: 3), Entry(user: 0, item: 2, value: -5),
            Entry(user: 1, item: 0, value: 1), Entry(user: 1, item: 2, value: -5),
        ])
        let model = CooccurrenceModel(matrix: matrix, neighborsPerItem: 3, shrinkage: 0)
        #expect(model.neighbors[2].isEmpty)
        #expect(model.neighbors[0].map(\.item) == [1])
        #expect(model.neighbors[1].map(\.item) == [0])
    }

    /// Equal scores keep the smaller item index, whatever order the items are met in. Item 0 meets item 3
    /// first (through user 0) and item 1 second (through user 1); both score 1/√2.
    @Test func tiesKeepTheSmallerItem() {
        let matrix = InteractionMatrix(userCount: 2, itemCount: 4, entries: [
            Entry(user: 0, item: 0, value: 1), Entry(user: 0, item: 3, value: 1),
            Entry(user: 1, item: 0, value: 1), Entry(user: 1, item: 1, value: 1),
        ])
        let model = CooccurrenceModel(matrix: matrix, neighborsPerItem: 1, shrinkage: 0)
        #expect(model.neighbors[0].map(\.item) == [1])
        #expect(abs(model.neighbors[0][0].score - Float(1 / 2.0.squareRoot())) < 1e-6)
    }
}
