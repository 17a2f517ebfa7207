import Testing
@testable import GenreRecommend

@Suite struct ProfileInterestTests {
    // Two items on the axes x and y; a profile interest on the axis z.
    let vectors = ItemVectorTable(values: [1, 0, 0, 0, 1, 0], present: [true, true], dims: 3)
    let day = 86_400.0

    @Test("a profile's weight is shared by its interests, does not decay, and matters most for a short history")
    func profileWeight() throws {
        let profile = [UserInterest.TextEvent.profileInterest("jazz", vector: [0, 0, 1]), .profileInterest("noir", vector: [0, 0, 1])]
        let short = UserHistory(entries: [.init(item: 0, strength: 1, dominantEvent: "view", lastAt: 1000 * day)], limit: 50)
        let shortInterest = try #require(UserInterest.build(history: short, vectors: vectors, texts: profile, textWeight: 3,
                                                            profileWeight: 4, halfLifeDays: 1))
        // 1 on x (the view), 2 + 2 on z (the profile): z dominates.
        #expect(abs(shortInterest.vector[2] - 4 / Float(17).squareRoot()) < 1e-5)
        #expect(shortInterest.sources.first?.kind == .text("jazz") && shortInterest.sources.first?.event == "profile")
        #expect(shortInterest.sources.first?.weight == 2)
        let long = UserHistory(entries: (0..<2).flatMap { item in
            (0..<10).map { _ in UserHistory.Entry(item: Int32(item), strength: 5, dominantEvent: "purchase", lastAt: 1000 * day) }
        }, limit: 50)
        let longInterest = try #require(UserInterest.build(history: long, vectors: vectors, texts: profile, textWeight: 3,
                                                           profileWeight: 4, halfLifeDays: 1))
        #expect(longInterest.vector[2] < 0.1, "a long history outweighs the profile")
        // Off (weight 0): the profile is ignored; alone, the profile is the interest (no history, no decay).
        let off = try #require(UserInterest.build(history: short, vectors: vectors, texts: profile, textWeight: 3, profileWeight: 0, halfLifeDays: 1))
        #expect(off.vector == [1, 0, 0])
        let alone = try #require(UserInterest.build(history: UserHistory(entries: [], limit: 50), vectors: vectors, texts: profile,
                                                    textWeight: 3, profileWeight: 4, halfLifeDays: 1))
        #expect(alone.vector == [0, 0, 1])
    }

    @Test("a reason cites the profile interest an item is closest to")
    func reasonCitesInterest() {
        #expect(Reasons.textPhrase("heist films", event: UserInterest.profileEvent) == "your interest in heist films")
        #expect(Reasons.textPhrase("heist films", event: "search") == "your search 'heist films'")
    }
}
