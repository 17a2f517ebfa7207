import Foundation

/// Why a provider call failed. Messages never contain an API key: a provider's own error text is shortened
/// and has the key blanked out before it is kept (ProviderClient.redact).
public enum ProviderError: Error, Equatable, CustomStringConvertible {
    /// The circuit breaker holds requests back until `until` after failures in a row.
    case paused(provider: String, until: Date, lastError: String)
    /// The environment variable named by api_key_env is not set in the daemon's environment.
    case missingKey(provider: String, variable: String)
    /// An HTTP status that is not worth retrying, or the last of the retries.
    case http(provider: String, status: Int, message: String)
    case transport(provider: String, HTTPTransport.Failure)
    /// A 2xx answer not in the provider's documented shape.
    case malformed(provider: String, String)
    /// The daemon is stopping: the request was abandoned (not the provider's fault).
    case cancelled

    public var description: String {
        switch self {
        case .paused(let provider, let until, let lastError):
            return "provider \(provider) is paused until \(ISO8601DateFormatter().string(from: until)) after failing repeatedly (last: \(lastError))"
        case .missingKey(let provider, let variable):
            return "provider \(provider): environment variable \(variable) (api_key_env) is not set for the daemon"
        case .http(let provider, let status, let message):
            return "provider \(provider) answered HTTP \(status): \(message)"
        case .transport(let provider, let failure):
            return "provider \(provider): \(failure)"
        case .malformed(let provider, let message):
            return "provider \(provider) sent an answer GENRE cannot read: \(message)"
        case .cancelled:
            return "cancelled: the daemon is stopping"
        }
    }

    /// Whether the failure says something about the provider (counts towards pausing it): the endpoint is
    /// down, slow, unreachable, garbled, or refuses every request (bad key, no such model or path). A 400 or
    /// 422 is about one request (too long, refused content) and must not pause the provider for everyone.
    public var isProviderFault: Bool {
        switch self {
        case .http(_, let status, _): return !(400..<500).contains(status) || [401, 403, 404, 408, 425, 429].contains(status)
        case .transport, .malformed: return true
        case .paused, .missingKey, .cancelled: return false
        }
    }
}
