import Foundation
import Logging
import Synchronization
import Testing
@testable import GenreDaemon
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
        let db = try TestDatabase.create()
        let c = try db.connect()
        try seedPopularItems(c)
        try c.query("SELECT genre.create_experiment('sticky', '{\"a\": {\"share\": 0.5}, \"b\": {\"share\": 0.5}}', policy => 'thompson')")
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
        // Variant b converts every impression, a none: one step of the experiment service moves the shares.
        try c.query("INSERT INTO genre.events (user_id, item_id, event_type) SELECT DISTINCT user_id, item_id, 'purchase' FROM genre.impressions WHERE variant = 'b'")
        #expect(try ExperimentService(context: testContext(db)).step(c))
        #expect(try c.double1("SELECT share FROM genre.experiment_variants WHERE variant = 'b'") > 0.9)
        try show(1...300)
        // Users first shown a list now follow the new shares (b: 0.95; 100 users, so about 95 ± 2).
        try show(301...400)
        #expect(try usersIn("b", 301...400) > 85)
        // Then the shares move the other way, by hand, and everyone comes back.
        try c.query("UPDATE genre.experiment_variants SET share = CASE variant WHEN 'a' THEN 0.95 ELSE 0.05 END")
        try show(1...400)
        #expect(try c.count("SELECT count(DISTINCT user_id) FROM genre.impressions") == 400)
        let movers = try c.count("SELECT count(*) FROM (SELECT user_id FROM genre.impressions GROUP BY user_id HAVING count(DISTINCT variant) > 1) m")
        #expect(movers == 0, "\(movers) of 400 users saw both variants")
        #expect(try c.count("""
            SELECT count(*) FROM genre.impressions i JOIN genre.experiment_assignments a USING (experiment, user_id) WHERE a.variant <> i.variant
            """) == 0, "every impression carries the recorded variant")
        try show(401...600)
        #expect(try usersIn("a", 401...600) > 170)
    }

    @Test("two first exposures of one user at once agree on the variant, whatever the shares did in between")
    func concurrentFirstExposure() throws {
        let db = try TestDatabase.create()
        let c = try db.connect()
        try seedPopularItems(c)
        try c.query("SELECT genre.create_experiment('race', '{\"a\": {\"share\": 1}, \"b\": {\"share\": 0}}')")
        let first = try db.connect()
        try first.query("BEGIN")
        #expect(try first.scalar("SELECT reasons->'experiment'->>'variant' FROM genre.recommend('racer', 1)") == "a")
        // Now the hash would say b; a second session's first exposure waits for the first's transaction.
        try c.query("UPDATE genre.experiment_variants SET share = 1 - share")
        let url = db.url
        let second = Mutex<String?>(nil)
        let thread = Thread {
            let variant = try? PostgresConnection(url: url).scalar("SELECT reasons->'experiment'->>'variant' FROM genre.recommend('racer', 1)")
            second.withLock { $0 = variant }
        }
        thread.start()
        try eventually("the second exposure to wait for the first") {
            try c.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") == 1
        }
        try first.query("COMMIT")
        try eventually("the second exposure to return") { thread.isFinished }
        #expect(second.withLock { $0 } == "a")
        #expect(try c.scalar("SELECT string_agg(variant, ',') FROM genre.experiment_assignments WHERE user_id = 'racer'") == "a")
    }

    /// experiment_results as a from-scratch count would give it (the view's definition before counting was
    /// incremental, with the conversion event types of the setting): "variant:impressions:users:conversions,...".
    static let fromScratch = """
        SELECT string_agg(variant || ':' || impressions || ':' || users || ':' || conversions, ',' ORDER BY variant) FROM (
          SELECT v.variant, count(i.id) AS impressions, count(DISTINCT i.user_id) AS users,
                 count(i.id) FILTER (WHERE EXISTS (
                   SELECT 1 FROM genre.events ev
                    WHERE ev.user_id = i.user_id AND ev.item_id = i.item_id
                      AND ev.event_type IN (SELECT jsonb_array_elements_text(genre.get('experiment.conversion_events')))
                      AND ev.occurred_at >= i.shown_at AND ev.occurred_at < i.shown_at + make_interval(secs => e.conversion_days * 86400))) AS conversions
            FROM genre.experiments e JOIN genre.experiment_variants v ON v.experiment = e.name
            LEFT JOIN genre.impressions i ON i.experiment = e.name AND i.variant = v.variant
           GROUP BY v.variant) x
        """
    static let counted = """
        SELECT string_agg(variant || ':' || impressions || ':' || users || ':' || conversions, ',' ORDER BY variant) FROM genre.experiment_results
        """

    @Test("incremental counts equal a count from scratch, step after step, through late commits, deletes and rule changes")
    func incrementalCounts() throws {
        let db = try TestDatabase.create()
        let c = try db.connect()
        try seedPopularItems(c)
        try c.query("SELECT setseed(0.25)")
        try c.query("SELECT genre.create_experiment('counted', '{\"a\": {\"share\": 0.5}, \"b\": {\"share\": 0.5}}')")
        func step(_ label: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            try c.query("SELECT genre._update_experiment_counts()")
            let expected = try c.scalar(Self.fromScratch), got = try c.scalar(Self.counted)
            #expect(got == expected, "\(label)", sourceLocation: sourceLocation)
        }
        // Impressions shown now, and older ones (as if logged days ago), so events fall in and out of the window.
        func show(_ users: ClosedRange<Int>) throws {
            for user in users { try c.query("SELECT * FROM genre.recommend($1, 3, log_impression => true)", ["c\(user)"]) }
            try c.query("""
                INSERT INTO genre.impressions (experiment, variant, user_id, item_id, rank, shown_at)
                SELECT 'counted', CASE WHEN random() < 0.5 THEN 'a' ELSE 'b' END, 'c' || u, 'p' || (1 + floor(random() * 5)::int), 1,
                       now() - make_interval(secs => random() * 12 * 86400)
                  FROM generate_series($1::int, $2::int) u
                """, [users.lowerBound, users.upperBound])
        }
        // Events of every type on shown and unshown items, before and after the impressions, some within the window.
        func act(_ count: Int) throws {
            try c.query("""
                INSERT INTO genre.events (user_id, item_id, event_type, occurred_at)
                SELECT i.user_id, CASE WHEN random() < 0.8 THEN i.item_id ELSE 'p' || (1 + floor(random() * 5)::int) END,
                       (ARRAY['view', 'click', 'like', 'purchase', 'dislike'])[1 + floor(random() * 5)::int],
                       least(now(), i.shown_at + make_interval(secs => (random() * 10 - 1) * 86400))
                  FROM (SELECT * FROM genre.impressions ORDER BY random() LIMIT $1) i
                """, [count])
        }
        try show(1...60)
        try act(100)
        try step("the first count, from scratch")
        try step("a step with nothing new")
        try show(41...100)
        try act(100)
        try step("new and returning users, new events")
        try c.query("DELETE FROM genre.events WHERE id IN (SELECT id FROM genre.events ORDER BY random() LIMIT 40)")
        try act(50)
        try step("events deleted (some the only conversion of an impression), more added")

        // A late commit: an impression and an event logged in a transaction that stays open across a step, while
        // later ones commit and are counted.
        let late = try db.connect()
        try late.query("BEGIN")
        try late.query("SELECT * FROM genre.recommend('c-late', 3, log_impression => true)")
        try late.query("INSERT INTO genre.events (user_id, item_id, event_type) SELECT user_id, item_id, 'purchase' FROM genre.impressions WHERE user_id = 'c7'")
        try show(101...110)
        try step("with a transaction open")
        try late.query("COMMIT")
        try step("after the late commit")

        try c.query("SELECT genre.set('experiment.conversion_events', '[\"like\", \"view\"]')")
        try step("after the conversion event types changed")
        try act(80)
        try step("more events of the new types")
        try c.query("UPDATE genre.experiments SET conversion_days = 2")
        try step("after the conversion window changed")
        try c.query("SELECT genre.reset('experiment.conversion_events')")
        try show(111...150)
        try act(80)
        try c.query("DELETE FROM genre.events WHERE event_type = 'purchase' AND id % 2 = 0")
        try step("back to the default types, with deletes")
        #expect(try c.count("SELECT sum(conversions) FROM genre.experiment_results") > 0, "some impressions converted")
        #expect(try c.count("SELECT count(*) FROM genre.experiment_rechecks") == 0, "rechecks are consumed")
    }

    @Test("the conversion event types are a setting: repeats dropped, unknown types refused by name, nothing changed")
    func conversionEventsSetting() throws {
        let c = try TestDatabase.create().connect()
        #expect(try c.scalar("SELECT genre.get('experiment.conversion_events')::text") == "[\"click\", \"purchase\"]")
        #expect(try c.scalar("SELECT genre.set('experiment.conversion_events', '[\"purchase\", \"like\", \"purchase\"]')::text")
                == "[\"purchase\", \"like\"]")
        // A type becomes usable once event.weights names it.
        try c.query("SELECT genre.set('event.weights', '{\"view\": 1, \"click\": 2, \"purchase\": 5, \"like\": 3, \"signup\": 0}')")
        #expect(try c.scalar("SELECT genre.set('experiment.conversion_events', '[\"signup\"]'::jsonb)::text") == "[\"signup\"]")
        for (value, message) in [("[\"signup\", \"clik\"]", "unknown event type \"clik\"; known: click, like, purchase, signup, view"),
                                 ("[]", "must be a non-empty JSON array of event types"),
                                 ("click", "must be a non-empty JSON array of event types"),
                                 ("{\"click\": 1}", "must be a non-empty JSON array of event types"),
                                 ("[\"click\", 2]", "event types are strings, got 2")] {
            let error = c.failure("SELECT genre.set('experiment.conversion_events', $1::text)", [value])
            #expect(error?.message.contains("genre setting \"experiment.conversion_events\"") == true, "\(value)")
            #expect(error?.message.contains(message) == true, "\(value): \(error?.message ?? "accepted")")
            #expect(error?.sqlState == "22023")
        }
        #expect(try c.scalar("SELECT genre.get('experiment.conversion_events')::text") == "[\"signup\"]", "the refused values changed nothing")
    }

    @Test("a daemon that does not train still counts and learns: shares move, results advance")
    func experimentsWithoutTraining() throws {
        let db = try TestDatabase.create()
        let c = try db.connect()
        try seedPopularItems(c)
        try c.query("SELECT genre.set('daemon.poll_interval_seconds', 0.2), genre.set('embedding.enabled', false)")
        try c.query("SELECT genre.create_experiment('replica', '{\"a\": {\"share\": 0.5}, \"b\": {\"share\": 0.5}}', policy => 'thompson')")
        for user in 1...60 { try c.query("SELECT * FROM genre.recommend($1, 2, log_impression => true)", ["r\(user)"]) }
        try c.query("INSERT INTO genre.events (user_id, item_id, event_type) SELECT user_id, item_id, 'click' FROM genre.impressions WHERE variant = 'a'")
        let daemon = TestDaemon.start(db, trains: false)
        defer { try? daemon.stop() }
        try eventually("the shares to move toward a", timeout: 30) {
            try c.double1("SELECT share FROM genre.experiment_variants WHERE variant = 'a'") > 0.9
        }
        #expect(try c.scalar(Self.counted) == c.scalar(Self.fromScratch))
        #expect(try c.count("SELECT count(*) FROM genre.model_builds") == 0, "no build: the trainer did not run")
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
        // The daemon's experiment service counts them within a step (every 0.2 s here).
        try eventually("the purchases counted as conversions", timeout: 30) {
            try c.count("SELECT conversions FROM genre.experiment_results WHERE variant = 'popular'") > 0
        }
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

/// A daemon context for calling one service's step directly (no threads started).
func testContext(_ db: TestDatabase) -> DaemonContext {
    var logger = Logger(label: "genre-test")
    logger.logLevel = .warning
    return DaemonContext(databaseURL: db.url, logger: logger)
}
