import Foundation
import Logging
import Testing
@testable import GenreDaemon
@testable import GenreEmbedding
@testable import GenrePostgres

/// The embedding pipeline driven through SQL, with the real model running in the daemon's embedding worker.
@Suite("embedding pipeline", .enabled(if: TestDatabase.enabled))
struct EmbeddingPipelineTests {
    static let modelReady = TestDatabase.isCI
        || FileManager.default.fileExists(atPath: ModelStore.directory().appendingPathComponent("model.safetensors").path)


    @Test("templates render fields, drop empty optional sections, and refuse unknown fields")
    func templates() throws {
        let c = try TestDatabase.create().connect()
        try c.query("""
            INSERT INTO genre.items (item_id, title, description, tags, category, attributes)
            VALUES ('a', 'Dune', 'Desert planet', '{sci-fi,classic}', 'books', '{"brand": "Ace"}'), ('b', 'Emma', NULL, '{}', NULL, '{}')
            """)
        #expect(try c.scalar("SELECT genre.render_item_text(i) FROM genre.items i WHERE item_id = 'a'")
                == "Dune. Desert planet. Tags: sci-fi, classic. Category: books")
        #expect(try c.scalar("SELECT genre.render_item_text(i) FROM genre.items i WHERE item_id = 'b'") == "Emma")
        #expect(try c.scalar("SELECT genre.render_item_text(i, '{title} by {attributes.brand}[ ({category})]') FROM genre.items i WHERE item_id = 'a'")
                == "Dune by Ace (books)")
        for (template, message) in [("{title} {price}", "unknown field {price}"), ("{title}[ {description}", "not closed"),
                                    ("plain text", "names no field"), ("[[{title}]]", "must not nest")] {
            let error = try #require(c.failure("SELECT genre.set('embedding.template', $1)", [template]))
            #expect(error.message.contains("embedding.template") && error.message.contains(message), "\(error.message)")
        }
    }

    @Test("turning embedding off and on again is noticed by a running daemon", .enabled(if: modelReady))
    func reEnabled() throws {
        let db = try TestDatabase.create()
        let c = try db.connect()
        try c.query("SELECT genre.set('embedding.enabled', false), genre.set('daemon.poll_interval_seconds', 0.2)")
        try c.query("INSERT INTO genre.items (item_id, title) VALUES ('later', 'Embedded once embedding is back on')")
        let daemon = TestDaemon.start(db)
        defer { try? daemon.stop() }
        // Wait until the embedding worker has looked at the queued item twice (one poll apart) with embedding
        // off, then check it left it alone: a fixed sleep passed whenever the worker had not looked yet.
        try eventually("the embedding worker to run with embedding off", timeout: 30) {
            daemon.context.stats["embedding_off_steps"] >= 2
        }
        #expect(try c.count("SELECT count(*) FROM genre.item_embeddings") == 0, "off means off")
        #expect(daemon.context.stats["items_embedded"] == 0)
        try c.query("SELECT genre.set('embedding.enabled', true)")
        try eventually("the item embedded without a restart", timeout: 30) {
            try c.count("SELECT count(*) FROM genre.item_embeddings WHERE item_id = 'later' AND embedding IS NOT NULL") == 1
        }
    }

    @Test("items are embedded once; a column outside the template changes nothing; a description change re-embeds",
          .enabled(if: modelReady))
    func embedOnceAndOnChange() throws {
        let db = try TestDatabase.create()
        let c = try db.connect()
        try c.query("""
            INSERT INTO genre.items (item_id, title, description, category, attributes)
            SELECT 'i' || g, 'Item number ' || g, 'A thing for testing, variant ' || g, 'tests', jsonb_build_object('price', g)
              FROM generate_series(1, 40) g
            """)
        try c.query("INSERT INTO genre.items (item_id) VALUES ('blank')")
        try c.query("INSERT INTO genre.events (user_id, event_type, text) VALUES ('searcher', 'search', 'space opera with politics')")
        let daemon = TestDaemon.start(db)
        defer { try? daemon.stop() }
        try eventually("all items and the search text embedded", timeout: 120) {
            try c.scalar("SELECT (items_to_embed = 0 AND event_texts_to_embed = 0 AND items_embedded = 40)::text FROM genre.status()") == "true"
        }
        let row = try c.query("SELECT model, dims, cardinality(embedding), content_hash = genre._text_hash(genre.render_item_text(i)) FROM genre.item_embeddings e JOIN genre.items i USING (item_id) WHERE item_id = 'i7'")
        #expect(row.string(0, 0) == ModelStore.modelName)
        #expect(try row.int(0, 1) == 384 && row.int(0, 2) == 384)
        #expect(row.string(0, 3) == "t")
        #expect(try c.scalar("SELECT note FROM genre.item_embeddings WHERE item_id = 'blank' AND embedding IS NULL")?.contains("rendered text is empty") == true)
        #expect(try c.count("SELECT items_without_text FROM genre.status()") == 1)
        #expect(try c.count("SELECT count(*) FROM genre.event_text_embeddings WHERE user_id = 'searcher' AND cardinality(embedding) = 384") == 1)
        // Unit length, as sentence-transformers produces.
        #expect(abs(try c.double1("SELECT sqrt(sum(x::float8 * x)) FROM genre.item_embeddings, unnest(embedding) x WHERE item_id = 'i1'") - 1) < 1e-4)

        let before = try #require(try c.scalar("SELECT embedded_at::text FROM genre.item_embeddings WHERE item_id = 'i3'"))
        try c.query("UPDATE genre.items SET attributes = jsonb_build_object('price', 999) WHERE item_id = 'i3'")
        #expect(try c.count("SELECT count(*) FROM genre.work_queue WHERE queue = 'items'") == 0, "a price change queues nothing")
        try c.query("UPDATE genre.items SET description = 'Completely new words about gardening' WHERE item_id = 'i3'")
        try eventually("the changed description to be re-embedded", timeout: 60) {
            try c.scalar("SELECT embedded_at::text FROM genre.item_embeddings WHERE item_id = 'i3'") != before
        }
        #expect(try c.scalar("SELECT embedded_at::text FROM genre.item_embeddings WHERE item_id = 'i4'") != nil)
        #expect(daemon.context.stats["items_embedded"] == 41, "40 items once, one item again; the blank one costs no model call")
    }

    @Test("a template change re-embeds every item in the background, and similar_items explains text similarity",
          .enabled(if: modelReady))
    func templateChangeAndSimilarText() throws {
        let db = try TestDatabase.create()
        let c = try db.connect()
        try seedTopicItems(c)
        try c.query("SELECT genre.set('daemon.poll_interval_seconds', 0.2)")
        let daemon = TestDaemon.start(db)
        defer { try? daemon.stop() }
        try eventually("a build that saw the vectors", timeout: 120) {
            try c.count("SELECT count(*) FROM genre.similar_items('space-1', 3)") > 0
        }
        let top = try c.query("SELECT item_id, reasons->>'summary', reasons->'strategies' FROM genre.similar_items('space-1', 3)")
        #expect(top.string(0, 0) == "space-2")
        #expect(top.string(0, 1)?.hasPrefix("Similar text to A space opera") == true)
        let version = try #require(try c.scalar("SELECT template_version FROM genre.item_embeddings WHERE item_id = 'bake-1'"))
        try c.query("SELECT genre.set('embedding.template', '{title}[ ({category})]')")
        try eventually("every item re-embedded with the new template", timeout: 120) {
            try c.count("SELECT count(*) FROM genre.item_embeddings WHERE template_version <> $1", [version]) == 5
        }
    }
}

extension EmbeddingPipelineTests {
    @Test("cold start: after one search, content recommendations appear, explained by the search",
          .enabled(if: modelReady))
    func searchColdStart() throws {
        let db = try TestDatabase.create()
        let c = try db.connect()
        try seedTopicItems(c)
        // Some behaviour, so there is a model and popular items, none of it about space.
        try c.query("INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('a', 'bake-1', 'purchase'), ('a', 'bake-2', 'like'), ('b', 'garden', 'like')")
        try c.query("SELECT genre.set('daemon.poll_interval_seconds', 0.2)")
        let daemon = TestDaemon.start(db)
        defer { try? daemon.stop() }
        try eventually("a model that saw the item vectors", timeout: 120) {
            try c.scalar("SELECT (items_to_embed = 0 AND last_build_at IS NOT NULL)::text FROM genre.status()") == "true"
                && c.count("SELECT count(*) FROM genre.similar_items('space-1', 1)") > 0
        }
        try c.query("INSERT INTO genre.events (user_id, event_type, text) VALUES ('stargazer', 'search', 'epic battles between spaceships')")
        try eventually("the search to turn into content recommendations", timeout: 60) {
            try c.scalar("SELECT item_id FROM genre.recommend('stargazer', 1)")?.hasPrefix("space") == true
        }
        let top = try c.query("SELECT item_id, reasons->>'summary', reasons->'similar_to'->>'text', reasons->'strategies' ? 'content' FROM genre.recommend('stargazer', 2)")
        #expect((0..<top.rowCount).allSatisfy { top.string($0, 0)?.hasPrefix("space") == true }, "both space films first")
        #expect(top.string(0, 1) == "Matches your search 'epic battles between spaceships'")
        #expect(top.string(0, 2) == "epic battles between spaceships")
        #expect(top.string(0, 3) == "t")
    }

    @Test("a brand-new item whose text matches a user's search reaches that user before anyone touches it",
          .enabled(if: modelReady))
    func newItemReachesMatchingUser() throws {
        let db = try TestDatabase.create()
        let c = try db.connect()
        try seedTopicItems(c)
        try c.query("""
            INSERT INTO genre.events (user_id, item_id, event_type, text) VALUES
              ('a', 'bake-1', 'purchase', NULL), ('a', 'bake-2', 'like', NULL), ('b', 'garden', 'like', NULL),
              ('diver', NULL, 'search', 'coral reefs and deep sea creatures')
            """)
        try c.query("SELECT genre.set('daemon.poll_interval_seconds', 0.2)")
        let daemon = TestDaemon.start(db)
        defer { try? daemon.stop() }
        try eventually("a model that saw the item vectors and the search", timeout: 120) {
            try c.scalar("SELECT (items_to_embed = 0 AND last_build_at IS NOT NULL)::text FROM genre.status()") == "true"
                && c.count("SELECT count(*) FROM genre.recommend('diver', 3)") > 0
        }
        #expect(try c.count("SELECT count(*) FROM genre.recommend('diver', 5) WHERE item_id = 'ocean'") == 0)
        // Nobody has an event on the new item: only its text can bring it to the diver.
        try c.query("INSERT INTO genre.items (item_id, title, category) VALUES ('ocean', 'Exploring coral reefs and the creatures of the deep sea', 'film')")
        try eventually("the new item in the diver's list", timeout: 120) {
            try c.scalar("SELECT item_id FROM genre.recommend('diver', 1)") == "ocean"
        }
        #expect(try c.count("SELECT count(*) FROM genre.events WHERE item_id = 'ocean'") == 0)
        let reasons = try c.query("SELECT reasons->>'summary', reasons->'strategies' ? 'content' FROM genre.recommend('diver', 1)")
        #expect(reasons.string(0, 0) == "Matches your search 'coral reefs and deep sea creatures'")
        #expect(reasons.string(0, 1) == "t")
    }
}

extension PostgresConnection {
    func double1(_ sql: String) throws -> Double { try query(sql).double(0, 0) ?? .nan }
}
