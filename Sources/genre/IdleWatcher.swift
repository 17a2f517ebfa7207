import Foundation
import GenreDaemon
import GenrePostgres

/// For `genre run --exit-when-idle`: stops the daemon once a model exists, every event is folded in, every
/// text is embedded, the model has seen every vector, no user waits for a refresh, and (with features or
/// profiles or explanations enabled) every item has its features, every due user their profile and every
/// queued row its sentence, or a provider is paused.
enum IdleWatcher {
    static func start(context: DaemonContext) {
        let thread = Thread {
            // Reconnects after a lost connection (it used to stop watching, and the daemon never exited).
            let connection = ReconnectingConnection(url: context.databaseURL, interruptFD: context.shutdown.fileDescriptor,
                                                    logger: context.logger)
            while context.shutdown.sleep(0.5) {
                guard let db = connection.connect(sleep: context.shutdown.sleep) else { return }
                // Idle: a model is built, nothing is queued, and the last build saw every item vector (with
                // embedding disabled, the embedding backlog never drains and does not count; a paused
                // provider's feature backlog neither).
                let status: QueryResult
                do {
                    status = try db.query("""
                    SELECT s.last_build_at IS NOT NULL AND s.users_queued = 0 AND s.events_pending = 0
                           AND s.last_build->'details'->>'fingerprint' = genre._model_fingerprint()
                           AND ((s.items_to_embed = 0 AND s.event_texts_to_embed = 0 AND s.profiles_to_embed = 0)
                                OR NOT (genre.get('embedding.enabled'))::text::boolean)
                           AND ((NOT (genre.get('features.enabled'))::text::boolean OR s.item_features_queued = 0)
                                AND (NOT (genre.get('profile.enabled'))::text::boolean OR s.profiles_queued = 0)
                                AND ((genre.get('explain.llm_top_k'))::text::integer = 0 OR s.explanations_queued = 0)
                                AND NOT EXISTS (SELECT 1 FROM genre.work_queue WHERE queue = 'rerank')
                                OR EXISTS (SELECT 1 FROM genre.provider_state WHERE state = 'paused' AND paused_until > now()))
                           AND NOT EXISTS (SELECT 1 FROM genre.item_embeddings e
                                            WHERE e.embedded_at > coalesce((s.last_build->'details'->>'embedded_until')::timestamptz, '-infinity'))
                      FROM genre.status() s
                    """)
                } catch {
                    context.logger.warning("idle check failed; retrying", metadata: ["error": "\(error)"])
                    if (error as? PostgresError)?.isConnectionLoss == true { connection.drop() }
                    continue
                }
                if (try? status.bool(0, 0)) == true {
                    context.logger.info("idle: model built and every user refreshed")
                    context.shutdown.trigger()
                }
            }
        }
        thread.start()
    }
}
