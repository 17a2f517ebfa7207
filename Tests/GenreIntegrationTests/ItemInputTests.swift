import Foundation
import Testing
@testable import GenreEmbedding
@testable import GenrePostgres

/// The bad-input corpus for items: each row is refused at INSERT with a message naming the problem, or
/// accepted and handled by the daemon (embedded, recommended or skipped with a note); the daemon keeps
/// running and nothing already stored changes.
@Suite("item input", .enabled(if: TestDatabase.enabled), .serialized)
struct ItemInputTests {
    /// Refused: (SQL, $1, what the message must say).
    static let refused: [(String, String?, String)] = [
        ("INSERT INTO genre.items (item_id, title) VALUES ($1, 'x')", "", "item_id must not be empty"),
        ("INSERT INTO genre.items (item_id, title) VALUES ($1, 'x')", "   ", "item_id must not be empty"),
        ("INSERT INTO genre.items (item_id, title) VALUES ($1, 'x')", nil, "item_id must not be empty"),
        ("INSERT INTO genre.items (item_id, title) VALUES ($1, 'x')", String(repeating: "k", count: 300), "item_id is 300 characters long; at most 256"),
        ("INSERT INTO genre.items (item_id, title) VALUES ($1, 'x')", "tab\there", "contains control characters"),
        ("INSERT INTO genre.items (item_id, title) VALUES ($1, 'x')", "line\nbreak", "contains control characters"),
        ("INSERT INTO genre.items (item_id, title, attributes) VALUES ('attr', 'x', $1::jsonb)", "[1, 2]", "attributes of item 'attr' must be a JSON object, got a JSON array"),
        ("INSERT INTO genre.items (item_id, title, attributes) VALUES ('attr', 'x', $1::jsonb)", "\"text\"", "must be a JSON object, got a JSON string"),
        // The item 'kept' exists already.
        ("INSERT INTO genre.items (item_id, title) VALUES ($1, 'a second row')", "kept", "duplicate key value violates unique constraint \"items_pkey\""),
        ("UPDATE genre.items SET item_id = $1 WHERE item_id = 'kept'", "", "item_id must not be empty"),
        // PostgreSQL text cannot hold NUL; the driver refuses it rather than cut the value short.
        ("INSERT INTO genre.items (item_id, title) VALUES ('nul', $1)", "before\u{0}after", "parameter $1 contains a NUL character"),
    ]

    static let cjk = "東京の小さな喫茶店で働く猫と、毎朝コーヒーを飲みに来る老人の物語。台北的夜市小吃指南。"
    static let emoji = "🚀🌌 Space opera 👽 with aliens, lasers ⚔️ and a 🐈 cat — ünïcödé façade"

    @Test("refused items name the problem and change nothing")
    func refusals() throws {
        let db = try TestDatabase.create()
        let c = try db.connect()
        try c.query("INSERT INTO genre.items (item_id, title) VALUES ('kept', 'Stored before the corpus')")
        let before = try c.scalar("SELECT md5(string_agg(i::text, '|' ORDER BY item_id)) FROM genre.items i")
        for (sql, value, expected) in Self.refused {
            let failure = c.failure(sql, [value])
            #expect(failure?.message.contains(expected) == true || failure?.detail?.contains(expected) == true,
                    "\(sql) with \(value.map { String($0.prefix(40)) } ?? "NULL"): \(failure?.message ?? "accepted")")
        }
        #expect(try c.scalar("SELECT md5(string_agg(i::text, '|' ORDER BY item_id)) FROM genre.items i") == before)
        #expect(try c.count("SELECT count(*) FROM genre.work_queue WHERE queue = 'items' AND work_key <> 'kept'") == 0)
    }

    @Test("accepted oddities are embedded, recommended or skipped with a note; the daemon never stops",
          .enabled(if: EmbeddingPipelineTests.modelReady))
    func acceptedOddities() throws {
        let db = try TestDatabase.create()
        let c = try db.connect()
        try seedTwoClusters(c, users: 8)
        let megabyte = String(repeating: "A long description of a film about the sea. ", count: 1_048_576 / 45)
        try c.query("""
            INSERT INTO genre.items (item_id, title, description, tags, category) VALUES
              ('null-text', NULL, NULL, '{}', NULL),
              ('empty-text', '', '', '{}', ''),
              ('huge', 'The sea', $1, '{sea}', 'film'),
              ('control', E'Bell\\u0007 and\\ttab\\r\\nnew line\\u007f', E'\\u0001\\u0002 odd bytes', '{}', 'film'),
              ('cjk', $2, $2, ARRAY['日本', '中文'], '映画'),
              ('emoji', $3, $3, ARRAY['🚀', NULL, ''], 'film'),
              ('Emoji', 'Same id but upper case: a different item', NULL, '{}', 'film'),
              ('quote''s "id" 🎬 ünï', 'An id with quotes, emoji and accents', NULL, '{}', 'film')
            """, [megabyte, Self.cjk, Self.emoji])
        // Events on items that will be deleted, and on items that never existed.
        try c.query("""
            INSERT INTO genre.events (user_id, item_id, event_type) VALUES
              ('fan', 'huge', 'like'), ('fan', 'cjk', 'purchase'), ('fan', 'a1', 'view'),
              ('orphan', 'never-existed', 'like'), ('gone', 'emoji', 'like')
            """)
        let eventsBefore = try c.count("SELECT count(*) FROM genre.events")
        let daemon = TestDaemon.start(db)
        defer { try? daemon.stop() }
        try eventually("every item embedded or noted", timeout: 120) {
            try c.scalar("SELECT (items_to_embed = 0)::text FROM genre.status()") == "true"
        }
        // Items with text have exactly one vector of the current model; textless ones a note and no vector.
        #expect(try c.count("SELECT count(*) FROM genre.item_embeddings WHERE embedding IS NOT NULL AND item_id IN ('huge', 'control', 'cjk', 'emoji', 'Emoji', 'quote''s \"id\" 🎬 ünï')") == 6)
        #expect(try c.count("SELECT count(*) FROM genre.item_embeddings WHERE embedding IS NULL AND note LIKE '%empty%' AND item_id IN ('null-text', 'empty-text')") == 2)
        #expect(try c.count("SELECT count(*) FROM genre.item_embeddings e, unnest(e.embedding) x WHERE x = 'NaN'::real OR x = 'Infinity'::real OR x = '-Infinity'::real") == 0)
        #expect(try c.count("SELECT count(*) FROM genre.dead_letters") == 0, "nothing here is a bad row")
        try eventually("the first build after embedding", timeout: 60) {
            try c.count("SELECT count(*) FROM genre.recommendations WHERE user_id = 'fan'") > 0
        }

        // Deleting items that have events: the events stay, the items leave every list.
        try c.query("DELETE FROM genre.items WHERE item_id IN ('huge', 'emoji')")
        try c.query("INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('fan', 'a2', 'view'), ('gone', 'a3', 'view')")
        try eventually("lists recomputed without the deleted items", timeout: 30) {
            try c.count("SELECT count(*) FROM genre.recommendations WHERE user_id = 'gone'") > 0
                && c.count("SELECT count(*) FROM genre.recommend('fan', 20)") > 0
        }
        #expect(try c.count("SELECT count(*) FROM genre.events") == eventsBefore + 2, "no event lost")
        for user in ["fan", "gone", "orphan", "u1"] {
            #expect(try c.count("SELECT count(*) FROM genre.recommend($1, 50) WHERE item_id IN ('huge', 'emoji', 'never-existed')", [user]) == 0, "\(user)")
        }
        #expect(try c.count("SELECT count(*) FROM genre.similar_items('cjk', 10) WHERE item_id IN ('huge', 'emoji')") == 0)
        #expect(try c.count("SELECT count(*) FROM genre.item_embeddings WHERE item_id IN ('huge', 'emoji')") == 0, "vectors of deleted items are forgotten")
        #expect(try c.count("SELECT count(*) FROM genre.recommend('orphan', 5)") == 5, "a user whose only item never existed gets popular items")
        #expect(try c.count("SELECT count(*) FROM genre.dead_letters") == 0)
        #expect(daemon.thread.isExecuting, "the daemon is still running")
    }
}
