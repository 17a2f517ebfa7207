import Testing
import GenreRecommend

@Suite struct PopularityModelTests {
    typealias Entry = InteractionMatrix.Entry
    static let day = 86_400.0
    static let newest = 1_700_000_000.0

    /// Builds a matrix and the `lastEventAt` array aligned with its CSR order (user, then item).
    func model(users: Int, items: Int, _ rows: [(user: Int32, item: Int32, value: Float, at: Double)],
               halfLifeDays: Double) -> PopularityModel {
        let sorted = rows.sorted { ($0.user, $0.item) < ($1.user, $1.item) }
        let matrix = InteractionMatrix(userCount: users, itemCount: items,
                                       entries: sorted.map { Entry(user: $0.user, item: $0.item, value: $0.value) })
        return PopularityModel(matrix: matrix, lastEventAt: sorted.map(\.at), halfLifeDays: halfLifeDays)
    }

    @Test func oneDayOlderCountsHalfWithAOneDayHalfLife() {
        let m = model(users: 2, items: 2, [
            (0, 0, 1, Self.newest),
            (1, 1, 1, Self.newest - Self.day),
        ], halfLifeDays: 1)
        #expect(m.ranked == [.init(item: 0, score: 1, users: 1), .init(item: 1, score: 0.5, users: 1)])
    }

    /// item 0: 2·1 (today) + 4·½ (1 day old) = 4; user 2's dislike adds nothing and is not counted.
    /// item 1: 3·¼ (2 days) + 8·⅛ (3 days) + 1·1 (today) = 2.75 → 2.75 / 4 = 0.6875.
    /// item 2: disliked only, so absent.
    @Test func workedExample() {
        let d = Self.day, t = Self.newest
        let m = model(users: 4, items: 3, [
            (0, 0, 2, t), (1, 0, 4, t - d), (2, 0, -5, t),
            (0, 1, 3, t - 2 * d), (1, 1, 8, t - 3 * d), (3, 1, 1, t),
            (2, 2, -5, t - d),
        ], halfLifeDays: 1)
        #expect(m.ranked.map(\.item) == [0, 1])
        #expect(m.ranked.map(\.users) == [2, 3])
        #expect(m.ranked[0].score == 1)
        #expect(abs(m.ranked[1].score - 0.6875) < 1e-6)
    }

    /// With a two-day half-life a one-day-old entry counts 2^(-1/2).
    @Test func halfLifeScalesTheDecay() {
        let m = model(users: 1, items: 2, [(0, 0, 1, Self.newest), (0, 1, 1, Self.newest - Self.day)], halfLifeDays: 2)
        #expect(m.ranked.map(\.item) == [0, 1])
        #expect(abs(Double(m.ranked[1].score) - 1 / 2.0.squareRoot()) < 1e-6)
    }

    @Test func equalScoresRankTheLowerIndexFirst() {
        let m = model(users: 2, items: 3, [(0, 2, 3, Self.newest), (1, 1, 3, Self.newest)], halfLifeDays: 7)
        #expect(m.ranked.map(\.item) == [1, 2])
        #expect(m.ranked.map(\.score) == [1, 1])
    }

    @Test func noPositiveStrengthMeansNothingRanked() {
        let m = model(users: 1, items: 2, [(0, 0, -5, Self.newest)], halfLifeDays: 1)
        #expect(m.ranked.isEmpty)
        let empty = PopularityModel(matrix: InteractionMatrix(userCount: 0, itemCount: 0, entries: []),
                                    lastEventAt: [], halfLifeDays: 1)
        #expect(empty.ranked.isEmpty)
    }
}
