import Foundation
import GenrePostgres
import GenreRecommend

/// The effective settings the daemon works with, read in one query from genre.current_settings: the
/// model settings (shared with `genre eval`) plus the daemon's own (schedules, queues, storage).
public struct DaemonSettings: Sendable, Equatable {
    public var model = RecommenderSettings()
    public var storedK = 100
    public var rebuildIntervalSeconds = 600.0
    public var rebuildAfterEvents = 1000
    public var minRebuildGapSeconds = 60.0
    public var pollIntervalSeconds = 5.0
    public var leaseSeconds = 60.0
    public var maxAttempts = 5
    public var embeddingEnabled = true
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

    public init() {}

    /// Builds a user's history with the exclusion rules of these settings.
    func history(_ groups: [UserHistory.EventGroup], now: Double) -> UserHistory {
        model.history(groups, now: now)
    }

    public static func load(_ connection: PostgresConnection) throws -> DaemonSettings {
        let rows = try connection.query("SELECT key, value::text, requires, genre._model_fingerprint() FROM genre.current_settings")
        var settings = DaemonSettings()
        for row in 0..<rows.rowCount {
            guard let key = rows.string(row, 0), let text = rows.string(row, 1) else { continue }
            settings.modelFingerprint = rows.string(row, 3) ?? ""
            if RecommenderSettings.keys.contains(key) {
                do {
                    try settings.model.apply(key: key, json: text)
                } catch {
                    settings.problems.append("setting \(key) = \(text.prefix(100)) cannot be applied (\(error)); its default is used")
                }
                continue
            }
            let number = Double(text.trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
            switch key {
            case "recommend.stored_k": settings.storedK = number.map { Int($0) } ?? settings.storedK
            case "model.rebuild_interval_seconds": settings.rebuildIntervalSeconds = number ?? settings.rebuildIntervalSeconds
            case "model.rebuild_after_events": settings.rebuildAfterEvents = number.map { Int($0) } ?? settings.rebuildAfterEvents
            case "model.min_rebuild_gap_seconds": settings.minRebuildGapSeconds = number ?? settings.minRebuildGapSeconds
            case "daemon.poll_interval_seconds": settings.pollIntervalSeconds = number ?? settings.pollIntervalSeconds
            case "queue.lease_seconds": settings.leaseSeconds = number ?? settings.leaseSeconds
            case "queue.max_attempts": settings.maxAttempts = number.map { Int($0) } ?? settings.maxAttempts
            case "embedding.enabled": settings.embeddingEnabled = text == "true"
            default: break
            }
        }
        settings.phrases = try loadPhrases(connection)
        let scenarios = try connection.query("SELECT name, overrides::text FROM genre.scenarios ORDER BY name")
        for row in 0..<scenarios.rowCount {
            guard let name = scenarios.string(row, 0), let text = scenarios.string(row, 1), let data = text.data(using: .utf8),
                  let overrides = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { continue }
            var model = settings.model
            for (key, value) in overrides.sorted(by: { $0.key < $1.key }) {
                // Validated by the scenarios trigger; re-serialised because values may be objects.
                do {
                    let json = String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]), as: UTF8.self)
                    try model.apply(key: key, json: json)
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
