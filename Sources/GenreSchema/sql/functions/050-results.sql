-- Swapping result sets. Each result table is partitioned by generation and has exactly one live partition.
-- A full rebuild asks for a fresh partition (genre._prepare_generation), COPYs into it, then publishes it
-- (genre._publish_generation): detach the old partition, attach the new one, drop the old, in one
-- transaction. Readers see the old set or the new one, never a mix.

CREATE SEQUENCE IF NOT EXISTS genre.result_generation_seq START 2;

CREATE OR REPLACE FUNCTION genre._check_result(p_result text)
RETURNS void LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF p_result IS NULL OR p_result NOT IN ('recommendations', 'item_neighbors', 'popular_items', 'item_factors') THEN
    RAISE EXCEPTION 'unknown result table "%"', p_result USING ERRCODE = 'invalid_parameter_value';
  END IF;
END $$;
COMMENT ON FUNCTION genre._check_result(text) IS 'Internal: refuses any result name but the four result tables.';

-- Lets the daemon role(s) fill a staging table the owner created (none when install recorded no roles).
CREATE OR REPLACE FUNCTION genre._grant_staging(p_table text)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE r record;
BEGIN
  FOR r IN SELECT role_name FROM genre.roles WHERE kind = 'daemon' LOOP
    EXECUTE format('GRANT SELECT, INSERT ON genre.%I TO %I', p_table, r.role_name);
  END LOOP;
END $$;
COMMENT ON FUNCTION genre._grant_staging(text) IS 'Internal: grants the daemon role SELECT and INSERT on a staging partition.';

-- Creates an empty table shaped like p_result for generation N; returns (table name, generation).
CREATE OR REPLACE FUNCTION genre._prepare_generation(p_result text, OUT table_name text, OUT generation bigint)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM genre._check_result(p_result);
  generation := nextval('genre.result_generation_seq');
  table_name := p_result || '_g' || generation;
  EXECUTE format('CREATE TABLE genre.%I (LIKE genre.%I INCLUDING DEFAULTS)', table_name, p_result);
  -- The CHECK lets ATTACH PARTITION trust the rows without scanning them again.
  EXECUTE format('ALTER TABLE genre.%I ADD CONSTRAINT %I CHECK (generation = %s)', table_name, table_name || '_generation', generation);
  -- This runs as the schema owner (see 095-roles.sql); the daemon role fills the table by COPY.
  PERFORM genre._grant_staging(table_name);
END $$;
COMMENT ON FUNCTION genre._prepare_generation(text) IS
  'Internal: creates the staging partition a full rebuild COPYs into; returns its name and generation.';

-- Drops staging tables left behind by a rebuild that died before publishing.
CREATE OR REPLACE FUNCTION genre._drop_abandoned_generations()
RETURNS integer LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE t record; n integer := 0;
BEGIN
  FOR t IN
    SELECT c.relname FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
     WHERE ns.nspname = 'genre' AND c.relkind = 'r' AND NOT c.relispartition
       AND c.relname ~ '^(recommendations|item_neighbors|popular_items|item_factors)_g[0-9]+$'
  LOOP
    EXECUTE format('DROP TABLE genre.%I', t.relname);
    n := n + 1;
  END LOOP;
  RETURN n;
END $$;
COMMENT ON FUNCTION genre._drop_abandoned_generations() IS 'Internal: drops staging partitions of rebuilds that never published.';

-- Indexes a filled staging partition like its parent, so ATTACH adopts the index instead of building
-- another, and the swap (which may hold the parent's lock with other swaps of the same build) stays short.
CREATE OR REPLACE FUNCTION genre._index_generation(p_result text, p_generation bigint)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_new text := p_result || '_g' || p_generation;
BEGIN
  PERFORM genre._check_result(p_result);
  EXECUTE CASE p_result
    WHEN 'recommendations' THEN format('CREATE INDEX ON genre.%I (user_id, scenario, rank)', v_new)
    WHEN 'item_neighbors' THEN format('CREATE INDEX ON genre.%I (item_id, rank)', v_new)
    WHEN 'item_factors' THEN 'SELECT 1'  -- read whole, never by key
    ELSE format('CREATE INDEX ON genre.%I (rank)', v_new) END;
END $$;
COMMENT ON FUNCTION genre._index_generation(text, bigint) IS
  'Internal: indexes a filled staging partition the way its parent is indexed.';

-- Publishes generation p_generation of p_result. For recommendations, users refreshed in real time since
-- p_carry_since keep their newer rows instead of the rebuild's; every other queued user listed in
-- p_users/p_versions (as read by the rebuild) is complete, unless a newer event bumped its version since.
CREATE OR REPLACE FUNCTION genre._publish_generation(p_result text, p_generation bigint, p_carry_since timestamptz,
                                                     p_users text[] DEFAULT '{}', p_versions bigint[] DEFAULT '{}')
RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_new text := p_result || '_g' || p_generation;
  v_old_generation bigint;
  v_rows bigint;
BEGIN
  PERFORM genre._check_result(p_result);
  -- Normally indexed when staged (genre._index_generation), outside the swap's transaction.
  IF NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = format('genre.%I', v_new)::regclass) THEN
    PERFORM genre._index_generation(p_result, p_generation);
  END IF;

  -- Blocks real-time writers (they take FOR SHARE) until the swap commits.
  SELECT g.generation INTO v_old_generation FROM genre.result_generations g WHERE g.result = p_result FOR UPDATE;

  IF p_result = 'recommendations' AND p_carry_since IS NOT NULL THEN
    EXECUTE format($q$
      WITH fresh AS (SELECT DISTINCT user_id FROM genre.recommendations WHERE computed_at >= $1),
           dropped AS (DELETE FROM genre.%I s USING fresh f WHERE s.user_id = f.user_id)
      INSERT INTO genre.%I (user_id, scenario, rank, item_id, score, reasons, computed_at, generation)
      SELECT r.user_id, r.scenario, r.rank, r.item_id, r.score, r.reasons, r.computed_at, $2
        FROM genre.recommendations r JOIN fresh f USING (user_id)$q$, v_new, v_new)
    USING p_carry_since, p_generation;
    -- Those rows were scored by the previous model (a search, a profile or a vector that arrived during the
    -- build may be missing from both): their users are refreshed again, with this one.
    PERFORM genre._enqueue('users', ARRAY(SELECT DISTINCT user_id FROM genre.recommendations WHERE computed_at >= p_carry_since));
  END IF;
  IF p_result = 'recommendations' THEN
    DELETE FROM genre.work_queue q USING unnest(p_users, p_versions) AS d(user_id, version)
     WHERE q.queue = 'users' AND q.work_key = d.user_id AND q.version = d.version
       AND (q.claimed_until IS NULL OR q.claimed_until < clock_timestamp())
       AND NOT EXISTS (SELECT 1 FROM genre.recommendations r WHERE r.user_id = q.work_key AND r.computed_at >= p_carry_since);
  END IF;

  EXECUTE format('ALTER TABLE genre.%I DETACH PARTITION genre.%I', p_result, p_result || '_g' || v_old_generation);
  EXECUTE format('ALTER TABLE genre.%I ATTACH PARTITION genre.%I FOR VALUES IN (%s)', p_result, v_new, p_generation);
  EXECUTE format('DROP TABLE genre.%I', p_result || '_g' || v_old_generation);
  IF p_result = 'item_factors' THEN DELETE FROM genre.collaborative_models WHERE generation <> p_generation; END IF;
  UPDATE genre.result_generations SET generation = p_generation, swapped_at = now() WHERE result = p_result;
  -- '*' tells listeners on genre_refreshed that every user's list may have changed.
  IF p_result = 'recommendations' THEN PERFORM pg_notify('genre_refreshed', '*'); END IF;
  EXECUTE format('SELECT count(*) FROM genre.%I', v_new) INTO v_rows;
  RETURN v_rows;
END $$;
COMMENT ON FUNCTION genre._publish_generation(text, bigint, timestamptz, text[], bigint[]) IS
  'Internal: swaps a fully written staging partition in as the live result set, in one transaction, keeping newer real-time rows and completing the queued users the new rows cover.';

-- Replaces one user's recommendations (the real-time path), every scenario at once. p_rows is a jsonb
-- array of {"scenario", "rank", "item_id", "score", "reasons"} objects (scenario defaults to 'default').
CREATE OR REPLACE FUNCTION genre._write_user_recommendations(p_user_id text, p_rows jsonb)
RETURNS integer LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_generation bigint; v_count integer;
BEGIN
  SELECT g.generation INTO v_generation FROM genre.result_generations g WHERE g.result = 'recommendations' FOR SHARE;
  DELETE FROM genre.recommendations WHERE user_id = p_user_id;
  INSERT INTO genre.recommendations (user_id, scenario, rank, item_id, score, reasons, computed_at, generation)
    SELECT p_user_id, coalesce(r.scenario, 'default'), r.rank, r.item_id, r.score, r.reasons, now(), v_generation
      FROM jsonb_to_recordset(p_rows) AS r(scenario text, rank integer, item_id text, score real, reasons jsonb);
  GET DIAGNOSTICS v_count = ROW_COUNT;
  -- With the LLM re-ranking stage on in a scenario, the new list is queued for it (the blend order stands until then).
  -- (Every scenario's list is written: no second pass over the rows to list them.)
  PERFORM genre._enqueue_rerank(ARRAY[p_user_id], ARRAY['default'] || ARRAY(SELECT s.name FROM genre.scenarios s));
  -- With grounded explanations on, the first rows of the new list are queued for a sentence; when the default
  -- list is re-ranked too, after the re-ranking (genre._apply_rerank), or each sentence would be written twice.
  IF (genre._setting('rerank.top_n'))::text::integer = 0 THEN
    PERFORM genre._enqueue_explanations(ARRAY[p_user_id], (genre._setting('explain.llm_top_k'))::text::integer);
  END IF;
  -- Applications may LISTEN genre_refreshed to invalidate caches; the payload is the user id.
  PERFORM pg_notify('genre_refreshed', p_user_id);
  RETURN v_count;
END $$;
COMMENT ON FUNCTION genre._write_user_recommendations(text, jsonb) IS
  'Internal: atomically replaces one user''s stored recommendations (real-time refresh), queues them for the re-ranking stage (rerank.top_n) and their first rows for grounded explanations (explain.llm_top_k) and notifies genre_refreshed with the user id.';
