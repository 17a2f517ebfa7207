import CLibPQ
#if canImport(Glibc)
import Glibc
#endif

/// A NOTIFY received on a channel this connection listens to.
public struct PostgresNotification: Sendable, Equatable {
    public var channel: String
    public var payload: String
    public var senderPID: Int32
}

extension PostgresConnection {
    /// Starts listening on `channel`. Channel names are identifiers, so they are validated, never quoted in.
    public func listen(_ channel: String) throws {
        guard Self.isPlainIdentifier(channel) else {
            throw PostgresError(kind: .query, message: "channel name \(channel.debugDescription) is not a plain identifier",
                                context: "LISTEN")
        }
        try query("LISTEN \(channel)")
    }

    static func isPlainIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 63,
              first == "_" || ("a"..."z").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("0"..."9").contains($0) }
    }

    /// Notifications already received and buffered by libpq, without waiting.
    public func pendingNotifications() throws -> [PostgresNotification] {
        guard PQconsumeInput(handle) == 1 else {
            throw makeError(nil, kind: .connectionLost, context: "read notifications")
        }
        var received: [PostgresNotification] = []
        while let notify = PQnotifies(handle) {
            let n = notify.pointee
            received.append(PostgresNotification(channel: String(cString: n.relname), payload: String(cString: n.extra),
                                                 senderPID: n.be_pid))
            PQfreemem(notify)
        }
        return received
    }

    /// Waits up to `timeout` seconds for a notification, returning early if `wakeFD` becomes readable
    /// (the daemon's shutdown pipe). Uses `poll()` on the connection's socket, so no thread spins.
    public func waitForNotifications(timeout: Double, wakeFD: Int32? = nil) throws -> [PostgresNotification] {
        let ready = try pendingNotifications()
        if !ready.isEmpty { return ready }
        let socket = PQsocket(handle)
        guard socket >= 0 else { throw makeError(nil, kind: .connectionLost, context: "wait for notifications") }
        var fds = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0)]
        if let wakeFD { fds.append(pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)) }
        let millis = Int32(max(0, min(timeout, 86_400)) * 1000)
        let outcome = fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), millis) }
        if outcome < 0 && errno != EINTR {
            throw PostgresError(kind: .connectionLost, message: "poll failed with errno \(errno)", context: "wait for notifications")
        }
        return try pendingNotifications()
    }

    /// Waits up to `timeout` seconds for a notification that `matches`, ignoring others; returns early when
    /// one arrives or `wakeFD` becomes readable. For a service that wakes for one payload among many.
    public func waitForNotification(timeout: Double, wakeFD: Int32? = nil, matching matches: (PostgresNotification) -> Bool) throws {
        let deadline = Self.monotonicSeconds() + timeout
        while true {
            let remaining = deadline - Self.monotonicSeconds()
            if remaining <= 0 { return }
            if try waitForNotifications(timeout: remaining, wakeFD: wakeFD).contains(where: matches) { return }
            if let wakeFD {
                var fd = pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)
                if poll(&fd, 1, 0) > 0 { return }
            }
        }
    }
}
