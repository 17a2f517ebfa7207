import GenreSupport

/// Scores from a `/rerank` endpoint, in the documents' order.
public struct RerankAnswer: Sendable, Equatable {
    public var scores: [Double]
    public var tokensIn: Int
    public var latencyMs: Int
    public var requests: Int
}

/// The `/rerank` shape Jina, Cohere and llama.cpp's server share: `{"model", "query", "documents", "top_n"}`
/// in, `{"results": [{"index", "relevance_score"}], "usage": {"total_tokens"}}` out (Cohere reports no tokens).
enum RerankProtocol {
    static let path = "/rerank"

    static func body(_ provider: Provider, query: String, documents: [String]) -> JSONValue {
        .object(["model": .string(provider.model), "query": .string(query), "documents": .array(documents.map { .string($0) }),
                 "top_n": .number(Double(documents.count)), "return_documents": .bool(false)])
    }

    /// One score per document; nil unless every document got exactly one finite score.
    static func scores(_ body: JSONValue, count: Int) -> (scores: [Double], tokens: Int?)? {
        guard let results = body["results"]?.array else { return nil }
        var scores = [Double?](repeating: nil, count: count)
        for result in results {
            guard let index = result["index"]?.integer, case .number(let score)? = result["relevance_score"] ?? result["score"],
                  (0..<count).contains(index), score.isFinite, scores[index] == nil else { return nil }
            scores[index] = score
        }
        guard scores.allSatisfy({ $0 != nil }) else { return nil }
        var tokens: Int?
        tokens = (body["usage"]?["total_tokens"] ?? body["usage"]?["prompt_tokens"])?.integer
        return (scores.map { $0! }, tokens)
    }
}
