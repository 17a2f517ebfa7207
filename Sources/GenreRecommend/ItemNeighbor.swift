/// One of an item's closest items and how close, by whichever model says so: text (content similarity),
/// EASE's item-item weights, or latent factors.
public struct ItemNeighbor: Sendable, Equatable {
    public var item: Int32
    public var score: Float
    public init(item: Int32, score: Float) {
        self.item = item
        self.score = score
    }
}
