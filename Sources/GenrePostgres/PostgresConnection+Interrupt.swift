import CLibPQ
#if canImport(Glibc)
import Glibc
#endif

/// Waiting for the server without ever blocking past a shutdown.
///
/// A service's statements run with `PQsend…` and this wait instead of `PQexec`, which blocks in the kernel
/// until the server answers: a refresh, a fold of a large backlog or a lock wait could otherwise hold a
/// stopping daemon for as long as the server takes. The wait polls the socket together with the
/// connection's `interruptFD` (the daemon's shutdown pipe). Once that becomes readable, a statement still
/// running after `interruptGraceSeconds` is cancelled on the server (`PQcancel`) and fails with SQLSTATE
/// 57014; short statements issued while stopping (giving back claims, recording a stop) finish normally.
extension PostgresConnection {
    /// Collects every result of the statement just sent, waiting interruptibly. Like `PQexec`, returns the
    /// last result, or the first error if any statement failed; the caller frees it.
    func awaitResult(context: String) -> OpaquePointer? {
        waitUntilReadable(context: context)
        var kept: OpaquePointer?
        while let result = PQgetResult(handle) {
            let status = PQresultStatus(result)
            if let previous = kept, PQresultStatus(previous) == PGRES_FATAL_ERROR {
                PQclear(result)
            } else {
                if let previous = kept { PQclear(previous) }
                kept = result
            }
            // COPY hands the connection over to the caller: no further result until it ends.
            if status == PGRES_COPY_IN || status == PGRES_COPY_OUT { break }
            waitUntilReadable(context: context)
        }
        return kept
    }

    /// Returns once libpq can hand over a result without blocking (or the connection broke: then
    /// `PQgetResult` reports it).
    func waitUntilReadable(context: String) {
        var cancelled = false
        var interruptedAt: Double?
        while PQconsumeInput(handle) == 1 && PQisBusy(handle) == 1 {
            let socket = PQsocket(handle)
            guard socket >= 0 else { return }
            var fds = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0)]
            if let interruptFD, !cancelled { fds.append(pollfd(fd: interruptFD, events: Int16(POLLIN), revents: 0)) }
            let timeout: Int32 = interruptedAt == nil ? 1000 : 100
            let outcome = fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), timeout) }
            if outcome < 0 && errno != EINTR { return }
            guard !cancelled, fds.count > 1, fds[1].revents & Int16(POLLIN) != 0 else { continue }
            let now = Self.monotonicSeconds()
            if interruptedAt == nil { interruptedAt = now }
            if now - interruptedAt! >= interruptGraceSeconds {
                cancelled = true
                sendCancel()
            }
        }
    }

    /// Asks the server to cancel the running statement (on a separate connection, as libpq does).
    func sendCancel() {
        guard let cancel = PQgetCancel(handle) else { return }
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(cancel, &buffer, Int32(buffer.count))
        PQfreeCancel(cancel)
    }

    static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
