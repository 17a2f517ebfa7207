/// Capped exponential backoff with jitter: base, 2·base, 4·base ... up to `cap`, each delay scaled by a random
/// factor in [1 - jitter, 1] so that several daemons reconnecting to a restarted server do not do so in step.
public struct Backoff: Sendable {
    public var base: Double
    public var cap: Double
    public var jitter: Double
    public private(set) var attempt = 0

    public init(base: Double = 0.1, cap: Double = 10, jitter: Double = 0.5) {
        precondition(base > 0 && cap >= base && (0...1).contains(jitter))
        self.base = base
        self.cap = cap
        self.jitter = jitter
    }

    /// The delay before the next attempt, in seconds; `unit` is a number in [0, 1) (random in production,
    /// fixed in tests).
    public mutating func nextDelay(unit: Double = Double.random(in: 0..<1)) -> Double {
        let exponent = Double(min(attempt, 62))
        attempt += 1
        let ceiling = min(cap, base * pow2(exponent))
        return ceiling * (1 - jitter * unit)
    }

    public mutating func reset() { attempt = 0 }

    private func pow2(_ exponent: Double) -> Double {
        var value = 1.0
        for _ in 0..<Int(exponent) { value *= 2; if value > 1e12 { break } }
        return value
    }
}
