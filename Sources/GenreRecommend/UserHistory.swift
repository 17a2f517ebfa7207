/// What one user did, reduced to what scoring needs: per item, the net strength (event weights summed,
/// negative for dislikes), the event type that contributed most (for the wording of reasons) and when.
public struct UserHistory: Sendable {
    public struct Entry: Sendable, Equatable {
        public var item: Int32
        public var strength: Double
        public var dominantEvent: String
        /// Seconds since 1970 of the last event on the item.
        public var lastAt: Double
        public init(item: Int32, strength: Double, dominantEvent: String, lastAt: Double) {
            self.item = item
            self.strength = strength
            self.dominantEvent = dominantEvent
            self.lastAt = lastAt
        }
    }

    /// Items known to the model, most recent first, at most `limit` of them (the anchors).
    public let anchors: [Entry]
    /// Every item the user has an event for, known to the model (to exclude them from results).
    public let seen: Set<Int32>

    /// - Parameter reshowAfter: seconds after which an item the user had may be recommended again
    ///   (nil: never), measured back from `now`.
    public init(entries: [Entry], limit: Int, reshowAfter: Double? = nil, now: Double = 0) {
        let recentFirst = entries.sorted { $0.lastAt > $1.lastAt || ($0.lastAt == $1.lastAt && $0.item < $1.item) }
        anchors = Array(recentFirst.prefix(limit))
        if let reshowAfter {
            seen = Set(entries.filter { now - $0.lastAt < reshowAfter }.map(\.item))
        } else {
            seen = Set(entries.map(\.item))
        }
    }

    /// One row per (item, event type) group, as stored in genre.interactions or read from genre.events.
    public struct EventGroup: Sendable {
        public var item: Int32
        public var eventType: String
        public var defaultCount: Int
        public var explicitWeight: Double
        public var lastAt: Double
        public init(item: Int32, eventType: String, defaultCount: Int, explicitWeight: Double, lastAt: Double) {
            self.item = item
            self.eventType = eventType
            self.defaultCount = defaultCount
            self.explicitWeight = explicitWeight
            self.lastAt = lastAt
        }
    }

    /// Folds event groups into per-item entries with the given weights.
    public static func entries(from groups: [EventGroup], weights: EventWeights) -> [Entry] {
        var byItem: [Int32: (strength: Double, best: Double, event: String, lastAt: Double)] = [:]
        for group in groups {
            let strength = weights.strength(eventType: group.eventType, defaultCount: group.defaultCount,
                                            explicitWeight: group.explicitWeight)
            var current = byItem[group.item] ?? (0, -.infinity, group.eventType, group.lastAt)
            current.strength += strength
            if abs(strength) > current.best || (abs(strength) == current.best && group.eventType < current.event) {
                current.best = abs(strength)
                current.event = group.eventType
            }
            current.lastAt = max(current.lastAt, group.lastAt)
            byItem[group.item] = current
        }
        return byItem.map { Entry(item: $0.key, strength: $0.value.strength, dominantEvent: $0.value.event, lastAt: $0.value.lastAt) }
            .sorted { $0.item < $1.item }
    }
}
