import Foundation
import Testing
@testable import GenreDaemon
import GenrePostgres

/// Failures a user must see from SQL: genre.status().state says `degraded: <reason>` while a service keeps
/// failing, and `ok` again once it recovers; `genre status` exits non-zero while degraded.
@Suite("service health in genre.status()", .enabled(if: TestDatabase.enabled))
struct HealthTests {
    func state(_ c: PostgresConnection) throws -> String { try c.scalar("SELECT state FROM genre.status()") ?? "" }

    @Test("no daemon running is degraded, and genre status exits 8")
    func noDaemon() throws {
        let db = try TestDatabase.create()
        let c = try db.connect()
        #expect(try state(c).hasPrefix("degraded: no daemon is running"))
        #expect(try GenreProcess.run(["status", "--database-url", db.url]) == 8)
    }

    @Test("a daemon without its model is degraded naming the model and the fix; the model appearing clears it")
    func missingModel() throws {
        let db = try TestDatabase.create()
        let c = try db.connect()
        try c.query("INSERT INTO genre.items (item_id, title) VALUES ('i1', 'A title to embed')")
        let modelDir = FileManager.default.temporaryDirectory.appendingPathComponent("genre-no-model-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: modelDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: modelDir) }
        let daemon = try GenreProcess.start(["run", "--database-url", db.url], environment: ["GENRE_MODEL_DIR": modelDir.path])
        defer { GenreProcess.stop(daemon) }

        try eventually("the embedding service to be reported failing", timeout: 60) {
            try state(c).contains("embedding on ")
        }
        let degraded = try state(c)
        #expect(degraded.hasPrefix("degraded: "))
        #expect(degraded.contains("the embedding model is missing") && degraded.contains("genre model fetch"), "\(degraded)")
        #expect(try c.count("SELECT (services @> '[{\"service\": \"embedding\"}]')::int FROM genre.status()") == 1)
        #expect(try GenreProcess.run(["status", "--database-url", db.url]) == 8, "genre status fails while degraded")

        // Recovery: the model's files appear where the daemon looks; its next attempt loads them.
        let real = URL(fileURLWithPath: try #require(ProcessInfo.processInfo.environment["HOME"])).appendingPathComponent(".cache/genre/all-MiniLM-L6-v2")
        for file in try FileManager.default.contentsOfDirectory(atPath: real.path) {
            try FileManager.default.createSymbolicLink(at: modelDir.appendingPathComponent(file), withDestinationURL: real.appendingPathComponent(file))
        }
        try eventually("the state to be ok after the model appeared", timeout: 90) { try state(c) == "ok" }
        #expect(try state(c) == "ok")
        try eventually("the item to be embedded", timeout: 60) {
            try c.count("SELECT count(*) FROM genre.item_embeddings WHERE embedding IS NOT NULL") == 1
        }
        #expect(try GenreProcess.run(["status", "--database-url", db.url]) == 0)
    }

    @Test("a build that fails every time is degraded naming the trainer and the error; a good build clears it")
    func failingBuild() throws {
        let db = try TestDatabase.create()
        let c = try db.connect()
        try seedTopicItems(c)
        try c.query("SELECT genre.set('daemon.poll_interval_seconds', 0.2)")
        // Fault injection: recording a build fails, as a full disk or a lost privilege would make it fail.
        try c.query("""
            CREATE FUNCTION public.refuse_build() RETURNS trigger LANGUAGE plpgsql AS
              $$ BEGIN RAISE EXCEPTION 'injected: cannot record the build'; END $$;
            CREATE TRIGGER refuse_build BEFORE INSERT ON genre.model_builds FOR EACH ROW EXECUTE FUNCTION public.refuse_build();
            INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('u1', 'space-1', 'purchase'), ('u2', 'bake-1', 'like');
            """)
        let daemon = TestDaemon.start(db)
        defer { try? daemon.stop() }
        try eventually("the trainer to fail twice in a row", timeout: 60) {
            try c.count("""
                SELECT coalesce(max((s->>'consecutive_failures')::int), 0) FROM genre.status(), jsonb_array_elements(services) s
                 WHERE s->>'service' = 'trainer'
                """) >= 2
        }
        let degraded = try state(c)
        #expect(degraded.hasPrefix("degraded: trainer on "), "\(degraded)")
        #expect(degraded.contains("injected: cannot record the build"), "\(degraded)")
        #expect(try c.count("SELECT count(*) FROM genre.model_builds") == 0)

        try c.query("DROP TRIGGER refuse_build ON genre.model_builds")
        try eventually("a build, and the state ok again", timeout: 60) {
            try c.count("SELECT count(*) FROM genre.model_builds") == 1 && state(c) == "ok"
        }
        #expect(try c.scalar("""
            SELECT s->>'last_error' FROM genre.status(), jsonb_array_elements(services) s WHERE s->>'service' = 'trainer'
            """)?.contains("injected") == true, "the last error stays visible after recovery")
    }
}
