/// An error from PostgreSQL or from talking to it.
///
/// Carries the SQLSTATE (when the server sent one) and a short context naming what GENRE was doing, so a log
/// line says both what failed and why. The description never contains a password: connection URLs are
/// redacted before they are stored here.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        /// Could not open a connection.
        case connect
        /// The connection broke while in use; reconnecting may help.
        case connectionLost
        /// The server refused a statement (syntax, constraint, raised exception ...).
        case query
        /// A COPY could not be started, streamed or finished.
        case copy
        /// A result could not be read as the type asked for.
        case decode
    }

    public var kind: Kind
    /// Five-character SQLSTATE, e.g. "23505"; nil when the failure happened before the server answered.
    public var sqlState: String?
    public var message: String
    public var detail: String?
    public var hint: String?
    /// What GENRE was doing, e.g. "claim users".
    public var context: String?

    public init(kind: Kind, sqlState: String? = nil, message: String, detail: String? = nil,
                hint: String? = nil, context: String? = nil) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
        self.context = context
    }

    /// True when the session is gone and only a new connection can continue: the socket broke, the server
    /// is shutting down (57P01..57P03), or the error is of connection class 08.
    public var isConnectionLoss: Bool {
        if kind == .connectionLost || kind == .connect { return true }
        guard let state = sqlState else { return false }
        return state.hasPrefix("08") || state == "57P01" || state == "57P02" || state == "57P03"
    }

    public var description: String {
        var text = message
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let detail { text += "; detail: \(detail)" }
        if let hint { text += "; hint: \(hint)" }
        if let context { text = "\(context): " + text }
        return text
    }

    /// Removes the password from a `postgresql://user:password@host/db` URL or a `password=...` keyword.
    public static func redact(_ conninfo: String) -> String {
        var text = conninfo
        if let scheme = text.range(of: "://"), let at = text.range(of: "@", range: scheme.upperBound..<text.endIndex),
           let colon = text.range(of: ":", range: scheme.upperBound..<at.lowerBound) {
            text.replaceSubrange(colon.upperBound..<at.lowerBound, with: "***")
        }
        if let keyword = text.range(of: "password=") {
            let rest = text[keyword.upperBound...]
            let end: String.Index
            if rest.first == "'" {
                // A quoted keyword value ends at the next unescaped quote: password='a b' hides "a b" too.
                var index = rest.index(after: rest.startIndex)
                while index < rest.endIndex && rest[index] != "'" {
                    index = rest[index] == "\\" ? rest.index(index, offsetBy: 2, limitedBy: rest.endIndex) ?? rest.endIndex : rest.index(after: index)
                }
                end = index < rest.endIndex ? rest.index(after: index) : rest.endIndex
            } else {
                end = rest.firstIndex(where: { $0 == " " || $0 == "&" }) ?? text.endIndex
            }
            text.replaceSubrange(keyword.upperBound..<end, with: "***")
        }
        return text
    }
}
