import Foundation
import GenreLLM
import GenrePostgres
import GenreSupport

extension GenerationService {
    struct Work: Sendable {
        var key: String
        var version: Int
        var input: GenerationInput
        var inputHash: String { input.hash }
    }

    /// One step's outcome, for genre.llm_usage.
    struct Usage {
        var requests = 0, tokensIn = 0, tokensOut = 0, errors = 0, cacheHits = 0, latencyMs = 0

        mutating func add(_ answer: ChatAnswer) {
            requests += answer.requests
            tokensIn += answer.tokensIn
            tokensOut += answer.tokensOut
            latencyMs += answer.latencyMs
        }
    }

    /// Answers the claimed work from the cache or the provider, stores what validated, and settles every claim:
    /// done, failed (retried later, dead-lettered with the raw answer in the end), or given back untried when
    /// the provider is paused or the daemon is stopping.
    func generate(_ db: PostgresConnection, _ claimed: [(key: String, version: Int)], task: GenerationTask, client: ProviderClient) throws {
        let provider = client.provider
        let inputs = try task.inputs(db, keys: claimed.map(\.key))
        var work: [Work] = []
        for claim in claimed {
            guard let input = inputs[claim.key] else { try complete(db, task, claim.key, claim.version); continue }
            work.append(Work(key: claim.key, version: claim.version, input: input))
        }
        var usage = Usage()
        let cached = try cachedAnswers(db, provider, task, work.map(\.inputHash))
        for item in work {
            guard let answer = cached[item.inputHash] else { continue }
            try store(db, item, answer.output, task, GenerationProvenance(provider: provider, tokensIn: answer.tokensIn,
                      tokensOut: answer.tokensOut, latencyMs: answer.latencyMs), cache: false)
            usage.cacheHits += 1
        }
        let misses = work.filter { cached[$0.inputHash] == nil }
        // Work with the same text in one batch is asked about once.
        var questions: [Work] = []
        for item in misses where !questions.contains(where: { $0.inputHash == item.inputHash }) { questions.append(item) }
        let answers = Dictionary(uniqueKeysWithValues: zip(questions.map(\.inputHash), ask(db, client, task, questions)))
        // A provider fault while the breaker stays closed (other requests succeed) is this item's: counted, so
        // an item whose answer always times out or overflows ends in the dead letters instead of looping.
        let providerDown: Bool
        if case .closed = client.state { providerDown = false } else { providerDown = true }
        var released: [String] = []
        var asked = Set<String>()
        for item in misses {
            guard var result = answers[item.inputHash] else { continue }
            let first = asked.insert(item.inputHash).inserted
            // A re-ask that failed: the first request's cost counts, the failure is handled as the provider's error.
            if case .failure(let spent as StructuredAnswer.Spent) = result {
                if first { usage.add(spent.usage) }
                result = .failure(spent.underlying)
            }
            switch result {
            case .success(let answer):
                if first {
                    usage.add(answer.usage)
                } else {
                    usage.cacheHits += 1
                }
                try store(db, item, answer.value, task, GenerationProvenance(provider: provider, tokensIn: answer.usage.tokensIn,
                          tokensOut: answer.usage.tokensOut, latencyMs: answer.usage.latencyMs), cache: first)
            case .failure(ProviderError.cancelled), .failure(ProviderError.paused):
                released.append(item.key)
            case .failure(let error) where Self.isItemFault(error) || !providerDown:
                if let invalid = error as? StructuredAnswer.Invalid {
                    usage.add(invalid.usage)
                } else {
                    usage.requests += 1
                }
                usage.errors += 1
                try db.query("SELECT genre._fail($1, $2, $3, $4)",
                             [task.queue, item.key, "\(task.name) by provider \(provider.name): \(error)", settings.maxAttempts])
            case .failure:
                // The provider is down (the breaker opened): the item is not to blame, so no attempt is
                // counted; the breaker paces further requests.
                usage.requests += 1
                usage.errors += 1
                released.append(item.key)
            }
        }
        if !released.isEmpty {
            let until: Date
            if case .open(let end, _) = client.state { until = end } else { until = Date().addingTimeInterval(1) }
            try db.query("SELECT genre._release($1, $2, $3::text[], $4::timestamptz)",
                         [task.queue, context.workerID, released, ISO8601DateFormatter().string(from: until)])
        }
        try db.query("SELECT genre._record_llm_usage($1, $2, $3, $4, $5, $6, $7, $8)",
                     [provider.name, task.name, usage.requests, usage.tokensIn, usage.tokensOut, usage.errors, usage.cacheHits, usage.latencyMs])
        if !misses.isEmpty, usage.errors == misses.count {
            context.health.fail(Self.service, "every \(task.name) request to provider \(provider.name) failed in this step; see genre.list_providers() and genre.dead_letters")
        }
    }

    /// Failures that say something about this work's request (its answer never fit the schema, or the provider
    /// refused the request itself), which count as attempts and end in the dead letters; every other failure is
    /// the provider's and leaves the work queued.
    static func isItemFault(_ error: Error) -> Bool {
        switch error {
        case is StructuredAnswer.Invalid: return true
        case let error as ProviderError: if case .http = error { return !error.isProviderFault } else { return false }
        default: return false
        }
    }

    /// Runs the requests side by side (the client keeps at most `concurrency` in flight), extending the claims'
    /// lease meanwhile: an answer may take minutes (retries, Retry-After), and an expired lease would have
    /// another daemon ask again.
    func ask(_ db: PostgresConnection, _ client: ProviderClient, _ task: GenerationTask, _ work: [Work]) -> [Result<StructuredAnswer, Error>] {
        final class Slots: @unchecked Sendable {
            let lock = NSLock()
            var results: [Result<StructuredAnswer, Error>?]
            init(_ count: Int) { results = Array(repeating: nil, count: count) }
        }
        let slots = Slots(work.count)
        let group = DispatchGroup()
        for (index, item) in work.enumerated() {
            DispatchQueue.global().async(group: group) {
                let result = Result { try task.ask(client, item.input) }
                slots.lock.withLock { slots.results[index] = result }
            }
        }
        let lease = settings.leaseSeconds
        while group.wait(timeout: .now() + max(1, lease / 3)) == .timedOut {
            _ = try? db.query("SELECT genre._extend($1, $2, $3::text[], $4)", [task.queue, context.workerID, work.map(\.key), lease])
        }
        return slots.lock.withLock { slots.results.map { $0 ?? .failure(ProviderError.cancelled) } }
    }

    func cachedAnswers(_ db: PostgresConnection, _ provider: Provider, _ task: GenerationTask, _ hashes: [String])
        throws -> [String: (output: JSONValue, tokensIn: Int, tokensOut: Int, latencyMs: Int)] {
        guard !hashes.isEmpty else { return [:] }
        let rows = try db.query("""
            SELECT input_hash, output::text, coalesce(tokens_in, 0), coalesce(tokens_out, 0), coalesce(latency_ms, 0)
              FROM genre.llm_cache WHERE provider = $1 AND model = $2 AND prompt_hash = $3 AND input_hash = ANY ($4::text[])
            """, [provider.name, provider.model, task.promptHash, hashes])
        var out: [String: (JSONValue, Int, Int, Int)] = [:]
        for row in 0..<rows.rowCount {
            guard let hash = rows.string(row, 0), let output = rows.string(row, 1).flatMap(JSONValue.strict) else { continue }
            out[hash] = (output, (try? rows.int(row, 2)) ?? 0, (try? rows.int(row, 3)) ?? 0, (try? rows.int(row, 4)) ?? 0)
        }
        return out
    }

    /// The answer with its provenance, the answer in the cache, and the claim settled, in one transaction.
    func store(_ db: PostgresConnection, _ item: Work, _ answer: JSONValue, _ task: GenerationTask, _ provenance: GenerationProvenance,
               cache: Bool) throws {
        let provider = provenance.provider
        try db.transaction {
            if cache {
                try db.query("""
                    INSERT INTO genre.llm_cache (provider, model, prompt_hash, input_hash, output, tokens_in, tokens_out, latency_ms)
                    VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8) ON CONFLICT DO NOTHING
                    """, [provider.name, provider.model, task.promptHash, item.inputHash, answer.json, provenance.tokensIn,
                          provenance.tokensOut, provenance.latencyMs])
            }
            try task.save(db, key: item.key, input: item.input, answer: answer, provenance)
            try complete(db, task, item.key, item.version)
        }
    }

    func complete(_ db: PostgresConnection, _ task: GenerationTask, _ key: String, _ version: Int) throws {
        try db.query("SELECT genre._complete($1, $2, $3)", [task.queue, key, version])
    }

    /// The provider as its client sees it (ok, or paused by the circuit breaker), for genre.list_providers().
    func recordState(_ db: PostgresConnection, _ client: ProviderClient) throws {
        if case .open(let until, let error) = client.state {
            try writeState(db, client.provider.name, paused: until, failures: client.consecutiveFailures, error: error)
        } else {
            try writeState(db, client.provider.name, paused: nil, failures: client.consecutiveFailures, error: nil)
        }
    }

    /// The provider's daily token budget, when it is spent: why, and when the next UTC day starts.
    func spentBudget(_ db: PostgresConnection, _ provider: Provider) throws -> (reason: String, until: Date)? {
        let budget = provider.options.tokensPerDay
        guard budget > 0 else { return nil }
        let row = try db.query("""
            SELECT coalesce(sum(tokens_in + tokens_out), 0), to_char(date_trunc('day', now() AT TIME ZONE 'UTC') + interval '1 day', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
              FROM genre.llm_usage WHERE provider = $1 AND hour >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
            """, [provider.name])
        let spent = try row.int(0, 0) ?? 0
        guard spent >= budget, let until = row.string(0, 1).flatMap(ISO8601DateFormatter().date(from:)) else { return nil }
        return ("provider \(provider.name) spent its daily budget (provider.tokens_per_day = \(budget), used \(spent)); its work waits until \(row.string(0, 1) ?? "")", until)
    }

    /// Records a provider paused for a reason of the daemon's own (its budget, a missing key).
    func recordPause(_ db: PostgresConnection, _ provider: String, until: Date, reason: String) throws {
        pausedByDaemon.insert(provider)
        try writeState(db, provider, paused: until, failures: nil, error: reason)
    }

    /// One provider's row in genre.provider_state; a nil failure count or error keeps the stored one.
    private func writeState(_ db: PostgresConnection, _ provider: String, paused until: Date?, failures: Int?, error: String?) throws {
        try db.query("""
            INSERT INTO genre.provider_state AS s (provider, state, paused_until, consecutive_failures, last_error, updated_at)
            VALUES ($1, $2, $3::timestamptz, coalesce($4::integer, 0), $5, now())
            ON CONFLICT (provider) DO UPDATE SET state = EXCLUDED.state, paused_until = EXCLUDED.paused_until,
              consecutive_failures = coalesce($4::integer, s.consecutive_failures),
              last_error = coalesce(EXCLUDED.last_error, s.last_error), updated_at = now()
            """, [provider, until == nil ? "ok" : "paused", until.map { ISO8601DateFormatter().string(from: $0) }, failures, error])
    }

    /// Sleeps until generation work or a settings change may be waiting, or the poll interval (or `atMost`) passes.
    func waitForWork(_ db: PostgresConnection, atMost: Double = .infinity) {
        ServiceLoop.waitForNotes(db, context, seconds: max(0.05, min(settings.pollIntervalSeconds, 5, atMost))) { note in
            if note.channel == "genre_settings" {
                settingsStale = true
                // Switched on, or another task or text: sweep again.
                if note.payload.hasPrefix("features.") { swept["features"] = nil }
                if note.payload.hasPrefix("profile.") { swept["profiles"] = nil }
                if note.payload.hasPrefix("explain.") { swept["explanations"] = nil }
                if note.payload.hasPrefix("rerank.") { swept["rerank"] = nil }
                return true
            }
            return ["item_features", "profiles", "explanations", "rerank"].contains(note.payload)
        }
    }
}
