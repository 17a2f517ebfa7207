import Foundation
import Logging
import Testing
@testable import GenrePostgres

@Suite("libpq layer", .enabled(if: TestDatabase.enabled))
struct ConnectionTests {
    @Test("bound parameters carry any text, quotes and all, without injection")
    func boundParameters() throws {
        let c = try TestDatabase.create().connect()
        let hostile = "x'); DROP TABLE genre.items; --"
        #expect(try c.scalar("SELECT $1::text", [hostile]) == hostile)
        #expect(try c.scalar("SELECT array_length($1::text[], 1)::text", [["a\"b", "c\\d", "e,f"]]) == "3")
        #expect(try c.scalar("SELECT ($1::text[])[2]", [["a\"b", "c\\d"]]) == "c\\d")
        #expect(try c.scalar("SELECT $1::float8::text", [0.25]) == "0.25")
        #expect(try c.scalar("SELECT $1::text IS NULL", [nil]) == "t")
        #expect(try c.count("SELECT count(*) FROM genre.items") == 0)
    }

    @Test("errors carry SQLSTATE, message and context")
    func errorsCarrySQLState() throws {
        let c = try TestDatabase.create().connect()
        try c.query("INSERT INTO genre.items (item_id) VALUES ('dup')")
        let error = try #require(c.failure("INSERT INTO genre.items (item_id) VALUES ('dup')"))
        #expect(error.sqlState == "23505")
        #expect(error.kind == .query)
        #expect(!error.isConnectionLoss)
        #expect(error.context?.contains("INSERT INTO genre.items") == true)
        #expect(try c.scalar("SELECT 1") == "1", "the connection is usable after an error")
    }

    @Test("a bad URL fails with a connect error that hides the password")
    func badURL() throws {
        #expect {
            try PostgresConnection(url: "postgresql://genre_test:s3cret@127.0.0.1:1/nowhere?connect_timeout=2")
        } throws: { error in
            guard let error = error as? PostgresError else { return false }
            return error.kind == .connect && !error.description.contains("s3cret") && error.description.contains("***")
        }
    }

    @Test("binary COPY round-trips every column type the daemon writes")
    func binaryCopyRoundTrip() throws {
        let c = try TestDatabase.create().connect()
        try c.query("CREATE TABLE copy_check (t text, i int, b bigint, r real, d float8, ok bool, j jsonb, ts timestamptz, tags text[], n text)")
        let when = Date(timeIntervalSince1970: 1_700_000_000.123456)
        let rows = try c.copyIn("COPY copy_check FROM STDIN (FORMAT binary)", flushBytes: 64) { stream in
            for k in 0..<500 {
                stream.encoder.beginRow(fieldCount: 10)
                stream.encoder.appendText("row \(k) ünïcödé 🎬")
                stream.encoder.appendInt32(Int32(k))
                stream.encoder.appendInt64(Int64(k) << 33)
                stream.encoder.appendFloat32(Float(k) / 4)
                stream.encoder.appendFloat64(Double(k) / 3)
                stream.encoder.appendBool(k % 2 == 0)
                stream.encoder.appendJSONB("{\"k\": \(k)}")
                stream.encoder.appendTimestamp(when)
                stream.encoder.appendTextArray(k % 3 == 0 ? [] : ["a", "b \(k)"])
                stream.encoder.appendNull()
                try stream.flushIfFull()
            }
        }
        #expect(rows == 500)
        let check = try c.query("SELECT t, i, b, r, d, ok, j->>'k', extract(epoch FROM ts)::text, cardinality(tags), n IS NULL FROM copy_check WHERE i = 7")
        #expect(check.string(0, 0) == "row 7 ünïcödé 🎬")
        #expect(try check.int(0, 2) == 7 << 33)
        #expect(try check.double(0, 3) == 1.75)
        #expect(abs(try check.double(0, 4)! - 7.0 / 3) < 1e-12)
        #expect(try check.bool(0, 5) == false)
        #expect(check.string(0, 6) == "7")
        #expect(check.string(0, 7) == "1700000000.123456")
        #expect(try check.int(0, 8) == 2)
        #expect(check.string(0, 9) == "t")
        #expect(try c.count("SELECT count(*) FROM copy_check WHERE cardinality(tags) = 0") == 167)
    }

    @Test("a COPY that fails half-way stores nothing and leaves the connection usable")
    func copyAbort() throws {
        struct Stop: Error {}
        let c = try TestDatabase.create().connect()
        try c.query("CREATE TABLE copy_abort (i int)")
        #expect(throws: Stop.self) {
            try c.copyIn("COPY copy_abort FROM STDIN (FORMAT binary)", flushBytes: 16) { stream in
                for k in 0..<100 {
                    stream.encoder.beginRow(fieldCount: 1)
                    stream.encoder.appendInt32(Int32(k))
                    try stream.flushIfFull()
                }
                throw Stop()
            }
        }
        #expect(try c.count("SELECT count(*) FROM copy_abort") == 0)
    }

    @Test("waiting for notifications wakes on NOTIFY, and on the wake-up descriptor")
    func listenWakeups() throws {
        let db = try TestDatabase.create()
        let listener = try db.connect()
        try listener.listen("genre_work")
        try db.connect().query("SELECT pg_notify('genre_work', 'hello')")
        var notes: [PostgresNotification] = []
        try eventually("the notification") {
            notes += try listener.waitForNotifications(timeout: 0.5)
            return !notes.isEmpty
        }
        #expect(notes.first?.payload == "hello")
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        var byte: UInt8 = 1
        _ = write(fds[1], &byte, 1)
        let start = Date()
        #expect(try listener.waitForNotifications(timeout: 30, wakeFD: fds[0]).isEmpty)
        #expect(Date().timeIntervalSince(start) < 5)
        close(fds[0]); close(fds[1])
        #expect(throws: PostgresError.self) { try listener.listen("bad; DROP") }
    }

    @Test("after the server kills the session, the reconnecting connection re-listens and carries on")
    func reconnectAfterTermination() throws {
        let db = try TestDatabase.create()
        let supervised = ReconnectingConnection(url: db.url, listening: ["genre_work"], backoff: Backoff(base: 0.05, cap: 0.2),
                                                logger: Logger(label: "test"))
        let first = try #require(supervised.connect(sleep: { _ in true }))
        let pid = first.backendPID
        let killer = try db.connect()
        #expect(try killer.scalar("SELECT pg_terminate_backend($1)::text", [Int(pid)]) == "true")
        let error = try #require(first.failure("SELECT 1"))
        #expect(error.isConnectionLoss)
        supervised.drop()
        let second = try #require(supervised.connect(sleep: { _ in true }))
        #expect(second.backendPID != pid)
        #expect(supervised.isFreshConnection)
        try killer.query("SELECT pg_notify('genre_work', 'after reconnect')")
        var notes: [PostgresNotification] = []
        try eventually("a notification on the new session") {
            notes += try second.waitForNotifications(timeout: 0.2)
            return !notes.isEmpty
        }
        #expect(notes.first?.payload == "after reconnect")
    }
}
