import Foundation
import GenreLinearAlgebra

/// all-MiniLM-L6-v2 (or any BERT sentence-transformer with mean pooling) in process: text in, unit-length
/// vectors out. Thread-safe; one instance serves the whole daemon.
public final class SentenceEmbedder: Sendable {
    public let tokenizer: WordPieceTokenizer
    let encoder: BertEncoder
    public let dimensions: Int
    /// Names the weights that made a vector: "all-MiniLM-L6-v2@<first 12 hex of the weights' sha256>", or
    /// the folder name when the weights are not the pinned ones.
    public let modelName: String

    public init(modelDirectory directory: URL, modelName: String? = nil) throws {
        let config = try BertConfig.load(directory.appendingPathComponent("config.json"))
        tokenizer = try WordPieceTokenizer(vocabularyURL: directory.appendingPathComponent("vocab.txt"),
                                           maxLength: min(256, config.maxPositionEmbeddings))
        let weights = try BertWeights(SafeTensors(contentsOf: directory.appendingPathComponent("model.safetensors")), config: config)
        encoder = BertEncoder(config: config, weights: weights)
        dimensions = config.hiddenSize
        self.modelName = modelName ?? directory.lastPathComponent
    }

    /// Loads the pinned model from `ModelStore.directory()` (GENRE_MODEL_DIR, else the cache), checking it.
    public static func pinned() throws -> SentenceEmbedder {
        let directory = ModelStore.directory()
        try ModelStore.check(directory)
        return try SentenceEmbedder(modelDirectory: directory, modelName: ModelStore.modelName)
    }

    public func tokenize(_ texts: [String]) -> [[Int32]] { texts.map(tokenizer.encode) }

    public func embed(_ texts: [String], workers: Int = 2, maxBatchTokens: Int = 2048) -> [[Float]] {
        embed(tokenized: tokenize(texts), workers: workers, maxBatchTokens: maxBatchTokens)
    }

    /// Embeds token sequences. Sequences are grouped by length into batches of at most `maxBatchTokens`
    /// real tokens (packed, so no padding is computed) and batches run on `workers` threads with one
    /// OpenBLAS thread each. Batch composition does not change a vector beyond float rounding.
    public func embed(tokenized: [[Int32]], workers: Int = 2, maxBatchTokens: Int = 2048) -> [[Float]] {
        guard !tokenized.isEmpty else { return [] }
        let batches = Self.batches(lengths: tokenized.map(\.count), maxTokens: maxBatchTokens)
        BLAS.setThreads(1)
        let results = BatchResults(count: tokenized.count)
        let encoder = self.encoder
        let next = NextIndex()
        let threads = max(1, min(workers, batches.count))
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            while let b = next.take(below: batches.count) {
                let indices = batches[b]
                let vectors = encoder.embed(indices.map { tokenized[$0] })
                results.store(indices, vectors)
            }
        }
        return results.values
    }

    /// Index groups: sorted by length (longest first, so the big batches start early), cut whenever the
    /// next sequence would push a batch past `maxTokens`.
    static func batches(lengths: [Int], maxTokens: Int) -> [[Int]] {
        let order = lengths.indices.sorted { lengths[$0] > lengths[$1] || (lengths[$0] == lengths[$1] && $0 < $1) }
        var batches: [[Int]] = [], current: [Int] = [], tokens = 0
        for index in order {
            if !current.isEmpty && tokens + lengths[index] > maxTokens {
                batches.append(current)
                current = []
                tokens = 0
            }
            current.append(index)
            tokens += lengths[index]
        }
        if !current.isEmpty { batches.append(current) }
        return batches
    }
}

/// Work distribution and result collection for `embed`; each index is written exactly once.
private final class NextIndex: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    func take(below limit: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < limit else { return nil }
        next += 1
        return next - 1
    }
}

private final class BatchResults: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [[Float]]
    init(count: Int) { values = Array(repeating: [], count: count) }
    func store(_ indices: [Int], _ vectors: [[Float]]) {
        lock.lock()
        for (index, vector) in zip(indices, vectors) { values[index] = vector }
        lock.unlock()
    }
}
