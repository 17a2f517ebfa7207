import GenreSupport

/// Vectors from a provider, in the texts' order.
public struct EmbeddingAnswer: Sendable, Equatable {
    public var vectors: [[Float]]
    public var tokensIn: Int
    public var latencyMs: Int
    public var requests: Int
}

/// How each provider kind shapes an embeddings request: OpenAI's `/embeddings` (`{"model", "input": [...]}` →
/// `{"data": [{"index", "embedding"}], "usage": {"prompt_tokens"}}`, also vLLM, llama.cpp, LM Studio) and
/// Ollama's `/api/embed` (→ `{"embeddings": [[...]], "prompt_eval_count"}`).
enum EmbeddingProtocol {
    static func path(_ kind: Provider.Kind) -> String {
        switch kind {
        case .openai: return "/embeddings"
        case .ollama: return "/api/embed"
        }
    }

    static func body(_ provider: Provider, _ texts: [String]) -> JSONValue {
        .object(["model": .string(provider.model), "input": .array(texts.map { .string($0) })])
    }

    /// The vectors, one per text, all of one width and finite; nil otherwise.
    static func vectors(_ kind: Provider.Kind, _ body: JSONValue, count: Int) -> (vectors: [[Float]], tokens: Int?)? {
        var vectors = [[Float]?](repeating: nil, count: count)
        var tokens: Int?
        switch kind {
        case .openai:
            guard let data = body["data"]?.array else { return nil }
            for (position, entry) in data.enumerated() {
                let index = entry["index"] == nil ? position : (entry["index"]?.integer ?? -1)
                guard (0..<count).contains(index), vectors[index] == nil, let vector = floats(entry["embedding"]) else { return nil }
                vectors[index] = vector
            }
            tokens = body["usage"]?["prompt_tokens"]?.integer
        case .ollama:
            guard let rows = body["embeddings"]?.array, rows.count == count else { return nil }
            for (index, row) in rows.enumerated() {
                guard let vector = floats(row) else { return nil }
                vectors[index] = vector
            }
            tokens = body["prompt_eval_count"]?.integer
        }
        let out = vectors.compactMap { $0 }
        guard out.count == count, let width = out.first?.count, width > 0, out.allSatisfy({ $0.count == width }) else { return nil }
        return (out, tokens)
    }

    /// One vector: a list of numbers, or a list of token vectors (llama-cpp-python's server answers so for a
    /// model without a pooling layer), mean-pooled.
    static func floats(_ value: JSONValue?) -> [Float]? {
        guard let items = value?.array else { return nil }
        if case .array? = items.first {
            let tokens = items.compactMap { floats($0) }
            guard tokens.count == items.count, let width = tokens.first?.count, width > 0, tokens.allSatisfy({ $0.count == width }) else { return nil }
            var mean = [Float](repeating: 0, count: width)
            for token in tokens { for d in 0..<width { mean[d] += token[d] } }
            return mean.map { $0 / Float(tokens.count) }
        }
        var out: [Float] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard case .number(let x) = item, x.isFinite else { return nil }
            out.append(Float(x))
        }
        return out
    }
}
