import Foundation
import Synchronization
import Testing
@testable import GenrePostgres

@Suite("event watermark", .enabled(if: TestDatabase.enabled))
struct WatermarkTests {
    @Test("an event committed late with a lower id is neither skipped nor applied twice")
    func lateCommit() throws {
        let db = try TestDatabase.create()
        let slow = try db.connect(), fast = try db.connect(), daemon = try db.connect()
        try slow.query("BEGIN")
        try slow.query("INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('slow', 'a', 'view')")  // lower id
        try fast.query("INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('fast', 'b', 'view')")  // committed first
        // The committed event is applied at once; the open transaction's is not visible yet.
        #expect(try daemon.count("SELECT genre._apply_events()") == 1)
        #expect(try daemon.count("SELECT events_pending FROM genre.status()") == 0)
        try slow.query("COMMIT")
        #expect(try daemon.count("SELECT genre._apply_events()") == 1)
        #expect(try daemon.count("SELECT genre._apply_events()") == 0)
        #expect(try daemon.count("SELECT sum(event_count) FROM genre.interactions") == 2)
        #expect(try daemon.count("SELECT events_pending FROM genre.status()") == 0)
    }

    @Test("events from many transactions are each counted once, with their explicit weights")
    func batches() throws {
        let c = try TestDatabase.create().connect()
        var applied = 0
        for part in 0..<10 {
            try c.query("INSERT INTO genre.events (user_id, item_id, event_type, weight) SELECT 'u' || (g % 7), 'i' || (g % 13), 'view', CASE WHEN g % 5 = 0 THEN 2.5 END FROM generate_series(\(part * 100 + 1), \(part * 100 + 100)) g")
            if part % 3 == 0 { applied += try c.count("SELECT genre._apply_events()") }
        }
        applied += try c.count("SELECT genre._apply_events()")
        #expect(try c.count("SELECT genre._apply_events()") == 0)
        #expect(applied == 1000)
        #expect(try c.count("SELECT sum(event_count) FROM genre.interactions") == 1000)
        #expect(try c.count("SELECT sum(default_count) FROM genre.interactions") == 800)
        #expect(try c.scalar("SELECT sum(explicit_weight)::text FROM genre.interactions") == "500")
    }

    @Test("concurrent appliers take turns on the watermark and never double count")
    func concurrentAppliers() throws {
        let db = try TestDatabase.create()
        let writer = try db.connect()
        for batch in 0..<20 {
            try writer.query("INSERT INTO genre.events (user_id, item_id, event_type) SELECT 'u' || g, 'i' || \(batch), 'click' FROM generate_series(1, 50) g")
        }
        // Two appliers in parallel threads while a third connection keeps inserting.
        let totals = Mutex([0, 0])
        let threads = [0, 1].map { index in
            Thread {
                guard let connection = try? db.connect() else { return }
                for _ in 0..<30 {
                    let n = (try? connection.count("SELECT genre._apply_events()")) ?? 0
                    totals.withLock { $0[index] += n }
                }
            }
        }
        threads.forEach { $0.start() }
        for batch in 20..<30 {
            try writer.query("INSERT INTO genre.events (user_id, item_id, event_type) SELECT 'u' || g, 'i' || \(batch), 'click' FROM generate_series(1, 50) g")
        }
        try eventually("both appliers to finish") { threads.allSatisfy(\.isFinished) }
        var total = totals.withLock { $0[0] + $0[1] }
        let a = try db.connect()
        total += try a.count("SELECT genre._apply_events()")
        #expect(total == 1500)
        #expect(try a.count("SELECT sum(event_count) FROM genre.interactions") == 1500)
        #expect(try a.count("SELECT events FROM genre.watermarks") == 1500)
    }

    @Test("a backlog is folded in bounded batches of whole transactions, each event once, around an open transaction")
    func boundedBatches() throws {
        let db = try TestDatabase.create()
        let writer = try db.connect(), slow = try db.connect(), daemon = try db.connect()
        try daemon.query("SET genre.apply_events_batch = 250")
        try slow.query("BEGIN")
        try slow.query("INSERT INTO genre.events (user_id, item_id, event_type) SELECT 'slow' || g, 'i', 'view' FROM generate_series(1, 40) g")
        // 30 transactions of 100 events, and one of 700 (larger than a batch: folded whole, alone).
        for part in 0..<30 {
            try writer.query("INSERT INTO genre.events (user_id, item_id, event_type) SELECT 'u' || (g % 11), 'i' || (g % 17), 'view' FROM generate_series(\(part * 100 + 1), \(part * 100 + 100)) g")
            if part == 12 {
                try writer.query("INSERT INTO genre.events (user_id, item_id, event_type) SELECT 'big' || (g % 5), 'j' || (g % 3), 'like' FROM generate_series(1, 700) g")
            }
        }
        var steps: [Int] = []
        while true {
            let n = try daemon.count("SELECT genre._apply_events()")
            if n == 0 { break }
            steps.append(n)
            if steps.count == 2 { try slow.query("COMMIT") }  // commits mid-backlog, with the lowest ids
        }
        #expect(steps.reduce(0, +) == 3740, "\(steps)")
        #expect(steps.allSatisfy { $0 <= 250 || $0 == 700 || $0 == 740 }, "every step a bounded batch or one whole large transaction: \(steps)")
        #expect(steps.count >= 14, "\(steps)")
        #expect(try daemon.count("SELECT sum(event_count) FROM genre.interactions") == 3740)
        #expect(try daemon.count("SELECT events FROM genre.watermarks") == 3740)
        #expect(try daemon.count("SELECT events_pending FROM genre.status()") == 0)
        // Exactly once, per (user, item, type), against a fresh aggregation.
        #expect(try daemon.count("""
            SELECT count(*) FROM (SELECT user_id, item_id, event_type, count(*)::int AS n FROM genre.events GROUP BY 1, 2, 3) e
            FULL JOIN genre.interactions i USING (user_id, item_id, event_type) WHERE e.n IS DISTINCT FROM i.event_count
            """) == 0)
    }
}
