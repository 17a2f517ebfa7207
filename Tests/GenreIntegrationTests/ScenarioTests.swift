import Foundation
import Testing
import GenrePostgres

@Suite("scenarios", .enabled(if: TestDatabase.enabled))
struct ScenarioTests {
    @Test("overrides are validated like settings, and names are checked")
    func validation() throws {
        let db = try TestDatabase.create()
        let c = try db.connect()
        let stored = try c.scalar("SELECT genre.set_scenario('email', '{\"diversity.lambda\": \"0.5\", \"blend.weights\": {\"popularity\": 1}}')")
        #expect(stored == "{\"blend.weights\": {\"popularity\": 1}, \"diversity.lambda\": 0.5}")
        #expect(c.failure("SELECT genre.set_scenario('email', '{\"als.factors\": 8}')")?.message.contains("cannot be overridden per scenario") == true)
        #expect(c.failure("SELECT genre.set_scenario('email', '{\"diversity.lambda\": 3}')")?.message.contains("diversity.lambda") == true)
        #expect(c.failure("SELECT genre.set_scenario('email', '{\"blend.weights\": {\"magic\": 1}}')")?.message.contains("magic") == true)
        #expect(c.failure("SELECT genre.set_scenario('default', '{}')")?.message.contains("not \"default\"") == true)
        #expect(c.failure("SELECT genre.set_scenario('Home Page', '{}')") != nil)
        #expect(c.failure("INSERT INTO genre.scenarios (name, overrides) VALUES ('x', '{\"recommend.exclude_seen\": \"maybe\"}')") != nil)
        // A refused write changed nothing.
        #expect(try c.scalar("SELECT overrides->>'diversity.lambda' FROM genre.scenarios WHERE name = 'email'") == "0.5")
        let unknown = c.failure("SELECT * FROM genre.recommend('u1', 5, scenario => 'homepage')")
        #expect(unknown?.message.contains("unknown genre scenario \"homepage\"; defined: email") == true)
        #expect(try c.scalar("SELECT genre.drop_scenario('email')::text") == "true")
        #expect(try c.scalar("SELECT genre.drop_scenario('email')::text") == "false")
    }

    @Test("each scenario gets its own stored lists, from full builds and in real time")
    func listsPerScenario() throws {
        let db = try TestDatabase.create()
        let c = try db.connect()
        try seedTwoClusters(c, users: 20)
        try c.query("SELECT genre.set_scenario('email', '{\"blend.weights\": {\"popularity\": 1}}', 'newsletter: what is popular')")
        let daemon = TestDaemon.start(db)
        defer { try? daemon.stop() }
        try eventually("the first build", timeout: 30) {
            try c.scalar("SELECT (last_build_at IS NOT NULL AND users_queued = 0)::text FROM genre.status()") == "true"
        }
        #expect(try c.count("SELECT count(DISTINCT scenario) FROM genre.recommendations WHERE user_id = 'u2'") == 2)
        // The default blends behaviour; the email scenario shows popularity alone.
        #expect(try c.count("SELECT count(*) FROM genre.recommend('u2', 5) WHERE reasons->'strategies' ? 'collaborative'") == 5)
        #expect(try c.count("""
            SELECT count(*) FROM genre.recommend('u2', 5, scenario => 'email') WHERE reasons->'strategies' = '{"popularity": 1}'
            """) == 5)

        // Real time: a new user's event writes both scenarios' lists.
        try c.query("INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('newcomer', 'a1', 'purchase')")
        try eventually("both lists of the newcomer") {
            try c.count("SELECT count(DISTINCT scenario) FROM genre.recommendations WHERE user_id = 'newcomer'") == 2
        }
        #expect(try c.count("SELECT count(*) FROM genre.recommend('newcomer', 3, scenario => 'email') WHERE item_id = 'a1'") == 0)

        // A new scenario is served from the default lists until the rebuild it triggers has written its own.
        try c.query("SELECT genre.set_scenario('home', '{\"diversity.lambda\": 0.5}')")
        #expect(try c.count("SELECT count(*) FROM genre.recommend('u2', 5, scenario => 'home')") == 5)
        try eventually("lists for the new scenario", timeout: 30) {
            try c.count("SELECT count(*) FROM genre.recommendations WHERE user_id = 'u2' AND scenario = 'home'") > 0
        }
    }
}
