import Testing
import GenreRecommend
import GenreSettings
@testable import GenreDaemon
@testable import GenrePostgres

@Suite("settings", .enabled(if: TestDatabase.enabled))
struct SettingsTests {
    @Test("set, get and reset round-trip, whatever the argument type")
    func roundTrip() throws {
        let c = try TestDatabase.create().connect()
        #expect(try c.scalar("SELECT genre.set('popularity.half_life_days', '14')::text") == "14")
        #expect(try c.scalar("SELECT genre.set('cooccurrence.neighbors', 25)::text") == "25")
        #expect(try c.scalar("SELECT genre.set('recommend.exclude_seen', false)::text") == "false")
        #expect(try c.scalar("SELECT genre.set('event.weights', '{\"view\": 1, \"purchase\": 8}'::jsonb)->>'purchase'") == "8")
        #expect(try c.scalar("SELECT genre.get('popularity.half_life_days')::text") == "14")
        #expect(try c.scalar("SELECT genre.reset('popularity.half_life_days')::text") == "30")
        #expect(try c.scalar("SELECT genre.get('popularity.half_life_days')::text") == "30")
        #expect(try c.scalar("SELECT is_default::text FROM genre.current_settings WHERE key = 'cooccurrence.neighbors'") == "false")
    }

    /// (call, text the error must contain)
    static let badValues: [(String, String)] = [
        ("SELECT genre.set('no.such.key', '1')", "unknown genre setting \"no.such.key\""),
        ("SELECT genre.get('no.such.key')", "unknown genre setting \"no.such.key\""),
        ("SELECT genre.set('popularity.half_life_days', 'abc')", "\"popularity.half_life_days\" must be a number between 0.01 and 36500"),
        ("SELECT genre.set('popularity.half_life_days', 'NaN')", "\"popularity.half_life_days\" must be a finite number"),
        ("SELECT genre.set('popularity.half_life_days', 'Infinity')", "\"popularity.half_life_days\" must be a finite number"),
        ("SELECT genre.set('popularity.half_life_days', 'NaN'::float8)", "\"popularity.half_life_days\" must be a finite number"),
        ("SELECT genre.set('popularity.half_life_days', '-1')", "between 0.01 and 36500"),
        ("SELECT genre.set('popularity.half_life_days', 1e300)", "between 0.01 and 36500"),
        ("SELECT genre.set('cooccurrence.neighbors', '2.5')", "\"cooccurrence.neighbors\" must be an integer between 1 and 1000"),
        ("SELECT genre.set('recommend.exclude_seen', 'maybe')", "\"recommend.exclude_seen\" must be true or false"),
        ("SELECT genre.set('event.weights', '[1, 2]')", "\"event.weights\" must be a JSON object"),
        ("SELECT genre.set('event.weights', '{\"view\": \"lots\"}')", "\"event.weights.view\" must be a number"),
        ("SELECT genre.set('event.weights', '{\"view\": 1000}')", "between -100 and 100"),
        ("SELECT genre.set('event.weights', '{\"Bad Name\": 1}')", "name \"Bad Name\" must match [a-z][a-z0-9_]{0,31}"),
        ("SELECT genre.set('popularity.half_life_days', NULL::text)", "cannot be NULL"),
        ("SELECT genre.set('popularity.half_life_days', repeat('9', 20000))", "at most 10000 are allowed"),
        ("INSERT INTO genre.settings (key, value) VALUES ('recommend.stored_k', '\"many\"')", "\"recommend.stored_k\" must be an integer"),
        ("INSERT INTO genre.settings (key, value) VALUES ('nope', '1')", "unknown genre setting \"nope\""),
        ("SELECT genre.set('blend.weights', '{\"collaborative\": 1, \"colaborative\": 1}')", "takes weights named among collaborative, cooccurrence, content, popularity, freshness, got colaborative"),
        ("SELECT genre.set('blend.weights', '{\"content\": 0}')", "needs at least one weight above 0"),
        ("SELECT genre.set('collaborative.ensemble', '{\"als\": 1, \"svd\": 1}')", "takes weights named among als, bpr, ease, got svd"),
        ("SELECT genre.set('collaborative.model', 'svd')", "must be one of als, bpr, ease, ensemble, none"),
        // Settings that imply a huge allocation are refused with the bytes they would need.
        ("SELECT genre.set('ease.max_items', 100000)", "ease.max_items = 100000 needs 40000000000 bytes (38147 MB) for EASE's dense items × items matrix, over model.memory_budget_mb = 4096 MB"),
        ("SELECT genre.set('model.memory_budget_mb', 512)", "ease.max_items = 15000 needs 900000000 bytes (859 MB)"),
    ]

    @Test("a memory budget admits what fits: a larger EASE once the budget is raised")
    func memoryBudget() throws {
        let c = try TestDatabase.create().connect()
        let error = try #require(c.failure("SELECT genre.set('ease.max_items', 40000)"))
        #expect(error.hint?.contains("Lower ease.max_items to at most 32768, or raise model.memory_budget_mb to at least 6104") == true, "\(error.hint ?? "")")
        try c.query("SELECT genre.set('model.memory_budget_mb', 8192)")
        #expect(try c.scalar("SELECT genre.set('ease.max_items', 40000)::text") == "40000")
        #expect(c.failure("SELECT genre.set('model.memory_budget_mb', 4096)")?.message.contains("ease.max_items = 40000 needs 6400000000 bytes") == true)
    }

    @Test("bad values are refused with a message naming the key and what is allowed; nothing changes", arguments: badValues)
    func refused(call: String, expected: String) throws {
        let c = try TestDatabase.create().connect()
        try c.query("SELECT genre.set('popularity.half_life_days', 7), genre.set('recommend.stored_k', 50)")
        let error = try #require(c.failure(call))
        #expect(error.message.contains(expected), "\(error.message)")
        #expect(error.sqlState == "22023" || error.sqlState == "22004" || error.sqlState == "23502")
        #expect(try c.scalar("SELECT genre.get('popularity.half_life_days')::text") == "7")
        #expect(try c.scalar("SELECT genre.get('recommend.stored_k')::text") == "50")
    }

    @Test("an unknown key's error lists the known keys")
    func unknownKeyHint() throws {
        let c = try TestDatabase.create().connect()
        let error = try #require(c.failure("SELECT genre.set('popularity.halflife', '3')"))
        #expect(error.hint?.contains("popularity.half_life_days") == true)
    }

    @Test("a change notifies the daemon on genre_settings with the key")
    func notifies() throws {
        let db = try TestDatabase.create()
        let listener = try db.connect()
        try listener.listen("genre_settings")
        try db.connect().query("SELECT genre.set('cooccurrence.shrinkage', 4)")
        var received: [PostgresNotification] = []
        try eventually("a genre_settings notification") {
            received += try listener.waitForNotifications(timeout: 0.2)
            return !received.isEmpty
        }
        #expect(received.first?.payload == "cooccurrence.shrinkage")
    }

    @Test("re-show after N days and category boosts are settings; seen items come back only after the window")
    func reshowAndBoosts() throws {
        let c = try TestDatabase.create().connect()
        #expect(try c.scalar("SELECT genre.set('recommend.category_boosts', '{\"Sci-Fi & Fantasy\": 1.5, \"clearance\": 0.5}')->>'Sci-Fi & Fantasy'") == "1.5")
        #expect(c.failure("SELECT genre.set('recommend.category_boosts', '{\"books\": -1}')")?.message.contains("between 0 and 100") == true)
        try c.query("INSERT INTO genre.items (item_id) VALUES ('a'), ('b')")
        try c.query("INSERT INTO genre.popular_items (rank, item_id, score, users, reasons, generation) VALUES (1, 'a', 1, 1, '{}', 1), (2, 'b', 0.5, 1, '{}', 1)")
        try c.query("INSERT INTO genre.events (user_id, item_id, event_type, occurred_at) VALUES ('u', 'a', 'view', now() - interval '30 days')")
        #expect(try c.count("SELECT count(*) FROM genre.recommend('u', 5) WHERE item_id = 'a'") == 0)
        try c.query("SELECT genre.set('recommend.reshow_after_days', 7)")
        #expect(try c.count("SELECT count(*) FROM genre.recommend('u', 5) WHERE item_id = 'a'") == 1)
        try c.query("SELECT genre.set('recommend.reshow_after_days', 60)")
        #expect(try c.count("SELECT count(*) FROM genre.recommend('u', 5) WHERE item_id = 'a'") == 0)
    }

    @Test("the Swift model settings know every key the catalogue gives them, with the same defaults")
    func swiftDefaultsMatchTheCatalogue() throws {
        let c = try TestDatabase.create().connect()
        let keys = try c.query("SELECT key FROM genre.setting_definitions")
        let catalogue = Set((0..<keys.rowCount).compactMap { keys.string($0, 0) })
        for key in RecommenderSettings.keys { #expect(catalogue.contains(key), "\(key) is not in the SQL catalogue") }
        // Reading the catalogue's defaults must give exactly the Swift defaults: the two cannot drift apart.
        var loaded = try DaemonSettings.load(c)
        #expect(loaded.model == RecommenderSettings())
        #expect(loaded.scenarios.isEmpty)
        #expect(loaded.problems.isEmpty, "\(loaded.problems)")
        // The daemon's own settings too (schedules, queues): the catalogue's defaults are the Swift ones.
        // (The fingerprint and the event phrases exist only in the database: nothing to compare.)
        loaded.modelFingerprint = ""
        loaded.phrases = DaemonSettings().phrases
        #expect(loaded == DaemonSettings())
    }

    @Test("the catalogue SQL validates against is SettingsCatalogue, and SQL and Swift accept and refuse the same stored values")
    func sqlAndSwiftAgree() throws {
        let c = try TestDatabase.create().connect()
        let rows = try c.query("SELECT key, value_type, default_value::text, min_value, max_value, allowed::text, name_pattern, scenario, requires, description FROM genre.setting_definitions")
        #expect(rows.rowCount == SettingsCatalogue.definitions.count)
        for row in 0..<rows.rowCount {
            let key = try #require(rows.string(row, 0))
            let d = try #require(SettingsCatalogue.byKey[key], "\(key) is in the database but not in SettingsCatalogue")
            #expect(rows.string(row, 1) == d.kind.rawValue && SettingValue.parse(rows.string(row, 2) ?? "") == d.defaultValue, "\(key)")
            #expect(rows.string(row, 3).flatMap(Double.init) == d.range?.lowerBound && rows.string(row, 4).flatMap(Double.init) == d.range?.upperBound, "\(key)")
            #expect(rows.string(row, 5).map(SettingValue.parse) == d.allowed.map { .array($0.map(SettingValue.string)) }, "\(key)")
            #expect(rows.string(row, 6) == d.namePattern && rows.string(row, 7) == (d.scenario ? "t" : "f"), "\(key)")
            #expect(rows.string(row, 8) == d.requires.rawValue && rows.string(row, 9) == d.description, "\(key)")
        }
        // Every value the daemon reads back went through SQL's check on the way in (the settings trigger); both
        // sides must take the same values and canonicalise them alike. Templates are checked by SQL alone (the
        // daemon never parses one), and event types' membership in event.weights and provider names' existence too
        // (they need other rows).
        func probes(_ d: SettingDefinition) -> [String] {
            switch d.kind {
            case .number, .integer:
                let (lo, hi) = (d.range?.lowerBound ?? -1e6, d.range?.upperBound ?? 1e6)
                return ["\(lo)", "\(hi)", "\(lo - 1)", "\(hi + 1)", "\((lo + hi) / 2)", "2.5", "\"abc\"", "\"NaN\"", "\"Infinity\"",
                        "\" 7 \"", "\"0x10\"", "\"inf\"", "\"1e2\"", "true", "[1]", "{}", "null"]
            case .boolean:
                return ["true", "false", "1", "0", "2", "\"yes\"", "\"OFF\"", "\"maybe\"", "null", "[]"]
            case .enumeration:
                return (d.allowed ?? []).map { "\"\($0)\"" } + ["\"nope\"", "5", "null"]
            case .weights:
                let name = d.allowed?.first ?? "view"
                return [d.defaultValue.json, "{\"\(name)\": 1}", "{\"\(name)\": 0}", "{\"\(name)\": \"1.5\"}", "{\"\(name)\": true}",
                        "{\"nope\": 1}", "{\"Bad Name\": 1}", "{\" \": 1}", "{\"\(name)\": 1000}", "{\"\(name)\": -1}", "{}", "[1]", "5"]
            case .eventTypes:
                return ["[\"click\"]", "[\"click\", \"click\", \"view\"]", "[]", "[5]", "\"click\"", "{}"]
            case .text, .template, .provider:
                return []   // (a provider name is checked against genre.providers by SQL alone)
            case .jsonSchema:
                return [d.defaultValue.json, "{\"type\": \"object\", \"properties\": {}}", "{\"type\": \"array\"}", "{}", "[]", "5", "\"text\""]
            }
        }
        var compared = 0
        for d in SettingsCatalogue.definitions {
            for probe in probes(d) {
                let sql = try? c.scalar("""
                    SELECT genre._parse_setting($1, CASE WHEN jsonb_typeof(v) = 'string' THEN v #>> '{}' ELSE v::text END)::text
                    FROM (SELECT $2::jsonb AS v) x
                    """, [d.key, probe])
                let swift = try? d.validate(SettingValue.parse(probe))
                #expect(sql.map(SettingValue.parse) == swift, "\(d.key) = \(probe): SQL gives \(sql ?? "an error"), Swift \(swift?.json ?? "an error")")
                compared += 1
            }
        }
        #expect(compared > 300)
    }

    @Test("the daemon words events as genre.explain does: both read genre._event_verbs()")
    func oneVocabulary() throws {
        let c = try TestDatabase.create().connect()
        let phrases = try DaemonSettings.load(c).phrases
        for event in ["purchase", "like", "view", "click", "comment", "dislike", "search", "an-unknown-type"] {
            #expect(phrases.verb(for: event) == (try c.scalar("SELECT genre._verb($1)", [event])), "\(event)")
        }
        #expect(phrases.verb(for: "purchase") == "bought")
    }
}
