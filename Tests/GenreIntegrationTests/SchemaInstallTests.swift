import Testing
@testable import GenrePostgres
@testable import GenreSchema

@Suite("genre install", .enabled(if: TestDatabase.enabled))
struct SchemaInstallTests {
    let catalog = try! SQLCatalog.bundled()

    /// A database without genre in it (cloned from template0, not from the migrated template).
    func emptyDatabase(_ label: String) throws -> PostgresConnection {
        let maintenance = try #require(TestDatabase.maintenanceURL, "GENRE_TEST_DATABASE_URL is not set: run `make test`")
        let name = "t_\(label)_\(UInt32.random(in: 0...UInt32.max))"
        try PostgresConnection(url: maintenance).query("CREATE DATABASE \(name) TEMPLATE template0")
        return try PostgresConnection(url: TestDatabase.replacingDatabase(in: maintenance, with: name))
    }

    @Test("installing again changes nothing and keeps data")
    func idempotent() throws {
        let db = try TestDatabase.create()
        let connection = try db.connect()
        try connection.query("INSERT INTO genre.items (item_id, title) VALUES ('keep', 'Kept')")
        let outcome = try SchemaInstaller(catalog: catalog).install(on: connection)
        #expect(outcome.appliedMigrations.isEmpty)
        #expect(outcome.currentVersion == catalog.latestVersion)
        #expect(try connection.scalar("SELECT title FROM genre.items WHERE item_id = 'keep'") == "Kept")
    }

    @Test("a database with a newer schema is refused before anything changes")
    func newerSchemaRefused() throws {
        let db = try TestDatabase.create()
        let connection = try db.connect()
        try connection.query("INSERT INTO genre.schema_migrations (version, name, checksum) VALUES (999, '0999-future.sql', 'x')")
        #expect {
            try SchemaInstaller(catalog: catalog).install(on: connection)
        } throws: { error in
            guard let error = error as? SchemaError else { return false }
            return error.code == .newerThanBinary && error.exitCode == 3 && error.message.contains("999")
        }
        #expect(throws: SchemaError.self) { try SchemaInstaller(catalog: catalog).checkCurrent(on: connection) }
    }

    @Test("an edited migration is refused")
    func editedMigrationRefused() throws {
        let db = try TestDatabase.create()
        var edited = catalog
        edited.migrations[0].text += "\n-- edited after release\n"
        #expect {
            try SchemaInstaller(catalog: edited).install(on: try db.connect())
        } throws: { error in
            (error as? SchemaError)?.code == .checksumMismatch
        }
    }

    @Test("print-sql output installs the same schema on an empty database")
    func printedSQLApplies() throws {
        let connection = try emptyDatabase("printsql")
        try connection.query(catalog.script())
        #expect(try connection.count("SELECT count(*) FROM genre.schema_migrations") == catalog.migrations.count)
        // genre install on top of it sees it as current.
        let outcome = try SchemaInstaller(catalog: catalog).install(on: connection)
        #expect(outcome.appliedMigrations.isEmpty)
        try SchemaInstaller(catalog: catalog).checkCurrent(on: connection)
    }

    /// The catalogue an older genre shipped: same migrations, one function with another body.
    func olderCatalog() throws -> SQLCatalog {
        var older = catalog
        let file = try #require(older.functions.firstIndex { $0.name == "070-embeddings.sql" })
        let current = "encode(sha256(convert_to(coalesce(p_text, ''), 'UTF8')), 'hex')"
        #expect(older.functions[file].text.contains(current))
        older.functions[file].text = older.functions[file].text.replacingOccurrences(of: current, with: "md5(coalesce(p_text, ''))")
        return older
    }

    @Test("functions left by an older genre's install are refused until `genre install` runs again")
    func staleFunctionsRefused() throws {
        let connection = try TestDatabase.create().connect()
        // Migrations are current, functions are not: what a new binary meets before anyone reran install.
        try SchemaInstaller(catalog: try olderCatalog()).install(on: connection)
        #expect(try connection.scalar("SELECT length(genre._text_hash('x'))") == "32", "the older body is installed")
        #expect { try SchemaInstaller(catalog: catalog).checkCurrent(on: connection) } throws: { error in
            guard let error = error as? SchemaError else { return false }
            return error.message.contains("`genre install") && error.message.contains("functions") && error.exitCode == 4
        }
        try SchemaInstaller(catalog: catalog).install(on: connection)
        try SchemaInstaller(catalog: catalog).checkCurrent(on: connection)
        #expect(try connection.scalar("SELECT length(genre._text_hash('x'))") == "64", "this genre's body is installed")
    }

    @Test("print-sql output records its function bundle too: an older one is refused, a current one passes")
    func printedSQLRecordsBundle() throws {
        let connection = try emptyDatabase("printbundle")
        try connection.query(try olderCatalog().script())
        #expect(throws: SchemaError.self) { try SchemaInstaller(catalog: catalog).checkCurrent(on: connection) }
        // A DBA applies this genre's functions by hand (migrations already there).
        try connection.query(catalog.script(fromVersion: catalog.latestVersion))
        try SchemaInstaller(catalog: catalog).checkCurrent(on: connection)
    }

    @Test("a database without genre is reported as not installed")
    func notInstalled() throws {
        let connection = try emptyDatabase("empty")
        #expect { try SchemaInstaller(catalog: catalog).checkCurrent(on: connection) } throws: { error in
            (error as? SchemaError)?.code == .notInstalled
        }
    }

    @Test("every function in schema genre has a COMMENT and a pinned search_path")
    func functionsDocumentedAndPinned() throws {
        let connection = try TestDatabase.create().connect()
        let undocumented = try connection.query("""
            SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = 'genre' AND obj_description(p.oid, 'pg_proc') IS NULL
            """)
        #expect(undocumented.rowCount == 0, "\((0..<undocumented.rowCount).compactMap { undocumented.string($0, 0) })")
        let unpinned = try connection.query("""
            SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = 'genre' AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')
            """)
        #expect(unpinned.rowCount == 0, "\((0..<unpinned.rowCount).compactMap { unpinned.string($0, 0) })")
        #expect(try connection.count("SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'genre'") > 20)
    }

    @Test("the tests run as a role without superuser rights")
    func nonSuperuser() throws {
        let connection = try TestDatabase.create().connect()
        #expect(try connection.scalar("SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user") == "false")
    }
}
