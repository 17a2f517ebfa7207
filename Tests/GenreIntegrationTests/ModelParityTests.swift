import Foundation
import Testing
@testable import GenreDaemon
import GenrePostgres

/// One truth for model state: a trainer and a `--no-train` replica on one database serve the same model,
/// so refreshing a user with either daemon's snapshot stores the same items in the same order with the
/// same scores — after a build, after new events (users folded in), and after the trainer restarts.
@Suite("trainer and replica serve the same model", .enabled(if: TestDatabase.enabled))
struct ModelParityTests {
    typealias Row = (item: String, score: Double)

    /// The user's stored default list after refreshing them with `snapshot` (what a real-time lane does).
    func refreshed(_ user: String, with snapshot: ModelSnapshot, on c: PostgresConnection) throws -> [Row] {
        let settings = try DaemonSettings.load(c)
        _ = try UserRefresher().refresh(user: user, snapshot: snapshot, settings: settings, on: c)
        let rows = try c.query("SELECT item_id, score FROM genre.recommendations WHERE user_id = $1 AND scenario = 'default' ORDER BY rank", [user])
        return try (0..<rows.rowCount).map { (rows.string($0, 0) ?? "", try rows.double($0, 1) ?? .nan) }
    }

    /// Every user's list from the trainer's snapshot and from the replica's: same items, same order, scores
    /// within 1e-6. Returns how many users differ (each is recorded as an issue).
    @discardableResult
    func compareEveryUser(_ trainer: TestDaemon, _ replica: TestDaemon, on c: PostgresConnection, _ stage: String) throws -> Int {
        let a = try #require(trainer.context.snapshots.snapshot), b = try #require(replica.context.snapshots.snapshot)
        #expect(a.buildID == b.buildID, "\(stage): both serve the same build")
        let users = try c.query("SELECT DISTINCT user_id FROM genre.events ORDER BY 1")
        var differing = 0
        for row in 0..<users.rowCount {
            let user = try #require(users.string(row, 0))
            let fromTrainer = try refreshed(user, with: a, on: c), fromReplica = try refreshed(user, with: b, on: c)
            let same = fromTrainer.count == fromReplica.count && !fromTrainer.isEmpty
                && zip(fromTrainer, fromReplica).allSatisfy { $0.item == $1.item && abs($0.score - $1.score) <= 1e-6 }
            if !same {
                differing += 1
                if differing <= 3 {
                    Issue.record("\(stage): \(user) differs: trainer \(fromTrainer.prefix(3)) vs replica \(fromReplica.prefix(3))")
                }
            }
        }
        #expect(differing == 0, "\(stage): \(differing) of \(users.rowCount) users got different lists")
        return differing
    }

    func waitForSnapshot(_ daemon: TestDaemon, of build: Int, _ what: String) throws {
        try eventually("\(what) to serve build \(build)", timeout: 60) { daemon.context.snapshots.snapshot?.buildID == Int64(build) }
    }

    @Test("the ensemble with co-occurrence, content and popularity: equal lists after a build, after events, after a trainer restart")
    func parity() throws {
        let db = try TestDatabase.create()
        let c = try db.connect()
        try seedTwoClusters(c, users: 40)
        try c.query("""
            -- Twins: the same history as u1..u5, so a list refreshed by either daemon can be compared as stored.
            INSERT INTO genre.events (user_id, item_id, event_type, occurred_at)
              SELECT 'twin-' || user_id, item_id, event_type, occurred_at FROM genre.events WHERE user_id IN ('u1', 'u2', 'u3', 'u4', 'u5');
            INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('u6', 'b3', 'dislike'), ('u7', 'a5', 'view'), ('u8', 'a1', 'click');
            SELECT genre.set('collaborative.model', 'ensemble');
            SELECT genre.set('blend.weights', '{"collaborative": 1, "cooccurrence": 0.5, "content": 0.2, "popularity": 0.1}');
            SELECT genre.set('bpr.learning_rate', 0.0123457);
            SELECT genre.set('model.rebuild_after_events', 1000000);
            SELECT genre.set('model.rebuild_interval_seconds', 604800);
            """)
        let trainer = TestDaemon.start(db)
        var trainerStopped = false
        defer { if !trainerStopped { try? trainer.stop() } }
        // A build that saw every item vector (the trainer rebuilds once the embedding backlog is done).
        try eventually("a build after every item was embedded", timeout: 120) {
            try c.scalar("""
                SELECT (s.items_to_embed = 0 AND s.items_embedded = 30 AND s.last_build_at IS NOT NULL
                        AND NOT EXISTS (SELECT 1 FROM genre.item_embeddings e, genre.model_builds b
                                         WHERE b.id = (SELECT max(id) FROM genre.model_builds)
                                           AND e.embedded_at > (b.details->>'embedded_until')::timestamptz))::text
                  FROM genre.status() s
                """) == "true"
        }
        let build = try c.count("SELECT max(id) FROM genre.model_builds")
        try waitForSnapshot(trainer, of: build, "the trainer")
        let replica = TestDaemon.start(db, trains: false)
        defer { try? replica.stop() }
        try waitForSnapshot(replica, of: build, "the replica")
        #expect(try c.scalar("SELECT model FROM genre.collaborative_models") == "ensemble")

        try compareEveryUser(trainer, replica, on: c, "after the build")

        // New events: both daemons' real-time lanes refresh those users, folding them into the models.
        try c.query("""
            INSERT INTO genre.events (user_id, item_id, event_type) VALUES
              ('u1', 'b1', 'purchase'), ('twin-u1', 'b1', 'purchase'), ('u2', 'a2', 'dislike'), ('twin-u2', 'a2', 'dislike'),
              ('new-user', 'a1', 'purchase'), ('new-user', 'a4', 'like')
            """)
        try eventually("the real-time lanes to refresh the new events' users", timeout: 30) {
            try c.count("SELECT count(*) FROM genre.work_queue WHERE queue = 'users'") == 0
                && c.count("SELECT count(*) FROM genre.recommendations WHERE user_id = 'new-user'") > 0
        }
        for twin in ["u1", "u2", "u3"] {
            let stored = "SELECT string_agg(item_id || ':' || round(score::numeric, 6), ',' ORDER BY rank) FROM genre.recommendations WHERE user_id = $1 AND scenario = 'default'"
            #expect(try c.scalar(stored, [twin]) == c.scalar(stored, ["twin-" + twin]), "\(twin) and its twin, whoever refreshed them")
        }
        try compareEveryUser(trainer, replica, on: c, "after real-time events")

        // The trainer restarts: it serves the stored model too (no build is due).
        try trainer.stop()
        trainerStopped = true
        let restarted = TestDaemon.start(db)
        defer { try? restarted.stop() }
        try waitForSnapshot(restarted, of: build, "the restarted trainer")
        try compareEveryUser(restarted, replica, on: c, "after the trainer restarted")
        #expect(try c.count("SELECT max(id) FROM genre.model_builds") == build, "no new build happened meanwhile")
    }
}
