/// Which model put an item on a list.
public enum Strategy: String, Sendable, CaseIterable, Comparable {
    case collaborative
    case cooccurrence
    case content
    case popularity
    case freshness

    public static func < (a: Strategy, b: Strategy) -> Bool { a.rawValue < b.rawValue }
}

/// The source of a user's interest closest to a recommended item (their search text, or an item they
/// chose), which explains its content score.
public struct ContentAnchor: Sendable, Equatable {
    public var kind: UserInterest.Source.Kind
    public var event: String
    public var similarity: Float
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
    /// Each strategy's share of the blended score (empty for single-strategy rows: then `strategy` is 1).
    public var shares: [Strategy: Float] = [:]
    public var contentAnchor: ContentAnchor? = nil
}
