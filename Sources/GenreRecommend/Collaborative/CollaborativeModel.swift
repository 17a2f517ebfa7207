/// What every collaborative-filtering model offers the blend and the evaluation: scores of every item for
/// a trained user, and for a user described only by their interactions (fold-in), so the real-time path
/// can score a user whose history changed after training without retraining anything.
public protocol CollaborativeModel: Sendable {
    /// "als", "bpr", "ease": the value of setting `collaborative.model`.
    var name: String { get }
    var userCount: Int { get }
    var itemCount: Int { get }
    /// Scores of every item for trained user `user` (the model's own scale; higher is better).
    func scores(user: Int) -> [Float]
    /// Scores of every item for a user known only by their interactions (strength < 0 for dislikes).
    func scores(history: [Interaction]) throws -> [Float]
    /// How much each history entry adds to each of `items`' scores: result[n][h] for items[n] and
    /// history[h]. Exact for ALS (Hu et al. §5) and EASE; for BPR, strength · item-factor similarity.
    func contributions(history: [Interaction], to items: [Int32]) -> [[Float]]
    /// Each item's closest items by this model, top k (the collaborative neighbours of genre.similar_items).
    func itemNeighbors(k: Int) -> [[ItemNeighbor]]
    /// The factor matrices of a latent-factor model (ALS, BPR), for batch scoring and publishing; nil otherwise.
    var factors: FactorModel? { get }
}

extension CollaborativeModel {
    public var factors: FactorModel? { nil }
}

/// One (item, strength) pair of a user's history, as models consume it.
public struct Interaction: Sendable, Equatable {
    public var item: Int32
    public var strength: Float
    public init(item: Int32, strength: Float) {
        self.item = item
        self.strength = strength
    }
}

/// Why a collaborative model could not be trained or scored. Each case names the remedy.
public enum CollaborativeError: Error, Equatable, CustomStringConvertible {
    /// EASE keeps a dense items × items matrix; above the limit it would not fit in memory.
    case catalogueTooLarge(items: Int, limit: Int)
    /// NaN or infinity appeared in the factors (a learning rate too high, or NaN in the input).
    case diverged(model: String, iteration: Int)
    case notPositiveDefinite(model: String, detail: String)
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case .catalogueTooLarge(let items, let limit):
            return "EASE needs a dense \(items)×\(items) matrix; the limit (setting ease.max_items) is \(limit) items"
        case .diverged(let model, let iteration):
            return "\(model) diverged at iteration \(iteration) (NaN or infinite factors); lower the learning rate or raise the regularisation"
        case .notPositiveDefinite(let model, let detail):
            return "\(model): \(detail)"
        case .invalidConfiguration(let message):
            return message
        }
    }
}

extension InteractionMatrix {
    /// A user's row as model input.
    public func interactions(ofUser user: Int) -> [Interaction] {
        items(ofUser: user).map { Interaction(item: userItems[$0], strength: userValues[$0]) }
    }
}
