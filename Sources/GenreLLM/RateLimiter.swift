import Foundation

/// Keeps one provider's traffic within its requests-per-minute and tokens-per-minute limits, so that requests
/// wait here instead of earning 429s and burning retries.
///
/// Tokens are counted before a request starts from an estimate (`TokenEstimate` plus the completion budget) and
/// corrected once the provider reports the real usage. A limit of 0 (or less) means no limit.
public final class RateLimiter: @unchecked Sendable {
    private let clock: @Sendable () -> Date
    private let lock = NSLock()
    private var requests: TokenBucket?
    private var tokens: TokenBucket?

    public init(requestsPerMinute: Int, tokensPerMinute: Int, clock: @escaping @Sendable () -> Date = Date.init) {
        self.clock = clock
        let now = clock()
        requests = requestsPerMinute > 0 ? TokenBucket(perMinute: requestsPerMinute, now: now) : nil
        tokens = tokensPerMinute > 0 ? TokenBucket(perMinute: tokensPerMinute, now: now) : nil
    }

    /// Seconds until a request of about `estimatedTokens` may start; 0 means now. A request larger than the
    /// whole per-minute token budget waits for a full bucket, not forever.
    public func waitTime(estimatedTokens: Int) -> Double {
        lock.withLock { wait(estimatedTokens, now: clock()) }
    }

    /// A request of about `estimatedTokens` starts now.
    public func record(start estimatedTokens: Int) {
        lock.withLock { spend(estimatedTokens, now: clock()) }
    }

    /// `waitTime` and `record` in one step: records the start and returns 0 when the request may start now,
    /// else returns the wait and records nothing. Concurrent callers cannot both see 0 for the last slot.
    public func reserve(estimatedTokens: Int) -> Double {
        lock.withLock {
            let now = clock()
            let wait = wait(estimatedTokens, now: now)
            if wait == 0 { spend(estimatedTokens, now: now) }
            return wait
        }
    }

    /// The provider reported a request's real usage: tokens estimated but not used go back to the budget, and
    /// tokens used beyond the estimate are taken from it.
    public func correct(estimated: Int, actual: Int) {
        lock.withLock { tokens?.spend(Double(actual - estimated), now: clock()) }
    }

    /// Must be called with the lock held.
    private func wait(_ estimatedTokens: Int, now: Date) -> Double {
        max(requests?.wait(for: 1, now: now) ?? 0, tokens?.wait(for: Double(estimatedTokens), now: now) ?? 0)
    }

    /// Must be called with the lock held.
    private func spend(_ estimatedTokens: Int, now: Date) {
        requests?.spend(1, now: now)
        tokens?.spend(Double(estimatedTokens), now: now)
    }
}
