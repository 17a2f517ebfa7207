import Foundation
import GenreSupport
import Synchronization

/// Each service's health as this daemon sees it: when a step last ended, last succeeded, last failed and
/// why, and how many steps in a row failed. Services report here (through `ServiceLoop`, or `fail` for a
/// problem that is not an exception, such as a missing model); the heartbeat service copies it to
/// genre.service_health, where genre.status() turns it into `ok` or `degraded: <reason>`.
public final class ServiceHealth: Sendable {
    public struct Record: Sendable {
        public var stepAt: Date?
        public var lastSuccessAt: Date?
        public var lastError: String?
        public var lastErrorAt: Date?
        public var consecutiveFailures = 0
        /// Set by `fail` during a step, so the step's end does not count it a success.
        var failedThisStep = false
    }

    private let records = Mutex<[String: Record]>([:])
    private let flips = Mutex(0)

    /// Counts every time a service turned failing or recovered, so the heartbeat reports that at once
    /// instead of at its next interval.
    public var transitions: Int { flips.withLock { $0 } }

    public init() {}

    /// Makes the service visible before its first step ends.
    public func register(_ service: String) {
        records.withLock { if $0[service] == nil { $0[service] = Record() } }
    }

    public func stepStarted(_ service: String) {
        records.withLock { $0[service, default: Record()].failedThisStep = false }
    }

    /// A step ended without throwing: a success unless the service reported a problem during it.
    public func stepEnded(_ service: String) {
        records.withLock { all in
            var record = all[service, default: Record()]
            record.stepAt = Date()
            if !record.failedThisStep {
                if record.consecutiveFailures > 0 { flips.withLock { $0 += 1 } }
                record.lastSuccessAt = record.stepAt
                record.consecutiveFailures = 0
            }
            all[service] = record
        }
    }

    /// A failed step (or a problem found during one). The message must be safe to show (no secrets):
    /// `PostgresError` descriptions are.
    public func fail(_ service: String, _ message: String) {
        records.withLock { all in
            var record = all[service, default: Record()]
            guard !record.failedThisStep else { return }  // one failure per step
            record.failedThisStep = true
            record.stepAt = Date()
            record.lastError = message
            record.lastErrorAt = record.stepAt
            record.consecutiveFailures += 1
            if record.consecutiveFailures == 1 { flips.withLock { $0 += 1 } }
            all[service] = record
        }
    }

    public subscript(service: String) -> Record? { records.withLock { $0[service] } }

    /// The records as the JSON array genre._report_services takes.
    public var json: String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        func time(_ date: Date?) -> String { date.map { JSONText.quote(formatter.string(from: $0)) } ?? "null" }
        let rows = records.withLock { $0.sorted { $0.key < $1.key } }.map { service, r in
            "{\"service\":\(JSONText.quote(service)),\"step_at\":\(time(r.stepAt)),\"last_success_at\":\(time(r.lastSuccessAt)),"
                + "\"last_error\":\(r.lastError.map(JSONText.quote) ?? "null"),\"last_error_at\":\(time(r.lastErrorAt)),"
                + "\"consecutive_failures\":\(r.consecutiveFailures)}"
        }
        return "[" + rows.joined(separator: ",") + "]"
    }
}
