-- Items and events: validation on insert, and the triggers that queue work for the daemon in the same
-- transaction as the business row. NOTIFY only wakes the daemon up; the queue rows are the truth.

-- genre._setting: the effective value of a key, without the unknown-key check (internal callers know it).
CREATE OR REPLACE FUNCTION genre._setting(p_key text)
RETURNS jsonb LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT coalesce((SELECT value FROM genre.settings WHERE key = p_key),
                  (SELECT default_value FROM genre.setting_definitions WHERE key = p_key))
$$;
COMMENT ON FUNCTION genre._setting(text) IS 'Internal: effective value of a setting key (stored, else default).';

CREATE OR REPLACE FUNCTION genre._items_touch()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  NEW.updated_at := now();
  IF NEW.tags IS NULL THEN NEW.tags := '{}'; END IF;
  IF NEW.attributes IS NULL THEN NEW.attributes := '{}'; END IF;
  RETURN NEW;
END $$;
COMMENT ON FUNCTION genre._items_touch() IS 'Internal trigger: keeps genre.items.updated_at current and NULL tags/attributes empty.';
CREATE OR REPLACE TRIGGER items_touch BEFORE INSERT OR UPDATE ON genre.items
  FOR EACH ROW EXECUTE FUNCTION genre._items_touch();

-- Events are validated here rather than by CHECK constraints because the allowed event types are a setting.
CREATE OR REPLACE FUNCTION genre._events_validate()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_weights jsonb := genre._setting('event.weights');
  v_skew double precision := (genre._setting('events.max_future_seconds'))::text::double precision;
BEGIN
  NEW.event_type := lower(btrim(NEW.event_type));
  IF NOT v_weights ? NEW.event_type THEN
    RAISE EXCEPTION 'unknown event_type "%"', left(NEW.event_type, 50)
      USING ERRCODE = 'check_violation',
            HINT = 'Known types: ' || (SELECT string_agg(k, ', ' ORDER BY k) FROM jsonb_object_keys(v_weights) k)
                   || '. Add one with genre.set(''event.weights'', ...).';
  END IF;
  IF NEW.event_type IN ('search', 'comment') THEN
    IF NEW.text IS NULL OR btrim(NEW.text) = '' THEN
      RAISE EXCEPTION 'a % event needs its text in the text column', NEW.event_type USING ERRCODE = 'not_null_violation';
    END IF;
  ELSIF NEW.item_id IS NULL THEN
    RAISE EXCEPTION 'a % event needs an item_id', NEW.event_type USING ERRCODE = 'not_null_violation';
  END IF;
  IF NEW.weight IS NOT NULL AND (NEW.weight = 'NaN'::real OR abs(NEW.weight) > 1000) THEN
    RAISE EXCEPTION 'event weight % is out of range: use a finite number between -1000 and 1000, or NULL for the event type''s weight', NEW.weight
      USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.occurred_at > now() + make_interval(secs => v_skew) THEN
    RAISE EXCEPTION 'event occurred_at % is in the future (more than % s ahead of the database clock)', NEW.occurred_at, v_skew
      USING ERRCODE = 'check_violation', HINT = 'See setting events.max_future_seconds.';
  END IF;
  IF NEW.context IS NULL THEN NEW.context := '{}'; END IF;
  RETURN NEW;
END $$;
COMMENT ON FUNCTION genre._events_validate() IS 'Internal trigger: refuses events with unknown types, missing item or text, absurd weights or future timestamps.';
CREATE OR REPLACE TRIGGER events_validate BEFORE INSERT ON genre.events
  FOR EACH ROW EXECUTE FUNCTION genre._events_validate();

-- Events are facts: changing one in place would silently desynchronise every aggregate built from it.
CREATE OR REPLACE FUNCTION genre._events_immutable()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RAISE EXCEPTION 'genre.events rows cannot be updated; delete the event and insert a corrected one'
    USING ERRCODE = 'feature_not_supported';
END $$;
COMMENT ON FUNCTION genre._events_immutable() IS 'Internal trigger: refuses UPDATE on genre.events.';
CREATE OR REPLACE TRIGGER events_immutable BEFORE UPDATE ON genre.events
  FOR EACH ROW EXECUTE FUNCTION genre._events_immutable();

-- Statement-level, so a bulk insert or COPY of a million events queues each user once.
CREATE OR REPLACE FUNCTION genre._events_enqueue()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM genre._enqueue('users', ARRAY(SELECT DISTINCT user_id FROM new_events));
  RETURN NULL;
END $$;
COMMENT ON FUNCTION genre._events_enqueue() IS 'Internal trigger: queues every user with new events for a real-time refresh and wakes the daemon.';
CREATE OR REPLACE TRIGGER events_enqueue AFTER INSERT ON genre.events
  REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION genre._events_enqueue();

-- Deleting events (e.g. a user's right to erasure) takes them back out of the aggregates the daemon already
-- built; events past the watermark were never counted and need nothing.
CREATE OR REPLACE FUNCTION genre._events_forget()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE w genre.watermarks;
BEGIN
  -- FOR UPDATE waits for a daemon applying events (it holds the same lock), so the two never double count.
  SELECT * INTO w FROM genre.watermarks WHERE name = 'interactions' FOR UPDATE;
  WITH gone AS (
    SELECT user_id, item_id, event_type, count(*) AS n, count(*) FILTER (WHERE weight IS NULL) AS n_default,
           coalesce(sum(weight), 0) AS explicit
    FROM old_events
    WHERE item_id IS NOT NULL AND pg_visible_in_snapshot(txid, w.snapshot)
    GROUP BY 1, 2, 3
  )
  UPDATE genre.interactions i
     SET event_count = i.event_count - g.n, default_count = i.default_count - g.n_default,
         explicit_weight = i.explicit_weight - g.explicit
    FROM gone g
   WHERE i.user_id = g.user_id AND i.item_id = g.item_id AND i.event_type = g.event_type;
  DELETE FROM genre.interactions WHERE event_count <= 0 AND user_id IN (SELECT user_id FROM old_events);
  UPDATE genre.watermarks SET events = events - (SELECT count(*) FROM old_events
                                                  WHERE pg_visible_in_snapshot(txid, w.snapshot))
   WHERE name = 'interactions';
  PERFORM genre._enqueue('users', ARRAY(SELECT DISTINCT user_id FROM old_events));
  RETURN NULL;
END $$;
COMMENT ON FUNCTION genre._events_forget() IS 'Internal trigger: removes deleted events from genre.interactions and re-queues their users.';
CREATE OR REPLACE TRIGGER events_forget AFTER DELETE ON genre.events
  REFERENCING OLD TABLE AS old_events FOR EACH STATEMENT EXECUTE FUNCTION genre._events_forget();
