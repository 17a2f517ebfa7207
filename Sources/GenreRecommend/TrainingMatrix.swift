/// Turns users' histories into the interaction matrix every model trains on, one definition for the
/// daemon and for `genre eval`.
public enum TrainingMatrix {
    /// - Parameters:
    ///   - histories: per user (the matrix row), their per-item entries.
    ///   - halfLifeDays: an interaction's strength halves every this many days before the user's newest
    ///     event (0 = no decay). Relative to the user's own newest event, so a user folded in later is
    ///     weighted exactly as in training, whatever the date.
    /// - Returns: the matrix and, aligned with its entries, each entry's last event time.
    public static func build(histories: [[UserHistory.Entry]], itemCount: Int, halfLifeDays: Double = 0)
        -> (matrix: InteractionMatrix, lastEventAt: [Double]) {
        var entries: [InteractionMatrix.Entry] = []
        for (user, list) in histories.enumerated() {
            for entry in decayed(list, halfLifeDays: halfLifeDays) where entry.strength != 0 {
                entries.append(.init(user: Int32(user), item: entry.item, value: Float(entry.strength)))
            }
        }
        let matrix = InteractionMatrix(userCount: histories.count, itemCount: itemCount, entries: entries)
        // The matrix sorts each row by item; look each entry's time up by (user, item).
        var lastAt = [Double](repeating: 0, count: matrix.nonZeroCount)
        for (user, list) in histories.enumerated() {
            let byItem = Dictionary(list.map { ($0.item, $0.lastAt) }, uniquingKeysWith: max)
            for slot in matrix.items(ofUser: user) { lastAt[slot] = byItem[matrix.userItems[slot]] ?? 0 }
        }
        return (matrix, lastAt)
    }

    /// The entries with strengths decayed by age before the newest of them.
    public static func decayed(_ entries: [UserHistory.Entry], halfLifeDays: Double) -> [UserHistory.Entry] {
        guard halfLifeDays > 0, let newest = entries.map(\.lastAt).max() else { return entries }
        let halfLife = halfLifeDays * 86_400
        return entries.map { entry in
            var e = entry
            e.strength *= exp2(-max(0, newest - entry.lastAt) / halfLife)
            return e
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
