import Foundation
import GenrePostgres
import GenreTuning

/// Keeps running experiments up to date from their results: each variant's posterior probability of being
/// best; under Thompson sampling, traffic shares proportional to it (with a floor, so every variant keeps
/// learning); with auto_promote, the winner once the evidence is strong and every variant has been seen
/// enough. Reads genre.experiment_results, so the counts should be advanced first; runs inside the caller's
/// transaction (ExperimentService), so shares are stored with the counts they were computed from.
struct ExperimentUpdater {
    func update(on db: PostgresConnection) throws {
        let rows = try db.query("""
            SELECT r.experiment, r.variant, r.impressions, r.conversions, e.policy, e.auto_promote, e.min_impressions, e.promote_probability
              FROM genre.experiment_results r JOIN genre.experiments e ON e.name = r.experiment
             WHERE r.status = 'running' ORDER BY r.experiment, r.variant
            """)
        var byExperiment: [String: [(variant: String, impressions: Int, conversions: Int)]] = [:]
        var rules: [String: (policy: String, auto: Bool, minimum: Int, probability: Double)] = [:]
        for row in 0..<rows.rowCount {
            guard let name = rows.string(row, 0), let variant = rows.string(row, 1) else { continue }
            byExperiment[name, default: []].append((variant, try rows.int(row, 2) ?? 0, try rows.int(row, 3) ?? 0))
            rules[name] = (rows.string(row, 4) ?? "fixed", try rows.bool(row, 5) ?? false, try rows.int(row, 6) ?? 1000,
                           try rows.double(row, 7) ?? 0.95)
        }
        for (name, variants) in byExperiment.sorted(by: { $0.key < $1.key }) {
            guard let rule = rules[name] else { continue }
            let conversions = variants.map(\.conversions), impressions = variants.map(\.impressions)
            let best = ExperimentStatistics.probabilityBest(conversions: conversions, impressions: impressions)
            let shares = rule.policy == "thompson" && impressions.reduce(0, +) > 0
                ? ExperimentStatistics.thompsonShares(conversions: conversions, impressions: impressions) : nil
            for (index, variant) in variants.enumerated() {
                try db.query("""
                    UPDATE genre.experiment_variants SET p_best = $3, share = coalesce($4, share) WHERE experiment = $1 AND variant = $2
                    """, [name, variant.variant, best[index], shares?[index]])
            }
            if rule.auto, impressions.allSatisfy({ $0 >= rule.minimum }), let top = best.indices.max(by: { best[$0] < best[$1] }),
               best[top] >= rule.probability {
                try db.query("SELECT genre.stop_experiment($1, $2)", [name, variants[top].variant])
            }
        }
    }
}
