-- The work queue's life cycle: enqueue (from triggers), claim (SKIP LOCKED, with a lease), complete,
-- fail with backoff, dead-letter. A claim is a short transaction of its own: no row lock is held while the
-- work runs, so the business system's inserts never wait for the daemon. The lease brings back work whose
-- daemon died. Every function takes the queue name ('users', 'items' ...), so all queues behave alike.

CREATE OR REPLACE FUNCTION genre._check_queue(p_queue text)
RETURNS void LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF p_queue IS NULL OR p_queue NOT IN ('users', 'items', 'event_texts', 'tuning', 'item_features', 'profiles', 'profile_texts', 'explanations', 'rerank') THEN
    RAISE EXCEPTION 'unknown work queue "%"', p_queue USING ERRCODE = 'invalid_parameter_value';
  END IF;
END $$;
COMMENT ON FUNCTION genre._check_queue(text) IS 'Internal: refuses any queue name but the known ones.';

-- Requests work (or requests it again: a new version, available now at the latest, attempts reset) and wakes the daemon.
CREATE OR REPLACE FUNCTION genre._enqueue(p_queue text, p_keys text[])
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM genre._check_queue(p_queue);
  IF cardinality(p_keys) = 0 THEN RETURN; END IF;
  -- Sorted so concurrent bulk inserts lock queue rows in the same order (no deadlocks).
  INSERT INTO genre.work_queue AS q (queue, work_key)
    SELECT DISTINCT p_queue, k FROM unnest(p_keys) k WHERE k IS NOT NULL ORDER BY 2
  -- Work already waiting keeps its place in line (least): moving it to the back on every new request
  -- would starve a user whose events arrive faster than the queue turns over. (Work requested again
  -- while claimed goes to the back when its claim completes: genre._complete.)
  ON CONFLICT (queue, work_key) DO UPDATE
    SET version = q.version + 1, available_at = least(q.available_at, clock_timestamp()), attempts = 0, last_error = NULL;
  PERFORM pg_notify('genre_work', p_queue);
END $$;
COMMENT ON FUNCTION genre._enqueue(text, text[]) IS
  'Internal: queues work for the daemon (bumping the version of work already queued) and notifies genre_work with the queue name.';

CREATE OR REPLACE FUNCTION genre._claim(p_queue text, p_worker text, p_batch integer, p_lease_seconds double precision, p_max_attempts integer)
RETURNS TABLE (work_key text, version bigint, attempts integer)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  -- Work whose worker died or hung is released, counted, and sent to the back of the line with a short
  -- backoff, so the same rows are not always the ones in flight when daemons keep restarting. A daemon
  -- dying is usually not the work's fault, so only 3 × max_attempts lost leases (a row that keeps
  -- killing its workers) send it to the dead letters.
  UPDATE genre.work_queue q
     SET claimed_by = NULL, claimed_until = NULL, lease_expiries = q.lease_expiries + 1,
         available_at = clock_timestamp() + make_interval(secs => least(60, power(2, q.lease_expiries)))
   WHERE (q.queue, q.work_key) IN (SELECT p.queue, p.work_key FROM genre.work_queue p
                                    WHERE p.queue = p_queue AND p.claimed_until < clock_timestamp()
                                    FOR UPDATE SKIP LOCKED);
  -- (A separate statement: one statement cannot both update a row and then delete that new version.)
  WITH poisoned AS (
    DELETE FROM genre.work_queue q
     WHERE q.queue = p_queue AND q.claimed_by IS NULL AND q.lease_expiries >= 3 * p_max_attempts
    RETURNING q.work_key, q.attempts, q.lease_expiries
  )
  INSERT INTO genre.dead_letters (queue, work_key, attempts, error)
  SELECT p_queue, p.work_key, p.attempts,
         'lease expired ' || p.lease_expiries || ' times: the worker died or hung on this work every time it tried'
    FROM poisoned p;

  RETURN QUERY
  UPDATE genre.work_queue q
     SET claimed_by = p_worker, claimed_until = clock_timestamp() + make_interval(secs => p_lease_seconds),
         attempts = q.attempts + 1
    FROM (SELECT c.work_key FROM genre.work_queue c
           WHERE c.queue = p_queue AND c.available_at <= clock_timestamp()
             AND (c.claimed_until IS NULL OR c.claimed_until < clock_timestamp())
           ORDER BY c.available_at
           LIMIT p_batch
           FOR UPDATE SKIP LOCKED) ready
   WHERE q.queue = p_queue AND q.work_key = ready.work_key
  RETURNING q.work_key, q.version, q.attempts;
END $$;
COMMENT ON FUNCTION genre._claim(text, text, integer, double precision, integer) IS
  'Internal: claims up to p_batch ready items of a queue for p_worker with a lease (FOR UPDATE SKIP LOCKED); releases expired claims with a backoff and dead-letters work that lost 3 × max_attempts leases.';

-- Keeps a long piece of work from being taken over: pushes the lease of the worker's claims forward.
CREATE OR REPLACE FUNCTION genre._extend(p_queue text, p_worker text, p_keys text[], p_lease_seconds double precision)
RETURNS integer LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_count integer;
BEGIN
  UPDATE genre.work_queue SET claimed_until = clock_timestamp() + make_interval(secs => p_lease_seconds)
   WHERE queue = p_queue AND claimed_by = p_worker AND work_key = ANY (p_keys);
  GET DIAGNOSTICS v_count = ROW_COUNT;
  RETURN v_count;
END $$;
COMMENT ON FUNCTION genre._extend(text, text, text[], double precision) IS
  'Internal: extends the lease of work a worker still holds (long batches call it as they go).';

-- Done: drop the row unless the work was requested again meanwhile; then just release the claim.
CREATE OR REPLACE FUNCTION genre._complete(p_queue text, p_key text, p_version bigint)
RETURNS boolean LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  DELETE FROM genre.work_queue WHERE queue = p_queue AND work_key = p_key AND version = p_version;
  IF FOUND THEN RETURN true; END IF;
  -- Requested again while it ran: back of the line (what was requested meanwhile waits its turn), or a
  -- busy user would be taken first on every claim and starve everyone else.
  UPDATE genre.work_queue SET claimed_by = NULL, claimed_until = NULL, available_at = clock_timestamp()
   WHERE queue = p_queue AND work_key = p_key;
  RETURN false;
END $$;
COMMENT ON FUNCTION genre._complete(text, text, bigint) IS
  'Internal: marks claimed work done; keeps the row (released) if the work was requested again while it ran.';

-- Gives claimed work back untried, to be taken up at p_available_at: the work was not at fault (its provider
-- is paused, the daemon is stopping), so no attempt is counted.
CREATE OR REPLACE FUNCTION genre._release(p_queue text, p_worker text, p_keys text[], p_available_at timestamptz)
RETURNS void LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
  UPDATE genre.work_queue
     SET claimed_by = NULL, claimed_until = NULL, available_at = greatest(available_at, p_available_at),
         attempts = greatest(attempts - 1, 0)  -- the claim counted one
   WHERE queue = p_queue AND work_key = ANY (p_keys) AND claimed_by = p_worker
$$;
COMMENT ON FUNCTION genre._release(text, text, text[], timestamptz) IS
  'Internal: returns claimed work untried (no attempt counted), available again at the given time.';

CREATE OR REPLACE FUNCTION genre._fail(p_queue text, p_key text, p_error text, p_max_attempts integer)
RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE q genre.work_queue;
BEGIN
  SELECT * INTO q FROM genre.work_queue WHERE queue = p_queue AND work_key = p_key FOR UPDATE;
  IF NOT FOUND THEN RETURN 'gone'; END IF;
  IF q.attempts >= p_max_attempts THEN
    INSERT INTO genre.dead_letters (queue, work_key, attempts, error) VALUES (p_queue, p_key, q.attempts, left(p_error, 4000));
    DELETE FROM genre.work_queue WHERE queue = p_queue AND work_key = p_key;
    RETURN 'dead';
  END IF;
  -- Exponential backoff: 1 s, 2 s, 4 s ... capped at 10 minutes.
  UPDATE genre.work_queue
     SET claimed_by = NULL, claimed_until = NULL, last_error = left(p_error, 4000),
         available_at = clock_timestamp() + make_interval(secs => least(600, power(2, greatest(q.attempts - 1, 0))))
   WHERE queue = p_queue AND work_key = p_key;
  RETURN 'retry';
END $$;
COMMENT ON FUNCTION genre._fail(text, text, text, integer) IS
  'Internal: records failed work; retries with exponential backoff, or moves it to genre.dead_letters after p_max_attempts.';

CREATE OR REPLACE FUNCTION genre.retry_dead_letter(p_id bigint)
RETURNS boolean LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE d genre.dead_letters;
BEGIN
  DELETE FROM genre.dead_letters WHERE id = p_id RETURNING * INTO d;
  IF NOT FOUND THEN RETURN false; END IF;
  PERFORM genre._enqueue(d.queue, ARRAY[d.work_key]);
  RETURN true;
END $$;
COMMENT ON FUNCTION genre.retry_dead_letter(bigint) IS
  'Puts a dead-lettered work item back on its queue (after you fixed the cause); returns false if the id does not exist.';
