import Foundation
import Testing
@testable import GenreEmbedding

/// Reference vectors: (text, input_ids, embedding) per JSONL line.
struct ReferenceLine {
    var text: String
    var ids: [Int32]
    var embedding: [Float]

    static func load(_ url: URL) throws -> [ReferenceLine] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return ReferenceLine(text: try #require(object["text"] as? String),
                                 ids: try #require(object["input_ids"] as? [NSNumber]).map { Int32(truncating: $0) },
                                 embedding: try #require(object["embedding"] as? [NSNumber]).map { Float(truncating: $0) })
        }
    }
}

enum ModelFixture {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let sharedReference = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/reference/minilm/reference-embeddings.jsonl")
    static let heldOut = packageRoot.appendingPathComponent("Tests/GenreEmbeddingTests/Fixtures/heldout-embeddings.jsonl")
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"
    /// The shared reference sits beside the checkout (CI lays a copy there); without it the test is disabled,
    /// except under CI, where it runs and fails: CI must never pass by skipping the ground truth.
    static let sharedReferenceEnabled = isCI || FileManager.default.fileExists(atPath: sharedReference.path)
    /// Largest |difference| allowed per vector component against the reference implementation. Measured on
    /// 2026-12-03: 1.6e-7 over the 96 shared lines, 1.2e-7 over the held-out ones; batch composition moves
    /// components by 1.3e-7. docs/ARCHITECTURE.md quotes this bound.
    static let tolerance: Float = 5e-7
    /// The model is fetched by `make test`; without it these tests are disabled, except under CI, where
    /// they run and fail with the loader's message.
    static let modelAvailable = isCI || FileManager.default.fileExists(atPath: ModelStore.directory().appendingPathComponent("model.safetensors").path)
    static let embedder: Result<SentenceEmbedder, Error> = Result { try SentenceEmbedder.pinned() }
    static func load() throws -> SentenceEmbedder { try embedder.get() }
}

func cosine(_ a: [Float], _ b: [Float]) -> Double {
    let dot = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    let na = a.reduce(0.0) { $0 + Double($1) * Double($1) }, nb = b.reduce(0.0) { $0 + Double($1) * Double($1) }
    return dot / (na * nb).squareRoot()
}

@Suite("all-MiniLM-L6-v2 against ground truth", .enabled(if: ModelFixture.modelAvailable))
struct ReferenceEmbeddingTests {
    func check(_ lines: [ReferenceLine]) throws {
        let embedder = try ModelFixture.load()
        let vectors = embedder.embed(lines.map(\.text))
        var largest: Float = 0
        for (line, vector) in zip(lines, vectors) {
            #expect(embedder.tokenizer.encode(line.text) == line.ids, "input_ids of \(line.text.prefix(60).debugDescription)")
            #expect(vector.count == 384)
            let similarity = cosine(vector, line.embedding)
            let worst = zip(vector, line.embedding).map { abs($0 - $1) }.max() ?? .infinity
            #expect(similarity >= 0.99999, "cosine \(similarity) for \(line.text.prefix(60).debugDescription)")
            #expect(worst <= ModelFixture.tolerance, "max |diff| \(worst) for \(line.text.prefix(60).debugDescription)")
            largest = max(largest, worst)
        }
        print("max |diff| against the reference over \(lines.count) lines: \(largest) (allowed \(ModelFixture.tolerance))")
    }

    @Test("every line of shared/reference/minilm: identical ids, cosine ≥ 0.99999, max |diff| ≤ 5e-7",
          .enabled(if: ModelFixture.sharedReferenceEnabled))
    func sharedReference() throws {
        try #require(FileManager.default.fileExists(atPath: ModelFixture.sharedReference.path),
                     "\(ModelFixture.sharedReference.path) is missing: the shared reference must sit beside the checkout (../shared)")
        let lines = try ReferenceLine.load(ModelFixture.sharedReference)
        #expect(lines.count == 96)
        try check(lines)
    }

    @Test("held-out strings (computed by the shared reference implementation) match the same way")
    func heldOut() throws {
        let lines = try ReferenceLine.load(ModelFixture.heldOut)
        #expect(lines.count >= 40)
        try check(lines)
    }

    @Test("batch composition changes no vector beyond 5e-7")
    func batchComposition() throws {
        let embedder = try ModelFixture.load()
        let texts = try ReferenceLine.load(ModelFixture.heldOut).map(\.text)
        let together = embedder.embed(texts, workers: 2, maxBatchTokens: 4096)
        let alone = texts.map { embedder.embed([$0], workers: 1)[0] }
        let smallBatches = embedder.embed(texts, workers: 2, maxBatchTokens: 64)
        let reversed = Array(embedder.embed(texts.reversed(), workers: 1, maxBatchTokens: 300).reversed())
        for other in [alone, smallBatches, reversed] {
            let worst = zip(together, other).map { a, b in zip(a, b).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 0
            #expect(worst <= ModelFixture.tolerance, "max |diff| \(worst)")
        }
    }

    @Test("similar texts are closer than unrelated ones")
    func semantics() throws {
        let v = try ModelFixture.load().embed(["A space opera about politics on a desert planet.",
                                               "Science fiction epic: interstellar empires and desert worlds.",
                                               "How to bake sourdough bread at home."])
        #expect(cosine(v[0], v[1]) > cosine(v[0], v[2]) + 0.2)
    }
}

@Suite("model loading errors")
struct ModelLoadingTests {
    @Test("a missing model names the path and the fix")
    func missing() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("genre-no-model-\(UInt32.random(in: 0...UInt32.max))")
        #expect { try ModelStore.check(folder) } throws: { error in
            let message = "\(error)"
            return message.contains(folder.path) && message.contains("genre model fetch")
        }
    }

    @Test("a corrupt safetensors file is refused with the fix")
    func corrupt() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("genre-corrupt-\(UInt32.random(in: 0...UInt32.max)).safetensors")
        try Data([200, 0, 0, 0, 0, 0, 0, 0, 123]).write(to: file)
        #expect { try SafeTensors(contentsOf: file) } throws: { error in
            (error as? EmbeddingError)?.code == .corruptModel && "\(error)".contains(file.path)
        }
        try Data([10, 0, 0, 0, 0, 0, 0, 0] + Array("{\"a\": 1}  ".utf8)).write(to: file)
        #expect(throws: EmbeddingError.self) { try SafeTensors(contentsOf: file) }
    }

    @Test("a well-formed safetensors file reads back its F32 tensor and checks its shape")
    func roundTrip() throws {
        let header = Array("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}".utf8)
        var bytes = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) } + header
        for value: Float in [1, -2, 0.5, 3] { bytes += withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("genre-ok-\(UInt32.random(in: 0...UInt32.max)).safetensors")
        try Data(bytes).write(to: file)
        let tensors = try SafeTensors(contentsOf: file)
        #expect(try tensors.floats("w", shape: [2, 2]) == [1, -2, 0.5, 3])
        #expect(throws: EmbeddingError.self) { try tensors.floats("w", shape: [4]) }
        #expect(throws: EmbeddingError.self) { try tensors.floats("missing", shape: [2, 2]) }
    }
}
