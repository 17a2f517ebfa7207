import Foundation
import Synchronization
import Testing
@testable import GenrePostgres

/// A fresh database for one test, cloned from the migrated template that `make test` prepares, reached as
/// the non-superuser role genre_test.
///
/// GENRE_TEST_DATABASE_URL points at a maintenance database of the test cluster; GENRE_TEST_TEMPLATE names
/// the template. Without them the integration tests are disabled, except under CI=true, where they run and
/// fail: CI must never pass by skipping the database.
struct TestDatabase {
    let name: String
    let url: String

    static let environment = ProcessInfo.processInfo.environment
    static let maintenanceURL = environment["GENRE_TEST_DATABASE_URL"]
    static let template = environment["GENRE_TEST_TEMPLATE"] ?? "genre_template"
    static let isCI = environment["CI"] == "true"
    /// Whether integration tests run: a database is configured, or CI demands one.
    static let enabled = maintenanceURL != nil || isCI

    /// CREATE DATABASE ... TEMPLATE fails if another session is copying the same template at that moment.
    private static let creation = Mutex(())

    static func create(_ label: String = #function) throws -> TestDatabase {
        guard let maintenanceURL else {
            throw PostgresError(kind: .connect, message: "GENRE_TEST_DATABASE_URL is not set: run `make test`, which starts a PostgreSQL cluster for the tests")
        }
        let slug = label.lowercased().filter { $0.isLetter || $0.isNumber }.prefix(30)
        let name = "t_\(slug)_\(UInt32.random(in: 0...UInt32.max))"
        try creation.withLock { _ in
            let admin = try PostgresConnection(url: maintenanceURL)
            try admin.query("CREATE DATABASE \(name) TEMPLATE \(template)")
        }
        return TestDatabase(name: name, url: replacingDatabase(in: maintenanceURL, with: name))
    }

    func connect() throws -> PostgresConnection { try PostgresConnection(url: url) }

    /// postgresql://user@host:port/db?params → same URL with another database name.
    static func replacingDatabase(in url: String, with database: String) -> String {
        guard let schemeEnd = url.range(of: "://"),
              let slash = url.range(of: "/", range: schemeEnd.upperBound..<url.endIndex) else { return url + "/" + database }
        let query = url.range(of: "?", range: slash.upperBound..<url.endIndex)
        return String(url[..<slash.upperBound]) + database + (query.map { String(url[$0.lowerBound...]) } ?? "")
    }
}

/// Waits until `condition` holds, checking every 50 ms, for at most `timeout` seconds; fails the test with
/// `message` otherwise. Used instead of bare sleeps for everything asynchronous.
func eventually(_ message: String, timeout: Double = 10, _ condition: () throws -> Bool,
                sourceLocation: SourceLocation = #_sourceLocation) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return }
        Thread.sleep(forTimeInterval: 0.05)
    }
    Issue.record("timed out after \(timeout) s waiting for: \(message)", sourceLocation: sourceLocation)
}

extension PostgresConnection {
    /// First column of the first row as a string (nil for NULL or no rows).
    func scalar(_ sql: String, _ parameters: [(any PostgresBindable)?] = []) throws -> String? {
        let result = try query(sql, parameters)
        return result.rowCount == 0 ? nil : result.string(0, 0)
    }

    func count(_ sql: String, _ parameters: [(any PostgresBindable)?] = []) throws -> Int {
        Int(try scalar(sql, parameters) ?? "0") ?? -1
    }

    /// The error a statement raises, or nil if it succeeds.
    func failure(_ sql: String, _ parameters: [(any PostgresBindable)?] = []) -> PostgresError? {
        do {
            try query(sql, parameters)
            return nil
        } catch let error as PostgresError {
            return error
        } catch {
            return PostgresError(kind: .query, message: "\(error)")
        }
    }
}
