import Foundation
import Testing
@testable import GenrePostgres
@testable import GenreSchema

/// Least privilege: each GENRE role does its job and nothing more. The test role is a member of all four
/// (scripts/test.sh), so a session can act as one with SET ROLE; a refusal must be PostgreSQL's own
/// "permission denied", never a half-done change.
@Suite("roles", .enabled(if: TestDatabase.enabled), .serialized)
struct RoleTests {
    /// A seeded database with one build behind it (so there are lists to read), and a connection per role.
    static func prepared() throws -> (TestDatabase, owner: PostgresConnection) {
        let db = try TestDatabase.create()
        let c = try db.connect()
        try seedTwoClusters(c, users: 12)
        try c.query("SELECT genre.set('daemon.poll_interval_seconds', 0.2), genre.set('embedding.enabled', false)")
        let daemon = TestDaemon.start(db)
        try eventually("the first build", timeout: 30) { try c.count("SELECT count(*) FROM genre.recommendations") > 0 }
        try daemon.stop()
        return (db, c)
    }

    static func acting(as role: String, in db: TestDatabase) throws -> PostgresConnection {
        let c = try db.connect()
        try c.query("SET ROLE \(role)")
        return c
    }

    func expectDenied(_ c: PostgresConnection, _ sql: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let failure = c.failure(sql)
        #expect(failure?.message.contains("permission denied") == true, "\(sql): \(failure?.message ?? "succeeded")",
                sourceLocation: sourceLocation)
    }

    func expectAllowed(_ c: PostgresConnection, _ sql: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let failure = c.failure(sql)
        #expect(failure == nil, "\(sql): \(failure?.message ?? "")", sourceLocation: sourceLocation)
    }

    /// What every role is refused: the daemon's internals, and writing what GENRE computes.
    func expectNoInternals(_ c: PostgresConnection, except allowed: Set<String> = [], sourceLocation: SourceLocation = #_sourceLocation) {
        for sql in ["SELECT * FROM genre._prepare_generation('recommendations')", "SELECT genre._drop_abandoned_generations()",
                    "SELECT genre._publish_generation('recommendations', 99, NULL)", "SELECT genre._index_generation('recommendations', 99)",
                    "DELETE FROM genre.recommendations", "UPDATE genre.item_neighbors SET score = 0",
                    "INSERT INTO genre.work_queue (queue, work_key) VALUES ('users', 'x')", "DELETE FROM genre.interactions",
                    "UPDATE genre.roles SET role_name = 'postgres'", "DROP TABLE genre.items", "TRUNCATE genre.events"]
            where !allowed.contains(sql) {
            let failure = c.failure(sql)
            let refused = failure.map { $0.message.contains("permission denied") || $0.message.contains("must be owner") } ?? false
            #expect(refused, "\(sql): \(failure?.message ?? "succeeded")", sourceLocation: sourceLocation)
        }
    }

    @Test("genre install created the four roles (NOLOGIN) and recorded them")
    func installCreatedTheRoles() throws {
        let db = try TestDatabase.create()
        let c = try db.connect()
        #expect(try c.scalar("SELECT string_agg(kind || '=' || role_name, ',' ORDER BY kind) FROM genre.roles")
                == "admin=genre_admin,daemon=genre_daemon,reader=genre_reader,writer=genre_writer")
        #expect(try c.count("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'genre\\_%' AND rolname IN (SELECT role_name FROM genre.roles) AND NOT rolcanlogin") == 4)
        // Nothing for PUBLIC: no function of GENRE's is executable by a role outside GENRE's.
        #expect(try c.count("""
            SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = 'genre' AND has_function_privilege('public', p.oid, 'EXECUTE')
            """) == 0)
        // A role without CREATEROLE cannot create roles through the installer's helper.
        try c.query("SET ROLE genre_admin")
        #expect(try c.scalar("SELECT genre._ensure_role('genre_never_created')") == "f")
    }

    @Test("reader: recommend, similar items, explain, log impressions; nothing else")
    func reader() throws {
        let (db, owner) = try Self.prepared()
        let c = try Self.acting(as: "genre_reader", in: db)
        #expect(try c.count("SELECT count(*) FROM genre.recommend('u1', 5)") == 5)
        expectAllowed(c, "SELECT genre.render_item_text(i) FROM genre.items i")
        expectAllowed(c, "SELECT * FROM genre.item_features")
        expectDenied(c, "SELECT genre.create_provider('p', 'openai', 'http://h/v1', 'm')")
        expectDenied(c, "SELECT * FROM genre.list_providers()")
        // With grounded explanations on, genre.recommend and genre.explain read the stored sentences.
        try owner.query("SELECT genre.set('explain.llm_top_k', 2)")
        #expect(try c.count("SELECT count(*) FROM genre.recommend('u1', 5)") == 5)
        expectAllowed(c, "SELECT * FROM genre.explain('u1', 'a2')")
        expectDenied(c, "SELECT genre.request_explanations(ARRAY['u1'])")
        try owner.query("SELECT genre.set_user_profile('u1', ARRAY['jazz'])")
        #expect(try c.scalar("SELECT array_to_string(interests, ',') FROM genre.user_profile('u1')") == "jazz")
        expectDenied(c, "SELECT genre.set_user_profile('u1', ARRAY['x'])")
        expectDenied(c, "SELECT genre.clear_user_profile('u1')")
        #expect(try c.count("SELECT count(*) FROM genre.recommend('nobody-yet', 3)") == 3, "a cold user gets popular items")
        #expect(try c.count("SELECT count(*) FROM genre.similar_items('a1', 3)") == 3)
        #expect(try c.count("SELECT count(*) FROM genre.explain('u1', 'a2')") >= 1)
        expectAllowed(c, "SELECT genre.intra_list_diversity('u1', 5)")
        expectAllowed(c, "SELECT * FROM genre.recommendations LIMIT 1")
        expectAllowed(c, "SELECT * FROM genre.current_settings")
        try owner.query("SELECT genre.create_experiment('blend', '{\"a\": {\"share\": 0.5}, \"b\": {\"share\": 0.5, \"overrides\": {\"diversity.lambda\": 0.5}}}')")
        expectAllowed(c, "SELECT * FROM genre.recommend('u1', 3, log_impression => true)")
        #expect(try owner.count("SELECT count(*) FROM genre.impressions WHERE user_id = 'u1'") == 3)
        // The variant is recorded at first exposure through genre.recommend; the reader cannot write one itself.
        #expect(try owner.count("SELECT count(*) FROM genre.experiment_assignments WHERE user_id = 'u1'") == 1)
        expectDenied(c, "INSERT INTO genre.experiment_assignments (experiment, user_id, variant) VALUES ('blend', 'u2', 'b')")
        expectDenied(c, "UPDATE genre.experiment_assignments SET variant = 'b'")

        let settingsBefore = try owner.count("SELECT count(*) FROM genre.settings_history")
        expectDenied(c, "INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('u1', 'a1', 'view')")
        expectDenied(c, "INSERT INTO genre.items (item_id, title) VALUES ('x', 'x')")
        expectDenied(c, "SELECT genre.set('diversity.lambda', 0.5)")
        expectDenied(c, "SELECT genre.set_scenario('email', '{}')")
        expectDenied(c, "SELECT genre.tune()")
        expectDenied(c, "SELECT genre.rollback_settings(0)")
        expectDenied(c, "SELECT * FROM genre.roles")
        expectDenied(c, "SELECT * FROM genre.status()")
        expectNoInternals(c)
        #expect(try owner.count("SELECT count(*) FROM genre.settings_history") == settingsBefore, "nothing the reader tried was stored")
    }

    @Test("writer: items and events in, their triggers queue the daemon's work; no settings, no lists, no queues")
    func writer() throws {
        let (db, owner) = try Self.prepared()
        let c = try Self.acting(as: "genre_writer", in: db)
        // With item understanding on, an insert also queues feature work, through the definer trigger.
        try owner.query("SELECT genre.set('features.enabled', true)")
        expectAllowed(c, "INSERT INTO genre.items (item_id, title, category) VALUES ('new-film', 'A brand new film', 'a')")
        #expect(try owner.count("SELECT count(*) FROM genre.work_queue WHERE queue = 'item_features' AND work_key = 'new-film'") == 1)
        expectAllowed(c, "SELECT genre.render_item_text(i) FROM genre.items i")
        expectDenied(c, "SELECT genre.create_provider('p', 'openai', 'http://h/v1', 'm')")
        expectAllowed(c, "UPDATE genre.items SET description = 'Now with a description' WHERE item_id = 'new-film'")
        expectAllowed(c, "INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('w1', 'new-film', 'like')")
        expectAllowed(c, "INSERT INTO genre.events (user_id, event_type, text) VALUES ('w1', 'search', 'space films')")
        expectAllowed(c, "DELETE FROM genre.events WHERE user_id = 'w1' AND event_type = 'search'")
        expectAllowed(c, "DELETE FROM genre.items WHERE item_id = 'new-film'")
        // The application shows a person their profile and takes their correction; it cannot write the table.
        expectAllowed(c, "SELECT genre.set_user_profile('w1', ARRAY['space films'], 'Likes space.')")
        #expect(try c.scalar("SELECT source FROM genre.user_profile('w1')") == "person")
        expectAllowed(c, "SELECT genre.clear_user_profile('w1')")
        #expect(try owner.count("SELECT count(*) FROM genre.work_queue WHERE queue = 'profile_texts' AND work_key = 'w1'") == 1)
        expectDenied(c, "INSERT INTO genre.user_profiles (user_id, version, source, interests) VALUES ('w1', 9, 'model', '{x}')")
        expectDenied(c, "UPDATE genre.user_profiles SET cleared_at = NULL")
        expectDenied(c, "SELECT genre.request_user_profiles(ARRAY['w1'])")
        // The triggers ran with GENRE's rights and queued the user for the daemon.
        #expect(try owner.count("SELECT count(*) FROM genre.work_queue WHERE queue = 'users' AND work_key = 'w1'") == 1)
        expectDenied(c, "UPDATE genre.events SET weight = 9")

        expectDenied(c, "SELECT * FROM genre.recommend('u1', 5)")
        expectDenied(c, "SELECT * FROM genre.recommendations")
        expectDenied(c, "SELECT genre.set('diversity.lambda', 0.5)")
        expectDenied(c, "INSERT INTO genre.settings (key, value) VALUES ('diversity.lambda', '0.5')")
        expectDenied(c, "SELECT genre.create_experiment('x', '[]')")
        expectNoInternals(c)
    }

    @Test("admin: settings, scenarios, tuning, experiments, dead letters; no items or events, no internals")
    func admin() throws {
        let (db, owner) = try Self.prepared()
        let c = try Self.acting(as: "genre_admin", in: db)
        expectAllowed(c, "SELECT genre.set('diversity.lambda', 0.8)")
        expectAllowed(c, "SELECT genre.reset('diversity.lambda')")
        expectAllowed(c, "SELECT genre.set_scenario('email', '{\"blend.weights\": {\"popularity\": 1}}')")
        expectAllowed(c, "SELECT genre.drop_scenario('email')")
        expectAllowed(c, "SELECT genre.tune(trials => 3)")
        expectAllowed(c, "SELECT * FROM genre.diff_settings(0, 1)")
        expectAllowed(c, "SELECT genre.create_experiment('lambda', '{\"a\": {\"share\": 0.5}, \"b\": {\"share\": 0.5, \"overrides\": {\"diversity.lambda\": 0.5}}}')")
        expectAllowed(c, "SELECT genre.stop_experiment('lambda')")
        expectAllowed(c, "SELECT * FROM genre.experiment_results")
        expectAllowed(c, "SELECT * FROM genre.recommend('u1', 3)")
        expectAllowed(c, "SELECT genre.create_provider('local', 'openai', 'http://127.0.0.1:9/v1', 'm', 'LOCAL_API_KEY', '{\"retries\": 1}')")
        expectAllowed(c, "SELECT genre.alter_provider('local', options => '{\"concurrency\": 3}')")
        expectAllowed(c, "SELECT genre.set('llm.provider', 'local')")
        expectAllowed(c, "SELECT * FROM genre.list_providers()")
        expectAllowed(c, "SELECT genre.reset('llm.provider')")
        expectAllowed(c, "SELECT genre.drop_provider('local')")
        expectDenied(c, "INSERT INTO genre.item_features (item_id, features, provider, model, prompt_hash, input_hash) VALUES ('a1', '{}', 'p', 'm', 'h', 'h')")
        expectDenied(c, "UPDATE genre.provider_state SET state = 'ok'")
        expectAllowed(c, "SELECT genre.request_user_profiles(ARRAY['u1'])")
        expectAllowed(c, "SELECT genre.set('explain.llm_top_k', 2)")
        expectAllowed(c, "SELECT genre.request_explanations(ARRAY['u1'])")
        expectAllowed(c, "SELECT * FROM genre.reranks")
        expectDenied(c, "DELETE FROM genre.explanations")
        expectAllowed(c, "SELECT genre.set_user_profile('u1', ARRAY['jazz'])")
        expectAllowed(c, "SELECT * FROM genre.user_profile('u1')")
        expectDenied(c, "DELETE FROM genre.user_profiles")
        expectDenied(c, "DELETE FROM genre.llm_cache")
        #expect(try owner.scalar("SELECT changed_by FROM genre.settings_history WHERE key = 'diversity.lambda' ORDER BY id LIMIT 1") == "genre_admin",
                "history names the role that changed the setting")

        expectDenied(c, "INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('u1', 'a1', 'view')")
        expectDenied(c, "UPDATE genre.items SET title = 'x'")
        expectDenied(c, "DELETE FROM genre.setting_definitions")
        expectDenied(c, "UPDATE genre.work_queue SET attempts = 0")
        expectDenied(c, "UPDATE genre.settings_history SET changed_by = 'someone else'")
        expectDenied(c, "DELETE FROM genre.settings_history")
        expectAllowed(c, "SELECT * FROM genre.status()")
        // genre.drop_scenario removes the scenario's lists, so the admin may delete stored lists (derived rows).
        expectNoInternals(c, except: ["DELETE FROM genre.recommendations"])
    }

    @Test("daemon: a daemon logged in as a role holding only genre_daemon builds, serves and refreshes; it cannot touch items or events")
    func daemon() throws {
        let db = try TestDatabase.create()
        let owner = try db.connect()
        try seedTwoClusters(owner, users: 12)
        try owner.query("SELECT genre.set('daemon.poll_interval_seconds', 0.2), genre.set('embedding.enabled', false)")
        let url = db.url.replacingOccurrences(of: "genre_test@", with: "genre_test_daemon@")
        #expect(url != db.url)
        let asDaemon = TestDatabase(name: db.name, url: url)
        // `genre run` starts with the schema check, which reads schema_migrations and function_bundle.
        try SchemaInstaller(catalog: try SQLCatalog.bundled()).checkCurrent(on: try PostgresConnection(url: url))
        let daemon = TestDaemon.start(asDaemon)
        defer { try? daemon.stop() }
        try eventually("a build by the daemon role", timeout: 30) { try owner.count("SELECT count(*) FROM genre.recommendations") > 0 }
        // The build row commits with the lists it published (ModelBuilder), so it is there as soon as they are.
        #expect(try owner.count("SELECT count(*) FROM genre.model_builds WHERE worker_id IS NOT NULL") >= 1)
        try owner.query("INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('late', 'b3', 'like')")
        try eventually("the daemon role to refresh a new user") {
            try owner.count("SELECT count(*) FROM genre.recommendations WHERE user_id = 'late'") > 0
        }
        #expect(try owner.count("SELECT count(*) FROM genre.dead_letters") == 0)
        // The experiment service counts as the daemon role, and moves the shares.
        try owner.query("SELECT genre.create_experiment('as-daemon', '{\"a\": {\"share\": 0.5}, \"b\": {\"share\": 0.5}}', policy => 'thompson')")
        for user in 1...12 { try owner.query("SELECT * FROM genre.recommend($1, 3, log_impression => true)", ["u\(user)"]) }
        try owner.query("INSERT INTO genre.events (user_id, item_id, event_type) SELECT user_id, item_id, 'purchase' FROM genre.impressions WHERE variant = 'b'")
        try eventually("the daemon role to count conversions and move the shares") {
            try owner.scalar("SELECT share > 0.5 FROM genre.experiment_results WHERE variant = 'b' AND conversions > 0") == "t"
        }

        let c = try PostgresConnection(url: url)
        // The generation service's writes: a re-ranking applied, a sentence, a profile.
        let top = try owner.query("SELECT item_id FROM genre.recommendations WHERE user_id = 'u2' AND scenario = 'default' AND rank <= 2 ORDER BY rank")
        let ids = "{" + (0..<top.rowCount).compactMap { top.string($0, 0) }.joined(separator: ",") + "}"
        #expect(try c.scalar("SELECT genre._apply_rerank('u2', 'default', $1::text[], '{1,0}', 0.5, 'chat', 'p', 'm', $1::text[], '{1,0.5}', '{0.5,0}', 1, 1, 1)", [ids]) == "t")
        #expect(try owner.count("SELECT count(*) FROM genre.reranks") == 1)
        expectAllowed(c, "SELECT genre._store_profile('u2', ARRAY['x'], NULL, 'p', 'm', 'h', 'i', 1, 1, 1, 1, 0)")
        expectAllowed(c, "INSERT INTO genre.explanations (user_id, item_id, facts_hash, sentence, provider, model, prompt_hash) VALUES ('u2', 'a1', 'h', 's', 'p', 'm', 'h')")
        expectDenied(c, "INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('u1', 'a1', 'view')")
        expectDenied(c, "UPDATE genre.items SET title = 'x'")
        expectDenied(c, "DELETE FROM genre.items")
        expectDenied(c, "DELETE FROM genre.events")
        expectDenied(c, "DELETE FROM genre.setting_definitions")
        let dropped = c.failure("DROP TABLE genre.items")
        #expect(dropped?.message.contains("must be owner") == true, "\(dropped?.message ?? "succeeded")")
    }

    @Test("one role may hold two jobs; a role replaced in a later install keeps nothing; the installer cannot name itself")
    func renamedRoles() throws {
        let db = try TestDatabase.create()
        let c = try db.connect()
        // Roles are cluster-wide: a name of this test's own.
        let app = "genre_t_app_\(UInt32.random(in: 0...UInt32.max))"
        let installer = SchemaInstaller(catalog: try SQLCatalog.bundled())
        var roles = SchemaInstaller.Roles()
        roles.reader = app
        roles.writer = app
        roles.explicit = true
        try c.query("SELECT genre._ensure_role($1)", [app])
        defer { _ = try? c.query("SELECT genre._revoke_role($1)", [app]); _ = try? c.query("DROP ROLE IF EXISTS \(app)") }
        try c.query("GRANT \(app) TO genre_test")
        try installer.install(on: c, roles: roles)
        let asApp = try Self.acting(as: app, in: db)
        expectAllowed(asApp, "INSERT INTO genre.items (item_id, title) VALUES ('two-jobs', 'x')")
        expectAllowed(asApp, "SELECT * FROM genre.recommend('u1', 3)")
        // The default names again: the app role is replaced and loses both jobs.
        try installer.install(on: c)
        let again = try Self.acting(as: app, in: db)
        expectDenied(again, "SELECT * FROM genre.recommend('u1', 3)")
        expectDenied(again, "INSERT INTO genre.items (item_id, title) VALUES ('gone', 'x')")
        var own = SchemaInstaller.Roles()
        own.admin = "genre_test"
        #expect(throws: SchemaError.self) { try installer.install(on: c, roles: own) }
        #expect(try c.scalar("SELECT role_name FROM genre.roles WHERE kind = 'admin'") == "genre_admin", "a refused install changes nothing")
    }
}
