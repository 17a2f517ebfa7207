import Foundation
import Logging
import GenrePostgres
import GenreRecommend
import GenreSupport
import GenreTuning

/// Runs the tuning runs queued by genre.tune(): each trial is evaluated with the same evaluator as
/// `genre eval`, on a temporal hold-out of the database's own events (the newest 20 % of interactions are
/// the test part), and written to genre.tuning_trials as it finishes. Trial 1 is the settings in force (the
/// baseline); apply_best writes the winner as one new config version when it beats the baseline.
struct TuningRunner {
    let workerID: String
    let logger: Logger

    struct Run {
        var id: Int64
        var scenario: String
        var strategy: String
        var trials: Int
        var metric: String
        var space: String
        var applyBest: Bool
        var seed: UInt64
    }

    /// Claims and runs one queued run; false when there was none. A run interrupted by a shutdown keeps its
    /// finished trials and its work row (given back with the daemon's other claims, or by its lease after a
    /// crash), so the next daemon to claim it resumes after the last finished trial.
    func runNext(on db: PostgresConnection, settings: DaemonSettings, shouldStop: @escaping @Sendable () -> Bool) throws -> Bool {
        let claimed = try db.query("SELECT work_key, version FROM genre._claim('tuning', $1, 1, $2, $3)",
                                   [workerID, max(settings.leaseSeconds, 60), settings.maxAttempts])
        guard claimed.rowCount == 1, let key = claimed.string(0, 0), let version = try claimed.int(0, 1), let id = Int64(key) else { return false }
        let row = try db.query("""
            SELECT scenario, strategy, trials, metric, search_space::text, apply_best, seed FROM genre.tuning_runs WHERE id = $1
            """, [Int(id)])
        guard row.rowCount == 1 else {
            try db.query("SELECT genre._complete('tuning', $1, $2)", [key, version])
            return true
        }
        let run = Run(id: id, scenario: row.string(0, 0) ?? "default", strategy: row.string(0, 1) ?? "bayesian",
                      trials: try row.int(0, 2) ?? 1, metric: row.string(0, 3) ?? "ndcg@10", space: row.string(0, 4) ?? "{}",
                      applyBest: try row.bool(0, 5) ?? false, seed: UInt64(max(0, try row.int(0, 6) ?? 1)))
        let completed = try finishedTrials(run.id, on: db)
        try db.query("""
            UPDATE genre.tuning_runs SET status = 'running', started_at = coalesce(started_at, now()),
                   note = CASE WHEN $2 > 0 THEN format('resumed after %s finished trial(s)', $2) END WHERE id = $1
            """, [Int(id), completed.count])
        do {
            try execute(run, completed: completed, on: db, settings: settings, lease: max(settings.leaseSeconds, 60), shouldStop: shouldStop)
        } catch _ where shouldStop() {
            // Not completed: the work row goes back to the queue with the daemon's claims.
            try? db.query("""
                UPDATE genre.tuning_runs SET status = 'queued', note = 'interrupted by a shutdown; resumes after its last finished trial'
                 WHERE id = $1
                """, [Int(id)])
            throw ModelBuilder.Cancelled()
        } catch {
            logger.warning("tuning run failed", metadata: ["genre.run": "\(id)", "error": "\(error)"])
            try db.query("UPDATE genre.tuning_runs SET status = 'failed', note = $2, finished_at = now() WHERE id = $1", [Int(id), "\(error)"])
        }
        try db.query("SELECT genre._complete('tuning', $1, $2)", [key, version])
        return true
    }

    /// The run's trials finished before an interruption: 1, 2, … without gaps (a gap ends the prefix, and
    /// later rows are dropped so they are run again in order).
    func finishedTrials(_ run: Int64, on db: PostgresConnection) throws -> [Tuner.Trial] {
        let rows = try db.query("SELECT trial, value, error, seconds FROM genre.tuning_trials WHERE run_id = $1 ORDER BY trial", [Int(run)])
        var trials: [Tuner.Trial] = []
        for row in 0..<rows.rowCount {
            guard try rows.int(row, 0) == trials.count + 1 else { break }
            trials.append(Tuner.Trial(number: trials.count + 1, parameters: [:], value: try rows.double(row, 1), error: rows.string(row, 2),
                                      seconds: try rows.double(row, 3) ?? 0))
        }
        try db.query("DELETE FROM genre.tuning_trials WHERE run_id = $1 AND trial > $2", [Int(run), trials.count])
        return trials
    }

    func execute(_ run: Run, completed: [Tuner.Trial], on db: PostgresConnection, settings: DaemonSettings, lease: Double,
                 shouldStop: @escaping @Sendable () -> Bool) throws {
        let metric = try RecommenderTuning.Metric(run.metric)
        guard let base = settings.variants.first(where: { $0.name == run.scenario })?.model else {
            throw SearchSpaceError("scenario \(run.scenario) no longer exists")
        }
        var space = try SearchSpace.parse(json: run.space == "{}" ? RecommenderTuning.defaultSearchSpace : run.space)
        if run.scenario != "default" && run.space == "{}" {
            // A scenario takes list-shaping settings only: tune the blend, MMR and interest decay.
            space = try SearchSpace(space.parameters.filter {
                $0.name.hasPrefix("blend.weights.") || $0.name == "diversity.lambda" || $0.name == "interest.half_life_days"
            })
        }
        let data = try TrainingData.load(db)
        let vectors = try ItemVectors.load(db, itemIndex: data.itemIndex)
        let table: ItemVectorTable? = vectors.isEmpty ? nil : vectors
        func split(_ s: RecommenderSettings) -> Split { Self.temporalHoldOut(data, weights: s.eventWeights) }
        let baseSplit = split(base)
        guard !baseSplit.test.isEmpty else { throw SearchSpaceError("no events to hold out: tuning needs interactions") }
        let tunesEventWeights = space.parameters.contains { $0.name.hasPrefix("event.weights.") }
        // The objective keeps every metric of the trial it just ran, for its tuning_trials row.
        var measured: RankingMetrics?
        let trials = try Tuner.run(space: space, strategy: run.strategy, trials: run.trials, seed: run.seed,
                                   first: RecommenderTuning.startingPoint(space, base), completed: completed, objective: { point in
            if shouldStop() { throw ModelBuilder.Cancelled() }
            measured = nil
            let trialSettings = try RecommenderTuning.apply(point, to: base)
            let result = try Evaluator(itemCount: data.catalog.ids.count, settings: trialSettings, vectors: table)
                .run(model: "hybrid", split: tunesEventWeights ? split(trialSettings) : baseSplit, k: metric.k, shouldStop: shouldStop)
            measured = result.metrics
            return metric.value(result.metrics)
        }, onTrial: { trial in
            if shouldStop() { throw ModelBuilder.Cancelled() }
            try db.query("""
                INSERT INTO genre.tuning_trials (run_id, trial, params, value, metrics, error, seconds)
                VALUES ($1, $2, $3::jsonb, $4, $5::jsonb, $6, $7)
                """, [Int(run.id), trial.number, RecommenderTuning.json(trial.parameters), trial.value,
                      measured.map { RecommenderTuning.json($0, k: metric.k) }, trial.error, trial.seconds])
            try db.query("SELECT genre._extend('tuning', $1, ARRAY[$2], $3)", [workerID, String(run.id), lease])
        })
        let baseline = trials.first?.value
        let best = trials.filter { $0.value != nil }.max { $0.value! < $1.value! }
        let bestParams = best.map { RecommenderTuning.json($0.parameters) }
        // One transaction: whoever sees status 'done' also sees what was applied.
        try db.transaction {
            try db.query("""
                UPDATE genre.tuning_runs SET status = 'done', finished_at = now(), baseline_value = $2, best_trial = $3, best_value = $4,
                       best_params = $5::jsonb WHERE id = $1
                """, [Int(run.id), baseline, best?.number, best?.value, bestParams])
            guard run.applyBest, let best, let value = best.value else { return }
            guard value > (baseline ?? -.infinity) else {
                try db.query("UPDATE genre.tuning_runs SET note = 'the settings in force were best; nothing applied' WHERE id = $1", [Int(run.id)])
                return
            }
            try apply(best, run: run, base: base, on: db)
        }
        if run.applyBest, let best, best.value ?? -.infinity > baseline ?? -.infinity {
            logger.info("tuning run applied its best trial", metadata: ["genre.run": "\(run.id)", "genre.value": "\(best.value ?? .nan)"])
        }
    }

    /// Writes the winner: default scenario → genre.set for each key in one transaction (one config version);
    /// a named scenario → its overrides. Runs inside the caller's transaction.
    func apply(_ best: Tuner.Trial, run: Run, base: RecommenderSettings, on db: PostgresConnection) throws {
        let values = try RecommenderTuning.settingValues(best.parameters, base: base)
        let previous = try db.query("SELECT coalesce(max(version), 0) FROM genre.settings_history").int(0, 0) ?? 0
        if run.scenario == "default" {
            for (key, json) in values.sorted(by: { $0.key < $1.key }) {
                try db.query("SELECT genre.set($1, $2::jsonb)", [key, json])
            }
            try db.query("""
                UPDATE genre.tuning_runs SET applied_version = nullif(current_setting('genre.settings_version', true), '')::bigint,
                       previous_version = $2, note = 'applied as a new config version; genre.rollback_settings(previous_version) undoes it'
                 WHERE id = $1
                """, [Int(run.id), previous])
        } else {
            let overrides = "{" + values.sorted { $0.key < $1.key }.map { "\(JSONText.quote($0.key)): \($0.value)" }.joined(separator: ", ") + "}"
            try db.query("SELECT genre.set_scenario($1, (SELECT overrides FROM genre.scenarios WHERE name = $1) || $2::jsonb)",
                         [run.scenario, overrides])
            try db.query("UPDATE genre.tuning_runs SET note = 'applied to the scenario''s overrides' WHERE id = $1", [Int(run.id)])
        }
    }

    /// Interactions as ratings (strength under `weights`, time of the last event); the newest 20 % by time are
    /// the test part, of which only positive ones count as relevant.
    static func temporalHoldOut(_ data: TrainingData, weights: EventWeights) -> Split {
        var ratings: [Rating] = []
        for (user, groups) in data.groups.enumerated() {
            for entry in UserHistory.entries(from: groups, weights: weights) where entry.strength != 0 {
                ratings.append(Rating(user: Int32(user), item: entry.item, weight: Float(entry.strength), time: entry.lastAt, order: ratings.count))
            }
        }
        var split = Split.make(ratings, protocol: .temporal(testFraction: 0.2))
        split.test = split.test.filter { $0.weight > 0 }
        return split
    }
}
