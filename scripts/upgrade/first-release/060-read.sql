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
-- (The three-argument version of the first schema is dropped: a call with three arguments would otherwise
-- be ambiguous between the two.)
DROP FUNCTION IF EXISTS genre.recommend(text, integer, text[]);
CREATE OR REPLACE FUNCTION genre.recommend(user_id text, k integer DEFAULT 10, exclude text[] DEFAULT '{}',
                                           category text DEFAULT NULL)
RETURNS TABLE (rank integer, item_id text, score real, reasons jsonb)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
  v_user text := recommend.user_id;
  v_k integer := recommend.k;
  v_exclude text[] := coalesce(recommend.exclude, '{}');
  v_category text := recommend.category;
  v_exclude_seen boolean := (genre._setting('recommend.exclude_seen'))::text::boolean;
  v_reshow double precision := (genre._setting('recommend.reshow_after_days'))::text::double precision;
BEGIN
  PERFORM genre._check_read_args('recommend', 'user_id', v_user, v_k);
  RETURN QUERY
  WITH seen AS (
    SELECT DISTINCT e.item_id FROM genre.events e
     WHERE v_exclude_seen AND e.user_id = v_user AND e.item_id IS NOT NULL
       AND (v_reshow <= 0 OR e.occurred_at > now() - make_interval(secs => v_reshow * 86400))
  ), personal AS (
    SELECT r.item_id, r.score, r.reasons, r.rank AS ord, 0 AS source
      FROM genre.recommendations r JOIN genre.items i ON i.item_id = r.item_id AND i.available
     WHERE r.user_id = v_user AND r.item_id <> ALL (v_exclude)
       AND (v_category IS NULL OR i.category = v_category)
       AND NOT EXISTS (SELECT 1 FROM seen s WHERE s.item_id = r.item_id)
     ORDER BY r.rank
     LIMIT v_k
  ), popular AS (
    SELECT p.item_id, p.score, p.reasons, p.rank AS ord, 1 AS source
      FROM genre.popular_items p JOIN genre.items i ON i.item_id = p.item_id AND i.available
     WHERE p.item_id <> ALL (v_exclude)
       AND (v_category IS NULL OR i.category = v_category)
       AND NOT EXISTS (SELECT 1 FROM seen s WHERE s.item_id = p.item_id)
       AND NOT EXISTS (SELECT 1 FROM personal x WHERE x.item_id = p.item_id)
     ORDER BY p.rank
     LIMIT v_k
  )
  SELECT (row_number() OVER (ORDER BY c.source, c.ord))::integer, c.item_id, c.score, c.reasons
    FROM (SELECT * FROM personal UNION ALL SELECT * FROM popular) c
   ORDER BY c.source, c.ord
   LIMIT v_k;
END $$;
COMMENT ON FUNCTION genre.recommend(text, integer, text[], text) IS
  'Top k recommendations for a user: rank, item_id, score, reasons (jsonb: strategies and their shares, anchor items, the search or item closest in text, summary). Never returns unavailable items, items in exclude, items outside category (when given), or (with recommend.exclude_seen) items the user already has events for; unknown or cold users get popular items.';

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
  users_queued bigint, users_claimed bigint, dead_letters bigint,
  events_applied bigint, events_pending bigint, last_event_id bigint, watermark_at timestamptz,
  items_to_embed bigint, items_embedded bigint, items_without_text bigint, event_texts_to_embed bigint,
  last_build_at timestamptz, last_build jsonb, workers_alive integer, workers jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT
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
    (SELECT count(*)::integer FROM genre.workers wk WHERE wk.stopped_at IS NULL AND wk.heartbeat_at > now() - interval '30 seconds'),
    (SELECT coalesce(jsonb_agg(jsonb_build_object('worker_id', wk.worker_id, 'hostname', wk.hostname, 'pid', wk.pid,
              'heartbeat_at', wk.heartbeat_at, 'started_at', wk.started_at, 'state', wk.state) ORDER BY wk.heartbeat_at DESC), '[]')
       FROM genre.workers wk WHERE wk.stopped_at IS NULL AND wk.heartbeat_at > now() - interval '30 seconds')
  FROM genre.watermarks w
  LEFT JOIN LATERAL (SELECT * FROM genre.model_builds ORDER BY id DESC LIMIT 1) b ON true
  WHERE w.name = 'interactions'
$$;
COMMENT ON FUNCTION genre.status() IS
  'Health at a glance: queued and claimed users, dead letters, events applied and pending behind the watermark (and the id of the last applied), the time the watermark last moved, the embedding backlog (exact counts: items and event texts queued, items embedded, items whose text renders empty), the last model build, and live daemons (heartbeat within 30 s).';

-- ---------------------------------------------------------------------------------------------------------
-- Heartbeats (internal).
CREATE OR REPLACE FUNCTION genre._heartbeat(p_worker text, p_hostname text, p_pid integer, p_version text, p_state jsonb)
RETURNS void LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
  INSERT INTO genre.workers AS w (worker_id, hostname, pid, version, state) VALUES (p_worker, p_hostname, p_pid, p_version, p_state)
  ON CONFLICT (worker_id) DO UPDATE SET heartbeat_at = now(), state = EXCLUDED.state, stopped_at = NULL
$$;
COMMENT ON FUNCTION genre._heartbeat(text, text, integer, text, jsonb) IS 'Internal: records that a daemon is alive.';

CREATE OR REPLACE FUNCTION genre._worker_stopped(p_worker text)
RETURNS void LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
  UPDATE genre.workers SET stopped_at = now() WHERE worker_id = p_worker
$$;
COMMENT ON FUNCTION genre._worker_stopped(text) IS 'Internal: records a clean daemon shutdown.';
