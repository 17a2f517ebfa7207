import Testing
import GenrePostgres

@Suite struct BackoffTests {
    @Test func withoutJitterDelaysDoubleUpToTheCap() {
        var backoff = Backoff(base: 0.1, cap: 1, jitter: 0.5)
        let delays = (0..<7).map { _ in backoff.nextDelay(unit: 0) }
        #expect(delays == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0])
        #expect(backoff.attempt == 7)
    }

    @Test func capIsReachedExactlyAndHeldForManyAttempts() {
        var backoff = Backoff(base: 0.25, cap: 10, jitter: 0)
        var delays: [Double] = []
        for _ in 0..<200 { delays.append(backoff.nextDelay(unit: 0.9)) }  // jitter 0: unit is irrelevant
        #expect(Array(delays.prefix(7)) == [0.25, 0.5, 1, 2, 4, 8, 10])
        #expect(delays.dropFirst(6).allSatisfy { $0 == 10 })
    }

    @Test func jitterScalesBetweenOneMinusJitterAndOne() {
        var backoff = Backoff(base: 1, cap: 100, jitter: 0.5)
        // unit 0.5 with jitter 0.5: exactly 0.75 of the ceiling.
        #expect(backoff.nextDelay(unit: 0.5) == 0.75)
        // unit just below 1: the smallest delay allowed, (1 - jitter) · ceiling, with ceiling 2.
        let low = backoff.nextDelay(unit: 0.999_999)
        #expect(low >= (1 - 0.5) * 2)
        #expect(low < (1 - 0.5) * 2 + 1e-5)
        // Across units spread over [0, 1) every delay stays in [(1 - jitter) · ceiling, ceiling].
        var spread = Backoff(base: 0.1, cap: 3, jitter: 0.3)
        for n in 0..<40 {
            let ceiling = min(3, 0.1 * Double(1 << n))
            let delay = spread.nextDelay(unit: Double(n) / 40)
            #expect(delay >= 0.7 * ceiling - 1e-12 && delay <= ceiling, "attempt \(n): \(delay) vs \(ceiling)")
        }
    }

    @Test func resetStartsOverAtBase() {
        var backoff = Backoff(base: 0.5, cap: 8, jitter: 0.5)
        for _ in 0..<5 { _ = backoff.nextDelay(unit: 0) }
        #expect(backoff.nextDelay(unit: 0) == 8)
        backoff.reset()
        #expect(backoff.attempt == 0)
        #expect(backoff.nextDelay(unit: 0) == 0.5)
        #expect(backoff.nextDelay(unit: 0) == 1)
    }
}
