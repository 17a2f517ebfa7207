import GenreLLM
import GenrePostgres
import GenreRecommend
import GenreSupport

/// The LLM re-ranking stage as the generation service runs it: a queued list (key `["user", "scenario"]`),
/// its first rerank.top_n rows and the user's side in; the provider's view as a score per candidate (listwise
/// through chat, or a `/rerank` endpoint: rerank.mode); blended into the stored rows with rerank.weight
/// (RerankBlend) if the list is still the one that was re-ranked.
struct RerankTask: GenerationTask {
    enum Mode: String { case chat, endpoint }
    let listwise: ListwiseRerank
    let mode: Mode
    var name: String { "rerank" }
    var queue: String { "rerank" }
    /// The endpoint's scores depend on no prompt of ours; the mode is part of the task either way.
    var promptHash: String { mode == .chat ? listwise.promptHash : SHA256.hex(of: Array("rerank endpoint".utf8)) }
    var sweepEverySeconds: Double? { nil }

    func sweepKey(_ db: PostgresConnection) throws -> String {
        "\(promptHash):\(try QueueKey.publishedLists(db))"
    }

    func inputs(_ db: PostgresConnection, keys: [String]) throws -> [String: GenerationInput] {
        var out: [String: GenerationInput] = [:]
        for key in keys {
            let rows = try db.query("SELECT item_id, text, score, weight, user_text FROM genre._rerank_input($1)", [key],
                                    context: "read a list to re-rank")
            guard rows.rowCount > 1 else { continue }  // nothing to re-order
            var ids: [String] = [], texts: [String] = [], scores: [JSONValue] = []
            for row in 0..<rows.rowCount {
                ids.append(rows.string(row, 0) ?? "")
                texts.append(rows.string(row, 1) ?? "")
                scores.append(.number(try rows.double(row, 2) ?? 0))
            }
            let user = rows.string(0, 4) ?? ""
            let prompt = ListwiseRerank.prompt(user: user, candidates: Array(zip(ids, texts)).map { (id: $0.0, text: $0.1) })
            out[key] = GenerationInput(text: prompt, hash: SHA256.hex(of: Array(prompt.utf8)), detail: .object([
                "ids": .array(ids.map { .string($0) }), "documents": .array(texts.map { .string($0) }), "query": .string(user),
                "scores": .array(scores), "weight": .number(try rows.double(0, 3) ?? 0),
            ]))
        }
        return out
    }

    func ask(_ client: ProviderClient, _ input: GenerationInput) throws -> StructuredAnswer {
        let ids = input.detail["ids"]?.array?.compactMap(\.string) ?? []
        switch mode {
        case .chat:
            return try listwise.run(client, prompt: input.text, ids: ids)
        case .endpoint:
            let documents = input.detail["documents"]?.array?.compactMap(\.string) ?? []
            let answer = try client.rerank(query: input.detail["query"]?.string ?? "", documents: documents)
            return StructuredAnswer(value: ListwiseRerank.scoresJSON(ListwiseRerank.endpointScores(answer.scores)),
                                    usage: ChatAnswer(content: "", tokensIn: answer.tokensIn, tokensOut: 0, latencyMs: answer.latencyMs, requests: answer.requests))
        }
    }

    func save(_ db: PostgresConnection, key: String, input: GenerationInput, answer: JSONValue, _ p: GenerationProvenance) throws {
        let ids = input.detail["ids"]?.array?.compactMap(\.string) ?? []
        let scores = input.detail["scores"]?.array?.compactMap(\.number).map { Float($0) } ?? []
        let rerank = answer["scores"]?.array?.compactMap(\.number) ?? []
        guard let (user, scenario) = QueueKey.pair(key), ids.count == scores.count, rerank.count == ids.count else { return }
        let weight = input.detail["weight"]?.number ?? 0
        let rows = RerankBlend.blend(scores: scores, rerank: rerank, weight: weight)
        try db.query("""
            SELECT genre._apply_rerank($1, $2, $3::text[], $4::real[], $5, $6, $7, $8, $9::text[], $10::real[], $11::real[], $12, $13, $14)
            """, [user, scenario, ids, postgresArrayText(rerank.map { Float($0) }), Float(weight), mode.rawValue, p.provider.name, p.provider.model,
                  rows.map { ids[$0.original] }, postgresArrayText(rows.map(\.score)), postgresArrayText(rows.map { Float($0.rerankShare) }),
                  p.tokensIn, p.tokensOut, p.latencyMs], context: "apply a re-ranking")
    }

    /// Lists that were re-ranked before the last build replaced them.
    func sweep(_ db: PostgresConnection) throws -> Int {
        try db.query("SELECT genre._enqueue_stale_reranks()").int(0, 0) ?? 0
    }
}
