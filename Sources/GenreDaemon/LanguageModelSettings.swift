import Foundation
import GenreLLM
import GenrePostgres
import GenreSettings
import GenreSupport

/// The settings of the generative tasks and the providers they name, read from validated values like
/// DaemonSettings (llm.*, features.*, profile.*, explain.*, rerank.*, and the provider.* defaults each provider's options override).
public struct LanguageModelSettings: Sendable, Equatable {
    public private(set) var defaultProvider: String
    public private(set) var featuresEnabled: Bool
    public private(set) var featuresProvider: String
    public private(set) var featuresSchema: JSONValue
    public private(set) var featuresMaxTokens: Int
    public private(set) var profileEnabled: Bool
    public private(set) var profileProvider: String
    public private(set) var profileRefreshAfterEvents: Int
    public private(set) var profileRefreshIntervalHours: Double
    public private(set) var profileHistoryTokens: Int
    public private(set) var profileMaxInterests: Int
    public private(set) var profileMaxTokens: Int
    public private(set) var explainTopK: Int
    public private(set) var rerankMode: String
    public private(set) var rerankProvider: String
    public private(set) var rerankMaxTokens: Int
    public private(set) var explainProvider: String
    /// The provider.* settings: defaults of every provider's options.
    public private(set) var providerDefaults: SettingValues

    public init(values v: SettingValues) {
        defaultProvider = v.string("llm.provider")
        featuresEnabled = v.boolean("features.enabled")
        featuresProvider = v.string("features.provider")
        featuresSchema = v["features.schema"] ?? .null
        featuresMaxTokens = v.integer("features.max_tokens")
        profileEnabled = v.boolean("profile.enabled")
        profileProvider = v.string("profile.provider")
        profileRefreshAfterEvents = v.integer("profile.refresh_after_events")
        profileRefreshIntervalHours = v.number("profile.refresh_interval_hours")
        profileHistoryTokens = v.integer("profile.history_tokens")
        profileMaxInterests = v.integer("profile.max_interests")
        profileMaxTokens = v.integer("profile.max_tokens")
        explainTopK = v.integer("explain.llm_top_k")
        rerankMode = v.string("rerank.mode")
        rerankProvider = v.string("rerank.provider")
        rerankMaxTokens = v.integer("rerank.max_tokens")
        explainProvider = v.string("explain.provider")
        providerDefaults = v
    }

    /// The provider item understanding uses ("" = none).
    public var featuresProviderName: String { featuresProvider.isEmpty ? defaultProvider : featuresProvider }
    /// The provider user profiles use ("" = none).
    public var profileProviderName: String { profileProvider.isEmpty ? defaultProvider : profileProvider }
    /// The provider the re-ranking stage uses ("" = none).
    public var rerankProviderName: String { rerankProvider.isEmpty ? defaultProvider : rerankProvider }
    /// The provider grounded explanations use ("" = none).
    public var explainProviderName: String { explainProvider.isEmpty ? defaultProvider : explainProvider }

    /// A provider row's options over the provider.* settings; an option this binary cannot read keeps the
    /// setting's value and is reported.
    public func options(_ overrides: [String: JSONValue], problems: inout [String]) -> Provider.Options {
        var v = providerDefaults
        for (name, value) in overrides.sorted(by: { $0.key < $1.key }) {
            do { try v.set("provider.\(name)", value) } catch { problems.append("provider option \(name): \(error)") }
        }
        return Provider.Options(
            timeoutSeconds: v.number("provider.timeout_seconds"), concurrency: v.integer("provider.concurrency"),
            requestsPerMinute: v.integer("provider.requests_per_minute"), tokensPerMinute: v.integer("provider.tokens_per_minute"),
            tokensPerDay: v.integer("provider.tokens_per_day"),
            retries: v.integer("provider.retries"), maxResponseBytes: v.integer("provider.max_response_bytes"),
            pauseAfterFailures: v.integer("provider.pause_after_failures"), pauseSeconds: v.number("provider.pause_seconds"),
            structuredOutput: Provider.StructuredOutput(rawValue: v.string("provider.structured_output")) ?? .jsonSchema)
    }

    /// Every row of genre.providers with its effective options.
    public func providers(_ db: PostgresConnection, problems: inout [String]) throws -> [String: Provider] {
        let rows = try db.query("SELECT name, kind, base_url, model, api_key_env, options::text FROM genre.providers")
        var out: [String: Provider] = [:]
        for row in 0..<rows.rowCount {
            guard let name = rows.string(row, 0), let kind = rows.string(row, 1).flatMap(Provider.Kind.init(rawValue:)),
                  let url = rows.string(row, 2).flatMap(URL.init(string:)), let model = rows.string(row, 3) else {
                problems.append("provider row \(rows.string(row, 0) ?? "?") cannot be read")
                continue
            }
            let overrides = rows.string(row, 5).flatMap(JSONValue.strict)?.object ?? [:]
            out[name] = Provider(name: name, kind: kind, baseURL: url, model: model, apiKeyEnv: rows.string(row, 4),
                                 options: options(overrides, problems: &problems))
        }
        return out
    }
}
