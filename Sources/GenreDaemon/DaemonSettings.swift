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
    public var pollIntervalSeconds = 5.0
    public var leaseSeconds = 60.0
    public var maxAttempts = 5
    public var embeddingEnabled = true
    public var freshnessHalfLifeDays = 14.0
    /// Hash of every setting whose change requires a rebuild or re-rank; a build records the one it used.
    public var modelFingerprint = ""

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
                // The catalogue validated the value on write; a value this build cannot read keeps the default.
                try? settings.model.apply(key: key, json: text)
                continue
            }
            let number = Double(text.trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
            switch key {
            case "recommend.stored_k": settings.storedK = number.map { Int($0) } ?? settings.storedK
            case "model.rebuild_interval_seconds": settings.rebuildIntervalSeconds = number ?? settings.rebuildIntervalSeconds
            case "model.rebuild_after_events": settings.rebuildAfterEvents = number.map { Int($0) } ?? settings.rebuildAfterEvents
            case "daemon.poll_interval_seconds": settings.pollIntervalSeconds = number ?? settings.pollIntervalSeconds
            case "queue.lease_seconds": settings.leaseSeconds = number ?? settings.leaseSeconds
            case "queue.max_attempts": settings.maxAttempts = number.map { Int($0) } ?? settings.maxAttempts
            case "embedding.enabled": settings.embeddingEnabled = text == "true"
            case "recommend.freshness_half_life_days": settings.freshnessHalfLifeDays = number ?? settings.freshnessHalfLifeDays
            default: break
            }
        }
        return settings
    }
}
