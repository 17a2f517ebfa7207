import Foundation

/// Stops sending requests to a provider that keeps failing, and probes it with a single request once a pause
/// has passed. Without it every queued item would spend its retries against a dead endpoint (and a hosted API
/// would bill or throttle the storm); with it the daemon reports the provider as paused, with the last error.
///
/// Closed: requests flow. After `pauseAfterFailures` consecutive failures it opens for `pauseSeconds`, refusing
/// every request. When the pause is over the next `allowRequest()` is the trial (half-open); others are refused
/// until its outcome is recorded: a success closes the circuit, a failure opens it for another pause. A trial
/// whose outcome never arrives (its task was cancelled) is given up after one more pause, and a new one allowed,
/// so a lost outcome cannot silence a provider for good.
public final class CircuitBreaker: @unchecked Sendable {
    public enum State: Sendable, Equatable {
        case closed
        /// Refusing requests until `until` (after which the next one is let through as the trial).
        case open(until: Date, lastError: String)
        /// One trial request is in flight.
        case halfOpen
    }

    private let pauseAfterFailures: Int
    private let pauseSeconds: Double
    private let clock: @Sendable () -> Date
    private let lock = NSLock()
    private var current = State.closed
    private var failures = 0
    private var trialStarted = Date.distantPast

    /// `pauseAfterFailures` of 0 or less never opens the circuit.
    public init(pauseAfterFailures: Int, pauseSeconds: Double, clock: @escaping @Sendable () -> Date = Date.init) {
        (self.pauseAfterFailures, self.pauseSeconds, self.clock) = (pauseAfterFailures, pauseSeconds, clock)
    }

    public var state: State { lock.withLock { current } }

    public var consecutiveFailures: Int { lock.withLock { failures } }

    /// Whether a request may be sent now. True at most once per pause while the provider is failing: a true
    /// after the pause is the trial, and its outcome must be recorded.
    public func allowRequest() -> Bool {
        lock.withLock {
            switch current {
            case .closed:
                return true
            case .halfOpen:
                return startTrial(ifAfter: trialStarted.addingTimeInterval(pauseSeconds))
            case .open(let until, _):
                return startTrial(ifAfter: until)
            }
        }
    }

    /// Must be called with the lock held.
    private func startTrial(ifAfter start: Date) -> Bool {
        let now = clock()
        guard now >= start else { return false }
        (current, trialStarted) = (.halfOpen, now)
        return true
    }

    /// A request succeeded: the provider works, whatever came before.
    public func recordSuccess() {
        lock.withLock {
            failures = 0
            current = .closed
        }
    }

    /// A request failed (after its own retries). A failed trial, or the failure that reaches the threshold,
    /// opens the circuit; failures of requests already in flight while it is open only update the message.
    public func recordFailure(_ message: String) {
        lock.withLock {
            failures += 1
            switch current {
            case .open(let until, _):
                current = .open(until: until, lastError: message)
            case .halfOpen:
                current = .open(until: clock().addingTimeInterval(pauseSeconds), lastError: message)
            case .closed:
                if pauseAfterFailures > 0, failures >= pauseAfterFailures {
                    current = .open(until: clock().addingTimeInterval(pauseSeconds), lastError: message)
                }
            }
        }
    }
}
