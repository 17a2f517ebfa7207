import Foundation
import Testing
import GenrePostgres

@Suite("online experiments", .enabled(if: TestDatabase.enabled))
struct ExperimentTests {
    static let badCalls: [(String, String)] = [
        ("SELECT genre.create_experiment('x', '{\"a\": {\"share\": 1}}')", "at least two variants"),
        ("SELECT genre.create_experiment('x', '{\"a\": {\"share\": 0.5}, \"b\": {\"share\": 0.4}}')", "shares must add up to 1"),
        ("SELECT genre.create_experiment('x', '{\"a\": {\"share\": 0.5}, \"b\": {\"share\": 0.5}}', scenario => 'nowhere')", "unknown scenario"),
        ("SELECT genre.create_experiment('X Y', '{\"a\": {\"share\": 0.5}, \"b\": {\"share\": 0.5}}')", "lower-case"),
        ("SELECT genre.create_experiment('x', '{\"a\": {\"share\": 0.5}, \"b\": {\"share\": 0.5, \"overrides\": {\"als.factors\": 8}}}')", "cannot be overridden per scenario"),
        ("SELECT genre.create_experiment('x', '{\"a\": {\"share\": 0.5}, \"b\": {\"share\": 0.5}}', policy => 'greedy')", "policy must be fixed or thompson, got 'greedy'"),
        ("SELECT genre.stop_experiment('nope')", "no experiment"),
    ]

    @Test("a taken name or a scenario with a running experiment is refused by name, not by a constraint")
    func conflicts() throws {
        let db = try TestDatabase.create()
        let c = try db.connect()
        let variants = "{\"a\": {\"share\": 0.5}, \"b\": {\"share\": 0.5}}"
        try c.query("SELECT genre.create_experiment('first', $1::jsonb)", [variants])
        #expect(c.failure("SELECT genre.create_experiment('second', $1::jsonb)", [variants])?.message
                .contains("experiment 'first' is already running on scenario 'default'; stop it first") == true)
        try c.query("SELECT genre.stop_experiment('first')")
        #expect(c.failure("SELECT genre.create_experiment('first', $1::jsonb)", [variants])?.message
                .contains("an experiment named 'first' already exists") == true)
        try c.query("SELECT genre.create_experiment('second', $1::jsonb)", [variants])
    }

    @Test("bad experiments are refused with a message naming the problem", arguments: badCalls)
    func refused(call: String, message: String) throws {
        let c = try TestDatabase.create().connect()
        let error = c.failure(call)
        #expect(error?.message.contains(message) == true, "\(call): \(error?.message ?? "accepted")")
        #expect(try c.count("SELECT count(*) FROM genre.experiments") == 0, "nothing stored")
    }

    @Test("a user keeps their variant while the shares move; only users not yet assigned follow the new shares")
    func stickyAssignment() throws {
        let c = try TestDatabase.create().connect()
        try seedPopularItems(c)
        try c.query("SELECT genre.create_experiment('sticky', '{\"a\": {\"share\": 0.5}, \"b\": {\"share\": 0.5}}')")
        func show(_ users: ClosedRange<Int>) throws {
            for user in users { try c.query("SELECT * FROM genre.recommend($1, 3, log_impression => true)", ["s\(user)"]) }
        }
        func usersIn(_ variant: String, _ users: ClosedRange<Int>) throws -> Int {
            try c.count("""
                SELECT count(DISTINCT user_id) FROM genre.impressions
                 WHERE variant = $1 AND substr(user_id, 2)::int BETWEEN $2 AND $3
                """, [variant, users.lowerBound, users.upperBound])
        }
        try show(1...300)
        #expect(try usersIn("a", 1...300) > 100 && usersIn("b", 1...300) > 100, "an even split to begin with")
        // The shares move one way, then the other (as Thompson sampling moves them), and the same users come back.
        try c.query("UPDATE genre.experiment_variants SET share = CASE variant WHEN 'a' THEN 0.05 ELSE 0.95 END")
        try show(1...300)
        try c.query("UPDATE genre.experiment_variants SET share = CASE variant WHEN 'a' THEN 0.95 ELSE 0.05 END")
        try show(1...300)
        #expect(try c.count("SELECT count(*) FROM genre.impressions") == 2700)
        let movers = try c.count("SELECT count(*) FROM (SELECT user_id FROM genre.impressions GROUP BY user_id HAVING count(DISTINCT variant) > 1) m")
        #expect(movers == 0, "\(movers) of 300 users saw both variants")
        // Users first shown a list now follow the current shares (a: 0.95; 200 users, so about 190 ± 3).
        try show(301...500)
        #expect(try usersIn("a", 301...500) > 170)
    }

    @Test("impressions, conversions, intervals; Thompson sampling moves traffic to the better variant and promotes it")
    func thompsonEndToEnd() throws {
        let db = try TestDatabase.create()
        let c = try db.connect()
        try seedTwoClusters(c, users: 40)
        #expect(try c.count("""
            SELECT genre.create_experiment('pop-test', '{"control": {"share": 0.5}, "popular": {"share": 0.5, "overrides": {"blend.weights": {"popularity": 1}}}}',
                                           policy => 'thompson', auto_promote => true, min_impressions => 40)
            """) == 2)
        let daemon = TestDaemon.start(db)
        defer { try? daemon.stop() }
        try eventually("lists for both variants", timeout: 30) {
            try c.count("SELECT count(DISTINCT scenario) FROM genre.recommendations WHERE user_id = 'u1'") == 2
        }
        // Every user sees their variant, logged; the same user always gets the same variant.
        for user in 1...40 {
            try c.query("SELECT * FROM genre.recommend($1, 5, log_impression => true)", ["u\(user)"])
        }
        #expect(try c.count("SELECT count(*) FROM genre.impressions") == 200)
        let first = try c.scalar("SELECT reasons->'experiment'->>'variant' FROM genre.recommend('u7', 1)")
        let again = try c.scalar("SELECT reasons->'experiment'->>'variant' FROM genre.recommend('u7', 1)")
        #expect(first != nil && first == again)
        #expect(try c.count("SELECT count(DISTINCT variant) FROM genre.impressions") == 2)
        // The simulated truth: users buy what the "popular" variant shows them, never what the control shows.
        try c.query("""
            INSERT INTO genre.events (user_id, item_id, event_type)
            SELECT DISTINCT user_id, item_id, 'purchase' FROM genre.impressions WHERE variant = 'popular'
            """)
        let results = try c.query("SELECT variant, impressions, conversions, rate, rate_low, rate_high FROM genre.experiment_results ORDER BY variant")
        #expect(results.rowCount == 2)
        #expect(try results.int(0, 2) == 0 && results.int(1, 2) == results.int(1, 1), "control converts nothing, popular everything")
        #expect(try results.double(0, 5)! > 0 && results.double(1, 4)! < 1, "Wilson intervals are never degenerate")
        try eventually("the better variant promoted", timeout: 30) {
            try c.scalar("SELECT status || ':' || coalesce(winner, '') FROM genre.experiments") == "promoted:popular"
        }
        #expect(try c.double1("SELECT share FROM genre.experiment_variants WHERE variant = 'popular'") > 0.9)
        #expect(try c.double1("SELECT p_best FROM genre.experiment_variants WHERE variant = 'popular'") > 0.95)
        // After promotion everyone gets the winner's lists, and impressions are no longer logged.
        #expect(try c.scalar("SELECT reasons->'experiment'->>'variant' FROM genre.recommend('u8', 1, log_impression => true)") == "popular")
        #expect(try c.count("SELECT count(*) FROM genre.impressions") == 200)
    }
}

/// Five available items ranked as popular (what every user without a list of their own gets), so
/// genre.recommend shows lists without a daemon.
func seedPopularItems(_ c: PostgresConnection) throws {
    try c.query("""
        INSERT INTO genre.items (item_id, title) SELECT 'p' || i, 'popular ' || i FROM generate_series(1, 5) i;
        INSERT INTO genre.popular_items (rank, item_id, score, users, reasons, generation)
          SELECT i, 'p' || i, 1.0 / i, 1, '{}', 1 FROM generate_series(1, 5) i;
        """)
}
