-- What applications call: genre.recommend, genre.similar_items, genre.status.

-- Shared argument checks of the read functions, so every one words its errors the same way.
CREATE OR REPLACE FUNCTION genre._check_read_args(p_function text, p_id_name text, p_id text, p_k integer)
RETURNS void LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF p_id IS NULL THEN
    RAISE EXCEPTION 'genre.%: % must not be NULL', p_function, p_id_name USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF p_k IS NULL OR p_k < 1 OR p_k > 1000 THEN
    RAISE EXCEPTION 'genre.%: k must be between 1 and 1000, got %', p_function, coalesce(p_k::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
END $$;
COMMENT ON FUNCTION genre._check_read_args(text, text, text, integer) IS 'Internal: validates the id and k arguments of the read functions.';

-- ---------------------------------------------------------------------------------------------------------
-- genre.recommend: a user's top k items with reasons. Personal rows come first (filtered at read time so a
-- purchase made a millisecond ago is already excluded), then popular items fill up the list; unknown and
-- cold users get popular items only.
-- (Earlier signatures are dropped: a call with fewer arguments would otherwise be ambiguous.)
DROP FUNCTION IF EXISTS genre.recommend(text, integer, text[]);
DROP FUNCTION IF EXISTS genre.recommend(text, integer, text[], text);
DROP FUNCTION IF EXISTS genre.recommend(text, integer, text[], text, text);

-- The rows of one user's list in one scenario, filtered at read time; what genre.recommend returns.
CREATE OR REPLACE FUNCTION genre._recommend_rows(p_user text, p_k integer, p_exclude text[], p_category text, p_scenario text)
RETURNS TABLE (rank integer, item_id text, score real, reasons jsonb)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
  -- Raises for an unknown scenario, naming the ones there are.
  v_exclude_seen boolean := (genre._scenario_setting(p_scenario, 'recommend.exclude_seen'))::text::boolean;
  v_reshow double precision := (genre._scenario_setting(p_scenario, 'recommend.reshow_after_days'))::text::double precision;
  -- Events before this no longer hide an item (recommend.reshow_after_days; 0 = never re-show).
  v_since timestamptz := CASE WHEN v_reshow > 0 THEN now() - make_interval(secs => v_reshow * 86400) ELSE '-infinity' END;
  v_stored text;
BEGIN
  -- A scenario created since the last build has no lists yet: serve the default's until it has.
  v_stored := CASE WHEN p_scenario = 'default' OR EXISTS (SELECT 1 FROM genre.recommendations r
                                                           WHERE r.user_id = p_user AND r.scenario = p_scenario)
                   THEN p_scenario ELSE 'default' END;
  RETURN QUERY
  -- "Seen" is probed per candidate (events_user_item_idx), in rank order until k are found, rather than
  -- read in full: a heavy user has thousands of events and a list needs about k probes.
  WITH personal AS (
    SELECT r.item_id, r.score, r.reasons, r.rank AS ord, 0 AS source
      FROM genre.recommendations r JOIN genre.items i ON i.item_id = r.item_id AND i.available
     WHERE r.user_id = p_user AND r.scenario = v_stored AND r.item_id <> ALL (p_exclude)
       AND (p_category IS NULL OR i.category = p_category)
       AND NOT (v_exclude_seen AND EXISTS (SELECT 1 FROM genre.events e
                                            WHERE e.user_id = p_user AND e.item_id = r.item_id AND e.occurred_at > v_since))
     ORDER BY r.rank
     LIMIT p_k
  ), popular AS (
    SELECT p.item_id, p.score, p.reasons, p.rank AS ord, 1 AS source
      FROM genre.popular_items p JOIN genre.items i ON i.item_id = p.item_id AND i.available
     WHERE p.item_id <> ALL (p_exclude)
       AND (p_category IS NULL OR i.category = p_category)
       AND NOT (v_exclude_seen AND EXISTS (SELECT 1 FROM genre.events e
                                            WHERE e.user_id = p_user AND e.item_id = p.item_id AND e.occurred_at > v_since))
       AND NOT EXISTS (SELECT 1 FROM personal x WHERE x.item_id = p.item_id)
     ORDER BY p.rank
     LIMIT p_k
  )
  SELECT (row_number() OVER (ORDER BY c.source, c.ord))::integer, c.item_id, c.score, c.reasons
    FROM (SELECT * FROM personal UNION ALL SELECT * FROM popular) c
   ORDER BY c.source, c.ord
   LIMIT p_k;
END $$;
COMMENT ON FUNCTION genre._recommend_rows(text, integer, text[], text, text) IS
  'Internal: one user''s list in one scenario, filtered at read time (seen, unavailable, excluded, category), topped up with popular items.';

-- Volatile because it may record the user's experiment variant (first exposure) and log impressions.
CREATE OR REPLACE FUNCTION genre.recommend(user_id text, k integer DEFAULT 10, exclude text[] DEFAULT '{}',
                                           category text DEFAULT NULL, scenario text DEFAULT 'default',
                                           log_impression boolean DEFAULT false)
RETURNS TABLE (rank integer, item_id text, score real, reasons jsonb)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
  v_user text := recommend.user_id;
  v_scenario text := coalesce(recommend.scenario, 'default');
  v_experiment genre.experiments;
  v_variant text;
  v_serves text;
  v_row record;
  v_llm_k integer := (genre._setting('explain.llm_top_k'))::text::integer;
  v_sentence text;
BEGIN
  PERFORM genre._check_read_args('recommend', 'user_id', v_user, recommend.k);
  PERFORM genre._scenario_setting(v_scenario, 'recommend.exclude_seen');   -- unknown scenarios raise here
  -- An experiment on this scenario decides which variant's lists the user sees.
  SELECT * INTO v_experiment FROM genre.experiments e WHERE e.scenario = v_scenario AND e.status IN ('running', 'promoted')
   ORDER BY e.status = 'running' DESC, e.updated_at DESC LIMIT 1;
  IF v_experiment.name IS NOT NULL THEN
    IF v_experiment.status = 'promoted' THEN
      SELECT v.variant, v.serves INTO v_variant, v_serves FROM genre.experiment_variants v
       WHERE v.experiment = v_experiment.name AND v.variant = v_experiment.winner;
    ELSE
      SELECT a.variant, a.serves INTO v_variant, v_serves FROM genre._assign_variant(v_experiment.name, v_user) a;
    END IF;
  END IF;
  FOR v_row IN SELECT * FROM genre._recommend_rows(v_user, recommend.k, coalesce(recommend.exclude, '{}'), recommend.category,
                                                   coalesce(v_serves, v_scenario)) LOOP
    rank := v_row.rank;
    item_id := v_row.item_id;
    score := v_row.score;
    reasons := CASE WHEN v_variant IS NULL THEN v_row.reasons
                    ELSE v_row.reasons || jsonb_build_object('experiment', jsonb_build_object('name', v_experiment.name, 'variant', v_variant)) END;
    -- A grounded sentence written for this row's current facts (explain.llm_top_k rows; none while it is 0).
    IF v_row.rank <= v_llm_k THEN
      v_sentence := genre._llm_sentence(v_user, v_row.item_id, v_row.reasons);
      IF v_sentence IS NOT NULL THEN reasons := reasons || jsonb_build_object('llm_sentence', v_sentence); END IF;
    END IF;
    IF recommend.log_impression AND v_variant IS NOT NULL AND v_experiment.status = 'running' THEN
      INSERT INTO genre.impressions (experiment, variant, user_id, item_id, rank)
      VALUES (v_experiment.name, v_variant, v_user, v_row.item_id, v_row.rank);
    END IF;
    RETURN NEXT;
  END LOOP;
END $$;
COMMENT ON FUNCTION genre.recommend(text, integer, text[], text, text, boolean) IS
  'Top k recommendations for a user: rank, item_id, score, reasons (jsonb: strategies and their shares, anchor items, the search, item or profile interest closest in text, summary, and for the first explain.llm_top_k rows llm_sentence: a language model''s sentence grounded in those facts, once written). scenario => name reads the lists of a scenario from genre.scenarios (unknown names raise); when an experiment runs on that scenario, the user''s variant (recorded at their first exposure, then kept) decides which lists they see, named in reasons.experiment, and log_impression => true records the shown items in genre.impressions. Never returns unavailable items, items in exclude, items outside category (when given), or (with recommend.exclude_seen) items the user already has events for; unknown or cold users get popular items.';

-- ---------------------------------------------------------------------------------------------------------
-- genre.similar_items: items most similar to one item, with reasons. Unknown items give an empty result.
-- (The argument is named `item` because item_id is already an output column.)
CREATE OR REPLACE FUNCTION genre.similar_items(item text, k integer DEFAULT 10)
RETURNS TABLE (rank integer, item_id text, score real, reasons jsonb)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
  v_item text := similar_items.item;
  v_k integer := similar_items.k;
BEGIN
  PERFORM genre._check_read_args('similar_items', 'item', v_item, v_k);
  RETURN QUERY
  SELECT (row_number() OVER (ORDER BY n.rank))::integer, n.neighbor_id, n.score, n.reasons
    FROM genre.item_neighbors n JOIN genre.items i ON i.item_id = n.neighbor_id AND i.available
   WHERE n.item_id = v_item
   ORDER BY n.rank
   LIMIT v_k;
END $$;
COMMENT ON FUNCTION genre.similar_items(text, integer) IS
  'The k items most similar to item (co-occurrence: users who interacted with one also interacted with the other), with reasons. Unavailable items are left out; an unknown item gives no rows.';

-- ---------------------------------------------------------------------------------------------------------
-- genre.status: one row describing the daemon's view of the world. (Dropped first: its columns grow with
-- the schema, and CREATE OR REPLACE cannot change a function's result type.)
DROP FUNCTION IF EXISTS genre.status();
CREATE FUNCTION genre.status()
RETURNS TABLE (
  state text,
  users_queued bigint, users_claimed bigint, dead_letters bigint,
  events_applied bigint, events_pending bigint, last_event_id bigint, watermark_at timestamptz,
  items_to_embed bigint, items_embedded bigint, items_without_text bigint, event_texts_to_embed bigint,
  last_build_at timestamptz, last_build jsonb, workers_alive integer, workers jsonb, services jsonb,
  item_features_queued bigint, profiles_queued bigint, profiles_to_embed bigint, explanations_queued bigint,
  rerank_queued bigint)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  WITH live AS (
    SELECT wk.* FROM genre.workers wk WHERE wk.stopped_at IS NULL AND wk.heartbeat_at > now() - interval '30 seconds'
  ), services AS (
    SELECT h.*, l.hostname, l.pid FROM genre.service_health h JOIN live l USING (worker_id)
  )
  SELECT
    CASE
      WHEN NOT EXISTS (SELECT 1 FROM live) THEN 'degraded: no daemon is running (no heartbeat in the last 30 s)'
      WHEN EXISTS (SELECT 1 FROM services WHERE consecutive_failures > 0) THEN
        'degraded: ' || (SELECT string_agg(format('%s on %s:%s failed %s time(s) in a row: %s', s.service, s.hostname, s.pid,
                                                  s.consecutive_failures, left(s.last_error, 300)), '; ' ORDER BY s.service, s.worker_id)
                           FROM services s WHERE s.consecutive_failures > 0)
      ELSE 'ok'
    END,
    (SELECT count(*) FROM genre.work_queue WHERE queue = 'users'),
    (SELECT count(*) FROM genre.work_queue WHERE queue = 'users' AND claimed_until > clock_timestamp()),
    (SELECT count(*) FROM genre.dead_letters),
    w.events, genre._events_pending(), w.last_event_id, w.updated_at,
    (SELECT count(*) FROM genre.work_queue WHERE queue = 'items'),
    (SELECT count(*) FROM genre.item_embeddings WHERE embedding IS NOT NULL),
    (SELECT count(*) FROM genre.item_embeddings WHERE embedding IS NULL),
    (SELECT count(*) FROM genre.work_queue WHERE queue = 'event_texts'),
    b.finished_at,
    CASE WHEN b.id IS NULL THEN NULL ELSE jsonb_build_object('model', b.model, 'users', b.users, 'items', b.items,
      'interactions', b.interactions, 'seconds', extract(epoch FROM b.finished_at - b.started_at), 'details', b.details) END,
    (SELECT count(*)::integer FROM live),
    (SELECT coalesce(jsonb_agg(jsonb_build_object('worker_id', l.worker_id, 'hostname', l.hostname, 'pid', l.pid,
              'heartbeat_at', l.heartbeat_at, 'started_at', l.started_at, 'state', l.state) ORDER BY l.heartbeat_at DESC), '[]')
       FROM live l),
    (SELECT coalesce(jsonb_agg(jsonb_build_object('worker_id', s.worker_id, 'service', s.service, 'step_at', s.step_at,
              'last_success_at', s.last_success_at, 'last_error', s.last_error, 'last_error_at', s.last_error_at,
              'consecutive_failures', s.consecutive_failures) ORDER BY s.worker_id, s.service), '[]')
       FROM services s),
    (SELECT count(*) FROM genre.work_queue WHERE queue = 'item_features'),
    (SELECT count(*) FROM genre.work_queue WHERE queue = 'profiles'),
    (SELECT count(*) FROM genre.work_queue WHERE queue = 'profile_texts'),
    (SELECT count(*) FROM genre.work_queue WHERE queue = 'explanations'),
    (SELECT count(*) FROM genre.work_queue WHERE queue = 'rerank')
  FROM genre.watermarks w
  LEFT JOIN LATERAL (SELECT * FROM genre.model_builds ORDER BY id DESC LIMIT 1) b ON true
  WHERE w.name = 'interactions'
$$;
COMMENT ON FUNCTION genre.status() IS
  'Health at a glance: state (ok, or degraded: and why — no live daemon, or a service whose last steps failed, with its error), queued and claimed users, dead letters, events applied and pending behind the watermark (and the id of the last applied), the time the watermark last moved, the embedding backlog (exact counts: items and event texts queued, items embedded, items whose text renders empty), the last model build, live daemons (heartbeat within 30 s) and each of their services (last step, last success, last error, failures in a row), and the language-model backlog (items waiting for features, users waiting for a profile, profiles waiting to be embedded, list rows waiting for a grounded sentence, lists waiting for the re-ranking stage).';

-- ---------------------------------------------------------------------------------------------------------
-- Heartbeats (internal).
CREATE OR REPLACE FUNCTION genre._heartbeat(p_worker text, p_hostname text, p_pid integer, p_version text, p_state jsonb)
RETURNS void LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
  INSERT INTO genre.workers AS w (worker_id, hostname, pid, version, state) VALUES (p_worker, p_hostname, p_pid, p_version, p_state)
  ON CONFLICT (worker_id) DO UPDATE SET heartbeat_at = now(), state = EXCLUDED.state, stopped_at = NULL
$$;
COMMENT ON FUNCTION genre._heartbeat(text, text, integer, text, jsonb) IS 'Internal: records that a daemon is alive.';

-- p_services: [{"service": …, "step_at": …, "last_success_at": …, "last_error": …, "last_error_at": …,
-- "consecutive_failures": n}, …], the daemon's in-memory record of each of its services.
CREATE OR REPLACE FUNCTION genre._report_services(p_worker text, p_services jsonb)
RETURNS void LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
  INSERT INTO genre.service_health AS h (worker_id, service, reported_at, step_at, last_success_at, last_error, last_error_at,
                                         consecutive_failures)
  SELECT p_worker, s.service, now(), s.step_at, s.last_success_at, s.last_error, s.last_error_at, s.consecutive_failures
    FROM jsonb_to_recordset(p_services) AS s(service text, step_at timestamptz, last_success_at timestamptz, last_error text,
                                              last_error_at timestamptz, consecutive_failures integer)
  ON CONFLICT (worker_id, service) DO UPDATE SET reported_at = now(), step_at = EXCLUDED.step_at,
     last_success_at = EXCLUDED.last_success_at, last_error = EXCLUDED.last_error, last_error_at = EXCLUDED.last_error_at,
     consecutive_failures = EXCLUDED.consecutive_failures
$$;
COMMENT ON FUNCTION genre._report_services(text, jsonb) IS 'Internal: records the health of each of a daemon''s services.';

CREATE OR REPLACE FUNCTION genre._worker_stopped(p_worker text)
RETURNS void LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
  UPDATE genre.workers SET stopped_at = now() WHERE worker_id = p_worker;
  -- Daemons that stopped a week ago say nothing about today's health.
  DELETE FROM genre.service_health h USING genre.workers w
   WHERE w.worker_id = h.worker_id AND w.heartbeat_at < now() - interval '7 days';
$$;
COMMENT ON FUNCTION genre._worker_stopped(text) IS 'Internal: records a clean daemon shutdown.';
