import Foundation

/// A per-minute budget that refills continuously (a sixtieth of it every second) and never holds more than one
/// minute's worth. Continuous refill spreads requests out evenly instead of letting a whole minute's budget go
/// in a burst at each minute boundary, which is also how hosted APIs meter their limits.
///
/// The level may go below zero: a request bigger than what is left, or bigger than the whole budget, is still
/// let through once the bucket is full, and the debt delays the requests after it.
struct TokenBucket {
    let capacity: Double
    private var level: Double
    private var updated: Date

    init(perMinute: Int, now: Date) {
        capacity = Double(perMinute)
        level = capacity
        updated = now
    }

    private var perSecond: Double { capacity / 60 }

    /// Seconds from `now` until `amount` can be spent; an amount above the capacity waits for a full bucket.
    func wait(for amount: Double, now: Date) -> Double {
        let missing = min(amount, capacity) - level(at: now)
        // A hair of tolerance: waiting the computed time must really make the amount available.
        return missing <= 1e-9 ? 0 : missing / perSecond
    }

    /// Spends `amount` at `now`; a negative amount gives some back (the level never reads above the capacity).
    mutating func spend(_ amount: Double, now: Date) {
        level = level(at: now) - amount
        updated = max(updated, now)
    }

    /// The level refilled up to `now`, and capped at the capacity: the one place the cap is applied. A clock
    /// that went backwards refills nothing.
    private func level(at now: Date) -> Double {
        min(capacity, level + max(0, now.timeIntervalSince(updated)) * perSecond)
    }
}
