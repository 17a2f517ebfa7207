import Foundation
import Logging
import GenreEmbedding
import GenreLLM
import GenrePostgres

/// The embedding service: claims items and event texts from the work queue, renders and embeds them with
/// the in-process language model, and upserts the vectors. Text whose hash, model and template match the
/// stored vector is not embedded again. At start, and after the template setting changes, it queues every
/// vector that is missing or stale (another model or template) — the old vectors keep serving meanwhile.
// @unchecked: created on one thread and then used only by the service thread it is handed to.
public final class EmbeddingWorker: @unchecked Sendable {
    let context: DaemonContext
    let connection: ReconnectingConnection
    let loadModel: () throws -> SentenceEmbedder
    var embedder: SentenceEmbedder?
    /// The provider's client when `embedding.provider` names one (kept while its row is unchanged).
    var providerVectors: ProviderVectors?
    var providerProblem: String?
    /// The model the last sweep queued stale vectors for.
    var sweptModel: String?
    /// Claims still to take one text at a time, after a provider refused a batch (to find the text it refuses).
    var singleTextClaims = 0
    var modelFailure: (message: String, at: Date)?
    var settings = DaemonSettings()
    var settingsStale = true
    var needsSweep = true
    /// Texts claimed at once: enough short titles to fill a slice for both threads; long texts are embedded
    /// slice by slice with the lease extended in between, so a large claim never outlives its lease.
    let batchSize = 128

    public init(context: DaemonContext, loadModel: @escaping () throws -> SentenceEmbedder = { try SentenceEmbedder.pinned() }) {
        self.context = context
        self.loadModel = loadModel
        connection = ServiceLoop.connection(context, listening: ["genre_work", "genre_settings"])
    }

    public func run() {
        ServiceLoop.run("embedding", connection: connection, context: context, errorPause: 1, step: step)
    }

    func step(_ db: PostgresConnection) throws {
        if connection.isFreshConnection {
            needsSweep = true
            settingsStale = true
            connection.markCaughtUp()
        }
        if settingsStale {
            settings = try DaemonSettings.load(db)
            try reloadProvider(db)
            settingsStale = false
        }
        guard settings.embeddingEnabled else {
            // Counted, so that "off means off" can be checked after the worker has looked, not after a guess.
            context.stats.add("embedding_off_steps")
            waitForOwnWork(db)  // notices genre.set('embedding.enabled', true)
            return
        }
        guard let source = try vectorSource() else {
            waitForOwnWork(db)
            return
        }
        // At start, after a template change, and when the model changes (another provider, or back in process).
        if needsSweep || sweptModel != source.modelName {
            let queued = try db.query("SELECT genre._enqueue_stale_embeddings($1)", [source.modelName]).int(0, 0) ?? 0
            if queued > 0 { context.logger.info("queued stale or missing vectors", metadata: ["genre.count": "\(queued)", "genre.model": "\(source.modelName)"]) }
            needsSweep = false
            sweptModel = source.modelName
        }
        let items = try embedItems(db, source)
        let texts = try embedEventTexts(db, source)
        let profiles = try embedProfiles(db, source)
        if items + texts + profiles > 0 { return }  // more may be waiting: no pause
        waitForOwnWork(db)
    }

    /// Sleeps until work for this worker may be waiting: a notification for its queues or a settings change,
    /// or the poll interval.
    func waitForOwnWork(_ db: PostgresConnection) {
        ServiceLoop.waitForNotes(db, context, seconds: min(settings.pollIntervalSeconds, 5)) { note in
            if note.channel == "genre_settings" {
                settingsStale = true
                if note.payload == "embedding.template" { needsSweep = true }
                return true
            }
            return note.payload == "items" || note.payload == "event_texts" || note.payload == "profile_texts"
        }
    }

    /// The in-process model, or the provider `embedding.provider` names; nil (reported) when it cannot be used.
    func vectorSource() throws -> VectorSource? {
        guard settings.embeddingProvider.isEmpty else {
            if let problem = providerProblem {
                context.health.fail("embedding", problem)
                return nil
            }
            return providerVectors
        }
        return try model().map { InProcessVectors(embedder: $0) }
    }

    /// Reads the provider `embedding.provider` names; a row that changed gets a new client.
    func reloadProvider(_ db: PostgresConnection) throws {
        providerProblem = nil
        let name = settings.embeddingProvider
        guard !name.isEmpty else {
            providerVectors = nil
            return
        }
        var problems: [String] = []
        guard let provider = try settings.llm.providers(db, problems: &problems)[name] else {
            providerProblem = "embedding.provider names \(name), which does not exist"
            providerVectors = nil
            return
        }
        if providerVectors?.client.provider != provider {
            let shutdown = context.shutdown
            providerVectors = ProviderVectors(client: ProviderClient(provider: provider, isStopping: { shutdown.isTriggered }))
        }
        do {
            try providerVectors?.client.checkKey()
        } catch {
            providerProblem = "\(error)"
        }
    }

    /// Seconds between attempts to load a missing or corrupt model.
    static let modelRetrySeconds = 5.0

    /// The model, loaded on first use. A missing model is logged (with its fix), counted as a failure of
    /// this service on every step (genre.status() is degraded and says why) and retried every few seconds;
    /// everything else in the daemon keeps working without it.
    func model() throws -> SentenceEmbedder? {
        if let embedder { return embedder }
        if let failure = modelFailure, Date().timeIntervalSince(failure.at) < Self.modelRetrySeconds {
            context.health.fail("embedding", "cannot load the language model: \(failure.message)")
            return nil
        }
        do {
            let loaded = try loadModel()
            embedder = loaded
            modelFailure = nil
            context.logger.info("language model loaded", metadata: ["genre.model": "\(loaded.modelName)"])
            return loaded
        } catch {
            modelFailure = ("\(error)", Date())
            context.health.fail("embedding", "cannot load the language model: \(error)")
            context.logger.error("cannot load the language model; items are not embedded until it is fixed", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Claims, renders and embeds a batch of items; returns how many were claimed.
    func embedItems(_ db: PostgresConnection, _ source: VectorSource) throws -> Int {
        let claimed = try claim(db, queue: "items")
        guard !claimed.isEmpty else { return 0 }
        let rows = try db.query("""
            SELECT i.item_id, t.text, genre._text_hash(t.text), genre._template_version(),
                   e.content_hash, e.model, e.template_version
              FROM genre.items i
              CROSS JOIN LATERAL (SELECT genre.render_item_text(i) AS text) t
              LEFT JOIN genre.item_embeddings e ON e.item_id = i.item_id
             WHERE i.item_id = ANY ($1::text[])
            """, [claimed.map(\.key)], context: "render items")
        var pending: [(id: String, text: String, hash: String, template: String)] = []
        for row in 0..<rows.rowCount {
            guard let id = rows.string(row, 0), let hash = rows.string(row, 2), let template = rows.string(row, 3) else { continue }
            let text = rows.string(row, 1) ?? ""
            // Same text, model and template as the stored vector: nothing to do.
            if rows.string(row, 4) == hash && rows.string(row, 5) == source.modelName && rows.string(row, 6) == template {
                context.stats.add("items_unchanged")
                continue
            }
            pending.append((id, text, hash, template))
        }
        let nonEmpty = pending.filter { !$0.text.isEmpty }
        guard let embedded = try vectors(db, source, nonEmpty.map(\.text), queue: "items", claimed: claimed) else { return 0 }
        let vectors = Dictionary(uniqueKeysWithValues: zip(nonEmpty.map(\.id), embedded))
        try db.transaction {
            try db.query("""
                CREATE TEMP TABLE IF NOT EXISTS genre_item_vectors (item_id text, model text, template_version text, dims int,
                  embedding real[], content_hash text, note text) ON COMMIT DELETE ROWS
                """)
            try db.copyIn("COPY genre_item_vectors FROM STDIN (FORMAT binary)") { stream in
                for item in pending {
                    stream.encoder.beginRow(fieldCount: 7)
                    stream.encoder.appendText(item.id)
                    stream.encoder.appendText(source.modelName)
                    stream.encoder.appendText(item.template)
                    stream.encoder.appendInt32(Int32(vectors[item.id]?.count ?? 0))
                    if let vector = vectors[item.id] { stream.encoder.appendFloatArray(vector) } else { stream.encoder.appendNull() }
                    stream.encoder.appendText(item.hash)
                    if vectors[item.id] == nil { stream.encoder.appendText("rendered text is empty: fill the fields named by setting embedding.template") } else { stream.encoder.appendNull() }
                    try stream.flushIfFull()
                }
            }
            try db.query("""
                INSERT INTO genre.item_embeddings (item_id, model, template_version, dims, embedding, content_hash, note, embedded_at)
                SELECT v.item_id, v.model, v.template_version, v.dims, v.embedding, v.content_hash, v.note, now()
                  FROM genre_item_vectors v JOIN genre.items i USING (item_id)
                 -- Only a vector of the item's current text: a batch whose claim lapsed while the item was
                 -- edited must not overwrite the newer vector another daemon stored (the edit is queued anew).
                 WHERE v.content_hash = genre._text_hash(genre.render_item_text(i)) AND v.template_version = genre._template_version()
                ON CONFLICT (item_id) DO UPDATE SET model = EXCLUDED.model, template_version = EXCLUDED.template_version,
                  dims = EXCLUDED.dims, embedding = EXCLUDED.embedding, content_hash = EXCLUDED.content_hash,
                  note = EXCLUDED.note, embedded_at = EXCLUDED.embedded_at, writes = genre.item_embeddings.writes + 1
                -- Another daemon may have stored this very content meanwhile (its claim outlived ours): keep it.
                WHERE (genre.item_embeddings.content_hash, genre.item_embeddings.model, genre.item_embeddings.template_version)
                      IS DISTINCT FROM (EXCLUDED.content_hash, EXCLUDED.model, EXCLUDED.template_version)
                """)
            try complete(db, queue: "items", claimed)
        }
        context.stats.add("items_embedded", nonEmpty.count)
        return claimed.count
    }

    /// Claims and embeds a batch of search/comment texts; returns how many were claimed.
    func embedEventTexts(_ db: PostgresConnection, _ source: VectorSource) throws -> Int {
        let claimed = try claim(db, queue: "event_texts")
        guard !claimed.isEmpty else { return 0 }
        let rows = try db.query("""
            SELECT e.id, e.user_id, e.event_type, e.text, genre._text_hash(e.text)
              FROM genre.events e WHERE e.id = ANY ($1::bigint[]) AND e.text IS NOT NULL AND btrim(e.text) <> ''
            """, ["{" + claimed.map(\.key).filter { Int64($0) != nil }.joined(separator: ",") + "}"], context: "read event texts")
        let events = (0..<rows.rowCount).compactMap { row -> (id: String, user: String, type: String, text: String, hash: String)? in
            guard let id = rows.string(row, 0), let user = rows.string(row, 1), let type = rows.string(row, 2),
                  let text = rows.string(row, 3), let hash = rows.string(row, 4) else { return nil }
            return (id, user, type, text, hash)
        }
        guard let vectors = try vectors(db, source, events.map(\.text), queue: "event_texts", claimed: claimed) else { return 0 }
        try db.transaction {
            try db.query("""
                CREATE TEMP TABLE IF NOT EXISTS genre_text_vectors (event_id bigint, user_id text, event_type text, model text, dims int,
                  embedding real[], content_hash text) ON COMMIT DELETE ROWS
                """)
            try db.copyIn("COPY genre_text_vectors FROM STDIN (FORMAT binary)") { stream in
                for (event, vector) in zip(events, vectors) {
                    stream.encoder.beginRow(fieldCount: 7)
                    stream.encoder.appendInt64(Int64(event.id) ?? 0)
                    stream.encoder.appendText(event.user)
                    stream.encoder.appendText(event.type)
                    stream.encoder.appendText(source.modelName)
                    stream.encoder.appendInt32(Int32(vector.count))
                    stream.encoder.appendFloatArray(vector)
                    stream.encoder.appendText(event.hash)
                    try stream.flushIfFull()
                }
            }
            try db.query("""
                INSERT INTO genre.event_text_embeddings (event_id, user_id, event_type, model, dims, embedding, content_hash)
                SELECT v.* FROM genre_text_vectors v JOIN genre.events e ON e.id = v.event_id
                ON CONFLICT (event_id) DO UPDATE SET model = EXCLUDED.model, dims = EXCLUDED.dims, embedding = EXCLUDED.embedding,
                  content_hash = EXCLUDED.content_hash, embedded_at = now()
                """)
            try complete(db, queue: "event_texts", claimed)
            // Their authors' interests changed: refresh their lists (the real-time path reads the new vectors).
            try db.query("SELECT genre._enqueue('users', $1::text[])", [Array(Set(events.map(\.user)))])
        }
        context.stats.add("event_texts_embedded", events.count)
        return claimed.count
    }

    /// The texts' vectors from `source`, extending the batch's lease whenever a third of it has passed, so a
    /// slow machine or provider never loses the work to another daemon half-way (which would count as a failed
    /// attempt). nil when a provider could not answer: the batch is given back untried (the provider's fault,
    /// not the texts'), and the service reports it.
    func vectors(_ db: PostgresConnection, _ source: VectorSource, _ texts: [String], queue: String,
                 claimed: [(key: String, version: Int)]) throws -> [[Float]]? {
        var extended = Date()
        do {
            let vectors = try source.vectors(texts) {
                if Date().timeIntervalSince(extended) > settings.leaseSeconds / 3 {
                    try db.query("SELECT genre._extend($1, $2, $3::text[], $4)", [queue, context.workerID, claimed.map(\.key), settings.leaseSeconds])
                    extended = Date()
                }
            }
            try recordUsage(db, source, errors: 0)
            return vectors
        } catch let error as ProviderError where GenerationService.isItemFault(error) {
            // The provider refused the request itself (a 400: a text too long, say). Alone, the text is to blame:
            // an attempt is counted (the dead letters in the end). In a batch, the batch is given back and the
            // next claims take one text at a time until the culprit is found.
            try recordUsage(db, source, errors: 1)
            if claimed.count == 1 {
                try db.query("SELECT genre._fail($1, $2, $3, $4)", [queue, claimed[0].key, "embedding provider: \(error)", settings.maxAttempts])
            } else {
                try db.query("SELECT genre._release($1, $2, $3::text[], now())", [queue, context.workerID, claimed.map(\.key)])
                singleTextClaims = batchSize
            }
            context.health.fail("embedding", "embedding provider: \(error)")
            return nil
        } catch let error as ProviderError {
            try recordUsage(db, source, errors: 1)
            let until: Date
            if case .paused(_, let end, _) = error { until = end } else { until = Date().addingTimeInterval(settings.pollIntervalSeconds) }
            try db.query("SELECT genre._release($1, $2, $3::text[], $4::timestamptz)",
                         [queue, context.workerID, claimed.map(\.key), ISO8601DateFormatter().string(from: until)])
            context.health.fail("embedding", "embedding provider: \(error)")
            return nil
        }
    }

    /// A provider's requests and tokens in genre.llm_usage (task "embeddings").
    func recordUsage(_ db: PostgresConnection, _ source: VectorSource, errors: Int) throws {
        guard let provider = source.providerName else { return }
        let usage = source.takeUsage()
        guard usage.requests + errors > 0 else { return }
        try db.query("SELECT genre._record_llm_usage($1, 'embeddings', $2, $3, 0, $4, 0, $5)",
                     [provider, usage.requests + errors, usage.tokens, errors, usage.latencyMs])
    }

    func claim(_ db: PostgresConnection, queue: String) throws -> [(key: String, version: Int)] {
        guard singleTextClaims > 0 else { return try ServiceLoop.claim(db, context, queue: queue, batch: batchSize, settings: settings) }
        singleTextClaims -= 1
        return try ServiceLoop.claim(db, context, queue: queue, batch: 1, settings: settings)
    }

    func complete(_ db: PostgresConnection, queue: String, _ claimed: [(key: String, version: Int)]) throws {
        try db.query("SELECT genre._complete_many($1, $2::text[], $3::bigint[])",
                     [queue, claimed.map(\.key), "{" + claimed.map { String($0.version) }.joined(separator: ",") + "}"])
    }
}
