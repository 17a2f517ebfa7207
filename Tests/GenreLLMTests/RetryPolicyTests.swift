import Foundation
import Testing
import GenreLLM

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy()

    @Test("The defaults are three retries, 0.5 s growing to at most 30 s")
    func defaults() {
        #expect(policy.retries == 3)
        #expect(policy.baseDelay == 0.5)
        #expect(policy.maxDelay == 30)
    }

    @Test("The bound doubles with each retry, and the jitter scales it")
    func exponential() {
        #expect(policy.delay(attempt: 1, retryAfter: nil, jitter: 0.999_999) < 0.5)
        #expect(policy.delay(attempt: 1, retryAfter: nil, jitter: 0.5) == 0.25)
        #expect(policy.delay(attempt: 2, retryAfter: nil, jitter: 0.5) == 0.5)
        #expect(policy.delay(attempt: 4, retryAfter: nil, jitter: 0.5) == 2)
        #expect(policy.delay(attempt: 3, retryAfter: nil, jitter: 0) == 0)
    }

    @Test("The bound stops growing at maxDelay, even for absurd attempt numbers")
    func capped() {
        #expect(policy.delay(attempt: 8, retryAfter: nil, jitter: 0.5) == 15)
        #expect(policy.delay(attempt: 10_000, retryAfter: nil, jitter: 0.5) == 15)
        #expect(policy.delay(attempt: 0, retryAfter: nil, jitter: 0.5) == 0.25)
    }

    @Test("A Retry-After is honoured exactly, beyond maxDelay, up to five minutes")
    func retryAfterHonoured() {
        #expect(policy.delay(attempt: 1, retryAfter: 7, jitter: 0.9) == 7)
        #expect(policy.delay(attempt: 1, retryAfter: 120, jitter: 0.9) == 120)
        #expect(policy.delay(attempt: 1, retryAfter: 86_400, jitter: 0.9) == 300)
        #expect(policy.delay(attempt: 1, retryAfter: -5, jitter: 0.9) == 0)
    }

    @Test("Retry-After in delta-seconds")
    func retryAfterSeconds() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        #expect(RetryPolicy.retryAfterSeconds("120", now: now) == 120)
        #expect(RetryPolicy.retryAfterSeconds(" 0 ", now: now) == 0)
    }

    @Test("Retry-After as an HTTP-date, in all three formats HTTP allows")
    func retryAfterDate() {
        let now = Date(timeIntervalSince1970: 1_445_412_400) // Wed, 21 Oct 2015 07:26:40 GMT
        #expect(RetryPolicy.retryAfterSeconds("Wed, 21 Oct 2015 07:28:00 GMT", now: now) == 80)
        #expect(RetryPolicy.retryAfterSeconds("Wednesday, 21-Oct-15 07:28:00 GMT", now: now) == 80)
        #expect(RetryPolicy.retryAfterSeconds("Wed Oct 21 07:28:00 2015", now: now) == 80)
    }

    @Test("A Retry-After date in the past means retry now")
    func retryAfterPast() {
        let now = Date(timeIntervalSince1970: 1_445_412_400)
        #expect(RetryPolicy.retryAfterSeconds("Wed, 21 Oct 2015 07:00:00 GMT", now: now) == 0)
    }

    @Test("A missing or unreadable Retry-After is nil")
    func retryAfterUnreadable() {
        let now = Date()
        for header in [nil, "", "soon", "-5", "1.5", "12 seconds", "٣"] as [String?] {
            #expect(RetryPolicy.retryAfterSeconds(header, now: now) == nil, "\(header ?? "nil")")
        }
    }

    @Test("408, 425, 429 and every 5xx are retried; other statuses are not")
    func retryableStatuses() {
        for status in [408, 425, 429, 500, 501, 502, 503, 504, 599] {
            #expect(RetryPolicy.isRetryable(status: status), "\(status)")
        }
        for status in [200, 301, 400, 401, 403, 404, 409, 413, 422, 600] {
            #expect(!RetryPolicy.isRetryable(status: status), "\(status)")
        }
    }
}
