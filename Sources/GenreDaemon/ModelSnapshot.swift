import Foundation
import Synchronization
import GenreRecommend

/// A built model as the real-time path uses it: the recommender plus the id ↔ index mapping.
public struct ModelSnapshot: Sendable {
    /// genre.model_builds id this snapshot corresponds to.
    public let buildID: Int64
    public let catalog: ItemCatalog
    public let itemIndex: [String: Int32]
    public let recommender: BehaviourRecommender
    /// Item vectors (empty table when nothing is embedded yet), for content scores and interests.
    public let vectors: ItemVectorTable
    /// The collaborative model (nil when blend.weights gives it 0 or collaborative.model is none).
    public var collaborative: (any CollaborativeModel)? = nil
    /// Each item's creation time (seconds since 1970), for the freshness part.
    public var createdAt: [Double] = []

    func hybrid(_ settings: RecommenderSettings) -> HybridRecommender {
        var hybrid = HybridRecommender(base: recommender, vectors: vectors, weights: settings.blend, collaborative: collaborative)
        hybrid.diversityLambda = settings.diversityLambda
        hybrid.collaborativeHalfLifeDays = settings.collaborativeHalfLifeDays
        if settings.blend.freshness > 0, let newest = createdAt.max() {
            // Age relative to the newest item, as popularity is relative to the newest event.
            let halfLife = settings.freshnessHalfLifeDays * 86_400
            hybrid.setFreshness(createdAt.map { Float(exp2(-max(0, newest - $0) / halfLife)) })
        }
        if !settings.categoryBoosts.isEmpty {
            hybrid.boost = catalog.categories.map { category in category.flatMap { settings.categoryBoosts[$0] } ?? 1 }
        }
        return hybrid
    }

    func interest(_ history: UserHistory, texts: [UserInterest.TextEvent], settings: RecommenderSettings) -> UserInterest? {
        UserInterest.build(history: history, vectors: vectors, texts: texts, textWeight: settings.interestTextWeight,
                           profileWeight: settings.interestProfileWeight, halfLifeDays: settings.interestHalfLifeDays)
    }
}

/// The current snapshot, shared between the trainer (which replaces it) and the real-time worker.
public final class SnapshotBox: Sendable {
    private let current = Mutex<ModelSnapshot?>(nil)
    private let building = Mutex(false)
    public init() {}

    /// True while this daemon's trainer builds: the build it is about to hand over must not be loaded back
    /// from the result tables meanwhile (slower, and a second copy of the same model).
    public var ownBuildInProgress: Bool {
        get { building.withLock { $0 } }
        set { building.withLock { $0 = newValue } }
    }
    public var snapshot: ModelSnapshot? { current.withLock { $0 } }
    public func replace(_ snapshot: ModelSnapshot) {
        current.withLock { existing in
            if (existing?.buildID ?? -1) < snapshot.buildID { existing = snapshot }
        }
    }
}
