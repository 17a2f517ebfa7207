import Foundation

/// A clock the test moves by hand, for the circuit breaker and the rate limiter.
final class FakeClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date(timeIntervalSince1970: 1_700_000_000)

    var now: Date { lock.withLock { current } }

    func advance(_ seconds: Double) {
        lock.withLock { current = current.addingTimeInterval(seconds) }
    }

    /// The clock as the types under test take it.
    var read: @Sendable () -> Date { { self.now } }
}
