/// How much each event type counts. An event's own weight overrides its type's weight.
public struct EventWeights: Sendable, Equatable {
    public var byType: [String: Double]

    public init(_ byType: [String: Double]) { self.byType = byType }

    /// Strength of a group of events of one type: the explicit weights plus the type weight for each event
    /// that had none. Unknown types count zero.
    public func strength(eventType: String, defaultCount: Int, explicitWeight: Double) -> Double {
        explicitWeight + Double(defaultCount) * (byType[eventType] ?? 0)
    }
}
