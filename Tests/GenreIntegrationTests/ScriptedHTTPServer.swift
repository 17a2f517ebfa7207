import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One request as the scripted server received it.
struct ScriptedRequest: Sendable {
    let method: String
    /// The request target exactly as sent (path and any query).
    let path: String
    /// Header names lower-cased; a repeated header's values are joined with ", ".
    let headers: [String: String]
    /// The body, decoded if it came with `Transfer-Encoding: chunked`.
    let body: Data
    /// The body parsed as JSON, or nil when it is empty or not JSON.
    var json: Any? { body.isEmpty ? nil : try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) }
    /// The body as UTF-8 text.
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// What the server does with one request. Every response carries `Connection: close`, and the connection is
/// closed after it.
enum ScriptedResponse: Sendable {
    /// A complete response; `Content-Length` is set. Headers given here override the server's defaults
    /// (compared case-insensitively), so a test can send a wrong `Content-Length` on purpose.
    case respond(status: Int, headers: [String: String] = [:], body: String)
    /// A complete response whose body is JSON text, with `Content-Type: application/json`.
    case json(status: Int = 200, _ object: String, headers: [String: String] = [:])
    /// The status line and headers (with the full `Content-Length`) at once, then the body `bytesPerChunk`
    /// UTF-8 bytes at a time with `interval` seconds before each chunk after the first.
    case trickle(status: Int = 200, body: String, bytesPerChunk: Int, interval: Double)
    /// Reads the request, then sends nothing for `seconds` (or until `stop()`), then closes the connection.
    case hang(seconds: Double)
    /// Closes the connection as soon as the request has been read, without a response.
    case close
}

/// A small HTTP/1.1 server on 127.0.0.1 for injecting faults into HTTP clients in tests: each request is
/// recorded and answered by the script, which sees the request and its 0-based index among all requests the
/// server has received. One thread accepts; each connection gets its own thread and carries one request.
///
/// Plain POSIX sockets; no dependencies. `stop()` (also run by `deinit`) shuts the listening socket down so a
/// blocked `accept()` returns, shuts down every open connection, wakes any `.hang`/`.trickle` waits, and waits
/// at most about two seconds for the threads; it never blocks a test for longer.
final class ScriptedHTTPServer: @unchecked Sendable {
    enum Failure: Error, CustomStringConvertible {
        case socket(String, Int32)
        var description: String {
            switch self {
            case .socket(let call, let code): "\(call) failed: \(String(cString: strerror(code))) (errno \(code))"
            }
        }
    }

    let port: Int
    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }
    /// Every request received, in order of arrival (a copy).
    var requests: [ScriptedRequest] { core.recordedRequests() }

    private let core: Core

    init(_ script: @escaping @Sendable (ScriptedRequest, Int) -> ScriptedResponse) throws {
        let fd = try Socket.boundLoopback()
        guard listen(fd, 64) == 0 else {
            let code = errno
            _ = close(fd)
            throw Failure.socket("listen", code)
        }
        let port: Int
        do { port = try Socket.localPort(fd) } catch { _ = close(fd); throw error }
        self.port = port
        core = Core(listenFD: fd, script: script)
        let core = self.core
        let acceptor = Thread { core.acceptLoop() }
        acceptor.name = "ScriptedHTTPServer accept :\(port)"
        acceptor.start()
    }

    deinit { core.stop() }

    /// Stops accepting, ends every open connection and waits briefly for their threads. Idempotent.
    func stop() { core.stop() }

    /// A loopback port on which nothing listens, so a connection to it is refused: a socket is bound to an
    /// ephemeral port and closed without listening. (Another process could take the port in between; on a test
    /// machine that is vanishingly unlikely.)
    static func refusedPort() throws -> Int {
        let fd = try Socket.boundLoopback()
        defer { _ = close(fd) }
        return try Socket.localPort(fd)
    }
}

// MARK: - Sockets

private enum Socket {
    #if canImport(Glibc)
    static let stream = Int32(SOCK_STREAM.rawValue)
    static let noSignal = Int32(MSG_NOSIGNAL)
    #else
    static let stream = SOCK_STREAM
    static let noSignal: Int32 = 0
    #endif
    static let shutdownBoth = Int32(SHUT_RDWR)
    static let shutdownWrite = Int32(SHUT_WR)

    /// A TCP socket with SO_REUSEADDR bound to 127.0.0.1 on an ephemeral port.
    static func boundLoopback() throws -> Int32 {
        let fd = socket(AF_INET, stream, 0)
        guard fd >= 0 else { throw ScriptedHTTPServer.Failure.socket("socket", errno) }
        var one: Int32 = 1
        guard setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            let code = errno
            _ = close(fd)
            throw ScriptedHTTPServer.Failure.socket("setsockopt(SO_REUSEADDR)", code)
        }
        #if canImport(Darwin)
        _ = setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(0)
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            let code = errno
            _ = close(fd)
            throw ScriptedHTTPServer.Failure.socket("bind", code)
        }
        return fd
    }

    static func localPort(_ fd: Int32) throws -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { throw ScriptedHTTPServer.Failure.socket("getsockname", errno) }
        return Int(in_port_t(bigEndian: address.sin_port))
    }

    static func setReceiveTimeout(_ fd: Int32, seconds: Double) {
        var tv = timeval()
        tv.tv_sec = .init(seconds)
        tv.tv_usec = .init((seconds - seconds.rounded(.towardZero)) * 1_000_000)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends all of `bytes`; false if the peer has gone (no SIGPIPE: MSG_NOSIGNAL).
    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, bytes.count - sent, noSignal) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            sent += n
        }
        return true
    }
}

// MARK: - The server's state and threads

/// Everything the threads share. Separate from `ScriptedHTTPServer` so that the threads do not keep the server
/// alive and `deinit` can stop them.
private final class Core: @unchecked Sendable {
    let listenFD: Int32
    let script: @Sendable (ScriptedRequest, Int) -> ScriptedResponse

    /// Guards every `var` below. A condition (which is also a lock) rather than a bare NSLock so that waits —
    /// `.hang`, `.trickle`'s pauses, `stop()` waiting for threads — wake as soon as `stop()` runs.
    private let lock = NSCondition()
    private var requests: [ScriptedRequest] = []
    private var connections: Set<Int32> = []
    private var stopped = false
    private var accepting = true
    private var listenClosed = false

    init(listenFD: Int32, script: @escaping @Sendable (ScriptedRequest, Int) -> ScriptedResponse) {
        self.listenFD = listenFD
        self.script = script
    }

    func recordedRequests() -> [ScriptedRequest] {
        lock.lock()
        defer { lock.unlock() }
        return requests
    }

    func acceptLoop() {
        defer {
            lock.lock()
            accepting = false
            lock.broadcast()
            lock.unlock()
        }
        while true {
            let fd = accept(listenFD, nil, nil)
            if fd < 0 {
                let code = errno
                lock.lock()
                let done = stopped
                lock.unlock()
                if done { return }
                if code == EINTR || code == ECONNABORTED || code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM {
                    if code != EINTR && code != ECONNABORTED { usleep(10_000) }
                    continue
                }
                return
            }
            lock.lock()
            if stopped {
                lock.unlock()
                _ = close(fd)
                return
            }
            connections.insert(fd)
            lock.unlock()
            let thread = Thread { [self] in serve(fd) }
            thread.name = "ScriptedHTTPServer connection \(fd)"
            thread.start()
        }
    }

    /// Stops accepting, shuts down every open connection, wakes every wait and waits at most about two seconds
    /// for the accepting thread and the connection threads.
    func stop() {
        lock.lock()
        if stopped {
            lock.unlock()
            return
        }
        stopped = true
        for fd in connections { _ = shutdown(fd, Socket.shutdownBoth) }
        lock.broadcast()
        lock.unlock()

        // On Linux, shutting a listening socket down makes a blocked accept() return (EINVAL). The fd is closed
        // only once the accepting thread has left accept(), so the number cannot be reused under it. (Darwin does
        // not wake accept() this way; there the fd is closed after the deadline and stop() still returns.)
        _ = shutdown(listenFD, Socket.shutdownBoth)
        let deadline = Date().addingTimeInterval(2)
        lock.lock()
        while accepting && Date() < deadline { _ = lock.wait(until: deadline) }
        if !listenClosed {
            listenClosed = true
            _ = close(listenFD)
        }
        while !connections.isEmpty && Date() < deadline { _ = lock.wait(until: deadline) }
        lock.unlock()
    }

    /// Waits `seconds`, returning early (false) if the server is stopped.
    func pause(_ seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(max(0, seconds))
        lock.lock()
        defer { lock.unlock() }
        while !stopped && Date() < deadline { _ = lock.wait(until: deadline) }
        return !stopped
    }

    private func serve(_ fd: Int32) {
        defer {
            lock.lock()
            connections.remove(fd)
            _ = close(fd)
            lock.broadcast()
            lock.unlock()
        }
        // A client that connects and sends nothing must not hold the thread for ever.
        Socket.setReceiveTimeout(fd, seconds: 30)
        let reader = RequestReader(fd: fd)
        guard let request = reader.read() else { return }
        lock.lock()
        let index = requests.count
        requests.append(request)
        lock.unlock()

        switch script(request, index) {
        case .respond(let status, let headers, let body):
            respond(fd, status: status, headers: headers, body: Array(body.utf8), contentType: "text/plain; charset=utf-8")
        case .json(let status, let object, let headers):
            respond(fd, status: status, headers: headers, body: Array(object.utf8), contentType: "application/json")
        case .trickle(let status, let body, let bytesPerChunk, let interval):
            let bytes = Array(body.utf8)
            guard Socket.sendAll(fd, head(status: status, headers: [:], contentLength: bytes.count, contentType: "text/plain; charset=utf-8")) else { return }
            let step = max(1, bytesPerChunk)
            var offset = 0
            while offset < bytes.count {
                if offset > 0 && !pause(interval) { return }
                let end = min(bytes.count, offset + step)
                guard Socket.sendAll(fd, Array(bytes[offset..<end])) else { return }
                offset = end
            }
            finish(fd)
        case .hang(let seconds):
            _ = pause(seconds)
        case .close:
            break
        }
    }

    private func respond(_ fd: Int32, status: Int, headers: [String: String], body: [UInt8], contentType: String) {
        guard Socket.sendAll(fd, head(status: status, headers: headers, contentLength: body.count, contentType: contentType) + body) else { return }
        finish(fd)
    }

    /// Half-closes and drains what the client still sends (at most a second), so that closing cannot reset the
    /// connection before the client has read the response.
    private func finish(_ fd: Int32) {
        _ = shutdown(fd, Socket.shutdownWrite)
        Socket.setReceiveTimeout(fd, seconds: 0.2)
        let deadline = Date().addingTimeInterval(1)
        var scratch = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            let n = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
        }
    }

    private func head(status: Int, headers: [String: String], contentLength: Int, contentType: String) -> [UInt8] {
        var fields: [(String, String)] = [
            ("Content-Type", contentType),
            ("Content-Length", String(contentLength)),
            ("Connection", "close"),
        ]
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            if let i = fields.firstIndex(where: { $0.0.lowercased() == name.lowercased() }) {
                fields[i] = (name, value)
            } else {
                fields.append((name, value))
            }
        }
        var text = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
        for (name, value) in fields { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 204: "No Content"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 408: "Request Timeout"
        case 413: "Content Too Large"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "Status \(status)"
        }
    }
}

// MARK: - Reading a request

/// Reads one request from a connection: request line, headers up to CRLFCRLF, then a body of exactly
/// `Content-Length` bytes or a chunked body (decoded). Answers `Expect: 100-continue` before reading the body.
private final class RequestReader {
    let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private static let headerLimit = 1 << 20

    init(fd: Int32) { self.fd = fd }

    /// Receives more bytes into the buffer; false at end of stream, on error or on timeout.
    private func fill() -> Bool {
        if start > 65536 {
            buffer.removeFirst(start)
            start = 0
        }
        var scratch = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            buffer.append(contentsOf: scratch[0..<n])
            return true
        }
    }

    /// The bytes up to (not including) the next CRLF, consuming the CRLF; nil if the stream ends first or the
    /// line grows past `limit` bytes.
    private func line(limit: Int = RequestReader.headerLimit) -> [UInt8]? {
        var scanned = 0  // bytes after `start` already known not to begin a CRLF
        while true {
            var i = start + scanned
            while i + 1 < buffer.count {
                if buffer[i] == 13 && buffer[i + 1] == 10 {
                    let result = Array(buffer[start..<i])
                    start = i + 2
                    return result
                }
                i += 1
            }
            scanned = max(0, buffer.count - 1 - start)
            if scanned > limit { return nil }
            guard fill() else { return nil }
        }
    }

    private func bytes(_ count: Int) -> [UInt8]? {
        while buffer.count - start < count {
            guard fill() else { return nil }
        }
        let result = Array(buffer[start..<(start + count)])
        start += count
        return result
    }

    func read() -> ScriptedRequest? {
        guard let requestLine = line() else { return nil }
        let parts = String(decoding: requestLine, as: UTF8.self).split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        while true {
            guard let raw = line() else { return nil }
            if raw.isEmpty { break }
            let text = String(decoding: raw, as: UTF8.self)
            guard let colon = text.firstIndex(of: ":") else { continue }
            let name = text[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = headers[name].map { "\($0), \(value)" } ?? value
        }
        if headers["expect"]?.lowercased() == "100-continue" {
            guard Socket.sendAll(fd, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) else { return nil }
        }
        let body: [UInt8]
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            guard let decoded = chunkedBody() else { return nil }
            body = decoded
        } else if let length = headers["content-length"].flatMap({ Int($0) }), length > 0 {
            guard let read = bytes(length) else { return nil }
            body = read
        } else {
            body = []
        }
        return ScriptedRequest(method: String(parts[0]), path: String(parts[1]), headers: headers, body: Data(body))
    }

    private func chunkedBody() -> [UInt8]? {
        var body: [UInt8] = []
        while true {
            guard let sizeLine = line(limit: 4096) else { return nil }
            let sizeText = String(decoding: sizeLine, as: UTF8.self)
                .split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first
                .map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard let size = Int(sizeText, radix: 16), size >= 0 else { return nil }
            if size == 0 {
                // Trailer fields, if any, up to an empty line.
                while true {
                    guard let trailer = line() else { return nil }
                    if trailer.isEmpty { return body }
                }
            }
            guard let chunk = bytes(size), let end = line(limit: 2), end.isEmpty else { return nil }
            body += chunk
        }
    }
}
