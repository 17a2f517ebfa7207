-- Config versions (history, diff, rollback) and tuning runs.

-- The config version of the current transaction: the first change takes a number, later ones reuse it.
CREATE OR REPLACE FUNCTION genre._settings_version()
RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_version bigint := nullif(current_setting('genre.settings_version', true), '')::bigint;
BEGIN
  IF v_version IS NULL THEN
    v_version := nextval('genre.settings_version_seq');
    PERFORM set_config('genre.settings_version', v_version::text, true);
  END IF;
  RETURN v_version;
END $$;
COMMENT ON FUNCTION genre._settings_version() IS 'Internal: the config version of the current transaction (one version per transaction).';

CREATE OR REPLACE FUNCTION genre._settings_record()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.value IS NOT DISTINCT FROM NEW.value THEN RETURN NULL; END IF;
  INSERT INTO genre.settings_history (version, key, old_value, new_value)
  VALUES (genre._settings_version(), coalesce(NEW.key, OLD.key),
          CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD.value END,
          CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW.value END);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION genre._settings_record() IS 'Internal trigger: records every settings change in genre.settings_history, one version per transaction.';

CREATE OR REPLACE TRIGGER settings_record AFTER INSERT OR UPDATE OR DELETE ON genre.settings
  FOR EACH ROW EXECUTE FUNCTION genre._settings_record();

-- Scenario overrides are settings too: each change is recorded under the key 'scenario:<name>' (NULL: the
-- scenario did not exist), in the same versions.
CREATE OR REPLACE FUNCTION genre._scenarios_record()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.overrides IS NOT DISTINCT FROM NEW.overrides THEN RETURN NULL; END IF;
  INSERT INTO genre.settings_history (version, key, old_value, new_value)
  VALUES (genre._settings_version(), 'scenario:' || coalesce(NEW.name, OLD.name),
          CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD.overrides END,
          CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW.overrides END);
  RETURN NULL;
END $$;
COMMENT ON FUNCTION genre._scenarios_record() IS 'Internal trigger: records every scenario change in genre.settings_history as key scenario:<name>.';

CREATE OR REPLACE TRIGGER scenarios_record AFTER INSERT OR UPDATE OR DELETE ON genre.scenarios
  FOR EACH ROW EXECUTE FUNCTION genre._scenarios_record();

-- The stored value of every key as of a version (NULL = default): the latest change at or before it.
CREATE OR REPLACE FUNCTION genre._settings_as_of(p_version bigint)
RETURNS TABLE (key text, value jsonb) LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT DISTINCT ON (h.key) h.key, h.new_value FROM genre.settings_history h
   WHERE h.version <= p_version ORDER BY h.key, h.version DESC, h.id DESC
$$;
COMMENT ON FUNCTION genre._settings_as_of(bigint) IS 'Internal: each changed key''s stored value as of a version (NULL = the default).';

CREATE OR REPLACE FUNCTION genre.diff_settings(a bigint, b bigint)
RETURNS TABLE (key text, value_a jsonb, value_b jsonb) LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF a IS NULL OR b IS NULL OR a < 0 OR b < 0 THEN
    RAISE EXCEPTION 'genre.diff_settings: versions must be 0 (all defaults) or a version of genre.settings_history, got % and %',
      coalesce(a::text, 'NULL'), coalesce(b::text, 'NULL') USING ERRCODE = 'invalid_parameter_value';
  END IF;
  RETURN QUERY
  SELECT d.key, coalesce(x.value, d.default_value), coalesce(y.value, d.default_value)
    FROM genre.setting_definitions d
    LEFT JOIN genre._settings_as_of(a) x ON x.key = d.key
    LEFT JOIN genre._settings_as_of(b) y ON y.key = d.key
   WHERE coalesce(x.value, d.default_value) IS DISTINCT FROM coalesce(y.value, d.default_value)
  UNION ALL
  -- Scenarios: their overrides in each version (NULL: the scenario did not exist).
  SELECT k.key, x.value, y.value
    FROM (SELECT DISTINCT h.key FROM genre.settings_history h WHERE h.key LIKE 'scenario:%') k
    LEFT JOIN genre._settings_as_of(a) x ON x.key = k.key
    LEFT JOIN genre._settings_as_of(b) y ON y.key = k.key
   WHERE x.value IS DISTINCT FROM y.value
   ORDER BY 1;
END $$;
COMMENT ON FUNCTION genre.diff_settings(bigint, bigint) IS
  'The settings (and scenarios, as scenario:<name> with their overrides) that differ between two config versions (0 = all defaults), with their effective values in each.';

CREATE OR REPLACE FUNCTION genre.rollback_settings(version bigint)
RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_target bigint := rollback_settings.version;
  v_row record;
BEGIN
  IF v_target IS NULL OR v_target < 0 OR (v_target > 0 AND NOT EXISTS (SELECT 1 FROM genre.settings_history h WHERE h.version = v_target)) THEN
    RAISE EXCEPTION 'genre.rollback_settings: no config version % (see genre.settings_history; 0 = all defaults)', coalesce(v_target::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- Every key whose stored value differs from the target state goes back to it (as one new version).
  FOR v_row IN
    SELECT d.key, t.value AS target FROM genre.setting_definitions d
      LEFT JOIN genre._settings_as_of(v_target) t ON t.key = d.key
      LEFT JOIN genre.settings s ON s.key = d.key
     WHERE t.value IS DISTINCT FROM s.value
  LOOP
    IF v_row.target IS NULL THEN
      DELETE FROM genre.settings s WHERE s.key = v_row.key;
    ELSE
      INSERT INTO genre.settings AS s (key, value) VALUES (v_row.key, v_row.target)
      ON CONFLICT ON CONSTRAINT settings_pkey DO UPDATE SET value = EXCLUDED.value;
    END IF;
  END LOOP;
  -- Scenarios as they were: created, changed back, or dropped (with their stored lists).
  FOR v_row IN
    SELECT substr(k.key, 10) AS name, t.value AS target FROM (SELECT DISTINCT h.key FROM genre.settings_history h WHERE h.key LIKE 'scenario:%') k
      LEFT JOIN genre._settings_as_of(v_target) t ON t.key = k.key
      LEFT JOIN genre.scenarios sc ON sc.name = substr(k.key, 10)
     WHERE t.value IS DISTINCT FROM sc.overrides
  LOOP
    IF v_row.target IS NULL THEN
      PERFORM genre.drop_scenario(v_row.name);
    ELSE
      PERFORM genre.set_scenario(v_row.name, v_row.target);
    END IF;
  END LOOP;
  RETURN nullif(current_setting('genre.settings_version', true), '')::bigint;
END $$;
COMMENT ON FUNCTION genre.rollback_settings(bigint) IS
  'Returns the settings and scenarios to their state as of a config version (0 = all defaults, no scenarios), recorded as a new version; returns that version (NULL when nothing changed).';

-- Checks a search space: every parameter a setting key the tuner can change, with a well-formed range.
CREATE OR REPLACE FUNCTION genre._check_search_space(p_space jsonb)
RETURNS void LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_entry record;
  v_type text;
  v_weights text[] := ARRAY(SELECT jsonb_array_elements_text(allowed) FROM genre.setting_definitions WHERE key = 'blend.weights');
BEGIN
  IF p_space IS NULL OR jsonb_typeof(p_space) <> 'object' OR p_space = '{}' THEN
    RAISE EXCEPTION 'genre.tune: search_space must be a non-empty JSON object of parameter: {"type", "min", "max", "log", "values"}'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  FOR v_entry IN SELECT key, value FROM jsonb_each(p_space) LOOP
    IF NOT (EXISTS (SELECT 1 FROM genre.setting_definitions d WHERE d.key = v_entry.key AND d.value_type IN ('number', 'integer', 'enum', 'boolean'))
            OR (v_entry.key LIKE 'blend.weights.%' AND substr(v_entry.key, 15) = ANY (v_weights))
            OR v_entry.key ~ '^event\.weights\.[a-z][a-z0-9_]{0,31}$') THEN
      RAISE EXCEPTION 'genre.tune: "%" cannot be tuned: use a numeric, enum or boolean setting key, blend.weights.<%>, or event.weights.<type>',
        left(v_entry.key, 100), array_to_string(v_weights, '|') USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_type := v_entry.value->>'type';
    IF jsonb_typeof(v_entry.value) <> 'object' OR v_type IS NULL OR v_type NOT IN ('real', 'float', 'int', 'integer', 'choice', 'categorical') THEN
      RAISE EXCEPTION 'genre.tune: "%" needs {"type": "real" | "int" | "choice", ...}', v_entry.key USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF v_type IN ('choice', 'categorical') THEN
      IF jsonb_typeof(v_entry.value->'values') IS DISTINCT FROM 'array' OR jsonb_array_length(v_entry.value->'values') = 0
         OR EXISTS (SELECT 1 FROM jsonb_array_elements(v_entry.value->'values') x WHERE jsonb_typeof(x) <> 'string') THEN
        RAISE EXCEPTION 'genre.tune: "%" (choice) needs "values": a non-empty array of strings', v_entry.key USING ERRCODE = 'invalid_parameter_value';
      END IF;
    ELSE
      IF jsonb_typeof(v_entry.value->'min') IS DISTINCT FROM 'number' OR jsonb_typeof(v_entry.value->'max') IS DISTINCT FROM 'number'
         OR (v_entry.value->>'min')::numeric >= (v_entry.value->>'max')::numeric THEN
        RAISE EXCEPTION 'genre.tune: "%" needs numbers "min" < "max"', v_entry.key USING ERRCODE = 'invalid_parameter_value';
      END IF;
      IF coalesce((v_entry.value->>'log')::boolean, false) AND (v_entry.value->>'min')::numeric <= 0 THEN
        RAISE EXCEPTION 'genre.tune: "%" is on a log scale, so "min" must be above 0', v_entry.key USING ERRCODE = 'invalid_parameter_value';
      END IF;
    END IF;
  END LOOP;
END $$;
COMMENT ON FUNCTION genre._check_search_space(jsonb) IS 'Internal: refuses a search space genre.tune cannot run, naming the parameter and the problem.';

CREATE OR REPLACE FUNCTION genre.tune(scenario text DEFAULT 'default', strategy text DEFAULT 'bayesian', trials integer DEFAULT 30,
                                      metric text DEFAULT 'ndcg@10', search_space jsonb DEFAULT NULL, apply_best boolean DEFAULT false,
                                      seed bigint DEFAULT 1)
RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_id bigint;
BEGIN
  IF tune.scenario IS NULL OR (tune.scenario <> 'default' AND NOT EXISTS (SELECT 1 FROM genre.scenarios s WHERE s.name = tune.scenario)) THEN
    RAISE EXCEPTION 'genre.tune: unknown scenario %', coalesce(quote_literal(tune.scenario), 'NULL') USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF tune.strategy IS NULL OR tune.strategy NOT IN ('random', 'bayesian') THEN
    RAISE EXCEPTION 'genre.tune: strategy must be random or bayesian, got %', coalesce(quote_literal(tune.strategy), 'NULL') USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF tune.trials IS NULL OR tune.trials < 1 OR tune.trials > 1000 THEN
    RAISE EXCEPTION 'genre.tune: trials must be between 1 and 1000, got %', coalesce(tune.trials::text, 'NULL') USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF tune.metric IS NULL OR tune.metric !~ '^(ndcg|map|precision|recall|hit_rate|mrr)@([1-9][0-9]{0,2}|1000)$' THEN
    RAISE EXCEPTION 'genre.tune: metric must be ndcg, map, precision, recall, hit_rate or mrr with @k, e.g. ndcg@10; got %',
      coalesce(quote_literal(left(tune.metric, 100)), 'NULL') USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF tune.search_space IS NOT NULL THEN PERFORM genre._check_search_space(tune.search_space); END IF;
  IF tune.scenario <> 'default' AND tune.apply_best AND tune.search_space IS NOT NULL
     AND EXISTS (SELECT 1 FROM jsonb_object_keys(tune.search_space) k
                  WHERE NOT (k = ANY (genre._scenario_keys()) OR k LIKE 'blend.weights.%')) THEN
    RAISE EXCEPTION 'genre.tune: a scenario can only take %; tune model settings in the default scenario', array_to_string(genre._scenario_keys(), ', ')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  INSERT INTO genre.tuning_runs (scenario, strategy, trials, metric, search_space, apply_best, seed)
  VALUES (tune.scenario, tune.strategy, tune.trials, lower(tune.metric), coalesce(tune.search_space, '{}'), tune.apply_best, coalesce(tune.seed, 1))
  RETURNING id INTO v_id;
  PERFORM genre._enqueue('tuning', ARRAY[v_id::text]);
  RETURN v_id;
END $$;
COMMENT ON FUNCTION genre.tune(text, text, integer, text, jsonb, boolean, bigint) IS
  'Queues a tuning run and returns its id: the daemon evaluates `trials` settings chosen by random search or Bayesian optimisation (search_space NULL = the whole pipeline) on a temporal hold-out of the events, writing genre.tuning_trials as they finish; apply_best writes the winner as a new config version when it beats the settings in force. Watch genre.tuning_runs.';
