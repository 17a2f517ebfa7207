-- The user queue's life cycle: claim (SKIP LOCKED, with a lease), complete, fail with backoff, dead-letter.
-- A claim is a short transaction of its own: no row lock is held while the work runs, so the business
-- system's inserts never wait for the daemon. The lease brings back work whose daemon died.

CREATE OR REPLACE FUNCTION genre._claim_users(p_worker text, p_batch integer, p_lease_seconds double precision, p_max_attempts integer)
RETURNS TABLE (user_id text, version bigint, attempts integer)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  -- Work whose lease expired too often (its daemon keeps dying on it) goes to the dead letters.
  WITH poisoned AS (
    DELETE FROM genre.user_queue q
     WHERE q.user_id IN (SELECT p.user_id FROM genre.user_queue p
                          WHERE p.claimed_until < clock_timestamp() AND p.attempts >= p_max_attempts
                          FOR UPDATE SKIP LOCKED)
    RETURNING q.user_id, q.attempts, q.last_error
  )
  INSERT INTO genre.dead_letters (queue, work_key, attempts, error)
  SELECT 'user_queue', p.user_id, p.attempts,
         coalesce(p.last_error, 'lease expired ' || p.attempts || ' times: the worker died or hung while refreshing this user')
    FROM poisoned p;

  RETURN QUERY
  UPDATE genre.user_queue q
     SET claimed_by = p_worker, claimed_until = clock_timestamp() + make_interval(secs => p_lease_seconds),
         attempts = q.attempts + 1
    FROM (SELECT c.user_id FROM genre.user_queue c
           WHERE c.available_at <= clock_timestamp()
             AND (c.claimed_until IS NULL OR c.claimed_until < clock_timestamp())
           ORDER BY c.available_at
           LIMIT p_batch
           FOR UPDATE SKIP LOCKED) ready
   WHERE q.user_id = ready.user_id
  RETURNING q.user_id, q.version, q.attempts;
END $$;
COMMENT ON FUNCTION genre._claim_users(text, integer, double precision, integer) IS
  'Internal: claims up to p_batch ready users for p_worker with a lease (FOR UPDATE SKIP LOCKED); dead-letters work whose lease expired too often.';

-- Done: drop the row unless a newer event re-dirtied it meanwhile; then just release the claim.
CREATE OR REPLACE FUNCTION genre._complete_user(p_user_id text, p_version bigint)
RETURNS boolean LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  DELETE FROM genre.user_queue WHERE user_id = p_user_id AND version = p_version;
  IF FOUND THEN RETURN true; END IF;
  UPDATE genre.user_queue SET claimed_by = NULL, claimed_until = NULL WHERE user_id = p_user_id;
  RETURN false;
END $$;
COMMENT ON FUNCTION genre._complete_user(text, bigint) IS
  'Internal: marks a claimed user refreshed; keeps the row (released) if newer events arrived during the refresh.';

CREATE OR REPLACE FUNCTION genre._fail_user(p_user_id text, p_error text, p_max_attempts integer)
RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE q genre.user_queue;
BEGIN
  SELECT * INTO q FROM genre.user_queue WHERE user_id = p_user_id FOR UPDATE;
  IF NOT FOUND THEN RETURN 'gone'; END IF;
  IF q.attempts >= p_max_attempts THEN
    INSERT INTO genre.dead_letters (queue, work_key, attempts, error) VALUES ('user_queue', p_user_id, q.attempts, left(p_error, 4000));
    DELETE FROM genre.user_queue WHERE user_id = p_user_id;
    RETURN 'dead';
  END IF;
  -- Exponential backoff: 1 s, 2 s, 4 s ... capped at 10 minutes.
  UPDATE genre.user_queue
     SET claimed_by = NULL, claimed_until = NULL, last_error = left(p_error, 4000),
         available_at = clock_timestamp() + make_interval(secs => least(600, power(2, greatest(q.attempts - 1, 0))))
   WHERE user_id = p_user_id;
  RETURN 'retry';
END $$;
COMMENT ON FUNCTION genre._fail_user(text, text, integer) IS
  'Internal: records a failed refresh; retries with exponential backoff, or moves the user to genre.dead_letters after p_max_attempts.';

CREATE OR REPLACE FUNCTION genre.retry_dead_letter(p_id bigint)
RETURNS boolean LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE d genre.dead_letters;
BEGIN
  DELETE FROM genre.dead_letters WHERE id = p_id RETURNING * INTO d;
  IF NOT FOUND THEN RETURN false; END IF;
  IF d.queue = 'user_queue' THEN
    PERFORM genre._enqueue_users(ARRAY[d.work_key], 'retry');
  END IF;
  RETURN true;
END $$;
COMMENT ON FUNCTION genre.retry_dead_letter(bigint) IS
  'Puts a dead-lettered work item back on its queue (after you fixed the cause); returns false if the id does not exist.';
