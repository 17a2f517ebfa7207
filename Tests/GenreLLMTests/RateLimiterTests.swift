import Foundation
import Testing
import GenreLLM

@Suite struct RateLimiterTests {
    let clock = FakeClock()

    @Test("Limits of 0 never make a request wait")
    func unlimited() {
        let limiter = RateLimiter(requestsPerMinute: 0, tokensPerMinute: 0, clock: clock.read)
        for _ in 1...1_000 { limiter.record(start: 1_000_000) }
        #expect(limiter.waitTime(estimatedTokens: 1_000_000) == 0)
    }

    @Test("A full minute's requests may start at once; the next waits for the continuous refill")
    func requestsPerMinute() {
        let limiter = RateLimiter(requestsPerMinute: 60, tokensPerMinute: 0, clock: clock.read)
        for _ in 1...60 {
            #expect(limiter.waitTime(estimatedTokens: 100) == 0)
            limiter.record(start: 100)
        }
        #expect(isAbout(limiter.waitTime(estimatedTokens: 100), 1))
        clock.advance(0.25)
        #expect(isAbout(limiter.waitTime(estimatedTokens: 100), 0.75))
        clock.advance(0.75)
        #expect(limiter.waitTime(estimatedTokens: 100) == 0)
    }

    @Test("The token budget refills continuously, and never beyond one minute's worth")
    func tokensPerMinute() {
        let limiter = RateLimiter(requestsPerMinute: 0, tokensPerMinute: 6_000, clock: clock.read)
        limiter.record(start: 5_000)
        #expect(limiter.waitTime(estimatedTokens: 1_000) == 0)
        #expect(isAbout(limiter.waitTime(estimatedTokens: 2_000), 10))
        clock.advance(3_600)
        limiter.record(start: 6_000)
        #expect(isAbout(limiter.waitTime(estimatedTokens: 1), 0.01))
    }

    @Test("The longer of the two waits applies")
    func bothLimits() {
        let limiter = RateLimiter(requestsPerMinute: 6, tokensPerMinute: 600, clock: clock.read)
        limiter.record(start: 600)
        #expect(isAbout(limiter.waitTime(estimatedTokens: 300), 30))
        #expect(limiter.waitTime(estimatedTokens: 0) == 0)
        for _ in 1...5 { limiter.record(start: 0) }
        #expect(isAbout(limiter.waitTime(estimatedTokens: 0), 10))
    }

    @Test("A request larger than the whole budget waits for a full bucket, not forever, and its debt delays the next")
    func oversizedRequest() {
        let limiter = RateLimiter(requestsPerMinute: 0, tokensPerMinute: 1_000, clock: clock.read)
        #expect(limiter.waitTime(estimatedTokens: 5_000) == 0)
        limiter.record(start: 5_000)
        #expect(isAbout(limiter.waitTime(estimatedTokens: 5_000), 300))
        #expect(isAbout(limiter.waitTime(estimatedTokens: 100), 246))
        clock.advance(300)
        #expect(limiter.waitTime(estimatedTokens: 5_000) == 0)
    }

    @Test("Correcting to the real usage gives back unused tokens and takes extra ones")
    func correction() {
        let limiter = RateLimiter(requestsPerMinute: 0, tokensPerMinute: 6_000, clock: clock.read)
        limiter.record(start: 6_000)
        limiter.correct(estimated: 6_000, actual: 1_000)
        #expect(limiter.waitTime(estimatedTokens: 5_000) == 0)
        limiter.record(start: 5_000)
        limiter.correct(estimated: 5_000, actual: 5_600)
        #expect(isAbout(limiter.waitTime(estimatedTokens: 600), 12))
    }

    @Test("A correction never fills the budget beyond one minute's worth")
    func correctionCapped() {
        let limiter = RateLimiter(requestsPerMinute: 0, tokensPerMinute: 6_000, clock: clock.read)
        limiter.correct(estimated: 10_000, actual: 0)
        limiter.record(start: 6_000)
        #expect(isAbout(limiter.waitTime(estimatedTokens: 100), 1))
    }

    @Test("reserve records the start only when the request may start now")
    func reserve() {
        let limiter = RateLimiter(requestsPerMinute: 2, tokensPerMinute: 0, clock: clock.read)
        #expect(limiter.reserve(estimatedTokens: 10) == 0)
        #expect(limiter.reserve(estimatedTokens: 10) == 0)
        #expect(isAbout(limiter.reserve(estimatedTokens: 10), 30))
        #expect(isAbout(limiter.reserve(estimatedTokens: 10), 30))
        clock.advance(30)
        #expect(limiter.reserve(estimatedTokens: 10) == 0)
        #expect(isAbout(limiter.waitTime(estimatedTokens: 10), 30))
    }

    @Test("A clock that goes backwards refills nothing")
    func clockBackwards() {
        let limiter = RateLimiter(requestsPerMinute: 60, tokensPerMinute: 0, clock: clock.read)
        for _ in 1...60 { limiter.record(start: 0) }
        clock.advance(-3_600)
        #expect(isAbout(limiter.waitTime(estimatedTokens: 0), 1))
    }

    /// Waits are computed in floating point: 5 000 tokens at 1 000/60 a second is 300 s give or take an ulp.
    private func isAbout(_ seconds: Double, _ expected: Double) -> Bool {
        abs(seconds - expected) < 1e-9
    }
}
