/// Which model put an item on a list.
public enum Strategy: String, Sendable, CaseIterable {
    case cooccurrence
    case popularity
}

/// A history item that pulled a recommendation up, and which part of its score it explains.
public struct Anchor: Sendable, Equatable {
    public var item: Int32
    public var event: String
    /// This anchor's fraction of everything that pulled the recommendation up (positive contributions),
    /// 0...1; disliked anchors pull the score down but are not anchors.
    public var share: Float
}

/// One scored item on a user's list, with what is needed to explain it.
public struct Recommendation: Sendable, Equatable {
    public var item: Int32
    /// Normalised to 0...1 within its strategy (1 = the user's best co-occurrence match).
    public var score: Float
    public var strategy: Strategy
    public var anchors: [Anchor]
    /// For popularity rows: how many users interacted positively.
    public var users: Int
}
