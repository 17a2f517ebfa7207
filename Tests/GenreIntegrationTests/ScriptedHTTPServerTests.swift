import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing

/// The scripted server that LLM-client tests inject faults with, exercised through URLSession, the client the
/// providers use. No database.
///
/// URLSession on Linux (FoundationNetworking, libcurl), as these tests found it:
/// - `URLRequest(url:timeoutInterval:)` ignores its timeout (the session's `timeoutIntervalForRequest`, 60 s by
///   default, applies); only assigning `request.timeoutInterval` takes effect. The value is truncated to whole
///   seconds (0.5 times out at once, 1.9 after 1 s) and is an idle timeout, reset by every byte received.
/// - A timeout is `URLError.timedOut`; a refused connection `.cannotConnectToHost`; a connection closed
///   without a response `.badServerResponse` ("Empty reply from server"); a body shorter than its
///   Content-Length `.unknown` ("transfer closed with N bytes remaining to read").
@Suite("scripted HTTP server")
struct ScriptedHTTPServerTests {
    /// The outcome of one request.
    struct Fetched: @unchecked Sendable {
        var data: Data?
        var response: HTTPURLResponse?
        var error: (any Error)?
        var seconds: Double = 0
        var urlError: URLError? { error as? URLError }
        var text: String { data.map { String(decoding: $0, as: UTF8.self) } ?? "" }
    }

    /// A request started at once, whose outcome is waited for later (blocking).
    final class Pending: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private var outcome: Fetched?
        private let started = Date()

        init(_ request: URLRequest) {
            let session = URLSession(configuration: .ephemeral)
            session.dataTask(with: request) { [self] data, response, error in
                lock.withLock { outcome = Fetched(data: data, response: response as? HTTPURLResponse, error: error, seconds: Date().timeIntervalSince(started)) }
                done.signal()
                session.finishTasksAndInvalidate()
            }.resume()
        }

        func result(limit: Double) -> Fetched {
            if done.wait(timeout: .now() + limit) == .timedOut { Issue.record("URLSession did not call back within \(limit) s") }
            return lock.withLock { outcome ?? Fetched(error: CancellationError(), seconds: limit) }
        }
    }

    /// Resumes a continuation once: with URLSession's answer, or after a limit so that a broken server cannot
    /// hang the run.
    final class Once: @unchecked Sendable {
        private let lock = NSLock()
        private var continuation: CheckedContinuation<Fetched, Never>?
        init(_ continuation: CheckedContinuation<Fetched, Never>) { self.continuation = continuation }
        func resume(_ value: Fetched) {
            lock.lock()
            let c = continuation
            continuation = nil
            lock.unlock()
            c?.resume(returning: value)
        }
    }

    static func fetch(_ request: URLRequest, limit: Double = 30) async -> Fetched {
        let started = Date()
        let result = await withCheckedContinuation { continuation in
            let once = Once(continuation)
            // A session of its own: URLSession.shared queues requests to one host (127.0.0.1, whatever the port)
            // behind its connection limit, so hung requests of other tests running in parallel held this one back.
            let session = URLSession(configuration: .ephemeral)
            session.dataTask(with: request) { data, response, error in
                once.resume(Fetched(data: data, response: response as? HTTPURLResponse, error: error, seconds: Date().timeIntervalSince(started)))
                session.finishTasksAndInvalidate()
            }.resume()
            DispatchQueue.global().asyncAfter(deadline: .now() + limit) {
                once.resume(Fetched(error: CancellationError(), seconds: limit))
            }
        }
        if result.error is CancellationError { Issue.record("URLSession did not call back within \(limit) s") }
        return result
    }

    /// A request whose idle timeout is `timeout` whole seconds. (Assigned, not passed to the initialiser: on
    /// Linux the initialiser's value is ignored.)
    static func request(_ url: URL, method: String = "GET", body: Data? = nil, headers: [String: String] = [:], timeout: Double = 10) -> URLRequest {
        var request = URLRequest(url: url)
        request.timeoutInterval = timeout
        request.httpMethod = method
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        return request
    }

    @Test("a POST with a JSON body is recorded (method, path, headers, body) and answered")
    func postIsRecorded() async throws {
        let server = try ScriptedHTTPServer { request, index in
            .json(#"{"index": \#(index), "path": "\#(request.path)"}"#, headers: ["X-Request-Id": "r-\(index)"])
        }
        defer { server.stop() }
        let body = Data(#"{"model": "m", "messages": [{"role": "user", "content": "héllo"}]}"#.utf8)
        let result = await Self.fetch(Self.request(server.baseURL.appendingPathComponent("v1/chat/completions"), method: "POST", body: body,
                                                   headers: ["Content-Type": "application/json", "Authorization": "Bearer test-key"]))
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.response?.statusCode == 200)
        #expect(result.response?.value(forHTTPHeaderField: "Content-Type") == "application/json")
        #expect(result.response?.value(forHTTPHeaderField: "X-Request-Id") == "r-0")
        let answer = try #require(try JSONSerialization.jsonObject(with: result.data ?? Data()) as? [String: Any])
        #expect(answer["index"] as? Int == 0)
        #expect(answer["path"] as? String == "/v1/chat/completions")

        let requests = server.requests
        try #require(requests.count == 1)
        #expect(requests[0].method == "POST")
        #expect(requests[0].path == "/v1/chat/completions")
        #expect(requests[0].headers["authorization"] == "Bearer test-key")
        #expect(requests[0].headers["content-type"] == "application/json")
        #expect(requests[0].body == body)
        let sent = try #require(requests[0].json as? [String: Any])
        #expect(sent["model"] as? String == "m")
        #expect((sent["messages"] as? [[String: Any]])?.first?["content"] as? String == "héllo")
    }

    @Test("status and headers come through; the script sees each request's index")
    func statusAndHeaders() async throws {
        let server = try ScriptedHTTPServer { _, index in
            index == 0 ? .respond(status: 429, headers: ["Retry-After": "2"], body: "slow down") : .respond(status: 503, body: "")
        }
        defer { server.stop() }
        let first = await Self.fetch(Self.request(server.baseURL.appendingPathComponent("a")))
        #expect(first.error == nil, "\(String(describing: first.error))")
        #expect(first.response?.statusCode == 429)
        #expect(first.response?.value(forHTTPHeaderField: "Retry-After") == "2")
        #expect(first.response?.value(forHTTPHeaderField: "Connection")?.lowercased() == "close")
        #expect(first.text == "slow down")
        let second = await Self.fetch(Self.request(server.baseURL.appendingPathComponent("b")))
        #expect(second.error == nil, "\(String(describing: second.error))")
        #expect(second.response?.statusCode == 503)
        #expect(second.data?.isEmpty ?? true)
        #expect(server.requests.map(\.path) == ["/a", "/b"])
        #expect(server.requests.map(\.method) == ["GET", "GET"])
    }

    @Test(".hang makes a request with timeoutInterval 1 fail with a timeout after about a second")
    func hangTimesOut() async throws {
        let server = try ScriptedHTTPServer { _, _ in .hang(seconds: 20) }
        defer { server.stop() }
        let result = await Self.fetch(Self.request(server.baseURL, method: "POST", body: Data("{}".utf8), timeout: 1))
        #expect(result.response == nil)
        #expect(result.urlError?.code == .timedOut, "\(String(describing: result.error))")
        #expect(result.seconds > 0.8 && result.seconds < 4, "took \(result.seconds) s")
        #expect(server.requests.count == 1, "the request was read before the server went quiet")
    }

    @Test(".close (no response) is a connection error")
    func closeIsAConnectionError() async throws {
        let server = try ScriptedHTTPServer { _, _ in .close }
        defer { server.stop() }
        let result = await Self.fetch(Self.request(server.baseURL, method: "POST", body: Data("{}".utf8)))
        #expect(result.response == nil)
        let code = try #require(result.urlError?.code, "\(String(describing: result.error))")
        // Linux: .badServerResponse ("Empty reply from server"); Darwin: .networkConnectionLost.
        #expect([.badServerResponse, .networkConnectionLost, .zeroByteResource, .cannotParseResponse].contains(code), "\(code)")
        #expect(result.seconds < 4, "took \(result.seconds) s")
        #expect(server.requests.count == 1)
    }

    @Test("a Content-Length longer than the body (a response cut short) is an error")
    func truncatedBody() async throws {
        let server = try ScriptedHTTPServer { _, _ in .respond(status: 200, headers: ["Content-Length": "100"], body: #"{"choi"#) }
        defer { server.stop() }
        let result = await Self.fetch(Self.request(server.baseURL))
        #expect(result.urlError != nil, "\(String(describing: result.error)); \(result.text)")
    }

    @Test(".trickle delivers the whole body, slowly")
    func trickleDeliversTheBody() async throws {
        let body = (0..<40).map { "line \($0) ✓\n" }.joined()
        let server = try ScriptedHTTPServer { _, _ in .trickle(body: body, bytesPerChunk: 50, interval: 0.02) }
        defer { server.stop() }
        let result = await Self.fetch(Self.request(server.baseURL, timeout: 5))
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.response?.statusCode == 200)
        #expect(result.text == body)
        let pauses = Double((body.utf8.count + 49) / 50 - 1) * 0.02
        #expect(result.seconds >= pauses * 0.8, "took \(result.seconds) s for \(pauses) s of pauses")
    }

    @Test("a trickle whose pauses are each shorter than timeoutInterval is not a timeout (the timeout is idle time)")
    func trickleWithinTheTimeout() async throws {
        let server = try ScriptedHTTPServer { _, _ in .trickle(body: "abcdef", bytesPerChunk: 1, interval: 0.4) }
        defer { server.stop() }
        let result = await Self.fetch(Self.request(server.baseURL, timeout: 1))
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.text == "abcdef")
        #expect(result.seconds > 1.6, "five pauses of 0.4 s; took \(result.seconds) s")
    }

    @Test("a refused port is a connection error")
    func refusedPort() async throws {
        let port = try ScriptedHTTPServer.refusedPort()
        let result = await Self.fetch(Self.request(URL(string: "http://127.0.0.1:\(port)/v1/models")!))
        #expect(result.response == nil)
        #expect(result.urlError?.code == .cannotConnectToHost, "\(String(describing: result.error))")
        #expect(result.seconds < 4, "took \(result.seconds) s")
    }

    @Test("a chunked request body (URLSession sends one for a body stream) is decoded")
    func chunkedRequestBody() async throws {
        let server = try ScriptedHTTPServer { request, _ in .respond(status: 200, body: "\(request.body.count)") }
        defer { server.stop() }
        let payload = Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        var request = Self.request(server.baseURL.appendingPathComponent("upload"), method: "POST")
        request.httpBodyStream = InputStream(data: payload)
        let result = await Self.fetch(request)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.text == "\(payload.count)")
        let received = try #require(server.requests.first)
        #expect(received.body == payload)
        #expect(received.headers["transfer-encoding"]?.lowercased() == "chunked" || received.headers["content-length"] == "\(payload.count)",
                "\(received.headers)")
    }

    @Test("a large body arrives whole")
    func largeBody() async throws {
        let server = try ScriptedHTTPServer { request, _ in .respond(status: 200, body: "\(request.body.count)") }
        defer { server.stop() }
        let payload = Data((0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 % 251) })
        let result = await Self.fetch(Self.request(server.baseURL, method: "POST", body: payload))
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.text == "\(payload.count)")
        #expect(server.requests.first?.body == payload)
    }

    @Test("Expect: 100-continue is answered before the body is read; chunk extensions and trailers are handled")
    func expectContinueAndChunkedByHand() throws {
        let server = try ScriptedHTTPServer { request, _ in .respond(status: 201, body: request.text) }
        defer { server.stop() }
        let head = "POST /raw HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\nX-Twice: a\r\nx-twice: b\r\n\r\n"
        let body = "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"
        let (interim, response) = try RawClient.exchange(port: server.port, head: head, body: body)
        #expect(interim == "HTTP/1.1 100 Continue\r\n\r\n")
        #expect(response.hasPrefix("HTTP/1.1 201 "), "\(response)")
        #expect(response.contains("Connection: close\r\n"), "\(response)")
        #expect(response.hasSuffix("\r\n\r\nhello world"), "\(response)")
        let received = try #require(server.requests.first)
        #expect(received.text == "hello world")
        #expect(received.headers["x-twice"] == "a, b")
        #expect(received.headers["expect"] == "100-continue")
    }

    @Test("stop() returns promptly with a request in flight, is idempotent, and the port then refuses")
    func stopIsPrompt() async throws {
        let server = try ScriptedHTTPServer { _, _ in .hang(seconds: 60) }
        // Started here, not as a child task: with every cooperative thread busy running other tests, an
        // `async let` may not start before the deadline below.
        let ended = Pending(Self.request(server.baseURL, timeout: 30))
        let deadline = Date().addingTimeInterval(10)
        while server.requests.isEmpty && Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        try #require(server.requests.count == 1)

        let started = Date()
        server.stop()
        let stopping = Date().timeIntervalSince(started)
        #expect(stopping < 1, "stop() took \(stopping) s")
        server.stop()

        let result = ended.result(limit: 30)
        #expect(result.response == nil)
        #expect(result.urlError != nil, "\(String(describing: result.error))")
        // (How soon the client notices depends on libcurl and the machine's load: only that it ends is checked.)

        let after = await Self.fetch(Self.request(server.baseURL, timeout: 5))
        #expect(after.urlError?.code == .cannotConnectToHost, "\(String(describing: after.error))")
    }

    @Test("stop() on an idle server (blocked in accept) returns promptly; so does deinit")
    func stopIdle() async throws {
        let server = try ScriptedHTTPServer { _, _ in .close }
        try await Task.sleep(for: .milliseconds(50))  // let the accepting thread block in accept()
        let started = Date()
        server.stop()
        #expect(Date().timeIntervalSince(started) < 1)

        var port = 0
        let dropped = Date()
        do {
            let unreferenced = try ScriptedHTTPServer { _, _ in .close }
            port = unreferenced.port
            usleep(50_000)
        }
        #expect(Date().timeIntervalSince(dropped) < 1.5)
        let after = await Self.fetch(Self.request(URL(string: "http://127.0.0.1:\(port)/")!, timeout: 5))
        #expect(after.urlError?.code == .cannotConnectToHost, "deinit stopped the server: \(String(describing: after.error))")
    }
}

/// A hand-written HTTP client for what URLSession never sends (it sends no `Expect: 100-continue`).
enum RawClient {
    struct Failure: Error { let message: String }

    /// Sends `head`; if it asks for 100-continue, reads the interim response before sending `body`; then reads
    /// the final response until the server closes.
    static func exchange(port: Int, head: String, body: String) throws -> (interim: String, response: String) {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let noSignal = Int32(MSG_NOSIGNAL)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        let noSignal: Int32 = 0
        #endif
        guard fd >= 0 else { throw Failure(message: "socket: errno \(errno)") }
        defer { _ = close(fd) }
        var tv = timeval()
        tv.tv_sec = 5
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port)).bigEndian
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(message: "connect: errno \(errno)") }

        func sendAll(_ text: String) throws {
            let bytes = Array(text.utf8)
            var sent = 0
            while sent < bytes.count {
                let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, bytes.count - sent, noSignal) }
                guard n > 0 else { throw Failure(message: "send: errno \(errno)") }
                sent += n
            }
        }
        func receive(untilHeadEnds: Bool) -> String {
            var received: [UInt8] = []
            var scratch = [UInt8](repeating: 0, count: 4096)
            while true {
                if untilHeadEnds, String(decoding: received, as: UTF8.self).contains("\r\n\r\n") { break }
                let n = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
                guard n > 0 else { break }
                received += scratch[0..<n]
            }
            return String(decoding: received, as: UTF8.self)
        }

        try sendAll(head)
        let interim = head.lowercased().contains("expect: 100-continue") ? receive(untilHeadEnds: true) : ""
        try sendAll(body)
        return (interim, receive(untilHeadEnds: false))
    }
}
