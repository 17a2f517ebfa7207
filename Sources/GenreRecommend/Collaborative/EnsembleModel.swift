/// Several collaborative models as one: each member's scores for the user are scaled so their largest
/// magnitude is 1, then added with the member's weight. Latent-factor models (ALS) and item-item models
/// (EASE) make different mistakes, so their average ranks better than either alone (measured in
/// docs/BENCHMARKS.md); scaling per user keeps one model's larger raw scale from drowning the other.
public struct EnsembleModel: CollaborativeModel {
    public struct Member: Sendable {
        public var model: any CollaborativeModel
        public var weight: Float
        public init(model: any CollaborativeModel, weight: Float) {
            self.model = model
            self.weight = weight
        }
    }

    public let members: [Member]
    public var name: String { members.map(\.model.name).joined(separator: "+") }
    public var userCount: Int { members.map(\.model.userCount).max() ?? 0 }
    public var itemCount: Int { members.map(\.model.itemCount).max() ?? 0 }
    /// nil: an ensemble's scores are not one factor product (batch scoring asks each member through `scores`).
    public var factors: FactorModel? { nil }

    public init(members: [Member]) {
        self.members = members.filter { $0.weight > 0 }
    }

    public func scores(user: Int) -> [Float] {
        combine(members.map { $0.model.scores(user: user) })
    }

    public func scores(history: [Interaction]) throws -> [Float] {
        combine(try members.map { try $0.model.scores(history: history) })
    }

    /// Each member's contributions on the same per-user scale as its scores, so they still add up to the
    /// ensemble's score where the members' own contributions add up to theirs.
    public func contributions(history: [Interaction], to items: [Int32]) -> [[Float]] {
        var total = items.map { _ in [Float](repeating: 0, count: history.count) }
        for member in members {
            guard let scores = try? member.model.scores(history: history) else { continue }
            let scale = member.weight / Self.largestMagnitude(scores)
            for (n, row) in member.model.contributions(history: history, to: items).enumerated() {
                for h in row.indices { total[n][h] += scale * row[h] }
            }
        }
        return total
    }

    /// The item-item member's own weights when there is one (EASE): they are what a daemon that did not
    /// train the ensemble rebuilds that member from (genre.item_neighbors). Otherwise the members' lists,
    /// each scaled so an item's best neighbour is 1, weighted and merged.
    public func itemNeighbors(k: Int) -> [[ItemNeighbor]] {
        if let itemItem = members.first(where: { $0.model.factors == nil }) { return itemItem.model.itemNeighbors(k: k) }
        var merged = [[Int32: Float]](repeating: [:], count: itemCount)
        for member in members {
            for (item, row) in member.model.itemNeighbors(k: k).enumerated() where item < itemCount {
                let top = max(row.first?.score ?? 1, 1e-12)
                for n in row { merged[item][n.item, default: 0] += member.weight * n.score / top }
            }
        }
        return merged.map { row in
            row.map { ItemNeighbor(item: $0.key, score: $0.value) }
                .sorted { $0.score > $1.score || ($0.score == $1.score && $0.item < $1.item) }.prefix(k).map { $0 }
        }
    }

    func combine(_ perMember: [[Float]]) -> [Float] {
        var out = [Float](repeating: 0, count: itemCount)
        for (member, scores) in zip(members, perMember) {
            let scale = member.weight / Self.largestMagnitude(scores)
            for i in scores.indices where i < out.count { out[i] += scale * scores[i] }
        }
        return out
    }

    static func largestMagnitude(_ scores: [Float]) -> Float {
        max(scores.reduce(Float(0)) { max($0, abs($1)) }, 1e-12)
    }
}
