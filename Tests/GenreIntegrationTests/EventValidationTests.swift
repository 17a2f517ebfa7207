import Testing
@testable import GenrePostgres

@Suite("events", .enabled(if: TestDatabase.enabled))
struct EventValidationTests {
    static let refused: [(String, String)] = [
        ("INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('u', 'a', 'teleport')", "unknown event_type \"teleport\""),
        ("INSERT INTO genre.events (user_id, event_type) VALUES ('u', 'search')", "a search event needs its text"),
        ("INSERT INTO genre.events (user_id, event_type, text) VALUES ('u', 'comment', '   ')", "a comment event needs its text"),
        ("INSERT INTO genre.events (user_id, event_type) VALUES ('u', 'purchase')", "a purchase event needs an item_id"),
        ("INSERT INTO genre.events (user_id, item_id, event_type) VALUES (NULL, 'a', 'view')", "null value in column \"user_id\""),
        ("INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('', 'a', 'view')", "check constraint"),
        ("INSERT INTO genre.events (user_id, item_id, event_type, weight) VALUES ('u', 'a', 'view', 'NaN')", "event weight NaN is out of range"),
        ("INSERT INTO genre.events (user_id, item_id, event_type, weight) VALUES ('u', 'a', 'view', 1e9)", "out of range"),
        ("INSERT INTO genre.events (user_id, item_id, event_type, occurred_at) VALUES ('u', 'a', 'view', now() + interval '3 days')", "is in the future"),
    ]

    @Test("bad events are refused with a message naming the problem", arguments: refused)
    func refusedEvents(sql: String, expected: String) throws {
        let c = try TestDatabase.create().connect()
        try c.query("INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('kept', 'a', 'view')")
        let error = try #require(c.failure(sql))
        #expect(error.message.contains(expected), "\(error.message)")
        #expect(try c.count("SELECT count(*) FROM genre.events") == 1)
        #expect(try c.count("SELECT count(*) FROM genre.work_queue") == 1)
    }

    @Test("event types are normalised and a new type can be added through the weights setting")
    func customType() throws {
        let c = try TestDatabase.create().connect()
        try c.query("INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('u', 'a', ' Purchase ')")
        #expect(try c.scalar("SELECT event_type FROM genre.events") == "purchase")
        try c.query("SELECT genre.set('event.weights', genre.get('event.weights') || '{\"share\": 4}')")
        try c.query("INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('u', 'a', 'share')")
        #expect(try c.count("SELECT count(*) FROM genre.events WHERE event_type = 'share'") == 1)
    }

    @Test("events cannot be updated in place")
    func immutable() throws {
        let c = try TestDatabase.create().connect()
        try c.query("INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('u', 'a', 'view')")
        let error = try #require(c.failure("UPDATE genre.events SET event_type = 'purchase'"))
        #expect(error.message.contains("cannot be updated"))
    }

    @Test("a bulk insert queues each user once and wakes the daemon")
    func bulkInsertQueuesUsersOnce() throws {
        let db = try TestDatabase.create()
        let listener = try db.connect()
        try listener.listen("genre_work")
        let c = try db.connect()
        try c.query("""
            INSERT INTO genre.events (user_id, item_id, event_type)
            SELECT 'u' || (g % 10), 'i' || g, 'view' FROM generate_series(1, 1000) g
            """)
        #expect(try c.count("SELECT count(*) FROM genre.work_queue") == 10)
        var notes: [PostgresNotification] = []
        try eventually("a genre_work notification") {
            notes += try listener.waitForNotifications(timeout: 0.2)
            return !notes.isEmpty
        }
        #expect(notes.map(\.payload) == ["users"], "one notification per transaction, not one per row")
        // A second event for a queued user bumps its version (so an in-flight refresh is redone).
        try c.query("INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('u1', 'x', 'like')")
        #expect(try c.scalar("SELECT version::text FROM genre.work_queue WHERE queue = 'users' AND work_key = 'u1'") == "2")
    }

    @Test("deleting events takes them back out of the interactions already built")
    func deleteForgets() throws {
        let c = try TestDatabase.create().connect()
        try c.query("INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('u', 'a', 'view'), ('u', 'a', 'view'), ('u', 'b', 'like')")
        #expect(try c.count("SELECT genre._apply_events()") == 3)
        try c.query("DELETE FROM genre.events WHERE id = (SELECT min(id) FROM genre.events WHERE item_id = 'a')")
        try c.query("DELETE FROM genre.events WHERE item_id = 'b'")
        #expect(try c.count("SELECT event_count FROM genre.interactions WHERE item_id = 'a'") == 1)
        #expect(try c.count("SELECT count(*) FROM genre.interactions WHERE item_id = 'b'") == 0)
        #expect(try c.count("SELECT events FROM genre.watermarks") == 1)
    }
}
