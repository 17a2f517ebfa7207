-- Folding events into genre.interactions exactly once.
--
-- The watermark is a transaction snapshot (the idea PgQ's batches are built on). A batch takes a new
-- snapshot S2 and reads the events whose inserting transaction is visible in S2 but was not visible in the
-- stored snapshot S1: exactly the transactions that committed in between. Every transaction becomes visible
-- in exactly one such step, so each event is applied once, however late it commits and whatever its id;
-- and an open transaction elsewhere does not hold back events that committed after it started. The
-- watermark row is locked FOR UPDATE for the whole step, so several daemons take turns.

CREATE OR REPLACE FUNCTION genre._events_unapplied(p_snapshot pg_snapshot)
RETURNS SETOF genre.events LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT * FROM genre.events e
   WHERE e.txid >= pg_snapshot_xmin(p_snapshot) AND NOT pg_visible_in_snapshot(e.txid, p_snapshot)
$$;
COMMENT ON FUNCTION genre._events_unapplied(pg_snapshot) IS
  'Internal: events whose inserting transaction is not visible in the given watermark snapshot (not yet applied, or not yet committed).';

CREATE OR REPLACE FUNCTION genre._apply_events()
RETURNS integer LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  w genre.watermarks;
  v_now pg_snapshot;
  v_count integer;
  v_last bigint;
BEGIN
  SELECT * INTO w FROM genre.watermarks WHERE name = 'interactions' FOR UPDATE;
  v_now := pg_current_snapshot();

  WITH batch AS MATERIALIZED (
    SELECT e.id, e.user_id, e.item_id, e.event_type, e.weight, e.occurred_at
      FROM genre._events_unapplied(w.snapshot) e
     WHERE pg_visible_in_snapshot(e.txid, v_now)
  ), folded AS (
    INSERT INTO genre.interactions AS i (user_id, item_id, event_type, event_count, default_count, explicit_weight, first_at, last_at)
      SELECT b.user_id, b.item_id, b.event_type, count(*), count(*) FILTER (WHERE b.weight IS NULL),
             coalesce(sum(b.weight), 0), min(b.occurred_at), max(b.occurred_at)
        FROM batch b
       WHERE b.item_id IS NOT NULL
       GROUP BY 1, 2, 3
       ORDER BY 1, 2, 3
    ON CONFLICT (user_id, item_id, event_type) DO UPDATE
      SET event_count = i.event_count + EXCLUDED.event_count,
          default_count = i.default_count + EXCLUDED.default_count,
          explicit_weight = i.explicit_weight + EXCLUDED.explicit_weight,
          first_at = least(i.first_at, EXCLUDED.first_at),
          last_at = greatest(i.last_at, EXCLUDED.last_at)
  )
  SELECT count(*), max(id) INTO v_count, v_last FROM batch;

  UPDATE genre.watermarks
     SET snapshot = v_now, events = events + v_count, last_event_id = coalesce(v_last, last_event_id),
         updated_at = CASE WHEN v_count > 0 THEN now() ELSE updated_at END
   WHERE name = 'interactions';
  RETURN v_count;
END $$;
COMMENT ON FUNCTION genre._apply_events() IS
  'Internal: folds every event committed since the watermark snapshot into genre.interactions and advances the watermark, in one transaction; returns how many.';

-- Events not yet folded into genre.interactions (including those of transactions still open).
CREATE OR REPLACE FUNCTION genre._events_pending()
RETURNS bigint LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT count(*) FROM genre.watermarks w, genre._events_unapplied(w.snapshot) e WHERE w.name = 'interactions'
$$;
COMMENT ON FUNCTION genre._events_pending() IS 'Internal: number of visible events past the interactions watermark.';
