/// Why `genre install` (or a daemon's schema check) refused to go on.
public struct SchemaError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable {
        /// The database holds migrations this binary does not know: it was installed by a newer genre.
        case newerThanBinary
        /// The database is behind this binary: run `genre install`.
        case olderThanBinary
        /// Not installed at all.
        case notInstalled
        /// The schema version is current but the installed function files are another genre's: run `genre install`.
        case functionsOutdated
        /// An applied migration's text differs from this binary's copy.
        case checksumMismatch
        /// The binary's own SQL resources are missing or malformed.
        case missingSQL
        /// A role named for install does not exist and the installer may not create it.
        case missingRole
        /// A role named for install is the installing role itself.
        case invalidRole
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// Process exit code for the CLI: distinct per refusal so scripts can tell them apart.
    public var exitCode: Int32 {
        switch code {
        case .newerThanBinary: return 3
        case .olderThanBinary, .notInstalled, .functionsOutdated: return 4
        case .checksumMismatch: return 5
        case .missingSQL: return 6
        case .missingRole, .invalidRole: return 7
        }
    }
}
