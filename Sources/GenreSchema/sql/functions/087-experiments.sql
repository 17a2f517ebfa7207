-- Online experiments: creation, stopping, sticky assignment. Counting and results: 088-experiment-counts.sql.

CREATE OR REPLACE FUNCTION genre.create_experiment(name text, variants jsonb, scenario text DEFAULT 'default',
                                                   policy text DEFAULT 'fixed', auto_promote boolean DEFAULT false,
                                                   min_impressions integer DEFAULT 1000, promote_probability double precision DEFAULT 0.95)
RETURNS integer LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_entry record;
  v_serves text;
  v_total double precision := 0;
  v_count integer := 0;
BEGIN
  IF create_experiment.name IS NULL OR create_experiment.name !~ '^[a-z][a-z0-9_-]{0,62}$' THEN
    RAISE EXCEPTION 'genre.create_experiment: the name must be lower-case letters, digits, _ or - (starting with a letter), got %',
      coalesce(quote_literal(left(create_experiment.name, 100)), 'NULL') USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF create_experiment.scenario IS NULL OR (create_experiment.scenario <> 'default'
     AND NOT EXISTS (SELECT 1 FROM genre.scenarios s WHERE s.name = create_experiment.scenario)) THEN
    RAISE EXCEPTION 'genre.create_experiment: unknown scenario %', coalesce(quote_literal(create_experiment.scenario), 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF create_experiment.policy IS NULL OR create_experiment.policy NOT IN ('fixed', 'thompson') THEN
    RAISE EXCEPTION 'genre.create_experiment: policy must be fixed or thompson, got %', coalesce(quote_literal(left(create_experiment.policy, 100)), 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF variants IS NULL OR jsonb_typeof(variants) <> 'object' OR (SELECT count(*) FROM jsonb_object_keys(variants)) < 2 THEN
    RAISE EXCEPTION 'genre.create_experiment: variants must be an object of at least two variants: {"control": {"share": 0.5}, "b": {"share": 0.5, "overrides": {...}}}'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF EXISTS (SELECT 1 FROM genre.experiments e WHERE e.name = create_experiment.name) THEN
    RAISE EXCEPTION 'genre.create_experiment: an experiment named % already exists (names are kept for its results); choose another name',
      quote_literal(create_experiment.name) USING ERRCODE = 'duplicate_object';
  END IF;
  IF EXISTS (SELECT 1 FROM genre.experiments e WHERE e.scenario = create_experiment.scenario AND e.status = 'running') THEN
    RAISE EXCEPTION 'genre.create_experiment: experiment % is already running on scenario %; stop it first with genre.stop_experiment',
      (SELECT quote_literal(e.name) FROM genre.experiments e WHERE e.scenario = create_experiment.scenario AND e.status = 'running'),
      quote_literal(create_experiment.scenario) USING ERRCODE = 'object_in_use';
  END IF;
  INSERT INTO genre.experiments (name, scenario, policy, auto_promote, min_impressions, promote_probability)
  VALUES (create_experiment.name, create_experiment.scenario, create_experiment.policy, coalesce(create_experiment.auto_promote, false),
          coalesce(create_experiment.min_impressions, 1000), coalesce(create_experiment.promote_probability, 0.95));
  FOR v_entry IN SELECT key, value FROM jsonb_each(variants) ORDER BY key LOOP
    IF jsonb_typeof(v_entry.value) <> 'object' OR jsonb_typeof(v_entry.value->'share') IS DISTINCT FROM 'number' THEN
      RAISE EXCEPTION 'genre.create_experiment: variant "%" needs {"share": number, and optionally "scenario" or "overrides"}', left(v_entry.key, 100)
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- A variant serves a scenario: the one named, a new one made of its overrides, or the experiment's own.
    IF v_entry.value ? 'overrides' THEN
      v_serves := 'exp-' || create_experiment.name || '-' || v_entry.key;
      PERFORM genre.set_scenario(left(v_serves, 63), v_entry.value->'overrides', format('experiment %s, variant %s', create_experiment.name, v_entry.key));
      v_serves := left(v_serves, 63);
    ELSIF v_entry.value ? 'scenario' THEN
      v_serves := v_entry.value->>'scenario';
      IF v_serves <> 'default' AND NOT EXISTS (SELECT 1 FROM genre.scenarios s WHERE s.name = v_serves) THEN
        RAISE EXCEPTION 'genre.create_experiment: variant "%" serves unknown scenario %', v_entry.key, quote_literal(v_serves)
          USING ERRCODE = 'invalid_parameter_value';
      END IF;
    ELSE
      v_serves := create_experiment.scenario;
    END IF;
    INSERT INTO genre.experiment_variants (experiment, variant, serves, share)
    VALUES (create_experiment.name, v_entry.key, v_serves, (v_entry.value->>'share')::double precision);
    v_total := v_total + (v_entry.value->>'share')::double precision;
    v_count := v_count + 1;
  END LOOP;
  IF abs(v_total - 1) > 1e-6 THEN
    RAISE EXCEPTION 'genre.create_experiment: shares must add up to 1, got %', v_total USING ERRCODE = 'invalid_parameter_value';
  END IF;
  RETURN v_count;
END $$;
COMMENT ON FUNCTION genre.create_experiment(text, jsonb, text, text, boolean, integer, double precision) IS
  'Starts an experiment on a scenario''s traffic: variants {"name": {"share": s, "overrides": {...} | "scenario": name}} (no overrides: the scenario itself, the control). policy thompson moves shares toward the better variant; auto_promote serves the winner to everyone once its probability of being best passes promote_probability with min_impressions per variant. One running experiment per scenario.';

CREATE OR REPLACE FUNCTION genre.stop_experiment(name text, winner text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF winner IS NOT NULL AND NOT EXISTS (SELECT 1 FROM genre.experiment_variants v WHERE v.experiment = stop_experiment.name AND v.variant = winner) THEN
    RAISE EXCEPTION 'genre.stop_experiment: experiment % has no variant %', quote_literal(stop_experiment.name), quote_literal(winner)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  UPDATE genre.experiments e SET status = CASE WHEN stop_experiment.winner IS NULL THEN 'stopped' ELSE 'promoted' END,
         winner = stop_experiment.winner, updated_at = now()
   WHERE e.name = stop_experiment.name;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'genre.stop_experiment: no experiment %', quote_literal(stop_experiment.name) USING ERRCODE = 'invalid_parameter_value';
  END IF;
END $$;
COMMENT ON FUNCTION genre.stop_experiment(text, text) IS
  'Ends an experiment: without a winner every user goes back to the scenario''s own lists; with one, everyone gets the winner''s (status promoted).';

-- The variant a user sees: the one recorded at their first exposure. A user not assigned yet is placed by a
-- deterministic hash of (experiment, user) on the current cumulative shares, and that is recorded, so a
-- share change (Thompson sampling moves them every few seconds) affects only users not shown the
-- experiment yet. SECURITY DEFINER (see 095-roles.sql): readers record assignments without rights on the
-- table, and so can never choose a user's variant.
CREATE OR REPLACE FUNCTION genre._assign_variant(p_experiment text, p_user text)
RETURNS TABLE (variant text, serves text) LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_variant text;
BEGIN
  SELECT a.variant INTO v_variant FROM genre.experiment_assignments a WHERE a.experiment = p_experiment AND a.user_id = p_user;
  IF v_variant IS NULL THEN
    WITH point AS (
      SELECT ((hashtextextended(p_experiment || ':' || p_user, 0) & 9007199254740991)::float8 / 9007199254740992) AS u
    ), cumulative AS (
      SELECT v.variant, sum(v.share) OVER (ORDER BY v.variant) AS upto, sum(v.share) OVER () AS total
        FROM genre.experiment_variants v WHERE v.experiment = p_experiment
    )
    SELECT c.variant INTO v_variant FROM cumulative c, point p WHERE p.u * c.total < c.upto ORDER BY c.upto LIMIT 1;
    -- Recorded while the experiment runs (a stopped one serves no variant), and only where the transaction
    -- may write: a read-only transaction or a hot standby serves the hashed variant unrecorded rather than fail.
    IF v_variant IS NOT NULL AND NOT current_setting('transaction_read_only')::boolean
       AND EXISTS (SELECT 1 FROM genre.experiments e WHERE e.name = p_experiment AND e.status = 'running') THEN
      INSERT INTO genre.experiment_assignments AS a (experiment, user_id, variant) VALUES (p_experiment, p_user, v_variant)
      ON CONFLICT (experiment, user_id) DO NOTHING;
      IF NOT FOUND THEN
        -- A concurrent first exposure of this user committed first (the insert waited for it): theirs stands.
        SELECT a.variant INTO v_variant FROM genre.experiment_assignments a WHERE a.experiment = p_experiment AND a.user_id = p_user;
      END IF;
    END IF;
  END IF;
  RETURN QUERY SELECT v.variant, v.serves FROM genre.experiment_variants v WHERE v.experiment = p_experiment AND v.variant = v_variant;
END $$;
COMMENT ON FUNCTION genre._assign_variant(text, text) IS
  'Internal: a user''s variant in an experiment: the one recorded at their first exposure, else a deterministic hash on the current shares, recorded while the experiment runs.';
