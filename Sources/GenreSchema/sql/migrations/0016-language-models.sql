-- Generative language models: providers as rows, the item features they write (with provenance), a cache
-- so a prompt is never answered twice, hourly usage per provider and task, and each provider's state
-- (paused by the circuit breaker or a budget) as the daemon last saw it.

CREATE TABLE genre.providers (
    name         text        PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_-]{0,62}$'),
    kind         text        NOT NULL CHECK (kind IN ('openai', 'ollama')),
    base_url     text        NOT NULL CHECK (base_url ~ '^https?://[^\s/]+'),
    model        text        NOT NULL CHECK (btrim(model) <> '' AND length(model) <= 256),
    -- The NAME of the environment variable holding the API key; the key itself is never stored.
    api_key_env  text        CHECK (api_key_env ~ '^[A-Z_][A-Z0-9_]{0,127}$'),
    options      jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(options) = 'object'),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE genre.providers IS
  'Generative model endpoints (genre.create_provider): kind openai (OpenAI-compatible chat completions) or ollama, the model, the environment variable the daemon reads the API key from (never the key), and options overriding the provider.* settings (timeouts, concurrency, rate limits, retries).';

CREATE TABLE genre.item_features (
    item_id       text        PRIMARY KEY REFERENCES genre.items (item_id) ON DELETE CASCADE,
    features      jsonb       NOT NULL CHECK (jsonb_typeof(features) = 'object'),
    provider      text        NOT NULL,
    model         text        NOT NULL,
    -- SHA-256 of the task (instructions, template, schema) and of the item's rendered prompt text.
    prompt_hash   text        NOT NULL,
    input_hash    text        NOT NULL,
    tokens_in     integer,
    tokens_out    integer,
    latency_ms    integer,
    generated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE genre.item_features IS
  'What a language model wrote about each item (features.schema: summary, topics, keywords, audience by default), with provenance. The embedding template can use them as {llm.<field>}.';

CREATE TABLE genre.llm_cache (
    provider     text        NOT NULL,
    model        text        NOT NULL,
    prompt_hash  text        NOT NULL,
    input_hash   text        NOT NULL,
    output       jsonb       NOT NULL,
    tokens_in    integer,
    tokens_out   integer,
    latency_ms   integer,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, model, prompt_hash, input_hash)
);
COMMENT ON TABLE genre.llm_cache IS
  'Every validated answer by (provider, model, prompt hash, input hash): the same question is never sent twice.';

CREATE TABLE genre.llm_usage (
    provider          text        NOT NULL,
    hour              timestamptz NOT NULL,
    task              text        NOT NULL,
    requests          bigint      NOT NULL DEFAULT 0,
    tokens_in         bigint      NOT NULL DEFAULT 0,
    tokens_out        bigint      NOT NULL DEFAULT 0,
    errors            bigint      NOT NULL DEFAULT 0,
    cache_hits        bigint      NOT NULL DEFAULT 0,
    latency_ms_total  bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (provider, hour, task)
);
COMMENT ON TABLE genre.llm_usage IS
  'Requests, tokens in and out, errors, cache hits and total latency per provider, hour and task.';

CREATE TABLE genre.provider_state (
    provider              text        PRIMARY KEY,
    state                 text        NOT NULL CHECK (state IN ('ok', 'paused')),
    paused_until          timestamptz,
    consecutive_failures  integer     NOT NULL DEFAULT 0,
    last_error            text,
    updated_at            timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE genre.provider_state IS
  'Each provider as the daemon last saw it: ok, or paused (circuit breaker) until a time, with the last error.';

-- New kinds of setting values: the name of a provider, and a JSON schema for a model's answer.
ALTER TABLE genre.setting_definitions DROP CONSTRAINT setting_definitions_value_type_check;
ALTER TABLE genre.setting_definitions ADD CONSTRAINT setting_definitions_value_type_check
  CHECK (value_type IN ('number', 'integer', 'boolean', 'text', 'enum', 'weights', 'template', 'event_types', 'provider', 'json_schema'));
