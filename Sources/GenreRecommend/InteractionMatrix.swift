/// User × item interaction strengths as a sparse matrix, stored both by user (CSR) and by item (CSC).
///
/// Indices are dense `Int32`s assigned at the daemon boundary; this type never sees ids or SQL.
/// Duplicate (user, item) entries are summed.
public struct InteractionMatrix: Sendable {
    public let userCount: Int
    public let itemCount: Int
    /// CSR: the items of user u are `userItems[userStart[u] ..< userStart[u + 1]]`, sorted by item.
    public let userStart: [Int]
    public let userItems: [Int32]
    public let userValues: [Float]
    /// CSC: the users of item i are `itemUsers[itemStart[i] ..< itemStart[i + 1]]`, sorted by user.
    public let itemStart: [Int]
    public let itemUsers: [Int32]
    public let itemValues: [Float]

    public struct Entry: Sendable, Equatable {
        public var user: Int32
        public var item: Int32
        public var value: Float
        public init(user: Int32, item: Int32, value: Float) {
            self.user = user
            self.item = item
            self.value = value
        }
    }

    public init(userCount: Int, itemCount: Int, entries: [Entry]) {
        precondition(entries.allSatisfy { Int($0.user) < userCount && Int($0.item) < itemCount && $0.user >= 0 && $0.item >= 0 },
                     "entry index out of range")
        self.userCount = userCount
        self.itemCount = itemCount
        let sorted = entries.sorted { ($0.user, $0.item) < ($1.user, $1.item) }
        var merged: [Entry] = []
        merged.reserveCapacity(sorted.count)
        for entry in sorted {
            if let last = merged.last, last.user == entry.user, last.item == entry.item {
                merged[merged.count - 1].value += entry.value
            } else {
                merged.append(entry)
            }
        }
        var userStart = [Int](repeating: 0, count: userCount + 1)
        var itemStart = [Int](repeating: 0, count: itemCount + 1)
        for entry in merged {
            userStart[Int(entry.user) + 1] += 1
            itemStart[Int(entry.item) + 1] += 1
        }
        for u in 0..<userCount { userStart[u + 1] += userStart[u] }
        for i in 0..<itemCount { itemStart[i + 1] += itemStart[i] }
        self.userStart = userStart
        self.userItems = merged.map(\.item)
        self.userValues = merged.map(\.value)
        // Merged entries are in user order, so filling columns in that order keeps each column sorted by user.
        var cursor = itemStart
        var itemUsers = [Int32](repeating: 0, count: merged.count)
        var itemValues = [Float](repeating: 0, count: merged.count)
        for entry in merged {
            let slot = cursor[Int(entry.item)]
            itemUsers[slot] = entry.user
            itemValues[slot] = entry.value
            cursor[Int(entry.item)] += 1
        }
        self.itemStart = itemStart
        self.itemUsers = itemUsers
        self.itemValues = itemValues
    }

    public var nonZeroCount: Int { userItems.count }

    public func items(ofUser user: Int) -> Range<Int> { userStart[user]..<userStart[user + 1] }
    public func users(ofItem item: Int) -> Range<Int> { itemStart[item]..<itemStart[item + 1] }
}
