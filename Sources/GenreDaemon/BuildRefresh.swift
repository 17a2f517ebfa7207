import GenrePostgres
import GenreRecommend
import GenreSupport

/// A build's third stage: every user's lists, for every scenario, scored with the in-memory model (trained
/// users with their own factors) and staged as the next recommendations partition. Users refreshed in real
/// time meanwhile keep their newer rows when it is published.
enum BuildRefresh {
    /// A list that cannot be computed fails the build (shown in genre.status()), never a user silently left
    /// without one.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func stage(_ trained: BuildTraining.Trained, settings: DaemonSettings, on connection: PostgresConnection,
                      phases: ModelBuilder.Phases) throws -> ResultWriter.Staged {
        let data = trained.data, catalog = data.catalog, texts = trained.texts, vectors = trained.vectors
        let snapshot = trained.snapshot, shouldStop = phases.shouldStop
        let collaborative = trained.collaborative.model, trainedUsers = 0..<trained.matrix.userCount
        return try phases.timed("refresh_users") {
            try ResultWriter.stage(.recommendations, columns: RecommendationRows.copyColumns, carrySince: data.readAtText,
                                   completing: data.queue, on: connection) { generation, stream in
                // Everyone with item events, plus users known only by what they searched or wrote.
                let known = Set(data.userIDs)
                let users = data.userIDs + texts.keys.filter { !known.contains($0) }.sorted()
                let chunks = ModelBuilder.chunks(users.count)
                let scenarios = ScenarioLists(snapshot: snapshot, settings: settings)
                // Scoring (a matrix-vector product per user for content) is the heavy side here: two producers.
                try orderedPipeline(count: chunks.count, workers: 2, produce: { chunk -> (rows: [UInt8], failure: String?) in
                    var scratch = BehaviourRecommender.Scratch(itemCount: catalog.ids.count, anchors: snapshot.recommender.anchorsPerItem)
                    var encoder = BinaryCopyEncoder(capacity: 1 << 16, header: false)
                    let groups = chunks[chunk].map { user in user < data.groups.count ? data.groups[user] : [] }
                    var shared = zip(chunks[chunk], groups).map { user, userGroups in
                        scenarios.shared(groups: userGroups, texts: texts[users[user]] ?? [], now: data.readAt)
                    }
                    // The chunk's content scores in one matrix product, and trained users' collaborative scores
                    // (one matrix product for factor models).
                    let withInterest = shared.indices.filter { shared[$0].interest != nil }
                    for (position, row) in zip(withInterest, vectors.scores(batch: withInterest.map { shared[$0].interest!.vector })) {
                        shared[position].contentScores = row
                    }
                    let scores = ModelBuilder.collaborativeScores(collaborative, users: chunks[chunk].clamped(to: trainedUsers))
                    for (position, user) in chunks[chunk].enumerated() where !shouldStop() {
                        shared[position].collaborativeScores = scores[user]
                        do {
                            let lists = try scenarios.lists(groups: groups[position], texts: texts[users[user]] ?? [], now: data.readAt,
                                                            shared: shared[position], scratch: &scratch)
                            for (scenario, rows) in lists {
                                RecommendationRows.encode(rows, user: users[user], scenario: scenario, generation: generation,
                                                          catalog: catalog, phrases: settings.phrases, into: &encoder)
                            }
                        } catch {
                            return (encoder.bytes, "user \(users[user]): \(error)")
                        }
                    }
                    return (encoder.bytes, nil)
                }, consume: { chunk in
                    if let failure = chunk.failure { throw Failure(description: "cannot score \(failure)") }
                    try phases.checkStop()
                    try stream.send(rows: chunk.rows)
                })
            }
        }
    }
}
