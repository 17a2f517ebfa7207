import Foundation
import Testing
import GenreLLM

@Suite struct CircuitBreakerTests {
    let clock = FakeClock()
    let breaker: CircuitBreaker

    init() {
        breaker = CircuitBreaker(pauseAfterFailures: 3, pauseSeconds: 60, clock: clock.read)
    }

    @Test("A new breaker is closed and lets requests through")
    func startsClosed() {
        #expect(breaker.state == .closed)
        #expect(breaker.allowRequest())
        #expect(breaker.allowRequest())
    }

    @Test("Failures below the threshold keep it closed and are counted")
    func belowThreshold() {
        breaker.recordFailure("HTTP 503")
        breaker.recordFailure("HTTP 503")
        #expect(breaker.state == .closed)
        #expect(breaker.consecutiveFailures == 2)
        #expect(breaker.allowRequest())
    }

    @Test("A success resets the count of consecutive failures")
    func successResets() {
        breaker.recordFailure("a")
        breaker.recordFailure("b")
        breaker.recordSuccess()
        breaker.recordFailure("c")
        #expect(breaker.consecutiveFailures == 1)
        #expect(breaker.state == .closed)
    }

    @Test("The threshold-th consecutive failure opens it for the pause, with the last error")
    func opens() {
        for message in ["timeout", "HTTP 502", "HTTP 503"] { breaker.recordFailure(message) }
        #expect(breaker.state == .open(until: clock.now.addingTimeInterval(60), lastError: "HTTP 503"))
        #expect(!breaker.allowRequest())
        clock.advance(59.9)
        #expect(!breaker.allowRequest())
    }

    @Test("After the pause exactly one trial request is let through")
    func halfOpenTrial() {
        open()
        clock.advance(60)
        #expect(breaker.allowRequest())
        #expect(breaker.state == .halfOpen)
        #expect(!breaker.allowRequest())
        clock.advance(30)
        #expect(!breaker.allowRequest())
    }

    @Test("A successful trial closes it")
    func trialSucceeds() {
        open()
        clock.advance(60)
        #expect(breaker.allowRequest())
        breaker.recordSuccess()
        #expect(breaker.state == .closed)
        #expect(breaker.consecutiveFailures == 0)
        #expect(breaker.allowRequest())
        #expect(breaker.allowRequest())
    }

    @Test("A failed trial opens it for another full pause")
    func trialFails() {
        open()
        clock.advance(75)
        #expect(breaker.allowRequest())
        breaker.recordFailure("still down")
        #expect(breaker.state == .open(until: clock.now.addingTimeInterval(60), lastError: "still down"))
        #expect(!breaker.allowRequest())
        clock.advance(60)
        #expect(breaker.allowRequest())
    }

    @Test("Failures of requests already in flight update the error but do not extend the pause")
    func lateFailuresWhileOpen() {
        open()
        let until = clock.now.addingTimeInterval(60)
        clock.advance(10)
        breaker.recordFailure("late")
        #expect(breaker.state == .open(until: until, lastError: "late"))
        #expect(breaker.consecutiveFailures == 4)
    }

    @Test("A trial whose outcome never arrives is replaced after one more pause")
    func lostTrial() {
        open()
        clock.advance(60)
        #expect(breaker.allowRequest())
        clock.advance(59)
        #expect(!breaker.allowRequest())
        clock.advance(1)
        #expect(breaker.allowRequest())
        #expect(!breaker.allowRequest())
    }

    @Test("A threshold of 0 never opens the circuit")
    func disabled() {
        let never = CircuitBreaker(pauseAfterFailures: 0, pauseSeconds: 60, clock: clock.read)
        for _ in 1...100 { never.recordFailure("down") }
        #expect(never.state == .closed)
        #expect(never.allowRequest())
    }

    private func open() {
        for _ in 1...3 { breaker.recordFailure("down") }
    }
}
