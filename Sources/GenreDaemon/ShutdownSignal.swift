import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A one-way "stop now" flag that can also wake a thread blocked in `poll()`: triggering it writes a byte
/// to a pipe whose read end every waiting service includes in its poll set.
public final class ShutdownSignal: Sendable {
    private let flag = Atomic<Bool>(false)
    /// Read end of the wake-up pipe; readable once triggered.
    public let fileDescriptor: Int32
    private let writeEnd: Int32

    public init() {
        var fds: [Int32] = [0, 0]
        precondition(pipe(&fds) == 0, "cannot create the shutdown pipe")
        fileDescriptor = fds[0]
        writeEnd = fds[1]
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
    }

    deinit {
        close(fileDescriptor)
        close(writeEnd)
    }

    public var isTriggered: Bool { flag.load(ordering: .acquiring) }

    public func trigger() {
        if flag.exchange(true, ordering: .acquiringAndReleasing) { return }
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Sleeps up to `seconds`; returns false (early) if shutdown was triggered.
    @discardableResult
    public func sleep(_ seconds: Double) -> Bool {
        if isTriggered { return false }
        var fd = pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)
        _ = poll(&fd, 1, Int32(max(0, seconds) * 1000))
        return !isTriggered
    }
}
