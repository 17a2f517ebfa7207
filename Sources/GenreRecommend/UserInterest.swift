import GenreLinearAlgebra
/// What a user is interested in, as one unit vector in the language model's space: the time-decayed,
/// weighted mean of the vectors of the items they interacted with (dislikes subtract), of their own search
/// and comment texts, and of the interests in their profile (generated or set by the person; it does not
/// decay, and its fixed weight carries a short history and fades into a long one). The strongest sources
/// are kept to explain content recommendations.
public struct UserInterest: Sendable {
    public struct Source: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            case item(Int32)
            case text(String)
        }
        public var kind: Kind
        /// The event behind it: "purchase", "like", "search", "comment" ...
        public var event: String
        public var weight: Float
        public var vector: [Float]
    }

    /// A search or comment the user wrote, or an interest in their profile, with its vector.
    public struct TextEvent: Sendable {
        public var text: String
        public var event: String
        public var at: Double
        public var vector: [Float]
        /// An interest of the user's profile (`event` is `profileEvent`; `at` is not used).
        public var isProfile: Bool
        public init(text: String, event: String, at: Double, vector: [Float]) {
            self.text = text
            self.event = event
            self.at = at
            self.vector = vector
            isProfile = false
        }
        public static func profileInterest(_ text: String, vector: [Float]) -> TextEvent {
            var interest = TextEvent(text: text, event: UserInterest.profileEvent, at: 0, vector: vector)
            interest.isProfile = true
            return interest
        }
    }

    /// The event name a profile interest carries in sources and reasons.
    public static let profileEvent = "profile"

    public var vector: [Float]
    /// Positive sources, strongest first (at most `maxSources`).
    public var sources: [Source]
    static let maxSources = 20

    /// nil when nothing in the history has a vector (the user's list then comes from other strategies).
    /// `profileWeight` is the profile's total weight, shared equally among its interests.
    public static func build(history: UserHistory, vectors: ItemVectorTable, texts: [TextEvent],
                             textWeight: Double, profileWeight: Double = 0, halfLifeDays: Double) -> UserInterest? {
        let written = texts.filter { !$0.isProfile }
        let profile = profileWeight > 0 ? texts.filter { $0.isProfile && $0.vector.count == vectors.dims } : []
        let newest = max(history.anchors.map(\.lastAt).max() ?? -.infinity, written.map(\.at).max() ?? -.infinity,
                         profile.isEmpty ? -.infinity : 0)
        guard newest.isFinite, vectors.dims > 0 else { return nil }
        let halfLife = max(halfLifeDays, 1e-6) * 86_400
        func decay(_ at: Double) -> Double { exp2(-max(0, newest - at) / halfLife) }
        var sum = [Double](repeating: 0, count: vectors.dims)
        var sources: [Source] = []
        func add(_ vector: ArraySlice<Float>, weight: Double) {
            for (d, value) in vector.enumerated() { sum[d] += weight * Double(value) }
        }
        for entry in history.anchors where entry.strength != 0 {
            guard let v = vectors.vector(entry.item) else { continue }
            let weight = entry.strength * decay(entry.lastAt)
            add(v, weight: weight)
            if weight > 0 { sources.append(Source(kind: .item(entry.item), event: entry.dominantEvent, weight: Float(weight), vector: Array(v))) }
        }
        for text in written where text.vector.count == vectors.dims && textWeight > 0 {
            let weight = textWeight * decay(text.at)
            add(text.vector[...], weight: weight)
            sources.append(Source(kind: .text(text.text), event: text.event, weight: Float(weight), vector: text.vector))
        }
        for interest in profile {
            let weight = profileWeight / Double(profile.count)
            add(interest.vector[...], weight: weight)
            sources.append(Source(kind: .text(interest.text), event: interest.event, weight: Float(weight), vector: interest.vector))
        }
        let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 1e-9 else { return nil }
        sources.sort { $0.weight > $1.weight }
        return UserInterest(vector: sum.map { Float($0 / norm) }, sources: Array(sources.prefix(maxSources)))
    }

    /// The source most similar to `itemVector`, and that similarity.
    public func closestSource(to itemVector: ArraySlice<Float>) -> (source: Source, similarity: Float)? {
        var best: (Source, Float)?
        for source in sources {
            let dot = VectorKernels.dot(source.vector[...], itemVector)
            if best == nil || dot > best!.1 { best = (source, dot) }
        }
        return best
    }
}

#if canImport(Glibc)
import Glibc
#endif
