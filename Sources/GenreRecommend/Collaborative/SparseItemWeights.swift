/// EASE as a daemon that did not train it sees it: each item's strongest positive weights only (the
/// collaborative neighbours published in genre.item_neighbors), so score(j) = Σᵢ xᵢ·B[i][j] over the kept
/// weights. Close to the dense model for the top of a list, and what every daemon can rebuild from SQL.
public struct SparseItemWeights: CollaborativeModel {
    public let name = "ease"
    public let itemCount: Int
    public var userCount: Int { 0 }
    /// Per item: (neighbour, weight), as stored.
    public let rows: [[ItemNeighbor]]

    public init(rows: [[ItemNeighbor]]) {
        self.rows = rows
        itemCount = rows.count
    }

    public func itemNeighbors(k: Int) -> [[ItemNeighbor]] { rows.map { Array($0.prefix(k)) } }

    /// No user is known by index here: only histories are scored.
    public func scores(user: Int) -> [Float] { [Float](repeating: 0, count: itemCount) }

    public func scores(history: [Interaction]) throws -> [Float] {
        var out = [Float](repeating: 0, count: itemCount)
        for entry in history where Int(entry.item) < itemCount {
            for n in rows[Int(entry.item)] { out[Int(n.item)] += entry.strength * n.score }
        }
        return out
    }

    public func contributions(history: [Interaction], to items: [Int32]) -> [[Float]] {
        items.map { item in
            history.map { entry in
                guard Int(entry.item) < itemCount else { return 0 }
                return entry.strength * (rows[Int(entry.item)].first { $0.item == item }?.score ?? 0)
            }
        }
    }
}
