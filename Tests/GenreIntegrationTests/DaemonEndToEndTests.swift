import Foundation
import Logging
import Testing
@testable import GenreDaemon
@testable import GenrePostgres

/// The daemon's services running in this process against a real database, driven only through SQL, the way
/// an application would use GENRE.
@Suite("daemon end to end", .enabled(if: TestDatabase.enabled))
struct DaemonEndToEndTests {
    /// Two taste clusters: users u1..u10 like items a1..a15, users u11..u20 like b1..b15.
    func seed(_ c: PostgresConnection) throws {
        try c.query("""
            INSERT INTO genre.items (item_id, title, category)
            SELECT p || g, upper(p) || '-title ' || g, p FROM unnest(ARRAY['a', 'b']) p, generate_series(1, 15) g
            """)
        try c.query("""
            INSERT INTO genre.events (user_id, item_id, event_type)
            SELECT 'u' || u, CASE WHEN u <= 10 THEN 'a' ELSE 'b' END || i, CASE WHEN (u + i) % 3 = 0 THEN 'purchase' ELSE 'view' END
              FROM generate_series(1, 20) u, generate_series(1, 15) i
             WHERE (u * 7 + i * 3) % 4 <> 0
            """)
        try c.query("SELECT genre.set('daemon.poll_interval_seconds', 0.2)")
    }


    @Test("a new user's events turn into collaborative recommendations (folded into ALS) with reasons, never items they saw")
    func newUserGetsRecommendations() throws {
        let db = try TestDatabase.create()
        let c = try db.connect()
        try seed(c)
        let daemon = TestDaemon.start(db)
        defer { try? daemon.stop() }
        try eventually("the first model build", timeout: 30) { try c.count("SELECT count(*) FROM genre.model_builds") > 0 }

        // A brand-new user: cold, so popular items.
        let cold = try c.query("SELECT item_id, reasons->'strategies' ? 'popularity' FROM genre.recommend('newcomer', 5)")
        #expect(cold.rowCount == 5)
        #expect((0..<cold.rowCount).allSatisfy { cold.string($0, 1) == "t" })

        try c.query("INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('newcomer', 'a1', 'purchase'), ('newcomer', 'a2', 'like')")
        try eventually("collaborative recommendations for the newcomer") {
            try c.count("SELECT count(*) FROM genre.recommend('newcomer', 5) WHERE reasons->'strategies' ? 'collaborative'") == 5
        }
        let rows = try c.query("SELECT item_id, reasons FROM genre.recommend('newcomer', 10)")
        let items = (0..<rows.rowCount).compactMap { rows.string($0, 0) }
        #expect(!items.contains("a1") && !items.contains("a2"), "never an item the user already has")
        #expect(items.prefix(5).allSatisfy { $0.hasPrefix("a") }, "same-cluster items first: \(items)")
        let reasons = try #require(rows.string(0, 1))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(reasons.utf8)) as? [String: Any])
        let because = try #require(json["because"] as? [[String: Any]])
        #expect(because.contains { ($0["item_id"] as? String) == "a1" || ($0["item_id"] as? String) == "a2" })
        let summary = try #require(json["summary"] as? String)
        #expect(summary.hasPrefix("Because you "), "\(summary)")
        #expect(summary.contains("A-title 1") || summary.contains("A-title 2"), "\(summary)")

        // Real time again: the next purchase disappears from the list at once and the list is recomputed.
        let top = try #require(items.first)
        try c.query("INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('newcomer', $1, 'purchase')", [top])
        #expect(try c.count("SELECT count(*) FROM genre.recommend('newcomer', 10) WHERE item_id = $1", [top]) == 0)
        try eventually("the list to be recomputed after the purchase") {
            try c.count("SELECT count(*) FROM genre.work_queue WHERE queue = 'users' AND work_key = 'newcomer'") == 0
        }
    }

    @Test("similar_items, exclusions, availability and status answer through SQL")
    func readFunctions() throws {
        let db = try TestDatabase.create()
        let c = try db.connect()
        try seed(c)
        let daemon = TestDaemon.start(db)
        defer { try? daemon.stop() }
        try eventually("every user refreshed", timeout: 30) {
            try c.scalar("SELECT (last_build_at IS NOT NULL AND users_queued = 0)::text FROM genre.status()") == "true"
        }
        let similar = try c.query("SELECT item_id, reasons->>'summary' FROM genre.similar_items('a1', 5)")
        #expect(similar.rowCount == 5)
        #expect((0..<similar.rowCount).allSatisfy { similar.string($0, 0)?.hasPrefix("a") == true })
        #expect(similar.string(0, 1)?.contains("who chose A-title 1 also chose this") == true)
        #expect(try c.count("SELECT count(*) FROM genre.similar_items('no-such-item')") == 0)

        let first = try #require(try c.scalar("SELECT item_id FROM genre.recommend('u1', 1)"))
        #expect(try c.count("SELECT count(*) FROM genre.recommend('u1', 10, ARRAY[$1])", [first]) == 10)
        #expect(try c.count("SELECT count(*) FROM genre.recommend('u1', 10, ARRAY[$1]) WHERE item_id = $1", [first]) == 0)
        try c.query("UPDATE genre.items SET available = false WHERE item_id = $1", [first])
        #expect(try c.count("SELECT count(*) FROM genre.recommend('u1', 10) WHERE item_id = $1", [first]) == 0)
        #expect(try c.count("SELECT count(*) FROM genre.similar_items('a1', 30) WHERE item_id = $1", [first]) == 0)
        let ranks = try c.query("SELECT rank FROM genre.recommend('u1', 5)")
        #expect((0..<ranks.rowCount).map { ranks.string($0, 0) } == ["1", "2", "3", "4", "5"])
        #expect(c.failure("SELECT * FROM genre.recommend('u1', 0)")?.message.contains("k must be between 1 and 1000") == true)
        #expect(c.failure("SELECT * FROM genre.recommend(NULL, 5)")?.message.contains("user_id must not be NULL") == true)

        // Category filter: only items of that category, personal ones first.
        let inB = try c.query("SELECT item_id FROM genre.recommend('u1', 5, category => 'b')")
        #expect(inB.rowCount == 5 && (0..<inB.rowCount).allSatisfy { inB.string($0, 0)?.hasPrefix("b") == true })

        // explain: for a listed item, an item the user has, an unknown item, and an unlisted one.
        let listed = try #require(try c.scalar("SELECT item_id FROM genre.recommend('u1', 1)"))
        let explained = try c.query("SELECT sentence, details->>'rank' FROM genre.explain('u1', $1)", [listed])
        #expect(explained.string(0, 0)?.contains("is #1 on your list.") == true, "\(explained.string(0, 0) ?? "")")
        #expect(explained.string(0, 1) == "1")
        let owned = try #require(try c.scalar("SELECT item_id FROM genre.events WHERE user_id = 'u1' AND event_type = 'purchase' LIMIT 1"))
        #expect(try c.scalar("SELECT sentence FROM genre.explain('u1', $1)", [owned])?.hasPrefix("You already bought") == true)
        #expect(try c.scalar("SELECT sentence FROM genre.explain('u1', 'zzz')") == "There is no item zzz in genre.items.")
        #expect(c.failure("SELECT * FROM genre.explain(NULL, 'a1')")?.message.contains("must not be NULL") == true)

        try eventually("a live worker in genre.status()") { try c.count("SELECT workers_alive FROM genre.status()") >= 1 }
        #expect(try c.count("SELECT events_pending FROM genre.status()") == 0)
        #expect(try c.count("SELECT events_applied FROM genre.status()") == c.count("SELECT count(*) FROM genre.events"))
    }

    @Test("a setting that shapes the model triggers a rebuild that applies it")
    func settingChangeRebuilds() throws {
        let db = try TestDatabase.create()
        let c = try db.connect()
        try seed(c)
        let daemon = TestDaemon.start(db)
        defer { try? daemon.stop() }
        try eventually("the first build", timeout: 30) { try c.count("SELECT count(*) FROM genre.model_builds") == 1 }
        try c.query("SELECT genre.set('cooccurrence.neighbors', 3)")
        // A rebuild for new item vectors may start before the change is seen; wait for the build that used it.
        try eventually("a rebuild with the changed setting", timeout: 30) {
            try c.scalar("""
                SELECT details->>'fingerprint' = genre._model_fingerprint() FROM genre.model_builds
                 WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1
                """) == "t" && c.count("SELECT count(*) FROM genre.model_builds") >= 2
        }
        // Each item keeps 3 co-occurrence and 3 collaborative neighbours (item_neighbors holds their union).
        #expect(try c.count("""
            SELECT max(n) FROM (SELECT count(*) FILTER (WHERE (reasons->'scores'->>'cooccurrence')::real > 0) AS n
                                  FROM genre.item_neighbors GROUP BY item_id) x
            """) == 3)
        #expect(try c.count("SELECT max(rank) FROM genre.item_neighbors") <= 6)
    }

    @Test("a daemon that does not train serves real time from the model another daemon built")
    func replicaLoadsSnapshot() throws {
        let db = try TestDatabase.create()
        let c = try db.connect()
        try seed(c)
        let trainer = TestDaemon.start(db)
        try eventually("the first build", timeout: 30) { try c.count("SELECT count(*) FROM genre.model_builds") > 0 }
        try trainer.stop()
        let replica = TestDaemon.start(db, trains: false)
        defer { try? replica.stop() }
        try c.query("INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('fan', 'b3', 'like')")
        try eventually("the replica to refresh the new user") {
            try c.count("SELECT count(*) FROM genre.recommendations WHERE user_id = 'fan'") > 0
        }
        #expect(replica.context.snapshots.snapshot?.buildID == Int64(try c.count("SELECT max(id) FROM genre.model_builds")))
        // The replica folded the new user into the ALS model it loaded from genre.item_factors.
        #expect(replica.context.snapshots.snapshot?.collaborative?.name == "als")
        #expect(try c.count("SELECT count(*) FROM genre.recommend('fan', 5) WHERE reasons->'strategies' ? 'collaborative'") == 5)
        #expect(try c.count("SELECT count(*) FROM genre.recommend('fan', 5) WHERE item_id LIKE 'b%'") == 5, "the fan's own cluster")
    }

    @Test("BPR, EASE, an ensemble and none as collaborative.model: built, published, rebuilt by a replica, folded in",
          arguments: ["bpr", "ease", "ensemble", "none"])
    func everyCollaborativeModel(model: String) throws {
        let db = try TestDatabase.create()
        let c = try db.connect()
        try seed(c)
        try c.query("SELECT genre.set('collaborative.model', $1)", [model])
        let trainer = TestDaemon.start(db)
        try eventually("the first build", timeout: 30) { try c.count("SELECT count(*) FROM genre.model_builds") > 0 }
        try trainer.stop()
        #expect(try c.scalar("SELECT model FROM genre.collaborative_models") == model)
        // The ensemble of the default collaborative.ensemble: ALS, BPR and EASE.
        let trainedName = model == "ensemble" ? "als+bpr+ease" : model
        #expect(try c.scalar("SELECT details->>'collaborative' FROM genre.model_builds") == trainedName)
        // Factor models publish item factors (an ensemble ALS's then BPR's, side by side); EASE publishes its
        // weights through item_neighbors.
        #expect(try c.count("SELECT count(*) FROM genre.item_factors") == (model == "bpr" || model == "ensemble" ? 30 : 0))
        if model == "ensemble" {
            #expect(try c.count("SELECT min(cardinality(factors)) FROM genre.item_factors") == 128)
        }
        let replica = TestDaemon.start(db, trains: false)
        defer { try? replica.stop() }
        try c.query("INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('fan', 'b3', 'like'), ('fan', 'b5', 'like')")
        try eventually("the replica to refresh the new user") {
            try c.count("SELECT count(*) FROM genre.recommendations WHERE user_id = 'fan'") > 0
        }
        #expect(replica.context.snapshots.snapshot?.collaborative?.name == (model == "none" ? nil : trainedName))
        let collaborativeRows = try c.count("SELECT count(*) FROM genre.recommend('fan', 5) WHERE reasons->'strategies' ? 'collaborative'")
        #expect(model == "none" ? collaborativeRows == 0 : collaborativeRows == 5)
        if model != "none" {
            #expect(try c.count("SELECT count(*) FROM genre.recommend('fan', 5) WHERE item_id LIKE 'b%'") == 5, "the fan's own cluster")
        }
    }

    @Test("EASE above ease.max_items falls back to ALS and says so")
    func easeFallback() throws {
        let db = try TestDatabase.create()
        let c = try db.connect()
        try seed(c)
        try c.query("SELECT genre.set('collaborative.model', 'ease'), genre.set('ease.max_items', 10)")
        let daemon = TestDaemon.start(db)
        defer { try? daemon.stop() }
        try eventually("the first build", timeout: 30) { try c.count("SELECT count(*) FROM genre.model_builds") > 0 }
        #expect(try c.scalar("SELECT model FROM genre.collaborative_models") == "als")
        let note = try #require(try c.scalar("SELECT note FROM genre.collaborative_models"))
        #expect(note.contains("EASE needs a dense 30×30 matrix; the limit (setting ease.max_items) is 10 items; used ALS instead"), "\(note)")
        #expect(try c.scalar("SELECT details->>'collaborative_note' FROM genre.model_builds") == note)
    }
}
