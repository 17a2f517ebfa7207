import GenreSupport

/// Every setting GENRE understands: the one place a key, its type, default, range, what a change requires and
/// its description are written. `genre install` writes these rows into genre.setting_definitions (which SQL
/// validates every write against), RecommenderSettings and DaemonSettings take their defaults from here, and
/// docs/SETTINGS.md's table is generated from it (`genre print-settings`).
///
/// Adding a setting: an entry here, and the code that reads it (RecommenderSettings or DaemonSettings for
/// Swift readers, SQL for database ones).
public enum SettingsCatalogue {
    public static let definitions: [SettingDefinition] = [
        // Behaviour, popularity, co-occurrence, lists.
        .init(key: "event.weights", kind: .weights, defaultValue: .object(["view": .number(1), "click": .number(2), "like": .number(3),
              "purchase": .number(5), "dislike": .number(-5), "search": .number(0), "comment": .number(0)]),
              range: -100...100, namePattern: "[a-z][a-z0-9_]{0,31}", requires: .rebuild, reader: .model,
              description: "Weight of each event type (an event's own `weight` column overrides it). Negative types (dislike) lower scores. Event types not listed are refused on insert, so adding a name here is how you add an event type."),
        .init(key: "popularity.half_life_days", kind: .number, defaultValue: .number(30), range: 0.01...36500, requires: .rebuild, reader: .model,
              description: "Popularity halves for every this many days between an interaction's last event and the newest event."),
        .init(key: "cooccurrence.neighbors", kind: .integer, defaultValue: .number(50), range: 1...1000, requires: .rebuild, reader: .model,
              description: "Similar items kept per item by co-occurrence and by the collaborative model (their union is what `genre.similar_items` serves)."),
        .init(key: "cooccurrence.shrinkage", kind: .number, defaultValue: .number(2), range: 0...1000, requires: .rebuild, reader: .model,
              description: "Similarity = cosine × n / (n + shrinkage), n = users who chose both: damps pairs seen by few users."),
        .init(key: "recommend.stored_k", kind: .integer, defaultValue: .number(100), range: 1...1000, requires: .rerank, reader: .daemon,
              description: "Rows stored per user; `genre.recommend` filters these, so keep it above the k you ask for."),
        .init(key: "recommend.history_items", kind: .integer, defaultValue: .number(200), range: 1...100_000, requires: .rerank, reader: .model, scenario: true,
              description: "How many of the user's most recent positive items anchor their recommendations."),
        .init(key: "recommend.exclude_seen", kind: .boolean, defaultValue: .bool(true), requires: .nothing, reader: .model, scenario: true,
              description: "Never recommend an item the user already has an event for (applied at read time too)."),
        .init(key: "recommend.reshow_after_days", kind: .number, defaultValue: .number(0), range: 0...36500, requires: .rerank, reader: .model, scenario: true,
              description: "With `recommend.exclude_seen`, an item the user had may come back this many days after their last event on it; 0 = never."),
        .init(key: "recommend.category_boosts", kind: .weights, defaultValue: .object([:]), range: 0...100, requires: .rerank, reader: .model, scenario: true,
              description: "Multiplies the score of items of a category, e.g. `{\"books\": 1.5, \"clearance\": 0.5}`; categories not listed keep 1."),
        // Schedules, queues, events.
        .init(key: "model.rebuild_interval_seconds", kind: .number, defaultValue: .number(600), range: 1...604_800, requires: .nothing, reader: .daemon,
              description: "Rebuild models and refresh every user at least this often when new events arrived."),
        .init(key: "model.rebuild_after_events", kind: .integer, defaultValue: .number(1000), range: 1...1_000_000_000, requires: .nothing, reader: .daemon,
              description: "Rebuild as soon as this many new events arrived since the last build (and `model.min_rebuild_gap_seconds` passed)."),
        .init(key: "model.min_rebuild_gap_seconds", kind: .number, defaultValue: .number(60), range: 0...86400, requires: .nothing, reader: .daemon,
              description: "A build triggered by `model.rebuild_after_events` waits until the last build is at least this old, so a steady stream of events (500/s reaches 1000 events every 2 s) never keeps the trainer rebuilding; real-time refreshes keep every list fresh meanwhile."),
        .init(key: "model.memory_budget_mb", kind: .integer, defaultValue: .number(4096), range: 64...1_048_576, requires: .nothing, reader: .database,
              description: "The largest single allocation a build may make. A setting that implies more is refused when written, naming the bytes it would need: today that is `ease.max_items` (EASE's dense matrix, 4 bytes · n²; 100,000 items would need 40 GB). Lowering the budget below what `ease.max_items` needs is refused the same way."),
        .init(key: "daemon.poll_interval_seconds", kind: .number, defaultValue: .number(5), range: 0.05...3600, requires: .nothing, reader: .daemon,
              description: "How often the daemon re-reads its queues when no NOTIFY woke it (notifications are lost while disconnected)."),
        .init(key: "queue.lease_seconds", kind: .number, defaultValue: .number(60), range: 1...86400, requires: .nothing, reader: .daemon,
              description: "How long a claim lasts; work claimed by a daemon that died is taken up again after this."),
        .init(key: "queue.max_attempts", kind: .integer, defaultValue: .number(5), range: 1...100, requires: .nothing, reader: .daemon,
              description: "Failed attempts (or expired leases) before a work item moves to `genre.dead_letters`."),
        .init(key: "events.max_future_seconds", kind: .number, defaultValue: .number(3600), range: 0...31_536_000, requires: .nothing, reader: .database,
              description: "Events dated further than this in the future are refused (clock skew allowance)."),
        // Experiments.
        .init(key: "experiment.conversion_events", kind: .eventTypes, defaultValue: .array([.string("click"), .string("purchase")]),
              requires: .nothing, reader: .database,
              description: "Event types that count as a conversion in experiments: such an event by the user on an item shown to them, within the experiment's `conversion_days`. Each must be a name in `event.weights` (an unknown name is refused by name). A change recounts every experiment's results from scratch on the daemon's next step."),
        // Language model and similar items.
        .init(key: "embedding.template", kind: .template,
              defaultValue: .string("{title}[. {description}][. Tags: {tags}][. Category: {category}][. {llm.summary}][. Topics: {llm.topics}]"),
              requires: .rebuild, reader: .database,
              description: "How an item's text is rendered for the sentence encoder: `{field}` inserts a field (`item_id`, `title`, `description`, `category`, `tags`, `attributes.<key>`, and `llm.<key>`: what a language model wrote about the item, `genre.item_features`); a `[section]` is left out when a field in it is empty, so an item without generated features embeds from its own text. A change re-embeds every item in the background while the old vectors keep serving. Preview: `SELECT genre.render_item_text(i) FROM genre.items i`."),
        .init(key: "embedding.enabled", kind: .boolean, defaultValue: .bool(true), requires: .nothing, reader: .daemon,
              description: "Embed item and event texts with the in-process language model."),
        .init(key: "similar.content_weight", kind: .number, defaultValue: .number(0.5), range: 0...1, requires: .rebuild, reader: .model,
              description: "`genre.similar_items` score = w · text similarity + (1 − w) · behaviour (co-occurrence, averaged with the collaborative model's similarity); 0 ignores text, 1 ignores behaviour."),
        // Generative language models (docs/LLM.md).
        .init(key: "llm.provider", kind: .provider, defaultValue: .string(""), requires: .nothing, reader: .daemon,
              description: "The provider (`genre.create_provider`) every language-model task uses unless the task names its own; `\"\"` = none."),
        .init(key: "features.enabled", kind: .boolean, defaultValue: .bool(false), requires: .nothing, reader: .daemon,
              description: "Item understanding: a language model reads each item (`features.template`) and writes `genre.item_features` (`features.schema`), which the embedding template can use. Off until enabled; switching it on queues every item."),
        .init(key: "features.provider", kind: .provider, defaultValue: .string(""), requires: .nothing, reader: .daemon,
              description: "The provider item understanding uses; `\"\"` = `llm.provider`."),
        .init(key: "features.template", kind: .template, defaultValue: .string("Title: {title}[\nDescription: {description}][\nTags: {tags}][\nCategory: {category}]"),
              requires: .nothing, reader: .database,
              description: "What the language model reads about an item, with the fields of `embedding.template` (but not `llm.*`). A change queues every item whose text changed; an answer is cached by provider, model, task and text, so nothing is generated twice."),
        .init(key: "features.schema", kind: .jsonSchema, defaultValue: JSONValue.parse(#"{"type": "object", "additionalProperties": false, "required": ["summary", "topics", "keywords", "audience"], "properties": {"summary": {"type": "string", "maxLength": 400}, "topics": {"type": "array", "maxItems": 8, "items": {"type": "string", "maxLength": 60}}, "keywords": {"type": "array", "maxItems": 12, "items": {"type": "string", "maxLength": 40}}, "audience": {"type": "string", "maxLength": 200}}}"#),
              requires: .nothing, reader: .daemon,
              description: "The JSON schema an item's features must satisfy (type, properties, required, items, enum, maxItems, minItems, maxLength, additionalProperties). Sent to the provider as structured output, checked on return, repaired where safe, else asked again; an answer that never fits goes to `genre.dead_letters` with the raw text."),
        .init(key: "features.max_tokens", kind: .integer, defaultValue: .number(256), range: 16...4096, requires: .nothing, reader: .daemon,
              description: "The most tokens a model may write for one item's features."),
        .init(key: "provider.timeout_seconds", kind: .number, defaultValue: .number(60), range: 1...3600, requires: .nothing, reader: .daemon,
              description: "Seconds one request to a provider may take. Like every `provider.*` setting, a default that a provider's own options override."),
        .init(key: "provider.concurrency", kind: .integer, defaultValue: .number(2), range: 1...64, requires: .nothing, reader: .daemon,
              description: "Requests in flight at once to one provider."),
        .init(key: "provider.requests_per_minute", kind: .integer, defaultValue: .number(0), range: 0...1_000_000, requires: .nothing, reader: .daemon,
              description: "Requests per minute a daemon sends to one provider; 0 = no limit."),
        .init(key: "provider.tokens_per_minute", kind: .integer, defaultValue: .number(0), range: 0...1_000_000_000, requires: .nothing, reader: .daemon,
              description: "Tokens (prompt and answer, estimated before and corrected after) per minute a daemon sends to one provider; 0 = no limit."),
        .init(key: "provider.tokens_per_day", kind: .integer, defaultValue: .number(0), range: 0...1_000_000_000_000, requires: .nothing, reader: .daemon,
              description: "A budget: tokens (prompt and answer, as `genre.llm_usage` counts them, all daemons together) one provider may use per UTC day; once spent, its work waits until midnight UTC and `genre.status()` and `genre.list_providers()` say so; 0 = no budget."),
        .init(key: "provider.retries", kind: .integer, defaultValue: .number(3), range: 0...10, requires: .nothing, reader: .daemon,
              description: "Retries of a request after a 429, a 5xx, a timeout or a lost connection, with exponential backoff that honours `Retry-After`."),
        .init(key: "provider.max_response_bytes", kind: .integer, defaultValue: .number(1_048_576), range: 1024...67_108_864, requires: .nothing, reader: .daemon,
              description: "Answers longer than this are refused, so an endpoint cannot fill the daemon's memory."),
        .init(key: "provider.pause_after_failures", kind: .integer, defaultValue: .number(5), range: 1...1000, requires: .nothing, reader: .daemon,
              description: "Failed requests in a row (after retries) that pause a provider (circuit breaker): its work waits, and `genre.status()` and `genre.list_providers()` say why."),
        .init(key: "provider.pause_seconds", kind: .number, defaultValue: .number(60), range: 1...86400, requires: .nothing, reader: .daemon,
              description: "How long a paused provider rests before one trial request."),
        .init(key: "provider.structured_output", kind: .enumeration, defaultValue: .string("json_schema"), allowed: ["json_schema", "json_object", "none"],
              requires: .nothing, reader: .daemon,
              description: "How an `openai` provider is given the answer's JSON schema: `json_schema` (OpenAI's `response_format`), `json_object` (llama-cpp-python's server: `response_format` type `json_object` with a `schema`), or `none` (described in the prompt only). `ollama` providers always get it as `format`."),
        // Blend, interests, diversity.
        .init(key: "blend.weights", kind: .weights, defaultValue: .object(["collaborative": .number(1), "content": .number(0.2), "popularity": .number(0.05)]),
              range: 0...100, allowed: ["collaborative", "cooccurrence", "content", "popularity", "freshness"], requires: .rebuild, reader: .model, scenario: true,
              description: "A user's score for an item = Σ weight · part, each part normalised to 0…1 for the user: collaborative (`collaborative.model`), co-occurrence (what people with the same items chose), content (language-model similarity to the user's interest vector), popularity, freshness (new items). A part left out counts 0; at least one weight must be above 0."),
        .init(key: "recommend.freshness_half_life_days", kind: .number, defaultValue: .number(14), range: 0.01...36500, requires: .rebuild, reader: .model, scenario: true,
              description: "The freshness part of the blend is 1 for the newest item and halves every this many days of age (`items.created_at`, relative to the newest item)."),
        .init(key: "interest.text_weight", kind: .number, defaultValue: .number(3), range: 0...100, requires: .rebuild, reader: .model, scenario: true,
              description: "Weight of each search or comment text in the user's interest vector (item events count with their event weights)."),
        .init(key: "interest.half_life_days", kind: .number, defaultValue: .number(90), range: 0.01...36500, requires: .rebuild, reader: .model, scenario: true,
              description: "In the interest vector, items and texts count half for every this many days before the user's newest event."),
        .init(key: "diversity.lambda", kind: .number, defaultValue: .number(0.9), range: 0...1, requires: .rerank, reader: .model, scenario: true,
              description: "MMR re-ranking of each list's first 20 positions: λ · relevance − (1 − λ) · text similarity to the items already listed. 1 keeps pure relevance; lower spreads the list."),
        // Collaborative filtering.
        .init(key: "collaborative.model", kind: .enumeration, defaultValue: .string("als"), allowed: ["als", "bpr", "ease", "ensemble", "none"],
              requires: .rebuild, reader: .model,
              description: "The collaborative model: implicit-feedback ALS (Hu, Koren & Volinsky 2008, conjugate-gradient solver), BPR (Rendle et al. 2009), EASE (Steck 2019), an ensemble of them (`collaborative.ensemble`), or none. ALS is the default because it scales (multi-threaded, no n² memory); the ensemble ranks best on MovieLens-100k (docs/BENCHMARKS.md) at the cost of BPR's single-threaded training and EASE's dense matrix."),
        .init(key: "collaborative.ensemble", kind: .weights, defaultValue: .object(["als": .number(1), "ease": .number(0.5), "bpr": .number(0.3)]),
              range: 0...100, allowed: ["als", "bpr", "ease"], requires: .rebuild, reader: .model,
              description: "With `collaborative.model = ensemble`: the members and their weights. Each member's scores are divided by the user's largest, then summed with these weights; a member with weight 0 is not trained. Above `ease.max_items` the build trains ALS alone and says so."),
        .init(key: "collaborative.half_life_days", kind: .number, defaultValue: .number(0), range: 0...36500, requires: .rebuild, reader: .model,
              description: "An interaction's strength (so its ALS confidence, BPR sampling weight and EASE weight) halves every this many days before the user's newest event; 0 = no decay."),
        .init(key: "model.seed", kind: .integer, defaultValue: .number(42), range: 0...2_147_483_647, requires: .rebuild, reader: .model,
              description: "Seed of every random choice in training (initial factors, BPR samples): the same data and seed give the same model."),
        .init(key: "als.factors", kind: .integer, defaultValue: .number(64), range: 1...1024, requires: .rebuild, reader: .model,
              description: "ALS latent factors per user and item."),
        .init(key: "als.regularization", kind: .number, defaultValue: .number(50), range: 0...100_000, requires: .rebuild, reader: .model,
              description: "ALS L2 regularisation λ."),
        .init(key: "als.alpha", kind: .number, defaultValue: .number(5), range: 0...100_000, requires: .rebuild, reader: .model,
              description: "ALS confidence c = 1 + alpha · |strength| (a dislike gives preference 0 with that confidence)."),
        .init(key: "als.iterations", kind: .integer, defaultValue: .number(15), range: 0...1000, requires: .rebuild, reader: .model,
              description: "ALS alternating sweeps (users, then items)."),
        .init(key: "als.cg_steps", kind: .integer, defaultValue: .number(3), range: 1...100, requires: .rebuild, reader: .model,
              description: "Conjugate-gradient steps per row and sweep (more = closer to an exact solve, slower)."),
        .init(key: "bpr.factors", kind: .integer, defaultValue: .number(64), range: 1...1024, requires: .rebuild, reader: .model,
              description: "BPR latent factors per user and item."),
        .init(key: "bpr.learning_rate", kind: .number, defaultValue: .number(0.01), range: 0.000001...10, requires: .rebuild, reader: .model,
              description: "BPR stochastic gradient step size."),
        .init(key: "bpr.regularization", kind: .number, defaultValue: .number(0.01), range: 0...100, requires: .rebuild, reader: .model,
              description: "BPR L2 regularisation of factors and item biases."),
        .init(key: "bpr.iterations", kind: .integer, defaultValue: .number(200), range: 0...10000, requires: .rebuild, reader: .model,
              description: "BPR epochs; each draws as many (user, chosen, not chosen) triples as there are positive interactions."),
        .init(key: "bpr.negatives", kind: .enumeration, defaultValue: .string("uniform"), allowed: ["uniform", "popularity"], requires: .rebuild, reader: .model,
              description: "How BPR draws the item a user did not choose: uniformly over the catalogue, or in proportion to popularity (as `implicit` does). Uniform wins on MovieLens-100k; popularity sampling keeps BPR from learning mere popularity on long-tailed catalogues (docs/BENCHMARKS.md)."),
        .init(key: "ease.regularization", kind: .number, defaultValue: .number(800), range: 0.000001...100_000_000, requires: .rebuild, reader: .model,
              description: "EASE L2 regularisation λ of the item-item weights."),
        .init(key: "ease.max_items", kind: .integer, defaultValue: .number(15000), range: 1...100_000, requires: .rebuild, reader: .model,
              description: "EASE keeps a dense items × items matrix (4 bytes · n²: 15,000 items = 900 MB), which must fit `model.memory_budget_mb`; above this many items a build trains ALS instead and says so in `genre.model_builds`."),
    ]

    /// Definitions by key.
    public static let byKey: [String: SettingDefinition] = Dictionary(uniqueKeysWithValues: definitions.map { ($0.key, $0) })

    /// The definition of `key`, or `SettingError.unknownKey`.
    public static func definition(_ key: String) throws -> SettingDefinition {
        guard let definition = byKey[key] else { throw SettingError.unknownKey(key) }
        return definition
    }

    /// Every default, by key.
    public static let defaults = SettingValues(definitions.map { ($0.key, $0.defaultValue) })
}
