import Testing
import GenreSupport
import GenreRecommend

@Suite struct InteractionMatrixTests {
    typealias Entry = InteractionMatrix.Entry

    @Test func handWorkedExample() {
        let matrix = InteractionMatrix(userCount: 3, itemCount: 4, entries: [
            Entry(user: 2, item: 1, value: 1),
            Entry(user: 0, item: 3, value: 2),
            Entry(user: 0, item: 1, value: 5),
            Entry(user: 2, item: 1, value: 0.5),   // duplicate of (2, 1): summed to 1.5
            Entry(user: 0, item: 3, value: -4),    // duplicate of (0, 3): summed to -2
        ])
        #expect(matrix.nonZeroCount == 3)
        #expect(matrix.userStart == [0, 2, 2, 3])
        #expect(matrix.userItems == [1, 3, 1])
        #expect(matrix.userValues == [5, -2, 1.5])
        #expect(matrix.itemStart == [0, 0, 2, 2, 3])
        #expect(matrix.itemUsers == [0, 2, 0])
        #expect(matrix.itemValues == [5, 1.5, -2])
        #expect(matrix.items(ofUser: 1).isEmpty)
        #expect(matrix.users(ofItem: 1) == 0..<2)
    }

    @Test func emptyMatrix() {
        let matrix = InteractionMatrix(userCount: 2, itemCount: 2, entries: [])
        #expect(matrix.nonZeroCount == 0)
        #expect(matrix.userStart == [0, 0, 0])
        #expect(matrix.itemStart == [0, 0, 0])
    }

    @Test func randomMatricesAgreeWithADictionaryReference() {
        var random = SplitMix64(seed: 42)
        for _ in 0..<30 {
            let users = Int.random(in: 1...25, using: &random), items = Int.random(in: 1...25, using: &random)
            let count = Int.random(in: 0...200, using: &random)
            var entries: [Entry] = []
            var reference: [Int: Float] = [:]   // key: user * 1000 + item
            var order: [Int: [Float]] = [:]
            for _ in 0..<count {
                let u = Int.random(in: 0..<users, using: &random), i = Int.random(in: 0..<items, using: &random)
                let v = Float(Int.random(in: -5...5, using: &random))  // small integers: sums are exact
                entries.append(Entry(user: Int32(u), item: Int32(i), value: v))
                order[u * 1000 + i, default: []].append(v)
            }
            for (key, values) in order { reference[key] = values.reduce(0, +) }
            let matrix = InteractionMatrix(userCount: users, itemCount: items, entries: entries)

            #expect(matrix.nonZeroCount == reference.count)
            #expect(matrix.userStart.count == users + 1 && matrix.itemStart.count == items + 1)
            // CSR: every row sorted by item, every value the reference sum.
            var csr: [Int: Float] = [:]
            for u in 0..<users {
                let row = matrix.items(ofUser: u).map { matrix.userItems[$0] }
                #expect(row == row.sorted() && Set(row).count == row.count)
                for slot in matrix.items(ofUser: u) { csr[u * 1000 + Int(matrix.userItems[slot])] = matrix.userValues[slot] }
            }
            // CSC: every column sorted by user, and the same entries as CSR.
            var csc: [Int: Float] = [:]
            for i in 0..<items {
                let column = matrix.users(ofItem: i).map { matrix.itemUsers[$0] }
                #expect(column == column.sorted() && Set(column).count == column.count)
                for slot in matrix.users(ofItem: i) { csc[Int(matrix.itemUsers[slot]) * 1000 + i] = matrix.itemValues[slot] }
            }
            #expect(csr == reference)
            #expect(csc == reference)
        }
    }
}
