-- Folding events into genre.interactions exactly once.
--
-- The watermark is a position (txid, id). A batch reads only events whose inserting transaction is older than
-- every transaction still running (txid < xmin of the current snapshot): such transactions have all
-- committed or aborted, so no event can ever appear below the watermark later. Rows of one transaction
-- become visible together, so ordering by (txid, id) is a stable total order. The watermark row is locked
-- FOR UPDATE for the whole batch, so several daemons take turns and never apply an event twice.

CREATE OR REPLACE FUNCTION genre._apply_events(p_batch integer)
RETURNS integer LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  w genre.watermarks;
  v_horizon xid8;
  v_count integer;
  v_last_txid xid8;
  v_last_id bigint;
BEGIN
  SELECT * INTO w FROM genre.watermarks WHERE name = 'interactions' FOR UPDATE;
  v_horizon := pg_snapshot_xmin(pg_current_snapshot());

  CREATE TEMP TABLE IF NOT EXISTS genre_event_batch (
    id bigint, txid xid8, user_id text, item_id text, event_type text, weight real, occurred_at timestamptz
  ) ON COMMIT DELETE ROWS;
  DELETE FROM genre_event_batch;
  INSERT INTO genre_event_batch
    SELECT e.id, e.txid, e.user_id, e.item_id, e.event_type, e.weight, e.occurred_at
      FROM genre.events e
     WHERE (e.txid, e.id) > (w.txid, w.event_id) AND e.txid < v_horizon
     ORDER BY e.txid, e.id
     LIMIT p_batch;
  GET DIAGNOSTICS v_count = ROW_COUNT;
  IF v_count = 0 THEN RETURN 0; END IF;

  INSERT INTO genre.interactions AS i (user_id, item_id, event_type, event_count, default_count, explicit_weight, first_at, last_at)
    SELECT b.user_id, b.item_id, b.event_type, count(*), count(*) FILTER (WHERE b.weight IS NULL),
           coalesce(sum(b.weight), 0), min(b.occurred_at), max(b.occurred_at)
      FROM genre_event_batch b
     WHERE b.item_id IS NOT NULL
     GROUP BY 1, 2, 3
     ORDER BY 1, 2, 3
  ON CONFLICT (user_id, item_id, event_type) DO UPDATE
    SET event_count = i.event_count + EXCLUDED.event_count,
        default_count = i.default_count + EXCLUDED.default_count,
        explicit_weight = i.explicit_weight + EXCLUDED.explicit_weight,
        first_at = least(i.first_at, EXCLUDED.first_at),
        last_at = greatest(i.last_at, EXCLUDED.last_at);

  SELECT b.txid, b.id INTO v_last_txid, v_last_id FROM genre_event_batch b ORDER BY b.txid DESC, b.id DESC LIMIT 1;
  UPDATE genre.watermarks
     SET txid = v_last_txid, event_id = v_last_id, events = events + v_count, updated_at = now()
   WHERE name = 'interactions';
  RETURN v_count;
END $$;
COMMENT ON FUNCTION genre._apply_events(integer) IS
  'Internal: folds up to p_batch events past the watermark into genre.interactions and advances the watermark, in one transaction; returns how many.';

-- Events not yet folded into genre.interactions.
CREATE OR REPLACE FUNCTION genre._events_pending()
RETURNS bigint LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT count(*) FROM genre.events e, genre.watermarks w
   WHERE w.name = 'interactions' AND (e.txid, e.id) > (w.txid, w.event_id)
$$;
COMMENT ON FUNCTION genre._events_pending() IS 'Internal: number of events past the interactions watermark.';
