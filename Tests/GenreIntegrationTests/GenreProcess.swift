import Foundation
import Testing

/// The `genre` executable that `make test` built (GENRE_BIN), run as a child process: for what only a whole
/// process shows (its environment, its exit code, signals).
struct GenreProcess {
    static func binary() throws -> String {
        guard let path = ProcessInfo.processInfo.environment["GENRE_BIN"], FileManager.default.isExecutableFile(atPath: path) else {
            throw TestFailure("GENRE_BIN does not name the genre executable: run `make test`, which builds it and sets GENRE_BIN")
        }
        return path
    }

    /// Starts `genre arguments…` with `environment` added to this process's; output is discarded.
    static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try binary())
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// SIGTERM, then up to `seconds` for the process to exit; a process that does not is killed and the test
    /// fails (a daemon must stop on SIGTERM), instead of the whole test run hanging on it.
    static func stop(_ process: Process, within seconds: Double = 15, sourceLocation: SourceLocation = #_sourceLocation) {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            Issue.record("genre did not exit within \(seconds) s of SIGTERM; killed", sourceLocation: sourceLocation)
        }
        process.waitUntilExit()
    }

    /// Runs `genre arguments…` to the end; returns its exit code.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Int32 {
        let process = try start(arguments, environment: environment)
        process.waitUntilExit()
        return process.terminationStatus
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
