/// How each event type reads in a sentence ("because you bought Dune"). Defined once, in the database
/// (genre._event_verbs(), which genre.explain also speaks with); the daemon reads it with its settings and
/// hands it to `Reasons`, so a stored reason and an explanation never word the same event differently.
public struct EventPhrases: Sendable, Equatable {
    public var verbs: [String: String]
    /// For event types without a verb of their own.
    public var fallback: String

    public init(verbs: [String: String], fallback: String) {
        self.verbs = verbs
        self.fallback = fallback
    }

    public func verb(for event: String) -> String { verbs[event] ?? fallback }
}
