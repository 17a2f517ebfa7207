import Foundation
import GenrePostgres
import GenreRecommend
import GenreSettings

/// The effective settings the daemon works with, read in one query from genre.current_settings: the
/// model settings (shared with `genre eval`) plus the daemon's own (schedules, queues, storage), each read
/// from validated values in `init(values:)`.
public struct DaemonSettings: Sendable, Equatable {
    public private(set) var model: RecommenderSettings
    public private(set) var storedK: Int
    public private(set) var rebuildIntervalSeconds: Double
    public private(set) var rebuildAfterEvents: Int
    public private(set) var minRebuildGapSeconds: Double
    public private(set) var pollIntervalSeconds: Double
    public private(set) var leaseSeconds: Double
    public private(set) var maxAttempts: Int
    public private(set) var embeddingEnabled: Bool
    /// A provider's embeddings endpoint instead of the in-process model ("" = in process).
    public private(set) var embeddingProvider: String
    /// Generative tasks and provider defaults.
    public private(set) var llm: LanguageModelSettings
    /// A named scenario: the model settings with its overrides applied.
    public struct Scenario: Sendable, Equatable {
        public var name: String
        public var model: RecommenderSettings
    }
    /// Named scenarios, by name.
    public var scenarios: [Scenario] = []
    /// Hash of every setting whose change requires a rebuild or re-rank; a build records the one it used.
    public var modelFingerprint = ""
    /// How event types read in reasons, from genre._event_verbs() (the one definition genre.explain uses too).
    public var phrases = EventPhrases(verbs: [:], fallback: "interacted with")
    /// Stored values this binary cannot apply (the catalogue accepted them: SQL and Swift disagree). Their
    /// defaults are used meanwhile; the heartbeat reports these as a failure of "settings" in genre.status().
    public var problems: [String] = []

    /// The catalogue's defaults.
    public init() {
        do { try self.init(values: SettingsCatalogue.defaults) } catch { preconditionFailure("SettingsCatalogue defaults are invalid: \(error)") }
    }

    /// Every daemon setting read from validated values: the one place a key meets its property.
    public init(values v: SettingValues) throws {
        model = try RecommenderSettings(values: v)
        storedK = v.integer("recommend.stored_k")
        rebuildIntervalSeconds = v.number("model.rebuild_interval_seconds")
        rebuildAfterEvents = v.integer("model.rebuild_after_events")
        minRebuildGapSeconds = v.number("model.min_rebuild_gap_seconds")
        pollIntervalSeconds = v.number("daemon.poll_interval_seconds")
        leaseSeconds = v.number("queue.lease_seconds")
        maxAttempts = v.integer("queue.max_attempts")
        embeddingEnabled = v.boolean("embedding.enabled")
        embeddingProvider = v.string("embedding.provider")
        llm = LanguageModelSettings(values: v)
    }

    /// Builds a user's history with the exclusion rules of these settings.
    func history(_ groups: [UserHistory.EventGroup], now: Double) -> UserHistory {
        model.history(groups, now: now)
    }

    public static func load(_ connection: PostgresConnection) throws -> DaemonSettings {
        let rows = try connection.query("SELECT key, value::text, genre._model_fingerprint() FROM genre.current_settings")
        var values = SettingsCatalogue.defaults
        var problems: [String] = []
        var fingerprint = ""
        for row in 0..<rows.rowCount {
            guard let key = rows.string(row, 0), let text = rows.string(row, 1) else { continue }
            fingerprint = rows.string(row, 2) ?? ""
            // Keys only SQL reads (and keys of a newer catalogue) are not this binary's to check.
            guard let definition = SettingsCatalogue.byKey[key], definition.reader != .database else { continue }
            do {
                try values.set(key, json: text)
            } catch {
                problems.append("setting \(key) = \(text.prefix(100)) cannot be applied (\(error)); its default is used")
            }
        }
        var settings: DaemonSettings
        do {
            settings = try DaemonSettings(values: values)
        } catch {
            problems.append("the stored settings cannot be applied together (\(error)); the defaults are used")
            settings = DaemonSettings()
        }
        settings.problems = problems
        settings.modelFingerprint = fingerprint
        settings.phrases = try loadPhrases(connection)
        let scenarios = try connection.query("SELECT name, overrides::text FROM genre.scenarios ORDER BY name")
        for row in 0..<scenarios.rowCount {
            guard let name = scenarios.string(row, 0), let text = scenarios.string(row, 1),
                  case .object(let overrides) = SettingValue.parse(text) else { continue }
            var model = settings.model
            // Overrides of keys only SQL reads (rerank.weight) are SQL's to apply.
            for (key, value) in overrides.sorted(by: { $0.key < $1.key }) where SettingsCatalogue.byKey[key]?.reader != .database {
                // Validated by the scenarios trigger.
                do {
                    try model.apply(key: key, value: value)
                } catch {
                    settings.problems.append("scenario \(name) override \(key) cannot be applied (\(error)); the default scenario's value is used")
                }
            }
            settings.scenarios.append(Scenario(name: name, model: model))
        }
        return settings
    }

    /// genre._event_verbs(): {"purchase": "bought", …, "*": fallback}.
    static func loadPhrases(_ connection: PostgresConnection) throws -> EventPhrases {
        let text = try connection.query("SELECT genre._event_verbs()::text").string(0, 0) ?? "{}"
        guard var verbs = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String], let fallback = verbs["*"] else {
            throw PostgresError(kind: .decode, message: "genre._event_verbs() is not an object of event: verb with a \"*\" fallback",
                                context: "read event phrases")
        }
        verbs["*"] = nil
        return EventPhrases(verbs: verbs, fallback: fallback)
    }

    /// The default scenario (the settings themselves) followed by every named scenario.
    var variants: [Scenario] { [Scenario(name: "default", model: model)] + scenarios }
}
