import GenreRecommend

/// One user's lists for every scenario from one snapshot: the default settings and each named scenario's
/// overrides. The costly parts are shared: the trained collaborative scores always, and the interest vector
/// with its content scores whenever a scenario does not change how interests are built.
struct ScenarioLists {
    struct Variant {
        var name: String
        var settings: RecommenderSettings
        var hybrid: HybridRecommender
    }

    let snapshot: ModelSnapshot
    let variants: [Variant]
    let storedK: Int

    init(snapshot: ModelSnapshot, settings: DaemonSettings) {
        self.snapshot = snapshot
        storedK = settings.storedK
        variants = settings.variants.map { Variant(name: $0.name, settings: $0.model, hybrid: snapshot.hybrid($0.model)) }
    }

    var defaultSettings: RecommenderSettings { variants[0].settings }

    /// What the default variant computes once per user, so a batch caller can precompute it for many users.
    struct Shared {
        var history: UserHistory
        var interest: UserInterest?
        var contentScores: [Float]?
        var collaborativeScores: [Float]?
    }

    func shared(groups: [UserHistory.EventGroup], texts: [UserInterest.TextEvent], now: Double) -> Shared {
        let history = defaultSettings.history(groups, now: now)
        return Shared(history: history, interest: snapshot.interest(history, texts: texts, settings: defaultSettings))
    }

    func lists(groups: [UserHistory.EventGroup], texts: [UserInterest.TextEvent], now: Double, shared: Shared,
               scratch: inout BehaviourRecommender.Scratch) throws -> [(scenario: String, rows: [Recommendation])] {
        try variants.map { variant in
            var history = shared.history, interest = shared.interest, content = shared.contentScores
            if variant.name != "default" {
                history = variant.settings.history(groups, now: now)
                if !variant.settings.sameInterest(as: defaultSettings) {
                    interest = snapshot.interest(history, texts: texts, settings: variant.settings)
                    content = nil
                }
            }
            let rows = try variant.hybrid.recommend(history, interest: interest, k: storedK, excludeSeen: variant.settings.excludeSeen,
                                                scratch: &scratch, contentScores: content,
                                                collaborativeScores: shared.collaborativeScores)
            return (variant.name, rows)
        }
    }
}
