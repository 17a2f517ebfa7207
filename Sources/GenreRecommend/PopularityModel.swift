import Foundation

/// Time-decayed, event-weighted popularity.
///
/// score(item) = Σ over users of max(0, strength) · 2^(-age / half-life), where age is the time between the
/// user's last event on the item and the newest event in the data (not the wall clock: a catalogue whose
/// traffic paused should still rank by what was popular when it last had traffic, and Float scores of
/// years-old data would underflow). Scores are then divided by the best one, so the top item scores 1. Dislikes make a user's strength negative, and a user who dislikes an item
/// adds nothing rather than subtracting: one angry user should not bury an item many people like.
public struct PopularityModel: Sendable {
    public struct Entry: Sendable, Equatable {
        public var item: Int32
        public var score: Float
        /// Users with positive strength.
        public var users: Int
        public init(item: Int32, score: Float, users: Int) {
            self.item = item
            self.score = score
            self.users = users
        }
    }

    /// Items with a positive score, best first (ties: lower index first).
    public let ranked: [Entry]

    /// - Parameters:
    ///   - lastEventAt: time (seconds since 1970) of each matrix entry's last event, aligned with
    ///     `matrix.userValues`.
    public init(matrix: InteractionMatrix, lastEventAt: [Double], halfLifeDays: Double) {
        precondition(lastEventAt.count == matrix.nonZeroCount && halfLifeDays > 0)
        let halfLife = halfLifeDays * 86_400
        let newest = lastEventAt.max() ?? 0
        var scores = [Double](repeating: 0, count: matrix.itemCount)
        var users = [Int](repeating: 0, count: matrix.itemCount)
        for slot in 0..<matrix.nonZeroCount where matrix.userValues[slot] > 0 {
            let item = Int(matrix.userItems[slot])
            let age = max(0, newest - lastEventAt[slot])
            scores[item] += Double(matrix.userValues[slot]) * exp2(-age / halfLife)
            users[item] += 1
        }
        let best = scores.max() ?? 0
        ranked = (0..<matrix.itemCount)
            .filter { scores[$0] > 0 }
            .map { Entry(item: Int32($0), score: Float(scores[$0] / best), users: users[$0]) }
            .sorted { $0.score > $1.score || ($0.score == $1.score && $0.item < $1.item) }
    }

    public init(ranked: [Entry]) { self.ranked = ranked }
}
