import GenrePostgres
import GenreSupport

/// Applies GENRE's SQL to a database: pending migrations once each, then every function file, all in one
/// transaction under an advisory lock, so two installers never interleave and a failed upgrade changes
/// nothing.
public struct SchemaInstaller {
    /// Key of the transaction-level advisory lock that serialises installs ("genre" in ASCII).
    public static let advisoryLockKey: Int64 = 0x67_65_6e_72_65

    public let catalog: SQLCatalog

    public init(catalog: SQLCatalog) { self.catalog = catalog }

    public struct Outcome: Sendable, Equatable {
        public var previousVersion: Int
        public var appliedMigrations: [String]
        public var currentVersion: Int
        /// Why roles were not set up (the default names, and an installer without CREATEROLE), if so.
        public var rolesNote: String? = nil
    }

    /// The roles holding GENRE's privilege sets (see 095-roles.sql). `explicit`: the names were given by
    /// the user, so a missing role that cannot be created is an error rather than a note.
    public struct Roles: Sendable, Equatable {
        public var reader = "genre_reader"
        public var writer = "genre_writer"
        public var admin = "genre_admin"
        public var daemon = "genre_daemon"
        public var explicit = false
        public init() {}
        var byKind: [(kind: String, name: String)] { [("reader", reader), ("writer", writer), ("admin", admin), ("daemon", daemon)] }
    }

    /// Installs or upgrades. Throws `SchemaError` (newer schema, edited migration) before changing anything.
    @discardableResult
    public func install(on connection: PostgresConnection, roles: Roles? = Roles()) throws -> Outcome {
        try connection.transaction {
            try connection.query("SELECT pg_advisory_xact_lock($1)", [Self.advisoryLockKey])
            let applied = try appliedMigrations(connection)
            try verify(applied: applied)
            let previous = applied.keys.max() ?? 0
            var names: [String] = []
            for migration in catalog.migrations where migration.version > previous {
                try connection.query(migration.text, context: "migration \(migration.name)")
                try connection.query("INSERT INTO genre.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                                     [migration.version, migration.name, migration.checksum])
                names.append(migration.name)
            }
            for file in catalog.functions {
                try connection.query(file.text, context: "functions \(file.name)")
            }
            try connection.query(SQLCatalog.recordBundleSQL, [catalog.functionBundleChecksum, GenreVersion.current])
            var outcome = Outcome(previousVersion: previous, appliedMigrations: names, currentVersion: catalog.latestVersion)
            if let roles { outcome.rolesNote = try setUp(roles, on: connection) }
            return outcome
        }
    }

    /// Creates the roles that are missing (when the installer may), records them in genre.roles and grants
    /// each its privileges. Returns a note instead when default-named roles are missing and cannot be
    /// created: GENRE then works for its owner only, as before roles existed.
    func setUp(_ roles: Roles, on connection: PostgresConnection) throws -> String? {
        let installer = try connection.query("SELECT current_user::text").string(0, 0) ?? ""
        // The installer owns everything: revoking and granting its own rights would take them away.
        if let own = roles.byKind.first(where: { $0.name == installer }) {
            throw SchemaError(code: .invalidRole, message: "the \(own.kind) role cannot be \(installer), the role installing GENRE (which owns its tables); name another role")
        }
        var missing: [String] = []
        for (_, name) in roles.byKind where try connection.query("SELECT genre._ensure_role($1)", [name]).bool(0, 0) != true {
            missing.append(name)
        }
        if !missing.isEmpty {
            let user = installer
            let plural = missing.count > 1
            let message = "role\(plural ? "s" : "") \(missing.joined(separator: ", ")) do\(plural ? "" : "es") not exist and \(user) may not create roles (CREATEROLE)"
            if roles.explicit {
                throw SchemaError(code: .missingRole, message: "\(message): create \(plural ? "them" : "it") first, or install as a role with CREATEROLE")
            }
            return "\(message); no privileges granted, so only \(user) can use GENRE. Install as a role with CREATEROLE, or name existing roles with --reader-role, --writer-role, --admin-role and --daemon-role"
        }
        let previous = try connection.query("SELECT role_name::text FROM genre.roles")
        let replaced = Set((0..<previous.rowCount).compactMap { previous.string($0, 0) }).subtracting(roles.byKind.map(\.name))
        for (kind, name) in roles.byKind {
            try connection.query("INSERT INTO genre.roles (kind, role_name) VALUES ($1, $2) ON CONFLICT (kind) DO UPDATE SET role_name = EXCLUDED.role_name, granted_at = now()",
                                 [kind, name])
        }
        // A role that no longer holds a GENRE job keeps nothing of it.
        for name in replaced.sorted() { try connection.query("SELECT genre._revoke_role($1)", [name]) }
        try connection.query("SELECT genre._apply_grants()")
        return nil
    }

    /// Checks that the database holds exactly this binary's schema version and function files (what a
    /// daemon needs to start).
    public func checkCurrent(on connection: PostgresConnection) throws {
        let applied = try appliedMigrations(connection)
        try verify(applied: applied)
        let version = applied.keys.max() ?? 0
        if version == 0 {
            throw SchemaError(code: .notInstalled, message: "GENRE is not installed in this database: run `genre install` first")
        }
        if version < catalog.latestVersion {
            throw SchemaError(code: .olderThanBinary,
                              message: "the database has GENRE schema \(version) but this genre needs \(catalog.latestVersion): run `genre install` to upgrade")
        }
        // Behaviour lives in the function files, which only `genre install` re-applies: the same schema
        // version can still hold another genre's functions.
        let bundle = try connection.query("SELECT checksum, genre_version, installed_at::text FROM genre.function_bundle")
        let installed = bundle.rowCount == 0 ? nil : bundle.string(0, 0)
        if installed != catalog.functionBundleChecksum {
            let what = installed.map { "the functions installed in this database (bundle \($0.prefix(12)), genre \(bundle.string(0, 1) ?? "?") at \(bundle.string(0, 2) ?? "?"))" }
                ?? "the functions installed in this database (no bundle recorded)"
            throw SchemaError(code: .functionsOutdated,
                              message: "\(what) differ from this genre's (bundle \(catalog.functionBundleChecksum.prefix(12)), genre \(GenreVersion.current)): run `genre install` with this genre to update them")
        }
    }

    /// version -> checksum of migrations recorded in the database (empty when GENRE is not installed).
    func appliedMigrations(_ connection: PostgresConnection) throws -> [Int: String] {
        let exists = try connection.query("SELECT to_regclass('genre.schema_migrations') IS NOT NULL")
        guard try exists.bool(0, 0) == true else { return [:] }
        let rows = try connection.query("SELECT version, checksum FROM genre.schema_migrations")
        var applied: [Int: String] = [:]
        for row in 0..<rows.rowCount {
            if let version = try rows.int(row, 0), let checksum = rows.string(row, 1) { applied[version] = checksum }
        }
        return applied
    }

    func verify(applied: [Int: String]) throws {
        if let newest = applied.keys.max(), newest > catalog.latestVersion {
            throw SchemaError(code: .newerThanBinary,
                              message: "the database has GENRE schema \(newest), newer than this genre binary (schema \(catalog.latestVersion)); upgrade genre instead of downgrading the database")
        }
        for migration in catalog.migrations {
            if let checksum = applied[migration.version], checksum != migration.checksum {
                throw SchemaError(code: .checksumMismatch,
                                  message: "migration \(migration.name) differs from the one applied to this database (checksum \(checksum.prefix(12)) vs \(migration.checksum.prefix(12))); released migrations must never be edited — add a new migration instead")
            }
        }
    }
}
