import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP exchange with a provider, synchronously (every GENRE service runs on its own thread).
///
/// URLSession, not async-http-client: FoundationNetworking ships with the toolchain (HTTPS through the
/// system's libcurl and CA store), so it adds nothing to a build that CI runs from scratch every time
/// (async-http-client and its NIO/BoringSSL stack add about 2.5–4.5 minutes to a first debug build here),
/// and a provider call is one small request per answer, where an event-loop client's throughput buys nothing.
/// The body is collected by a delegate so an answer over the size limit is cut off while it arrives.
public struct HTTPTransport: Sendable {
    public struct Response: Sendable {
        public var status: Int
        /// Header names lower-cased.
        public var headers: [String: String]
        public var body: Data
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case timeout(seconds: Double)
        case connection(String)
        case tooLarge(limit: Int)
        /// The caller is stopping; the request was abandoned.
        case cancelled

        public var description: String {
            switch self {
            case .timeout(let seconds): return "no answer within \(seconds) s"
            case .connection(let message): return "connection failed: \(message)"
            case .tooLarge(let limit): return "answer larger than \(limit) bytes (provider.max_response_bytes)"
            case .cancelled: return "cancelled: stopping"
            }
        }
    }

    public init() {}

    /// `isCancelled` is polled while waiting (every 0.1 s): a daemon stopping abandons the request at once
    /// instead of waiting out a generation that may take a minute.
    public func post(_ url: URL, headers: [String: String], body: Data, timeout: Double, maxBytes: Int,
                     isCancelled: @Sendable () -> Bool = { false }) throws -> Response {
        var request = URLRequest(url: url)
        // On Linux only an assigned timeout takes effect (the initialiser's is ignored), and it is an idle
        // timeout in whole seconds; the loop below adds the overall deadline libcurl does not enforce.
        request.timeoutInterval = timeout
        request.httpMethod = "POST"
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let collector = BodyCollector(maxBytes: maxBytes)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        let session = URLSession(configuration: configuration, delegate: collector, delegateQueue: nil)
        defer { session.invalidateAndCancel() }
        session.dataTask(with: request).resume()
        // The resource timeout ends the task; the extra second only guards against a lost completion.
        let deadline = Date().addingTimeInterval(timeout + 1)
        while collector.done.wait(timeout: .now() + 0.1) == .timedOut {
            if isCancelled() { throw Failure.cancelled }
            if Date() > deadline { throw Failure.timeout(seconds: timeout) }
        }
        return try collector.result(timeout: timeout)
    }
}

/// Gathers one task's answer; cancels it once the body passes the limit.
private final class BodyCollector: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let maxBytes: Int
    let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var body = Data()
    private var response: HTTPURLResponse?
    private var error: Error?
    private var overLimit = false

    init(maxBytes: Int) { self.maxBytes = maxBytes }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        lock.withLock { self.response = response as? HTTPURLResponse }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let cancel = lock.withLock { () -> Bool in
            body.append(data)
            if body.count > maxBytes { overLimit = true }
            return overLimit
        }
        if cancel { dataTask.cancel() }
    }

    /// Redirects are not followed: the request carries the API key, which must go to the configured host only.
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        lock.withLock { self.error = error }
        done.signal()
    }

    func result(timeout: Double) throws -> HTTPTransport.Response {
        try lock.withLock {
            if overLimit { throw HTTPTransport.Failure.tooLarge(limit: maxBytes) }
            if let error {
                if let urlError = error as? URLError, urlError.code == .timedOut { throw HTTPTransport.Failure.timeout(seconds: timeout) }
                throw HTTPTransport.Failure.connection(error.localizedDescription)
            }
            guard let response else { throw HTTPTransport.Failure.connection("no response") }
            var headers: [String: String] = [:]
            for (name, value) in response.allHeaderFields {
                if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
            }
            return HTTPTransport.Response(status: response.statusCode, headers: headers, body: body)
        }
    }
}
