import Testing
@testable import GenreLLM
import GenreSupport

@Suite struct RerankAndEmbeddingShapeTests {
    @Test("a listwise order becomes one score per candidate: repeats and unknown ids ignored, the rest after, in blend order")
    func listwiseScores() {
        #expect(ListwiseRerank.scores(order: ["c", "a", "c", "zzz"], ids: ["a", "b", "c"]) == [0.5, 0, 1])
        #expect(ListwiseRerank.scores(order: [], ids: ["a", "b", "c"]) == [1, 0.5, 0], "no order: the blend order stands")
        #expect(ListwiseRerank.endpointScores([2, -1, 0.5]) == [1, 0, 0.5])
        #expect(ListwiseRerank.endpointScores([3, 3]) == [0.5, 0.5])
        let schema = ListwiseRerank.schema(ids: ["a", "b"])
        #expect(schema["properties"]?["order"]?["items"]?["enum"] == .array([.string("a"), .string("b")]))
    }

    @Test("the /rerank answer is read by index (Jina and Cohere shape); a missing or repeated index is malformed")
    func rerankAnswer() {
        let jina = JSONValue.strict(#"{"results": [{"index": 1, "relevance_score": 0.9}, {"index": 0, "relevance_score": 0.1}], "usage": {"total_tokens": 42}}"#)!
        #expect(RerankProtocol.scores(jina, count: 2)?.scores == [0.1, 0.9])
        #expect(RerankProtocol.scores(jina, count: 2)?.tokens == 42)
        let cohere = JSONValue.strict(#"{"results": [{"index": 0, "relevance_score": 0.3}, {"index": 1, "relevance_score": 0.2}], "meta": {}}"#)!
        #expect(RerankProtocol.scores(cohere, count: 2)?.tokens == nil)
        #expect(RerankProtocol.scores(JSONValue.strict(#"{"results": [{"index": 0, "relevance_score": 0.3}]}"#)!, count: 2) == nil)
        #expect(RerankProtocol.scores(JSONValue.strict(#"{"results": [{"index": 0, "relevance_score": 1}, {"index": 0, "relevance_score": 2}]}"#)!, count: 2) == nil)
    }

    @Test("embeddings are read in the texts' order (OpenAI by index, Ollama by position); uneven widths are malformed")
    func embeddingAnswer() {
        let openai = JSONValue.strict(#"{"data": [{"index": 1, "embedding": [3, 4]}, {"index": 0, "embedding": [1, 2]}], "usage": {"prompt_tokens": 7}}"#)!
        #expect(EmbeddingProtocol.vectors(.openai, openai, count: 2)?.vectors == [[1, 2], [3, 4]])
        #expect(EmbeddingProtocol.vectors(.openai, openai, count: 2)?.tokens == 7)
        let ollama = JSONValue.strict(#"{"embeddings": [[1, 2], [3, 4]], "prompt_eval_count": 5}"#)!
        #expect(EmbeddingProtocol.vectors(.ollama, ollama, count: 2)?.vectors == [[1, 2], [3, 4]])
        #expect(EmbeddingProtocol.vectors(.ollama, JSONValue.strict(#"{"embeddings": [[1, 2], [3]]}"#)!, count: 2) == nil)
        #expect(EmbeddingProtocol.vectors(.openai, JSONValue.strict(#"{"data": [{"embedding": [1]}]}"#)!, count: 2) == nil)
        #expect(EmbeddingProtocol.path(.openai) == "/embeddings" && EmbeddingProtocol.path(.ollama) == "/api/embed")
        // Token vectors (llama-cpp-python, a model without pooling) are mean-pooled.
        let tokens = JSONValue.strict(#"{"data": [{"index": 0, "embedding": [[1, 2], [3, 6]]}]}"#)!
        #expect(EmbeddingProtocol.vectors(.openai, tokens, count: 1)?.vectors == [[2, 4]])
    }
}
