import GenrePostgres
import Logging
import GenreRecommend

/// A build's first stage: from the rows it read, the models — the interaction matrix, popularity,
/// co-occurrence, the collaborative model — and what the text gives (item vectors, everyone's search and
/// comment texts, content and blended item neighbours).
enum BuildTraining {
    struct Trained {
        var data: TrainingData
        var matrix: InteractionMatrix
        var popularity: PopularityModel
        var cooccurrence: CooccurrenceModel
        var collaborative: CollaborativeStore.Trained
        var vectors: ItemVectorTable
        var texts: [String: [UserInterest.TextEvent]]
        /// Each item's neighbours as genre.similar_items shows them (co-occurrence, content, collaborative).
        var similar: [[SimilarItems.Entry]]

        /// The in-memory model the full refresh scores with (trained users' own factors, EASE's dense matrix).
        var snapshot: ModelSnapshot {
            ModelSnapshot(buildID: 0, catalog: data.catalog, itemIndex: data.itemIndex,
                          recommender: BehaviourRecommender(cooccurrence: cooccurrence, popularity: popularity), vectors: vectors,
                          collaborative: collaborative.model, createdAt: data.createdAt)
        }
    }

    static func train(_ data: TrainingData, settings: DaemonSettings, on connection: PostgresConnection,
                      phases: ModelBuilder.Phases, logger: Logger) throws -> Trained {
        let model = settings.model
        let (matrix, lastEventAt) = try phases.timed("matrix") { data.matrix(settings: model) }
        let popularity = try phases.timed("popularity") {
            PopularityModel(matrix: matrix, lastEventAt: lastEventAt, halfLifeDays: model.popularityHalfLifeDays)
        }
        let cooccurrence = try phases.timed("cooccurrence") {
            CooccurrenceModel(matrix: matrix, neighborsPerItem: model.neighborsPerItem, shrinkage: model.shrinkage)
        }
        let collaborative = try phases.timed("collaborative") { () -> CollaborativeStore.Trained in
            guard model.blend.collaborative > 0 else { return .init(model: nil, note: "blend.weights gives collaborative 0") }
            return try CollaborativeStore.train(matrix, settings: model, shouldStop: phases.shouldStop) { note in
                logger.warning("collaborative model fallback", metadata: ["genre.note": "\(note)"])
            }
        }
        try phases.checkStop()
        let vectors = try phases.timed("load_vectors") { try ItemVectors.load(connection, itemIndex: data.itemIndex) }
        let texts = try phases.timed("load_texts") { try ItemVectors.loadTexts(connection, model: vectors.model) }
        let content = try phases.timed("content") { () -> [[ItemNeighbor]] in
            guard !vectors.isEmpty else { return [] }
            return ContentSimilarity.neighbors(vectors: vectors.values, present: vectors.present, dims: vectors.dims, k: model.neighborsPerItem)
        }
        let collaborativeNeighbors = try phases.timed("collaborative_neighbors") {
            collaborative.model?.itemNeighbors(k: model.neighborsPerItem) ?? []
        }
        let similar = SimilarItems.blend(cooccurrence: cooccurrence.neighbors, content: content, collaborative: collaborativeNeighbors,
                                         contentWeight: model.similarContentWeight)
        return Trained(data: data, matrix: matrix, popularity: popularity, cooccurrence: cooccurrence, collaborative: collaborative,
                       vectors: vectors, texts: texts, similar: similar)
    }
}
