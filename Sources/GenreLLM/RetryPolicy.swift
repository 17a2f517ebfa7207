import Foundation

/// When to try a failed request again and how long to wait first.
///
/// Waits grow exponentially with "full jitter" (a uniformly random wait up to the exponential bound), which
/// spreads out clients that failed together better than a fixed back-off with a little noise. The randomness is
/// the caller's, so the policy itself is a pure function that tests can pin down.
public struct RetryPolicy: Sendable, Equatable {
    /// Retries after the first attempt (so at most `retries + 1` requests).
    public var retries: Int
    /// The bound on the first retry's wait; each further retry doubles it.
    public var baseDelay: Double
    /// The bound no exponential wait exceeds.
    public var maxDelay: Double

    /// The longest Retry-After obeyed. A server may legitimately ask for minutes; beyond five it is more likely
    /// a misconfiguration or a daily quota, which the circuit breaker handles better than a sleeping request.
    public static let maxRetryAfter = 300.0

    public init(retries: Int = 3, baseDelay: Double = 0.5, maxDelay: Double = 30) {
        (self.retries, self.baseDelay, self.maxDelay) = (retries, baseDelay, maxDelay)
    }

    /// Seconds to wait before retry number `attempt` (1 for the first retry). A Retry-After the server sent
    /// wins, exactly, up to `maxRetryAfter`: it knows when it will take requests again. Otherwise the wait is
    /// `jitter` (in [0, 1), from the caller's random source) times `baseDelay × 2^(attempt − 1)`, the latter
    /// capped at `maxDelay`.
    public func delay(attempt: Int, retryAfter: Double?, jitter: Double) -> Double {
        if let retryAfter { return min(max(retryAfter, 0), Self.maxRetryAfter) }
        let exponent = Double(min(max(attempt - 1, 0), 62))
        let bound = min(baseDelay * pow(2, exponent), maxDelay)
        return bound * min(max(jitter, 0), 1)
    }

    /// The wait a Retry-After header asks for, in seconds from `now`: either delta-seconds ("120") or an
    /// HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT"; a date already past means 0). Nil when absent or unreadable.
    public static func retryAfterSeconds(_ header: String?, now: Date) -> Double? {
        guard let text = header?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        if text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber) { return Double(text) }
        guard let date = httpDate(text) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }

    /// Statuses worth retrying: 408 (request timeout), 425 (too early), 429 (too many requests) and every 5xx.
    /// Other 4xx answers say the request itself is wrong, and sending it again would fail the same way.
    public static func isRetryable(status: Int) -> Bool {
        status == 408 || status == 425 || status == 429 || (500...599).contains(status)
    }

    /// RFC 9110's preferred date format, and the two obsolete ones recipients must still accept.
    private static func httpDate(_ text: String) -> Date? {
        let formats = ["EEE, dd MMM yyyy HH:mm:ss 'GMT'", "EEEE, dd-MMM-yy HH:mm:ss 'GMT'", "EEE MMM d HH:mm:ss yyyy"]
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in formats {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}
