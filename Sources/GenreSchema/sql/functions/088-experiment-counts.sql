-- Experiment results, counted incrementally: genre.experiment_counts holds per variant the impressions,
-- distinct users and converted impressions; genre._update_experiment_counts() advances them (the daemon's
-- experiment service, every few seconds) and genre.experiment_results reads them.
--
-- A conversion is an event of a type in experiment.conversion_events by the user on the shown item, at or
-- after the impression and within the experiment's conversion_days; an impression counts once however many
-- events qualify (genre.impression_conversions marks the converted ones).
--
-- How a count stays equal to a count from scratch. Like the events watermark (040-watermark.sql), the
-- counting watermark is a transaction snapshot: each step takes a new snapshot S2 and handles the rows whose
-- inserting transaction is visible in S2 but was not in the last one, S1, so every impression is counted
-- exactly once, however late it commits. Whether an impression converted can change after it was counted
-- only through the events of its (user, item): new ones, or deleted ones (the delete trigger below records
-- their pairs in genre.experiment_rechecks). So each step judges again every impression, counted by S2, of
-- every pair touched since S1 (new impressions, new events of a conversion type, recorded deletes) from the
-- events as they are now, and adds or removes its mark. An event committed after S2 may already be seen by
-- that judgement; its pair is judged again in the next step, which gives the same answer, so nothing is
-- counted twice. An experiment never counted, or counted under another rule (its conversion_days or the
-- setting changed), is counted from scratch instead.

-- Whether an impression of (user, item) shown at p_shown_at converted under a rule.
CREATE OR REPLACE FUNCTION genre._impression_converted(p_user text, p_item text, p_shown_at timestamptz,
                                                       p_days double precision, p_types text[])
RETURNS boolean LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM genre.events ev
                  WHERE ev.user_id = p_user AND ev.item_id = p_item AND ev.event_type = ANY (p_types)
                    AND ev.occurred_at >= p_shown_at AND ev.occurred_at < p_shown_at + make_interval(secs => p_days * 86400))
$$;
COMMENT ON FUNCTION genre._impression_converted(text, text, timestamptz, double precision, text[]) IS
  'Internal: whether the user had an event of one of p_types on the item within p_days after p_shown_at.';

-- Counts the given experiments from scratch, as of snapshot p_now.
CREATE OR REPLACE FUNCTION genre._recount_experiments(p_experiments text[], p_now pg_snapshot, p_types text[])
RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_impressions bigint;
BEGIN
  DELETE FROM genre.impression_conversions m WHERE m.experiment = ANY (p_experiments);
  DELETE FROM genre.experiment_counts c WHERE c.experiment = ANY (p_experiments);
  INSERT INTO genre.impression_conversions (impression_id, experiment, variant)
  SELECT i.id, i.experiment, i.variant
    FROM genre.impressions i
    JOIN genre.experiment_variants v ON v.experiment = i.experiment AND v.variant = i.variant
    JOIN genre.experiments e ON e.name = i.experiment
   WHERE i.experiment = ANY (p_experiments) AND pg_visible_in_snapshot(i.txid, p_now)
     AND genre._impression_converted(i.user_id, i.item_id, i.shown_at, e.conversion_days, p_types);
  INSERT INTO genre.experiment_counts (experiment, variant, impressions, users, conversions, conversion_days, conversion_events)
  SELECT v.experiment, v.variant, count(i.id), count(DISTINCT i.user_id), count(m.impression_id), e.conversion_days, p_types
    FROM genre.experiment_variants v
    JOIN genre.experiments e ON e.name = v.experiment
    LEFT JOIN genre.impressions i ON i.experiment = v.experiment AND i.variant = v.variant AND pg_visible_in_snapshot(i.txid, p_now)
    LEFT JOIN genre.impression_conversions m ON m.impression_id = i.id
   WHERE v.experiment = ANY (p_experiments)
   GROUP BY v.experiment, v.variant, e.conversion_days;
  SELECT coalesce(sum(c.impressions), 0) INTO v_impressions FROM genre.experiment_counts c WHERE c.experiment = ANY (p_experiments);
  RETURN v_impressions;
END $$;
COMMENT ON FUNCTION genre._recount_experiments(text[], pg_snapshot, text[]) IS
  'Internal: counts the impressions, users and conversions of experiments from scratch, as of a snapshot.';

-- One counting step; returns the impressions newly counted. Steps take turns (the watermark row is locked
-- for the whole step), so two daemons never count the same rows.
CREATE OR REPLACE FUNCTION genre._update_experiment_counts()
RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_then pg_snapshot;
  v_now pg_snapshot;
  v_types text[] := ARRAY(SELECT jsonb_array_elements_text(genre._setting('experiment.conversion_events')));
  v_recount text[];
  v_counted bigint := 0;
  v_fresh bigint;
BEGIN
  SELECT w.snapshot INTO v_then FROM genre.experiment_counting w FOR UPDATE;
  v_now := pg_current_snapshot();
  -- Without experiments there is nothing to count, and an experiment created later is counted from scratch.
  IF NOT EXISTS (SELECT 1 FROM genre.experiment_variants) THEN
    DELETE FROM genre.experiment_rechecks r WHERE pg_visible_in_snapshot(r.txid, v_now);
    UPDATE genre.experiment_counting SET snapshot = v_now, updated_at = now();
    RETURN 0;
  END IF;

  v_recount := ARRAY(
    SELECT DISTINCT v.experiment
      FROM genre.experiment_variants v
      JOIN genre.experiments e ON e.name = v.experiment
      LEFT JOIN genre.experiment_counts c ON c.experiment = v.experiment AND c.variant = v.variant
     WHERE c.experiment IS NULL OR c.conversion_days <> e.conversion_days OR c.conversion_events <> v_types);
  IF cardinality(v_recount) > 0 THEN
    v_counted := genre._recount_experiments(v_recount, v_now, v_types);
  END IF;

  -- Impressions committed since the last step.
  WITH fresh AS MATERIALIZED (
    SELECT i.experiment, i.variant, i.user_id
      FROM genre.impressions i
     WHERE i.txid >= pg_snapshot_xmin(v_then) AND NOT pg_visible_in_snapshot(i.txid, v_then)
       AND pg_visible_in_snapshot(i.txid, v_now) AND i.experiment <> ALL (v_recount)
  ), per_variant AS (
    -- A user is new to the variant unless an impression counted before (visible in S1) has them.
    SELECT f.experiment, f.variant, count(*) AS impressions,
           count(DISTINCT f.user_id) FILTER (WHERE NOT EXISTS (
             SELECT 1 FROM genre.impressions j
              WHERE j.experiment = f.experiment AND j.variant = f.variant AND j.user_id = f.user_id
                AND pg_visible_in_snapshot(j.txid, v_then))) AS users
      FROM fresh f GROUP BY f.experiment, f.variant
  ), counted AS (
    UPDATE genre.experiment_counts c SET impressions = c.impressions + p.impressions, users = c.users + p.users
      FROM per_variant p WHERE c.experiment = p.experiment AND c.variant = p.variant
    RETURNING p.impressions
  )
  SELECT coalesce(sum(impressions), 0) INTO v_fresh FROM counted;
  v_counted := v_counted + v_fresh;

  -- Conversions: judge again every counted impression of each (user, item) touched since the last step.
  WITH touched AS (
    SELECT i.user_id, i.item_id FROM genre.impressions i
     WHERE i.txid >= pg_snapshot_xmin(v_then) AND NOT pg_visible_in_snapshot(i.txid, v_then) AND pg_visible_in_snapshot(i.txid, v_now)
    UNION
    SELECT ev.user_id, ev.item_id FROM genre.events ev
     WHERE ev.txid >= pg_snapshot_xmin(v_then) AND NOT pg_visible_in_snapshot(ev.txid, v_then) AND pg_visible_in_snapshot(ev.txid, v_now)
       AND ev.item_id IS NOT NULL AND ev.event_type = ANY (v_types)
    UNION
    SELECT r.user_id, r.item_id FROM genre.experiment_rechecks r WHERE pg_visible_in_snapshot(r.txid, v_now)
  ), judged AS MATERIALIZED (
    SELECT i.id, i.experiment, i.variant,
           genre._impression_converted(i.user_id, i.item_id, i.shown_at, e.conversion_days, v_types) AS converted
      FROM touched t
      JOIN genre.impressions i ON i.user_id = t.user_id AND i.item_id = t.item_id
      JOIN genre.experiments e ON e.name = i.experiment
      JOIN genre.experiment_counts c ON c.experiment = i.experiment AND c.variant = i.variant
     WHERE pg_visible_in_snapshot(i.txid, v_now) AND i.experiment <> ALL (v_recount)
  ), added AS (
    INSERT INTO genre.impression_conversions (impression_id, experiment, variant)
    SELECT j.id, j.experiment, j.variant FROM judged j WHERE j.converted
    ON CONFLICT (impression_id) DO NOTHING
    RETURNING experiment, variant
  ), removed AS (
    DELETE FROM genre.impression_conversions m USING judged j WHERE m.impression_id = j.id AND NOT j.converted
    RETURNING m.experiment, m.variant
  ), delta AS (
    SELECT x.experiment, x.variant, sum(x.change) AS change
      FROM (SELECT a.experiment, a.variant, 1 AS change FROM added a
            UNION ALL SELECT r.experiment, r.variant, -1 FROM removed r) x
     GROUP BY x.experiment, x.variant
  )
  UPDATE genre.experiment_counts c SET conversions = c.conversions + d.change
    FROM delta d WHERE c.experiment = d.experiment AND c.variant = d.variant;

  DELETE FROM genre.experiment_rechecks r WHERE pg_visible_in_snapshot(r.txid, v_now);
  UPDATE genre.experiment_counting SET snapshot = v_now, updated_at = now();
  RETURN v_counted;
END $$;
COMMENT ON FUNCTION genre._update_experiment_counts() IS
  'Internal: advances genre.experiment_counts to the impressions and events committed since the last step (from scratch for experiments never counted or whose conversion rule changed); returns the impressions newly counted.';

-- Deleted events may have been an impression's only conversion: their (user, item) pairs are judged again
-- by the next counting step. SECURITY DEFINER (095-roles.sql): writers delete events without rights here.
CREATE OR REPLACE FUNCTION genre._events_recheck_conversions()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  INSERT INTO genre.experiment_rechecks (user_id, item_id)
  SELECT DISTINCT o.user_id, o.item_id FROM old_events o WHERE o.item_id IS NOT NULL;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION genre._events_recheck_conversions() IS
  'Internal trigger: records the (user, item) pairs of deleted events, whose experiment conversions are judged again.';
CREATE OR REPLACE TRIGGER events_recheck_conversions AFTER DELETE ON genre.events
  REFERENCING OLD TABLE AS old_events FOR EACH STATEMENT EXECUTE FUNCTION genre._events_recheck_conversions();

CREATE OR REPLACE VIEW genre.experiment_results AS
WITH counted AS (
  SELECT e.name AS experiment, v.variant, v.serves, v.share, v.p_best, e.policy, e.status, e.winner,
         coalesce(c.impressions, 0) AS impressions, coalesce(c.users, 0) AS users, coalesce(c.conversions, 0) AS conversions
    FROM genre.experiments e
    JOIN genre.experiment_variants v ON v.experiment = e.name
    LEFT JOIN genre.experiment_counts c ON c.experiment = v.experiment AND c.variant = v.variant
)
SELECT c.*,
       CASE WHEN c.impressions > 0 THEN c.conversions::float8 / c.impressions END AS rate,
       -- 95 % Wilson score interval of the rate.
       CASE WHEN c.impressions > 0 THEN
         (c.conversions::float8 / c.impressions + 1.920729 / c.impressions
          - 1.959964 * sqrt((c.conversions::float8 / c.impressions) * (1 - c.conversions::float8 / c.impressions) / c.impressions
                            + 0.960364 / (c.impressions::float8 * c.impressions))) / (1 + 3.841459 / c.impressions) END AS rate_low,
       CASE WHEN c.impressions > 0 THEN
         (c.conversions::float8 / c.impressions + 1.920729 / c.impressions
          + 1.959964 * sqrt((c.conversions::float8 / c.impressions) * (1 - c.conversions::float8 / c.impressions) / c.impressions
                            + 0.960364 / (c.impressions::float8 * c.impressions))) / (1 + 3.841459 / c.impressions) END AS rate_high
  FROM counted c;
COMMENT ON VIEW genre.experiment_results IS
  'Per experiment and variant: impressions, users, conversions (an event of a type in experiment.conversion_events by that user on a shown item within conversion_days), rate with a 95 % Wilson interval, share and probability of being best. Counts are those of the daemon''s last counting step (every few seconds; genre._update_experiment_counts()).';
