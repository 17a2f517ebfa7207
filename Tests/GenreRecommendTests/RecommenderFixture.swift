import GenreRecommend

/// A small hand-built world for the recommender and reasons tests.
///
/// Neighbours: 0 → 2 (0.8), 3 (0.5), 1 (0.4); 1 → 4 (0.9), 2 (0.6), 0 (0.4); 5 → 3 (0.7), 4 (0.3);
///             6 → 2 (0.5).
/// Popular: 7 (1.0, 10 users), 0 (0.9), 6 (0.5, 3 users), 2 (0.2).
/// The user bought 0 (strength 5), liked 1 (3) and disliked 5 (-5).
enum RecommenderFixture {
    static func neighbor(_ item: Int32, _ score: Float) -> CooccurrenceModel.Neighbor {
        .init(item: item, score: score, commonUsers: 1)
    }

    static let cooccurrence = CooccurrenceModel(neighbors: [
        [neighbor(2, 0.8), neighbor(3, 0.5), neighbor(1, 0.4)],
        [neighbor(4, 0.9), neighbor(2, 0.6), neighbor(0, 0.4)],
        [], [], [],
        [neighbor(3, 0.7), neighbor(4, 0.3)],
        [neighbor(2, 0.5)],
        [],
    ])

    static let popularity = PopularityModel(ranked: [
        .init(item: 7, score: 1.0, users: 10), .init(item: 0, score: 0.9, users: 8),
        .init(item: 6, score: 0.5, users: 3), .init(item: 2, score: 0.2, users: 1),
    ])

    static let bought0 = UserHistory.Entry(item: 0, strength: 5, dominantEvent: "purchase", lastAt: 300)
    static let liked1 = UserHistory.Entry(item: 1, strength: 3, dominantEvent: "like", lastAt: 200)
    static let disliked5 = UserHistory.Entry(item: 5, strength: -5, dominantEvent: "dislike", lastAt: 100)

    static var recommender: BehaviourRecommender { BehaviourRecommender(cooccurrence: cooccurrence, popularity: popularity) }
    static var history: UserHistory { UserHistory(entries: [bought0, liked1, disliked5], limit: 10) }

    static let catalog = ItemCatalog(ids: (0..<8).map { "item-\($0)" },
                                     titles: ["Dune", "Arrival", "Solaris", nil, "", "Alien", "Contact", "Gattaca"])
}
