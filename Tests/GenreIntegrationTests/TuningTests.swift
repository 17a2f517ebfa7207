import Foundation
import Testing
import GenrePostgres

@Suite("config versions and tuning", .enabled(if: TestDatabase.enabled))
struct TuningIntegrationTests {
    @Test("every settings change is versioned; diff and rollback work across versions")
    func versions() throws {
        let c = try TestDatabase.create().connect()
        try c.transaction {
            try c.query("SELECT genre.set('als.factors', 32)")
            try c.query("SELECT genre.set('diversity.lambda', 0.7)")
        }
        let first = try c.count("SELECT max(version) FROM genre.settings_history")
        #expect(try c.count("SELECT count(*) FROM genre.settings_history WHERE version = $1", [first]) == 2, "one transaction, one version")
        try c.query("SELECT genre.set('als.factors', 48)")
        try c.query("SELECT genre.reset('diversity.lambda')")
        let last = try c.count("SELECT max(version) FROM genre.settings_history")
        #expect(last == first + 2)
        #expect(try c.scalar("SELECT changed_by FROM genre.settings_history ORDER BY id DESC LIMIT 1") == "genre_test")
        let diff = try c.query("SELECT key, value_a::text, value_b::text FROM genre.diff_settings($1, $2) ORDER BY key", [first, last])
        #expect(diff.rowCount == 2)
        #expect(diff.string(0, 0) == "als.factors" && diff.string(0, 1) == "32" && diff.string(0, 2) == "48")
        #expect(diff.string(1, 0) == "diversity.lambda" && diff.string(1, 1) == "0.7" && diff.string(1, 2) == "0.9")
        // Back to the first version: both keys as they were then, recorded as a new version.
        let rolled = try c.count("SELECT genre.rollback_settings($1)", [first])
        #expect(rolled == last + 1)
        #expect(try c.scalar("SELECT genre.get('als.factors')::text") == "32" && c.scalar("SELECT genre.get('diversity.lambda')::text") == "0.7")
        #expect(try c.count("SELECT count(*) FROM genre.diff_settings($1, $2)", [first, rolled]) == 0)
        // Scenario overrides are versioned too, and rolled back with the rest.
        try c.query("SELECT genre.set_scenario('email', '{\"diversity.lambda\": 0.5}')")
        let withScenario = try c.count("SELECT max(version) FROM genre.settings_history")
        try c.query("SELECT genre.set_scenario('email', '{\"diversity.lambda\": 0.6}')")
        #expect(try c.scalar("SELECT value_b->>'diversity.lambda' FROM genre.diff_settings($1, $2) WHERE key = 'scenario:email'",
                             [withScenario, withScenario + 1]) == "0.6")
        _ = try c.query("SELECT genre.rollback_settings($1)", [withScenario])
        #expect(try c.scalar("SELECT overrides->>'diversity.lambda' FROM genre.scenarios WHERE name = 'email'") == "0.5")
        _ = try c.query("SELECT genre.rollback_settings(0)")   // all defaults, no scenarios
        #expect(try c.count("SELECT count(*) FROM genre.settings") == 0)
        #expect(try c.count("SELECT count(*) FROM genre.scenarios") == 0)
        #expect(c.failure("SELECT genre.rollback_settings(99999)")?.message.contains("no config version 99999") == true)
    }

    /// (call, text the error must contain)
    static let badRuns: [(String, String)] = [
        ("SELECT genre.tune(strategy => 'grid')", "strategy must be random or bayesian"),
        ("SELECT genre.tune(trials => 0)", "trials must be between 1 and 1000"),
        ("SELECT genre.tune(metric => 'auc')", "metric must be ndcg"),
        ("SELECT genre.tune(scenario => 'nowhere')", "unknown scenario"),
        ("SELECT genre.tune(search_space => '{\"als.factorz\": {\"type\": \"int\", \"min\": 8, \"max\": 64}}')", "\"als.factorz\" cannot be tuned"),
        ("SELECT genre.tune(search_space => '{\"als.factors\": {\"type\": \"int\", \"min\": 64, \"max\": 8}}')", "needs numbers \"min\" < \"max\""),
        ("SELECT genre.tune(search_space => '{\"als.regularization\": {\"type\": \"real\", \"min\": 0, \"max\": 8, \"log\": true}}')", "log scale"),
        ("SELECT genre.tune(search_space => '{\"collaborative.model\": {\"type\": \"choice\", \"values\": []}}')", "non-empty array of strings"),
        ("SELECT genre.tune(search_space => '{\"als.factors\": {\"type\": \"normal\"}}')", "needs {\"type\""),
        ("SELECT genre.tune(search_space => '[]')", "non-empty JSON object"),
        ("SELECT genre.tune(search_space => '{\"blend.weights.magic\": {\"type\": \"real\", \"min\": 0, \"max\": 1}}')", "cannot be tuned"),
    ]

    @Test("a bad tuning request is refused with a message naming the problem", arguments: badRuns)
    func refused(call: String, message: String) throws {
        let c = try TestDatabase.create().connect()
        let error = c.failure(call)
        #expect(error?.message.contains(message) == true, "\(call): \(error?.message ?? "accepted")")
        #expect(try c.count("SELECT count(*) FROM genre.tuning_runs") == 0)
    }

    @Test("genre.tune runs in the daemon: trials appear as they finish, the winner is applied as a version rollback undoes")
    func tuneEndToEnd() throws {
        let db = try TestDatabase.create()
        let c = try db.connect()
        try seedTwoClusters(c, users: 30)
        // A deliberately poor starting point, so that the search can beat it.
        try c.query("SELECT genre.set('blend.weights', '{\"popularity\": 1, \"collaborative\": 0.01}')")
        let space = """
            {"blend.weights.collaborative": {"type": "real", "min": 0, "max": 1},
             "blend.weights.popularity": {"type": "real", "min": 0, "max": 1},
             "als.factors": {"type": "int", "min": 4, "max": 16}}
            """
        let run = try c.count("SELECT genre.tune(trials => 6, search_space => $1::jsonb, apply_best => true)", [space])
        let daemon = TestDaemon.start(db)
        defer { try? daemon.stop() }
        try eventually("the tuning run to finish", timeout: 120) {
            try c.scalar("SELECT status FROM genre.tuning_runs WHERE id = $1", [run]) == "done"
        }
        #expect(try c.count("SELECT count(*) FROM genre.tuning_trials WHERE run_id = $1 AND value IS NOT NULL", [run]) == 6)
        #expect(try c.count("SELECT count(*) FROM genre.tuning_trials WHERE run_id = $1 AND abs((metrics->>'ndcg@10')::float8 - value) < 1e-3 AND metrics ? 'recall@10'", [run]) == 6,
                "every metric is kept beside the tuned one")
        #expect(try c.scalar("SELECT params->>'blend.weights.popularity' FROM genre.tuning_trials WHERE run_id = $1 AND trial = 1", [run]) == "1",
                "trial 1 is the settings in force")
        let values = try c.query("SELECT baseline_value, best_value, applied_version, previous_version FROM genre.tuning_runs WHERE id = $1", [run])
        let baseline = try #require(try values.double(0, 0)), best = try #require(try values.double(0, 1))
        #expect(best > baseline, "best \(best) vs baseline \(baseline)")
        let applied = try #require(try values.int(0, 2)), previous = try #require(try values.int(0, 3))
        #expect(try c.count("SELECT count(*) FROM genre.diff_settings($1, $2) WHERE key IN ('blend.weights', 'als.factors')", [previous, applied]) >= 1)
        // Undo: back to the version before the winner.
        _ = try c.query("SELECT genre.rollback_settings($1)", [previous])
        #expect(try c.scalar("SELECT genre.get('blend.weights')->>'popularity'") == "1")
    }
}
