import Foundation
import GenrePostgres
import GenreRecommend

/// The effective settings the daemon works with, read in one query from genre.current_settings.
public struct DaemonSettings: Sendable, Equatable {
    public var eventWeights = EventWeights.defaults
    public var popularityHalfLifeDays = 30.0
    public var neighborsPerItem = 50
    public var shrinkage = 2.0
    public var storedK = 100
    public var historyItems = 200
    public var excludeSeen = true
    public var rebuildIntervalSeconds = 600.0
    public var rebuildAfterEvents = 1000
    public var pollIntervalSeconds = 5.0
    public var leaseSeconds = 60.0
    public var maxAttempts = 5
    public var embeddingEnabled = true
    public var contentWeight: Float = 0.5
    public var blend = BlendWeights.defaults
    public var interestTextWeight = 3.0
    public var interestHalfLifeDays = 90.0
    public var diversityLambda: Float = 0.9
    /// Seconds after which a seen item may come back (recommend.reshow_after_days; nil = never).
    public var reshowAfterSeconds: Double?
    public var categoryBoosts: [String: Float] = [:]
    /// Hash of every setting whose change requires a rebuild or re-rank; a build records the one it used.
    public var modelFingerprint = ""

    public init() {}

    /// Builds a user's history with the exclusion rules of these settings.
    func history(_ groups: [GenreRecommend.UserHistory.EventGroup], now: Double) -> UserHistory {
        UserHistory(entries: UserHistory.entries(from: groups, weights: eventWeights), limit: historyItems,
                    reshowAfter: reshowAfterSeconds, now: now)
    }

    public static func load(_ connection: PostgresConnection) throws -> DaemonSettings {
        let rows = try connection.query("SELECT key, value::text, requires, genre._model_fingerprint() FROM genre.current_settings")
        var settings = DaemonSettings()
        for row in 0..<rows.rowCount {
            guard let key = rows.string(row, 0), let text = rows.string(row, 1) else { continue }
            settings.modelFingerprint = rows.string(row, 3) ?? ""
            let number = Double(text.trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
            switch key {
            case "event.weights":
                if let data = text.data(using: .utf8),
                   let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
                    settings.eventWeights = EventWeights(object.compactMapValues { ($0 as? NSNumber)?.doubleValue })
                }
            case "popularity.half_life_days": settings.popularityHalfLifeDays = number ?? settings.popularityHalfLifeDays
            case "cooccurrence.neighbors": settings.neighborsPerItem = number.map { Int($0) } ?? settings.neighborsPerItem
            case "cooccurrence.shrinkage": settings.shrinkage = number ?? settings.shrinkage
            case "recommend.stored_k": settings.storedK = number.map { Int($0) } ?? settings.storedK
            case "recommend.history_items": settings.historyItems = number.map { Int($0) } ?? settings.historyItems
            case "recommend.exclude_seen": settings.excludeSeen = text == "true"
            case "model.rebuild_interval_seconds": settings.rebuildIntervalSeconds = number ?? settings.rebuildIntervalSeconds
            case "model.rebuild_after_events": settings.rebuildAfterEvents = number.map { Int($0) } ?? settings.rebuildAfterEvents
            case "daemon.poll_interval_seconds": settings.pollIntervalSeconds = number ?? settings.pollIntervalSeconds
            case "queue.lease_seconds": settings.leaseSeconds = number ?? settings.leaseSeconds
            case "queue.max_attempts": settings.maxAttempts = number.map { Int($0) } ?? settings.maxAttempts
            case "embedding.enabled": settings.embeddingEnabled = text == "true"
            case "similar.content_weight": settings.contentWeight = number.map { Float($0) } ?? settings.contentWeight
            case "blend.weights":
                if let data = text.data(using: .utf8), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
                    func weight(_ key: String, _ fallback: Float) -> Float { (object[key] as? NSNumber)?.floatValue ?? fallback }
                    settings.blend = BlendWeights(cooccurrence: weight("cooccurrence", settings.blend.cooccurrence),
                                                  content: weight("content", settings.blend.content),
                                                  popularity: weight("popularity", settings.blend.popularity))
                }
            case "interest.text_weight": settings.interestTextWeight = number ?? settings.interestTextWeight
            case "interest.half_life_days": settings.interestHalfLifeDays = number ?? settings.interestHalfLifeDays
            case "diversity.lambda": settings.diversityLambda = number.map { Float($0) } ?? settings.diversityLambda
            case "recommend.reshow_after_days": settings.reshowAfterSeconds = number.flatMap { $0 > 0 ? $0 * 86_400 : nil }
            case "recommend.category_boosts":
                if let data = text.data(using: .utf8), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
                    settings.categoryBoosts = object.compactMapValues { ($0 as? NSNumber)?.floatValue }
                }
            default: break
            }
        }
        return settings
    }
}
