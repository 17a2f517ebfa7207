-- Generative language models: providers as rows (their options override the provider.* settings), the
-- item-features queue and its triggers, and what an operator reads (genre.list_providers).

-- ---------------------------------------------------------------------------------------------------------
-- Provider options: each key is a provider.* setting (its default, type and range), so a bad option is
-- refused with the same message a bad setting gets.
CREATE OR REPLACE FUNCTION genre._check_provider_options(p_options jsonb)
RETURNS jsonb LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_entry record; v_out jsonb := '{}';
BEGIN
  IF p_options IS NULL OR jsonb_typeof(p_options) <> 'object' THEN
    RAISE EXCEPTION 'genre provider options must be a JSON object, e.g. {"timeout_seconds": 30}, got %', left(coalesce(p_options::text, 'NULL'), 100)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  FOR v_entry IN SELECT key, value FROM jsonb_each(p_options) LOOP
    IF NOT EXISTS (SELECT 1 FROM genre.setting_definitions WHERE key = 'provider.' || v_entry.key) THEN
      RAISE EXCEPTION 'unknown genre provider option "%"', left(v_entry.key, 100) USING ERRCODE = 'invalid_parameter_value',
        HINT = 'Options: ' || (SELECT string_agg(substr(key, length('provider.') + 1), ', ' ORDER BY key)
                                FROM genre.setting_definitions WHERE key LIKE 'provider.%');
    END IF;
    v_out := v_out || jsonb_build_object(v_entry.key, genre._parse_setting('provider.' || v_entry.key,
      CASE WHEN jsonb_typeof(v_entry.value) = 'string' THEN v_entry.value #>> '{}' ELSE v_entry.value::text END));
  END LOOP;
  RETURN v_out;
END $$;
COMMENT ON FUNCTION genre._check_provider_options(jsonb) IS
  'Internal: validates provider options against the provider.* settings and returns them canonical.';

-- Every write to genre.providers is checked here, whether through genre.create_provider or a plain INSERT.
CREATE OR REPLACE FUNCTION genre._providers_validate()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF NEW.name IS NULL OR NEW.name !~ '^[a-z][a-z0-9_-]{0,62}$' THEN
    RAISE EXCEPTION 'genre provider name must be lower-case letters, digits, _ or - (at most 63, starting with a letter), got %', left(coalesce(NEW.name, 'NULL'), 100)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF NEW.kind IS NULL OR NEW.kind NOT IN ('openai', 'ollama') THEN
    RAISE EXCEPTION 'genre provider "%": kind must be openai (OpenAI-compatible: OpenAI, vLLM, llama.cpp, LM Studio, Ollama''s /v1) or ollama (its native API), got %', NEW.name, left(coalesce(NEW.kind, 'NULL'), 100)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF NEW.base_url IS NULL OR NEW.base_url !~ '^https?://[^\s/]+' THEN
    RAISE EXCEPTION 'genre provider "%": base_url must start with http:// or https://, e.g. https://api.openai.com/v1, got %', NEW.name, left(coalesce(NEW.base_url, 'NULL'), 200)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF NEW.model IS NULL OR btrim(NEW.model) = '' OR length(NEW.model) > 256 THEN
    RAISE EXCEPTION 'genre provider "%": model must name the model to call, e.g. gpt-4o-mini', NEW.name USING ERRCODE = 'invalid_parameter_value';
  END IF;
  NEW.api_key_env := nullif(btrim(NEW.api_key_env), '');
  -- GENRE's and libpq's own variables hold the database's credentials: never sent to a provider.
  IF NEW.api_key_env ~ '^(GENRE_|PG)' OR NEW.api_key_env = 'DATABASE_URL' THEN
    RAISE EXCEPTION 'genre provider "%": api_key_env % holds the database''s credentials, not a provider key', NEW.name, NEW.api_key_env
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Name a variable of its own, e.g. OPENAI_API_KEY.';
  END IF;
  IF NEW.api_key_env IS NOT NULL AND NEW.api_key_env !~ '^[A-Z_][A-Z0-9_]{0,127}$' THEN
    -- Never echo the value: it may be the key itself, pasted by mistake.
    RAISE EXCEPTION 'genre provider "%": api_key_env must be the NAME of an environment variable (upper-case letters, digits, _), not a key', NEW.name
      USING ERRCODE = 'invalid_parameter_value', HINT = 'e.g. api_key_env => ''OPENAI_API_KEY''; the daemon reads the key from its environment.';
  END IF;
  NEW.options := genre._check_provider_options(coalesce(NEW.options, '{}'));
  NEW.base_url := rtrim(NEW.base_url, '/');
  NEW.updated_at := now();
  RETURN NEW;
END $$;
COMMENT ON FUNCTION genre._providers_validate() IS 'Internal trigger: validates and canonicalises every write to genre.providers.';
CREATE OR REPLACE TRIGGER providers_validate BEFORE INSERT OR UPDATE ON genre.providers
  FOR EACH ROW EXECUTE FUNCTION genre._providers_validate();

-- A provider change reaches daemons like a settings change (they re-read both).
CREATE OR REPLACE FUNCTION genre._providers_notify()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM pg_notify('genre_settings', 'provider:' || coalesce(NEW.name, OLD.name));
  RETURN NULL;
END $$;
COMMENT ON FUNCTION genre._providers_notify() IS 'Internal trigger: tells daemons (channel genre_settings, payload provider:<name>) that a provider changed.';
CREATE OR REPLACE TRIGGER providers_notify AFTER INSERT OR UPDATE OR DELETE ON genre.providers
  FOR EACH ROW EXECUTE FUNCTION genre._providers_notify();

CREATE OR REPLACE FUNCTION genre.create_provider(name text, kind text, base_url text, model text,
                                                 api_key_env text DEFAULT NULL, options jsonb DEFAULT '{}')
RETURNS genre.providers LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE v genre.providers;
BEGIN
  IF EXISTS (SELECT 1 FROM genre.providers p WHERE p.name = create_provider.name) THEN
    RAISE EXCEPTION 'genre provider "%" already exists; change it with genre.alter_provider', create_provider.name
      USING ERRCODE = 'unique_violation';
  END IF;
  INSERT INTO genre.providers AS p (name, kind, base_url, model, api_key_env, options)
  VALUES (create_provider.name, create_provider.kind, create_provider.base_url, create_provider.model,
          create_provider.api_key_env, coalesce(create_provider.options, '{}'))
  RETURNING * INTO v;
  RETURN v;
END $$;
COMMENT ON FUNCTION genre.create_provider(text, text, text, text, text, jsonb) IS
  'Adds a generative model endpoint, e.g. genre.create_provider(''local'', ''openai'', ''http://127.0.0.1:8080/v1'', ''smollm2''), or with a key: api_key_env => ''OPENAI_API_KEY'' (the NAME of the variable the daemon reads; the key is never stored). options override the provider.* settings, e.g. {"timeout_seconds": 30, "concurrency": 4}.';

CREATE OR REPLACE FUNCTION genre.alter_provider(name text, base_url text DEFAULT NULL, model text DEFAULT NULL,
                                                api_key_env text DEFAULT NULL, options jsonb DEFAULT NULL)
RETURNS genre.providers LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE v genre.providers;
BEGIN
  UPDATE genre.providers p
     SET base_url = coalesce(alter_provider.base_url, p.base_url),
         model = coalesce(alter_provider.model, p.model),
         -- '' clears the key variable (an endpoint that takes no key).
         api_key_env = CASE WHEN alter_provider.api_key_env IS NULL THEN p.api_key_env ELSE alter_provider.api_key_env END,
         -- Options are merged: a key set to null goes back to the provider.* setting.
         options = jsonb_strip_nulls(p.options || coalesce(alter_provider.options, '{}'))
   WHERE p.name = alter_provider.name
  RETURNING * INTO v;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'unknown genre provider "%"', left(coalesce(alter_provider.name, 'NULL'), 100) USING ERRCODE = 'no_data_found',
      HINT = coalesce('Providers: ' || (SELECT string_agg(p.name, ', ' ORDER BY p.name) FROM genre.providers p), 'Create one with genre.create_provider.');
  END IF;
  RETURN v;
END $$;
COMMENT ON FUNCTION genre.alter_provider(text, text, text, text, jsonb) IS
  'Changes a provider: the arguments given replace its base_url, model or api_key_env ('''' clears it); options are merged ({"retries": null} goes back to the provider.retries setting).';

CREATE OR REPLACE FUNCTION genre.drop_provider(name text)
RETURNS boolean LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_users text;
BEGIN
  SELECT string_agg(s.key, ', ' ORDER BY s.key) INTO v_users
    FROM genre.settings s JOIN genre.setting_definitions d ON d.key = s.key
   WHERE d.value_type = 'provider' AND s.value #>> '{}' = drop_provider.name;
  IF v_users IS NOT NULL THEN
    RAISE EXCEPTION 'genre provider "%" is in use by %; point those settings elsewhere first', drop_provider.name, v_users
      USING ERRCODE = 'dependent_objects_still_exist';
  END IF;
  DELETE FROM genre.providers p WHERE p.name = drop_provider.name;
  RETURN FOUND;
END $$;
COMMENT ON FUNCTION genre.drop_provider(text) IS
  'Removes a provider; refused while a setting (llm.provider, features.provider …) names it. Its usage history stays in genre.llm_usage.';

CREATE OR REPLACE FUNCTION genre.list_providers()
RETURNS TABLE (name text, kind text, base_url text, model text, api_key_env text, options jsonb, state text,
               paused_until timestamptz, last_error text, requests_24h bigint, tokens_in_24h bigint,
               tokens_out_24h bigint, errors_24h bigint, cache_hits_24h bigint)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT p.name, p.kind, p.base_url, p.model, p.api_key_env,
         -- Effective options: every provider.* setting, overridden by the provider's own.
         (SELECT jsonb_object_agg(substr(d.key, length('provider.') + 1), genre._setting(d.key))
            FROM genre.setting_definitions d WHERE d.key LIKE 'provider.%') || p.options,
         coalesce(s.state, 'ok'), s.paused_until, s.last_error,
         coalesce(sum(u.requests), 0)::bigint, coalesce(sum(u.tokens_in), 0)::bigint, coalesce(sum(u.tokens_out), 0)::bigint,
         coalesce(sum(u.errors), 0)::bigint, coalesce(sum(u.cache_hits), 0)::bigint
    FROM genre.providers p
    LEFT JOIN genre.provider_state s ON s.provider = p.name
    LEFT JOIN genre.llm_usage u ON u.provider = p.name AND u.hour > now() - interval '24 hours'
   GROUP BY p.name, s.provider
   ORDER BY p.name
$$;
COMMENT ON FUNCTION genre.list_providers() IS
  'Every provider with its effective options, its state as the daemon last saw it (ok, or paused by the circuit breaker until a time, with the last error) and its usage over the last 24 hours.';

-- ---------------------------------------------------------------------------------------------------------
-- Item features: queued when features are enabled and an item's rendered prompt text (features.template)
-- differs from the text its stored features were made from.

-- The text the model reads about an item.
CREATE OR REPLACE FUNCTION genre._feature_input(p_item genre.items)
RETURNS text LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT genre.render_item_text(p_item, genre._setting('features.template') #>> '{}')
$$;
COMMENT ON FUNCTION genre._feature_input(genre.items) IS 'Internal: an item rendered with features.template, the input of item understanding.';

CREATE OR REPLACE FUNCTION genre._items_enqueue_features()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF NOT (genre._setting('features.enabled'))::text::boolean THEN RETURN NULL; END IF;
  PERFORM genre._enqueue('item_features', ARRAY(
    SELECT n.item_id FROM changed_items n LEFT JOIN genre.item_features f ON f.item_id = n.item_id
     WHERE f.item_id IS NULL OR f.input_hash <> genre._text_hash(genre._feature_input(n))));
  RETURN NULL;
END $$;
COMMENT ON FUNCTION genre._items_enqueue_features() IS
  'Internal trigger: queues item understanding for items whose prompt text changed, when features.enabled.';
CREATE OR REPLACE TRIGGER items_features_inserted AFTER INSERT ON genre.items
  REFERENCING NEW TABLE AS changed_items FOR EACH STATEMENT EXECUTE FUNCTION genre._items_enqueue_features();
CREATE OR REPLACE TRIGGER items_features_updated AFTER UPDATE ON genre.items
  REFERENCING NEW TABLE AS changed_items FOR EACH STATEMENT EXECUTE FUNCTION genre._items_enqueue_features();

-- The daemon's sweep (at start, and when features are switched on or their task changes): every item with
-- no features, or features from another task (prompt hash) or another text.
CREATE OR REPLACE FUNCTION genre._enqueue_stale_features(p_prompt_hash text)
RETURNS integer LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_keys text[];
BEGIN
  -- Work already queued keeps its attempts, and an item whose answers never fitted stays in the dead
  -- letters (a restart must not pay for it again; editing the item or genre.retry_dead_letter brings it back).
  v_keys := ARRAY(SELECT i.item_id FROM genre.items i LEFT JOIN genre.item_features f ON f.item_id = i.item_id
                   WHERE (f.item_id IS NULL OR f.prompt_hash <> p_prompt_hash
                          OR f.input_hash <> genre._text_hash(genre._feature_input(i)))
                     AND NOT EXISTS (SELECT 1 FROM genre.work_queue q WHERE q.queue = 'item_features' AND q.work_key = i.item_id)
                     AND NOT EXISTS (SELECT 1 FROM genre.dead_letters d WHERE d.queue = 'item_features' AND d.work_key = i.item_id)
                   ORDER BY i.item_id);
  PERFORM genre._enqueue('item_features', v_keys);
  RETURN cardinality(v_keys);
END $$;
COMMENT ON FUNCTION genre._enqueue_stale_features(text) IS
  'Internal: queues item understanding for every item whose features are missing or were made by another task or from another text (not those queued already or dead-lettered).';

-- New or changed features change the text an item is embedded from when the embedding template uses
-- {llm.*} fields: those items are queued for embedding again.
CREATE OR REPLACE FUNCTION genre._item_features_enqueue_embedding()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF NOT (genre._setting('embedding.enabled'))::text::boolean THEN RETURN NULL; END IF;
  PERFORM genre._enqueue('items', ARRAY(
    SELECT i.item_id FROM changed_features f JOIN genre.items i ON i.item_id = f.item_id
      LEFT JOIN genre.item_embeddings e ON e.item_id = i.item_id
     WHERE e.item_id IS NULL OR e.content_hash <> genre._text_hash(genre.render_item_text(i))));
  RETURN NULL;
END $$;
COMMENT ON FUNCTION genre._item_features_enqueue_embedding() IS
  'Internal trigger: re-queues embedding for items whose embedded text changed with their generated features.';
CREATE OR REPLACE TRIGGER item_features_embed_inserted AFTER INSERT ON genre.item_features
  REFERENCING NEW TABLE AS changed_features FOR EACH STATEMENT EXECUTE FUNCTION genre._item_features_enqueue_embedding();
CREATE OR REPLACE TRIGGER item_features_embed_updated AFTER UPDATE ON genre.item_features
  REFERENCING NEW TABLE AS changed_features FOR EACH STATEMENT EXECUTE FUNCTION genre._item_features_enqueue_embedding();

-- Usage is counted per provider, hour and task; the daemon adds one step's worth at a time.
CREATE OR REPLACE FUNCTION genre._record_llm_usage(p_provider text, p_task text, p_requests integer, p_tokens_in integer,
                                                   p_tokens_out integer, p_errors integer, p_cache_hits integer, p_latency_ms bigint)
RETURNS void LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
  INSERT INTO genre.llm_usage AS u (provider, hour, task, requests, tokens_in, tokens_out, errors, cache_hits, latency_ms_total)
  VALUES (p_provider, date_trunc('hour', now()), p_task, p_requests, p_tokens_in, p_tokens_out, p_errors, p_cache_hits, p_latency_ms)
  ON CONFLICT (provider, hour, task) DO UPDATE SET
    requests = u.requests + EXCLUDED.requests, tokens_in = u.tokens_in + EXCLUDED.tokens_in,
    tokens_out = u.tokens_out + EXCLUDED.tokens_out, errors = u.errors + EXCLUDED.errors,
    cache_hits = u.cache_hits + EXCLUDED.cache_hits, latency_ms_total = u.latency_ms_total + EXCLUDED.latency_ms_total
$$;
COMMENT ON FUNCTION genre._record_llm_usage(text, text, integer, integer, integer, integer, integer, bigint) IS
  'Internal: adds requests, tokens, errors, cache hits and latency to a provider''s usage for this hour and task.';
