import Foundation
import GenreEmbedding
import GenreLLM

/// Where the embedding service gets vectors: the in-process sentence encoder (the default: fast, exact, free)
/// or a provider's embeddings endpoint (`embedding.provider`). `modelName` is the vectors' provenance in every
/// table: a switch makes every stored vector stale, and they are embedded again in the background while the
/// old ones serve (readers use one model's vectors at a time: ItemVectors.load).
protocol VectorSource {
    var modelName: String { get }
    /// Vectors for the texts, in order; `progress` is called between slices of work (to extend a lease).
    func vectors(_ texts: [String], progress: () throws -> Void) throws -> [[Float]]
    /// The provider whose usage genre.llm_usage counts; nil for the in-process model.
    var providerName: String? { get }
    /// Requests and tokens spent since the last call (zero for the in-process model).
    func takeUsage() -> (requests: Int, tokens: Int, latencyMs: Int)
}

/// The in-process all-MiniLM-L6-v2. Embeds in slices of about `sliceTokens` real tokens, each split into one
/// batch per worker thread: slices cut by text count (8 titles are ~100 tokens) left one core idle and the
/// matrix products tiny, 5× below the embedder's own throughput.
struct InProcessVectors: VectorSource {
    let embedder: SentenceEmbedder
    static let workers = 2
    /// About 0.3 s of work on this project's 2-core machine: short against any sensible lease.
    static let sliceTokens = 4096

    var modelName: String { embedder.modelName }

    func vectors(_ texts: [String], progress: () throws -> Void) throws -> [[Float]] {
        let tokenized = embedder.tokenize(texts)
        var vectors: [[Float]] = []
        vectors.reserveCapacity(texts.count)
        for slice in Self.slices(lengths: tokenized.map(\.count), maxTokens: Self.sliceTokens) {
            vectors += embedder.embed(tokenized: Array(tokenized[slice]), workers: Self.workers, maxBatchTokens: Self.sliceTokens / Self.workers)
            try progress()
        }
        return vectors
    }

    var providerName: String? { nil }
    func takeUsage() -> (requests: Int, tokens: Int, latencyMs: Int) { (0, 0, 0) }

    /// Consecutive index ranges of at most `maxTokens` tokens each (a longer single text is a range alone).
    static func slices(lengths: [Int], maxTokens: Int) -> [Range<Int>] {
        var ranges: [Range<Int>] = [], start = 0, tokens = 0
        for (index, length) in lengths.enumerated() {
            if index > start && tokens + length > maxTokens {
                ranges.append(start..<index)
                start = index
                tokens = 0
            }
            tokens += length
        }
        if start < lengths.count { ranges.append(start..<lengths.count) }
        return ranges
    }
}

/// A provider's embeddings endpoint (OpenAI's `/embeddings`, Ollama's `/api/embed`), 64 texts a request; the
/// width is whatever the provider returns (every vector of one answer has the same). Vectors are scaled to
/// unit length, as the in-process model's are (every similarity in GENRE is a dot product); a zero vector
/// stays zero.
final class ProviderVectors: VectorSource, @unchecked Sendable {
    let client: ProviderClient
    static let batch = 64
    private let lock = NSLock()
    private var requests = 0, tokens = 0, latencyMs = 0

    init(client: ProviderClient) { self.client = client }

    /// "provider/model": another provider or model is another vector space.
    var modelName: String { "\(client.provider.name)/\(client.provider.model)" }

    func vectors(_ texts: [String], progress: () throws -> Void) throws -> [[Float]] {
        var out: [[Float]] = []
        out.reserveCapacity(texts.count)
        for start in stride(from: 0, to: texts.count, by: Self.batch) {
            let answer = try client.embed(Array(texts[start..<min(start + Self.batch, texts.count)]))
            lock.withLock {
                requests += answer.requests
                tokens += answer.tokensIn
                latencyMs += answer.latencyMs
            }
            out += answer.vectors.map(Self.unitLength)
            try progress()
        }
        return out
    }

    static func unitLength(_ vector: [Float]) -> [Float] {
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? vector.map { $0 / norm } : vector
    }

    var providerName: String? { client.provider.name }

    func takeUsage() -> (requests: Int, tokens: Int, latencyMs: Int) {
        lock.withLock {
            defer { (requests, tokens, latencyMs) = (0, 0, 0) }
            return (requests, tokens, latencyMs)
        }
    }
}
