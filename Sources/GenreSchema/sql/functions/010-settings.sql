-- Settings: validation on every write against the catalogue (genre.setting_definitions, written from
-- SettingsCatalogue.swift by every install), and the
-- genre.set / genre.get / genre.reset functions. A change notifies the daemon on channel genre_settings
-- with the key as payload.

-- ---------------------------------------------------------------------------------------------------------
-- genre._format_bound: formats a range bound for messages ("0.01", "36500").
CREATE OR REPLACE FUNCTION genre._format_bound(p_value double precision)
RETURNS text LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT CASE WHEN p_value = trunc(p_value) THEN trunc(p_value)::bigint::text ELSE p_value::text END
$$;
COMMENT ON FUNCTION genre._format_bound(double precision) IS 'Internal: formats a setting range bound for error messages.';

-- ---------------------------------------------------------------------------------------------------------
-- genre._parse_number: text -> finite numeric within the key's range, or an error naming the key.
CREATE OR REPLACE FUNCTION genre._parse_number(p_key text, p_text text, p_integer boolean, p_min double precision, p_max double precision)
RETURNS numeric LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v numeric;
  v_range text := CASE WHEN p_min IS NULL THEN '' ELSE format(' between %s and %s', genre._format_bound(p_min), genre._format_bound(p_max)) END;
  v_kind text := CASE WHEN p_integer THEN 'an integer' ELSE 'a number' END;
BEGIN
  BEGIN
    v := btrim(p_text)::numeric;
  EXCEPTION WHEN invalid_text_representation OR numeric_value_out_of_range THEN
    RAISE EXCEPTION 'genre setting "%" must be %, got %', p_key, v_kind || v_range, left(p_text, 100)
      USING ERRCODE = 'invalid_parameter_value';
  END;
  IF v = 'NaN'::numeric OR v IN ('Infinity'::numeric, '-Infinity'::numeric) THEN
    RAISE EXCEPTION 'genre setting "%" must be a finite number%, got %', p_key, v_range, p_text
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_integer AND v <> trunc(v) THEN
    RAISE EXCEPTION 'genre setting "%" must be an integer%, got %', p_key, v_range, p_text
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF (p_min IS NOT NULL AND v < p_min::numeric) OR (p_max IS NOT NULL AND v > p_max::numeric) THEN
    RAISE EXCEPTION 'genre setting "%" must be %, got %', p_key, v_kind || v_range, p_text
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  RETURN v;
END $$;
COMMENT ON FUNCTION genre._parse_number(text, text, boolean, double precision, double precision) IS
  'Internal: parses a numeric setting value, refusing NaN, infinities, non-integers where integers are required, and values out of range.';

-- ---------------------------------------------------------------------------------------------------------
-- genre._definition: the catalogue row of a key, or an error that names the unknown key.
CREATE OR REPLACE FUNCTION genre._definition(p_key text)
RETURNS genre.setting_definitions LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE d genre.setting_definitions;
BEGIN
  SELECT * INTO d FROM genre.setting_definitions WHERE key = p_key;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'unknown genre setting "%"', left(coalesce(p_key, 'NULL'), 100)
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Known keys: ' || (SELECT string_agg(key, ', ' ORDER BY key) FROM genre.setting_definitions);
  END IF;
  RETURN d;
END $$;
COMMENT ON FUNCTION genre._definition(text) IS 'Internal: the catalogue row for a setting key; unknown keys raise an error listing the known ones.';

-- ---------------------------------------------------------------------------------------------------------
-- genre._parse_event_types: a JSON array of event types (experiment.conversion_events) -> the array without
-- repeats, in the order given. Each must be a name in event.weights (the types events may have), and an
-- unknown one is refused by name: a typo would otherwise silently count no conversions.
CREATE OR REPLACE FUNCTION genre._parse_event_types(p_key text, p_text text)
RETURNS jsonb LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_json jsonb;
  v_known jsonb := coalesce((SELECT s.value FROM genre.settings s WHERE s.key = 'event.weights'),
                            (SELECT d.default_value FROM genre.setting_definitions d WHERE d.key = 'event.weights'));
  v_type jsonb;
BEGIN
  BEGIN
    v_json := p_text::jsonb;
  EXCEPTION WHEN invalid_text_representation THEN
    v_json := NULL;
  END;
  IF v_json IS NULL OR jsonb_typeof(v_json) <> 'array' OR jsonb_array_length(v_json) = 0 THEN
    RAISE EXCEPTION 'genre setting "%" must be a non-empty JSON array of event types, e.g. ["click", "purchase"], got %', p_key, left(p_text, 100)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  FOR v_type IN SELECT value FROM jsonb_array_elements(v_json) LOOP
    IF jsonb_typeof(v_type) <> 'string' THEN
      RAISE EXCEPTION 'genre setting "%": event types are strings, got %', p_key, left(v_type::text, 100)
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT v_known ? (v_type #>> '{}') THEN
      RAISE EXCEPTION 'genre setting "%": unknown event type "%"; known: %', p_key, left(v_type #>> '{}', 100),
        (SELECT string_agg(k, ', ' ORDER BY k) FROM jsonb_object_keys(v_known) k) USING ERRCODE = 'invalid_parameter_value';
    END IF;
  END LOOP;
  RETURN (SELECT jsonb_agg(t ORDER BY first) FROM (SELECT t, min(n) AS first FROM jsonb_array_elements_text(v_json) WITH ORDINALITY x(t, n) GROUP BY t) u);
END $$;
COMMENT ON FUNCTION genre._parse_event_types(text, text) IS
  'Internal: validates a setting that lists event types (each a name in event.weights) and returns it without repeats.';

-- ---------------------------------------------------------------------------------------------------------
-- genre._parse_setting: a value written as text (as genre.set receives it) -> canonical jsonb for the key.
CREATE OR REPLACE FUNCTION genre._parse_setting(p_key text, p_text text)
RETURNS jsonb LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  d genre.setting_definitions := genre._definition(p_key);
  v_json jsonb;
  v_entry record;
  v_out jsonb := '{}';
BEGIN
  IF p_text IS NULL THEN
    RAISE EXCEPTION 'genre setting "%" cannot be NULL; use genre.reset(''%'') to return to the default', p_key, p_key
      USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF length(p_text) > 10000 THEN
    RAISE EXCEPTION 'genre setting "%" value is % characters long; at most 10000 are allowed', p_key, length(p_text)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  CASE d.value_type
  WHEN 'number', 'integer' THEN
    RETURN to_jsonb(genre._parse_number(p_key, p_text, d.value_type = 'integer', d.min_value, d.max_value));
  WHEN 'boolean' THEN
    CASE lower(btrim(p_text))
      WHEN 'true', 't', 'on', 'yes', '1' THEN RETURN 'true'::jsonb;
      WHEN 'false', 'f', 'off', 'no', '0' THEN RETURN 'false'::jsonb;
      ELSE RAISE EXCEPTION 'genre setting "%" must be true or false, got %', p_key, left(p_text, 100)
             USING ERRCODE = 'invalid_parameter_value';
    END CASE;
  WHEN 'text' THEN
    RETURN to_jsonb(p_text);
  WHEN 'template' THEN
    PERFORM genre._check_template(p_key, p_text);
    RETURN to_jsonb(p_text);
  WHEN 'enum' THEN
    IF NOT d.allowed ? p_text THEN
      RAISE EXCEPTION 'genre setting "%" must be one of %, got %', p_key,
        (SELECT string_agg(x, ', ') FROM jsonb_array_elements_text(d.allowed) x), left(p_text, 100)
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN to_jsonb(p_text);
  WHEN 'weights' THEN
    BEGIN
      v_json := p_text::jsonb;
    EXCEPTION WHEN invalid_text_representation THEN
      v_json := NULL;
    END;
    IF v_json IS NULL OR jsonb_typeof(v_json) <> 'object' THEN
      RAISE EXCEPTION 'genre setting "%" must be a JSON object of name: number, got %', p_key, left(p_text, 100)
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR v_entry IN SELECT key, value FROM jsonb_each(v_json) LOOP
      -- A name pattern keeps event types simple (they become identifiers in events rows); other names
      -- (categories) are whatever the application uses.
      IF d.name_pattern IS NOT NULL AND v_entry.key !~ ('^(' || d.name_pattern || ')$') THEN
        RAISE EXCEPTION 'genre setting "%": name "%" must match %', p_key, left(v_entry.key, 100), d.name_pattern
          USING ERRCODE = 'invalid_parameter_value';
      ELSIF btrim(v_entry.key) = '' OR length(v_entry.key) > 256 THEN
        RAISE EXCEPTION 'genre setting "%": names must be 1 to 256 characters', p_key USING ERRCODE = 'invalid_parameter_value';
      END IF;
      IF jsonb_typeof(v_entry.value) NOT IN ('number', 'string') THEN
        RAISE EXCEPTION 'genre setting "%": "%" must be a number, got %', p_key, v_entry.key, left(v_entry.value::text, 100)
          USING ERRCODE = 'invalid_parameter_value';
      END IF;
      v_out := v_out || jsonb_build_object(v_entry.key,
        genre._parse_number(p_key || '.' || v_entry.key, v_entry.value #>> '{}', false, d.min_value, d.max_value));
    END LOOP;
    -- A weights setting with `allowed` (blend.weights) takes only those names (a name left out counts 0)
    -- and needs one weight above 0; without `allowed`, any names.
    IF d.allowed IS NOT NULL AND EXISTS (SELECT 1 FROM jsonb_object_keys(v_out) k WHERE NOT d.allowed ? k) THEN
      RAISE EXCEPTION 'genre setting "%" takes weights named among %, got %', p_key,
        (SELECT string_agg(x, ', ') FROM jsonb_array_elements_text(d.allowed) x),
        (SELECT string_agg(k, ', ') FROM jsonb_object_keys(v_out) k WHERE NOT d.allowed ? k)
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF d.allowed IS NOT NULL AND NOT EXISTS (SELECT 1 FROM jsonb_each_text(v_out) e WHERE e.value::float8 > 0) THEN
      RAISE EXCEPTION 'genre setting "%" needs at least one weight above 0', p_key USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN v_out;
  WHEN 'event_types' THEN
    RETURN genre._parse_event_types(p_key, p_text);
  WHEN 'provider' THEN
    -- '' = none; otherwise a provider that exists (a typo would silently switch a task off).
    IF btrim(p_text) <> '' AND NOT EXISTS (SELECT 1 FROM genre.providers p WHERE p.name = btrim(p_text)) THEN
      RAISE EXCEPTION 'genre setting "%": no provider named "%"', p_key, left(p_text, 100) USING ERRCODE = 'invalid_parameter_value',
        HINT = coalesce('Providers: ' || (SELECT string_agg(p.name, ', ' ORDER BY p.name) FROM genre.providers p), 'Create one with genre.create_provider.');
    END IF;
    RETURN to_jsonb(btrim(p_text));
  WHEN 'json_schema' THEN
    BEGIN
      v_json := p_text::jsonb;
    EXCEPTION WHEN invalid_text_representation THEN
      v_json := NULL;
    END;
    IF v_json IS NULL OR jsonb_typeof(v_json) <> 'object' OR v_json ->> 'type' IS DISTINCT FROM 'object'
       OR jsonb_typeof(v_json -> 'properties') IS DISTINCT FROM 'object' THEN
      RAISE EXCEPTION 'genre setting "%" must be a JSON schema of an object: {"type": "object", "properties": {...}, "required": [...]}, got %', p_key, left(p_text, 100)
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN v_json;
  END CASE;
END $$;
COMMENT ON FUNCTION genre._parse_setting(text, text) IS
  'Internal: validates a setting value given as text against the catalogue and returns it as canonical jsonb, or raises an error naming the key and what is allowed.';

-- ---------------------------------------------------------------------------------------------------------
-- Settings that imply a large allocation must fit model.memory_budget_mb: refused when written, with the
-- bytes they would need, rather than found out by an out-of-memory crash loop of every trainer (a build is
-- not a queue item, so nothing would dead-letter it). EASE's dense items × items matrix is the one such
-- allocation: 4 bytes · ease.max_items².
CREATE OR REPLACE FUNCTION genre._check_memory_budget(p_key text, p_value jsonb)
RETURNS void LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_items numeric := CASE WHEN p_key = 'ease.max_items' THEN (p_value #>> '{}')::numeric ELSE (genre.get('ease.max_items') #>> '{}')::numeric END;
  v_budget_mb numeric := CASE WHEN p_key = 'model.memory_budget_mb' THEN (p_value #>> '{}')::numeric
                              ELSE (genre.get('model.memory_budget_mb') #>> '{}')::numeric END;
  v_needed numeric := 4 * v_items * v_items;
BEGIN
  IF p_key NOT IN ('ease.max_items', 'model.memory_budget_mb') OR v_needed <= v_budget_mb * 1048576 THEN RETURN; END IF;
  RAISE EXCEPTION 'genre setting "%" refused: ease.max_items = % needs % bytes (% MB) for EASE''s dense items × items matrix, over model.memory_budget_mb = % MB',
    p_key, v_items, v_needed, ceil(v_needed / 1048576), v_budget_mb
    USING ERRCODE = 'invalid_parameter_value',
          HINT = format('Lower ease.max_items to at most %s, or raise model.memory_budget_mb to at least %s.',
                        floor(sqrt(v_budget_mb * 1048576 / 4)), ceil(v_needed / 1048576));
END $$;
COMMENT ON FUNCTION genre._check_memory_budget(text, jsonb) IS
  'Internal: refuses ease.max_items or model.memory_budget_mb values whose EASE matrix (4 bytes · items²) would not fit the budget.';

-- ---------------------------------------------------------------------------------------------------------
-- Every write to genre.settings is validated, whether through genre.set() or a plain INSERT/UPDATE.
CREATE OR REPLACE FUNCTION genre._settings_validate()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  NEW.value := genre._parse_setting(NEW.key, CASE WHEN jsonb_typeof(NEW.value) = 'string' THEN NEW.value #>> '{}' ELSE NEW.value::text END);
  PERFORM genre._check_memory_budget(NEW.key, NEW.value);
  NEW.updated_at := now();
  NEW.updated_by := current_user;
  RETURN NEW;
END $$;
COMMENT ON FUNCTION genre._settings_validate() IS 'Internal trigger: validates and canonicalises every write to genre.settings.';

CREATE OR REPLACE FUNCTION genre._settings_notify()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM pg_notify('genre_settings', coalesce(NEW.key, OLD.key));
  RETURN NULL;
END $$;
COMMENT ON FUNCTION genre._settings_notify() IS 'Internal trigger: tells daemons (channel genre_settings) which key changed.';

CREATE OR REPLACE TRIGGER settings_validate BEFORE INSERT OR UPDATE ON genre.settings
  FOR EACH ROW EXECUTE FUNCTION genre._settings_validate();
CREATE OR REPLACE TRIGGER settings_notify AFTER INSERT OR UPDATE OR DELETE ON genre.settings
  FOR EACH ROW EXECUTE FUNCTION genre._settings_notify();

-- ---------------------------------------------------------------------------------------------------------
-- genre.set: validate and store a setting; returns the stored (canonical) value.
CREATE OR REPLACE FUNCTION genre.set(key text, value text)
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_value jsonb := genre._parse_setting(key, value);
BEGIN
  INSERT INTO genre.settings AS s (key, value) VALUES (set.key, v_value)
  ON CONFLICT ON CONSTRAINT settings_pkey DO UPDATE SET value = EXCLUDED.value;
  RETURN v_value;
END $$;
COMMENT ON FUNCTION genre.set(text, text) IS
  'Sets a GENRE setting, e.g. genre.set(''popularity.half_life_days'', ''14''). The value is validated against genre.setting_definitions; a bad value raises an error naming the key and what is allowed. Returns the stored value.';

CREATE OR REPLACE FUNCTION genre.set(key text, value double precision)
RETURNS jsonb LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$ SELECT genre.set(key, value::text) $$;
COMMENT ON FUNCTION genre.set(text, double precision) IS 'Sets a numeric GENRE setting, e.g. genre.set(''cooccurrence.neighbors'', 30).';

CREATE OR REPLACE FUNCTION genre.set(key text, value boolean)
RETURNS jsonb LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$ SELECT genre.set(key, value::text) $$;
COMMENT ON FUNCTION genre.set(text, boolean) IS 'Sets a boolean GENRE setting, e.g. genre.set(''recommend.exclude_seen'', false).';

CREATE OR REPLACE FUNCTION genre.set(key text, value jsonb)
RETURNS jsonb LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
  SELECT genre.set(key, CASE WHEN jsonb_typeof(value) = 'string' THEN value #>> '{}' ELSE value::text END)
$$;
COMMENT ON FUNCTION genre.set(text, jsonb) IS 'Sets a GENRE setting from a jsonb value, e.g. genre.set(''event.weights'', ''{"view": 1, "purchase": 8}''::jsonb).';

-- genre.get: the effective value (the stored one, else the default).
CREATE OR REPLACE FUNCTION genre.get(key text)
RETURNS jsonb LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT coalesce((SELECT s.value FROM genre.settings s WHERE s.key = get.key), (genre._definition(key)).default_value)
$$;
COMMENT ON FUNCTION genre.get(text) IS 'The effective value of a GENRE setting: the stored value, else its default. Unknown keys raise an error.';

-- genre.reset: back to the default.
CREATE OR REPLACE FUNCTION genre.reset(key text)
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE d genre.setting_definitions := genre._definition(key);
BEGIN
  DELETE FROM genre.settings s WHERE s.key = reset.key;
  RETURN d.default_value;
END $$;
COMMENT ON FUNCTION genre.reset(text) IS 'Returns a GENRE setting to its default; returns the default value.';

CREATE OR REPLACE VIEW genre.current_settings AS
  SELECT d.key, coalesce(s.value, d.default_value) AS value, s.key IS NULL AS is_default, d.value_type,
         d.min_value, d.max_value, d.allowed, d.requires, d.description, s.updated_at, s.updated_by
  FROM genre.setting_definitions d LEFT JOIN genre.settings s USING (key);
COMMENT ON VIEW genre.current_settings IS 'Every setting with its effective value, type, range and description.';

-- A hash of every setting whose change requires a rebuild or re-rank: each build records the one it used,
-- so a daemon (or a script waiting for one) can tell that the model is out of date.
CREATE OR REPLACE FUNCTION genre._model_fingerprint()
RETURNS text LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT md5(string_agg(key || '=' || value::text, ',' ORDER BY key)
             || coalesce((SELECT string_agg(name || '=' || overrides::text, ',' ORDER BY name) FROM genre.scenarios), ''))
    FROM genre.current_settings WHERE requires IN ('rebuild', 'rerank')
$$;
COMMENT ON FUNCTION genre._model_fingerprint() IS 'Internal: hash of the settings and scenarios that shape the model and lists (see genre.model_builds.details.fingerprint).';
