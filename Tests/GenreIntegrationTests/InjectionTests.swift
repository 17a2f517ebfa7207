import Foundation
import Testing
@testable import GenrePostgres

/// Hostile text through every text parameter of every public function, acting as the role that may call
/// it. Each call must either work (the text taken as data) or fail with a validation error that names the
/// problem; never reach a parser (a syntax error or an unknown relation would mean it did), never change
/// anything else.
@Suite("injection", .enabled(if: TestDatabase.enabled), .serialized)
struct InjectionTests {
    static let payloads = [
        "x'); DROP TABLE genre.items; --",
        "x\"; DROP TABLE genre.items; --",
        "' OR '1'='1",
        "$$; DROP TABLE genre.items; $$",
        "%I %s %L %1$s",
        "genre.items",
        "{title}'); DROP TABLE genre.items; --{description}",
        "\\'; SELECT pg_sleep(10); --",
        "Robert’); DROP TABLE students;--",
    ]

    /// (role, SQL with $1 where the hostile text goes).
    static let calls: [(role: String, sql: String)] = [
        ("genre_reader", "SELECT * FROM genre.recommend($1, 5)"),
        ("genre_reader", "SELECT * FROM genre.recommend('u1', 5, exclude => ARRAY[$1])"),
        ("genre_reader", "SELECT * FROM genre.recommend('u1', 5, category => $1)"),
        ("genre_reader", "SELECT * FROM genre.recommend('u1', 5, scenario => $1)"),
        ("genre_reader", "SELECT * FROM genre.similar_items($1, 5)"),
        ("genre_reader", "SELECT * FROM genre.explain($1, 'a1')"),
        ("genre_reader", "SELECT * FROM genre.explain('u1', $1)"),
        ("genre_reader", "SELECT genre.intra_list_diversity($1, 5)"),
        ("genre_reader", "SELECT genre.get($1)"),
        ("genre_reader", "SELECT genre.render_item_text(i, $1) FROM genre.items i LIMIT 1"),
        ("genre_admin", "SELECT genre.set($1, 1)"),
        ("genre_admin", "SELECT genre.set($1, 'true'::jsonb)"),
        ("genre_admin", "SELECT genre.set('collaborative.model', $1::text)"),
        ("genre_admin", "SELECT genre.set('embedding.template', $1::text)"),
        ("genre_admin", "SELECT genre.set('event.weights', jsonb_build_object($1::text, 1))"),
        ("genre_admin", "SELECT genre.set('recommend.category_boosts', jsonb_build_object($1::text, 2))"),
        ("genre_admin", "SELECT genre.set('experiment.conversion_events', jsonb_build_array($1::text))"),
        ("genre_admin", "SELECT genre.reset($1)"),
        ("genre_admin", "SELECT genre.set_scenario($1, '{}')"),
        ("genre_admin", "SELECT genre.set_scenario('mail', jsonb_build_object($1::text, 1))"),
        ("genre_admin", "SELECT genre.set_scenario('mail', '{}', description => $1)"),
        ("genre_admin", "SELECT genre.drop_scenario($1)"),
        ("genre_admin", "SELECT genre.tune(scenario => $1)"),
        ("genre_admin", "SELECT genre.tune(strategy => $1)"),
        ("genre_admin", "SELECT genre.tune(metric => $1)"),
        ("genre_admin", "SELECT genre.tune(search_space => jsonb_build_object($1::text, jsonb_build_object('type', 'real', 'min', 0, 'max', 1)))"),
        ("genre_admin", "SELECT genre.create_experiment($1, '{\"a\": {\"share\": 0.5}, \"b\": {\"share\": 0.5}}')"),
        ("genre_admin", "SELECT genre.create_experiment('e4', jsonb_build_object($1::text, '{\"share\": 0.5}'::jsonb, 'b', '{\"share\": 0.5}'::jsonb))"),
        ("genre_admin", "SELECT genre.create_experiment('e2', '{\"a\": {\"share\": 0.5}, \"b\": {\"share\": 0.5}}', scenario => $1)"),
        ("genre_admin", "SELECT genre.create_experiment('e3', '{\"a\": {\"share\": 0.5}, \"b\": {\"share\": 0.5}}', policy => $1)"),
        ("genre_admin", "SELECT genre.stop_experiment($1)"),
        ("genre_admin", "SELECT genre.stop_experiment('e', winner => $1)"),
        ("genre_writer", "INSERT INTO genre.items (item_id, title, description, tags, category) VALUES ($1, $1, $1, ARRAY[$1], $1)"),
        ("genre_writer", "INSERT INTO genre.events (user_id, item_id, event_type) VALUES ($1, 'a1', 'view')"),
        ("genre_writer", "INSERT INTO genre.events (user_id, event_type, text) VALUES ('u1', 'search', $1)"),
        ("genre_writer", "INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('u1', 'a1', $1)"),
    ]

    /// SQLSTATEs that would mean the text was parsed as SQL or as a name.
    static let parsed: Set<String> = ["42601", "42P01", "42703", "42883", "3F000", "42704"]

    @Test("hostile text is data: taken verbatim or refused by validation, nothing else changes")
    func everyTextParameter() throws {
        let db = try TestDatabase.create()
        let owner = try db.connect()
        try seedTwoClusters(owner, users: 6)
        try owner.query("SELECT genre.create_experiment('e', '{\"a\": {\"share\": 0.5}, \"b\": {\"share\": 0.5}}')")
        let relations = try owner.count("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'genre'")
        let items = try owner.count("SELECT count(*) FROM genre.items")
        var refused = 0, accepted = 0
        for (role, sql) in Self.calls {
            let c = try db.connect()
            try c.query("SET ROLE \(role)")
            // A short statement timeout: a payload that managed to run pg_sleep would fail the call loudly.
            try c.query("SET statement_timeout = '5s'")
            for payload in Self.payloads {
                if let failure = c.failure(sql, [payload]) {
                    refused += 1
                    #expect(!Self.parsed.contains(failure.sqlState ?? ""), "\(sql) with \(payload): \(failure.message)")
                    // A refusal comes from GENRE's validation naming the problem, not from a bare table constraint.
                    #expect(!failure.message.contains("violates"), "\(sql) with \(payload): \(failure.message)")
                    #expect(failure.sqlState != "57014", "\(sql) with \(payload) ran long: \(failure.message)")
                    #expect(failure.sqlState != "42501", "\(role) may call \(sql): \(failure.message)")
                } else {
                    accepted += 1
                }
            }
        }
        #expect(try owner.count("SELECT count(*) FROM genre.items") >= items, "no item lost")
        #expect(try owner.count("SELECT count(*) FROM genre.items WHERE item_id = ANY($1::text[])", [Self.textArray(Self.payloads)]) == Self.payloads.count,
                "items with hostile ids are stored verbatim")
        let now = try owner.count("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'genre'")
        #expect(now == relations, "no relation created or dropped (\(relations) → \(now))")
        #expect(refused > 0 && accepted > 0, "refused \(refused), accepted \(accepted)")
        // Scenario and experiment names are validated: no hostile text became one.
        #expect(try owner.count("SELECT count(*) FROM genre.scenarios WHERE name = ANY($1::text[])", [Self.textArray(Self.payloads)]) == 0)
        #expect(try owner.count("SELECT count(*) FROM genre.experiments WHERE name = ANY($1::text[])", [Self.textArray(Self.payloads)]) == 0)
    }

    /// A PostgreSQL text[] literal of `values` (quotes and backslashes escaped).
    static func textArray(_ values: [String]) -> String {
        "{" + values.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }.joined(separator: ",") + "}"
    }
}
