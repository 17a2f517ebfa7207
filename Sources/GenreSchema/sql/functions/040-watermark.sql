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

-- At most this many events are folded per call (more only when one transaction holds more), so a backlog
-- (a daemon that was down, a bulk import) is folded in bounded transactions, each short enough not to hold
-- the watermark row, or the server's memory, for long. The caller calls again while events are folded.
-- A session may lower it (SET genre.apply_events_batch = 10), as the tests do.
CREATE OR REPLACE FUNCTION genre._apply_events_batch_size()
RETURNS integer LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT coalesce(nullif(current_setting('genre.apply_events_batch', true), '')::integer, 50000)
$$;
COMMENT ON FUNCTION genre._apply_events_batch_size() IS
  'Internal: the most events genre._apply_events folds in one call (whole transactions): 50,000, or the session''s genre.apply_events_batch.';

-- A step folds the transactions visible in a cut of the current snapshot: those with an id below v_cut.
-- The cut is itself a snapshot (xmin:xmax:xip with xmax = v_cut and the current snapshot's in-progress ids
-- below it), so the watermark stays a snapshot and the exactly-once argument above holds step by step. The
-- cut never moves below the stored snapshot's xmax, so what was visible stays visible.
CREATE OR REPLACE FUNCTION genre._apply_events()
RETURNS integer LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  w genre.watermarks;
  v_now pg_snapshot;
  v_cut xid8;
  v_count integer;
  v_last bigint;
  -- Each user's folded events count towards their next profile (genre.profile_activity) while profiles are on.
  v_profiles boolean := (genre._setting('profile.enabled'))::text::boolean;
BEGIN
  SELECT * INTO w FROM genre.watermarks WHERE name = 'interactions' FOR UPDATE;
  v_now := pg_current_snapshot();

  -- The transaction id of the first event past the batch size, in id order; null: everything fits.
  SELECT e.txid INTO v_cut FROM genre._events_unapplied(w.snapshot) e
   WHERE pg_visible_in_snapshot(e.txid, v_now)
   ORDER BY e.txid OFFSET genre._apply_events_batch_size() LIMIT 1;
  IF v_cut IS NOT NULL THEN
    -- At least one whole transaction (the first one may hold more than a batch), never below the watermark.
    v_cut := greatest(v_cut, pg_snapshot_xmax(w.snapshot),
                      (((SELECT min(e.txid) FROM genre._events_unapplied(w.snapshot) e
                          WHERE pg_visible_in_snapshot(e.txid, v_now))::text::bigint + 1)::text)::xid8);
    IF v_cut < pg_snapshot_xmax(v_now) THEN
      v_now := format('%s:%s:%s', least(pg_snapshot_xmin(v_now), v_cut), v_cut,
                      coalesce((SELECT string_agg(x::text, ',' ORDER BY x) FROM pg_snapshot_xip(v_now) x WHERE x < v_cut), ''))::pg_snapshot;
    END IF;
  END IF;

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
  ), profile_counts AS (
    INSERT INTO genre.profile_activity AS a (user_id, new_events)
      SELECT b.user_id, count(*) FROM batch b WHERE v_profiles GROUP BY 1 ORDER BY 1
    ON CONFLICT (user_id) DO UPDATE SET new_events = a.new_events + EXCLUDED.new_events
  )
  SELECT count(*), max(id) INTO v_count, v_last FROM batch;

  UPDATE genre.watermarks
     SET snapshot = v_now, events = events + v_count, last_event_id = coalesce(v_last, last_event_id),
         updated_at = CASE WHEN v_count > 0 THEN now() ELSE updated_at END
   WHERE name = 'interactions';
  RETURN v_count;
END $$;
COMMENT ON FUNCTION genre._apply_events() IS
  'Internal: folds events committed since the watermark snapshot into genre.interactions and advances the watermark, in one transaction, at most genre._apply_events_batch_size() events (whole transactions) per call; returns how many (call again while it returns more than 0).';

-- Events not yet folded into genre.interactions (including those of transactions still open).
CREATE OR REPLACE FUNCTION genre._events_pending()
RETURNS bigint LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT count(*) FROM genre.watermarks w, genre._events_unapplied(w.snapshot) e WHERE w.name = 'interactions'
$$;
COMMENT ON FUNCTION genre._events_pending() IS 'Internal: number of visible events past the interactions watermark.';
