import Testing
@testable import GenrePostgres

@Suite("work queue", .enabled(if: TestDatabase.enabled))
struct QueueTests {
    func seeded(users: Int) throws -> (TestDatabase, PostgresConnection) {
        let db = try TestDatabase.create()
        let c = try db.connect()
        try c.query("INSERT INTO genre.events (user_id, item_id, event_type) SELECT 'u' || g, 'i', 'view' FROM generate_series(1, \(users)) g")
        return (db, c)
    }

    func claim(_ c: PostgresConnection, worker: String, batch: Int, lease: Double = 60, maxAttempts: Int = 5) throws -> [String] {
        let rows = try c.query("SELECT work_key FROM genre._claim('users', $1, $2, $3, $4)", [worker, batch, lease, maxAttempts])
        return (0..<rows.rowCount).compactMap { rows.string($0, 0) }
    }

    @Test("a user with a steady stream of events keeps their place in line (no starvation)")
    func newEventsKeepTheQueuePlace() throws {
        let db = try TestDatabase.create()
        let c = try db.connect()
        try c.query("INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('busy', 'i', 'view')")
        try c.query("INSERT INTO genre.events (user_id, item_id, event_type) SELECT 'u' || g, 'i', 'view' FROM generate_series(1, 5) g")
        // More events for the first user after everyone else queued: their version moves on, their place does not.
        for _ in 0..<3 { try c.query("INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('busy', 'i', 'click')") }
        #expect(try c.count("SELECT version FROM genre.work_queue WHERE queue = 'users' AND work_key = 'busy'") == 4)
        #expect(try claim(c, worker: "a", batch: 1) == ["busy"])
    }

    @Test("two workers claiming at once never get the same user")
    func disjointClaims() throws {
        let (db, c) = try seeded(users: 40)
        let other = try db.connect()
        // Hold one claim transaction open while the second claims: SKIP LOCKED must skip, not wait.
        try c.query("BEGIN")
        let first = try claim(c, worker: "a", batch: 25)
        let second = try claim(other, worker: "b", batch: 25)
        try c.query("COMMIT")
        #expect(first.count == 25)
        #expect(second.count == 15)
        #expect(Set(first).isDisjoint(with: second))
        #expect(try claim(other, worker: "b", batch: 25).isEmpty, "claimed work is leased, not handed out again")
    }

    @Test("work whose lease expired is released with a backoff and claimed again")
    func leaseExpiry() throws {
        let (_, c) = try seeded(users: 1)
        #expect(try claim(c, worker: "dead", batch: 10, lease: 0.2) == ["u1"])
        #expect(try claim(c, worker: "alive", batch: 10).isEmpty)
        try eventually("the lease to expire and its 1 s backoff to pass", timeout: 10) { try claim(c, worker: "alive", batch: 10) == ["u1"] }
        #expect(try c.scalar("SELECT attempts || ' ' || lease_expiries || ' ' || claimed_by FROM genre.work_queue") == "2 1 alive")
    }

    @Test("completing an old version keeps a user whose events changed meanwhile")
    func versionGuard() throws {
        let (_, c) = try seeded(users: 1)
        _ = try claim(c, worker: "w", batch: 1)
        try c.query("INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('u1', 'j', 'like')")
        #expect(try c.scalar("SELECT genre._complete('users', 'u1', 1)::text") == "false")
        #expect(try c.scalar("SELECT (claimed_by IS NULL)::text FROM genre.work_queue WHERE work_key = 'u1'") == "true")
        #expect(try c.scalar("SELECT genre._complete('users', 'u1', 2)::text") == "true")
        #expect(try c.count("SELECT count(*) FROM genre.work_queue") == 0)
    }

    @Test("failures back off exponentially, then land in dead_letters with their error")
    func deadLetters() throws {
        let (_, c) = try seeded(users: 1)
        _ = try claim(c, worker: "w", batch: 1, maxAttempts: 2)
        #expect(try c.scalar("SELECT genre._fail('users', 'u1', 'boom 1', 2)") == "retry")
        #expect(try c.scalar("SELECT (available_at > clock_timestamp() + interval '0.5 s')::text FROM genre.work_queue") == "true")
        #expect(try claim(c, worker: "w", batch: 1, maxAttempts: 2).isEmpty, "backing off")
        try c.query("UPDATE genre.work_queue SET available_at = clock_timestamp()")
        _ = try claim(c, worker: "w", batch: 1, maxAttempts: 2)
        #expect(try c.scalar("SELECT genre._fail('users', 'u1', 'boom 2', 2)") == "dead")
        #expect(try c.scalar("SELECT queue || ' ' || work_key || ' ' || error || ' ' || attempts FROM genre.dead_letters") == "users u1 boom 2 2")
        #expect(try c.count("SELECT dead_letters FROM genre.status()") == 1)
        let id = try c.count("SELECT id FROM genre.dead_letters")
        #expect(try c.scalar("SELECT genre.retry_dead_letter($1)::text", [id]) == "true")
        #expect(try c.count("SELECT count(*) FROM genre.work_queue WHERE attempts = 0") == 1)
        #expect(c.failure("SELECT genre._enqueue('nonsense', ARRAY['x'])")?.message.contains("unknown work queue") == true)
    }

    @Test("work whose lease keeps expiring is dead-lettered instead of looping forever")
    func poisonedWork() throws {
        let (_, c) = try seeded(users: 1)
        try c.query("UPDATE genre.work_queue SET lease_expiries = 8, claimed_until = clock_timestamp() - interval '1 s'")
        #expect(try claim(c, worker: "w", batch: 5, maxAttempts: 3).isEmpty)
        #expect(try c.scalar("SELECT error FROM genre.dead_letters")?.contains("lease expired 9 times") == true)
        #expect(try c.count("SELECT count(*) FROM genre.work_queue") == 0)
    }
}
