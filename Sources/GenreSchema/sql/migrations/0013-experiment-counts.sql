-- GENRE migration 0011: experiment results counted incrementally (genre._update_experiment_counts), and
-- the event types that count as conversions as a setting (experiment.conversion_events). The results view
-- re-scanned every impression ever logged, and every daemon did so every few seconds.

-- experiment.conversion_events is a list of event types, a new kind of setting value.
ALTER TABLE genre.setting_definitions DROP CONSTRAINT setting_definitions_value_type_check;
ALTER TABLE genre.setting_definitions ADD CONSTRAINT setting_definitions_value_type_check
  CHECK (value_type IN ('number', 'integer', 'boolean', 'text', 'enum', 'weights', 'template', 'event_types'));

-- Impressions carry their inserting transaction, as events do, so counting takes each exactly once by
-- transaction snapshot (whatever order ids commit in). Rows logged before this migration get its own.
ALTER TABLE genre.impressions ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX impressions_txid_idx ON genre.impressions (txid);
-- Counting a variant's users probes (experiment, variant, user); the old index was its prefix.
DROP INDEX genre.impressions_experiment_idx;
CREATE INDEX impressions_experiment_user_idx ON genre.impressions (experiment, variant, user_id);

CREATE TABLE genre.experiment_counts (
    experiment         text             NOT NULL,
    variant            text             NOT NULL,
    impressions        bigint           NOT NULL,
    users              bigint           NOT NULL,
    conversions        bigint           NOT NULL,
    -- The rule these were counted with; counts of another rule are recounted from scratch.
    conversion_days    double precision NOT NULL,
    conversion_events  text[]           NOT NULL,
    PRIMARY KEY (experiment, variant),
    FOREIGN KEY (experiment, variant) REFERENCES genre.experiment_variants ON DELETE CASCADE
);
COMMENT ON TABLE genre.experiment_counts IS
  'Per experiment and variant: impressions, distinct users and converted impressions, advanced by genre._update_experiment_counts() (the daemon, every few seconds). Delete an experiment''s rows to have it recounted from scratch.';

-- The impressions counted as converted, so a conversion is counted once per impression however many
-- events qualify, and taken back when its only qualifying event is deleted.
CREATE TABLE genre.impression_conversions (
    impression_id  bigint PRIMARY KEY REFERENCES genre.impressions ON DELETE CASCADE,
    experiment     text   NOT NULL REFERENCES genre.experiments ON DELETE CASCADE,
    variant        text   NOT NULL
);
CREATE INDEX impression_conversions_experiment_idx ON genre.impression_conversions (experiment);
COMMENT ON TABLE genre.impression_conversions IS
  'Impressions that converted (an event of a type in experiment.conversion_events by that user on that item within the experiment''s conversion_days).';

-- (user, item) pairs whose events were deleted: their impressions are judged again on the next count.
CREATE TABLE genre.experiment_rechecks (
    user_id  text NOT NULL,
    item_id  text NOT NULL,
    txid     xid8 NOT NULL DEFAULT pg_current_xact_id()
);
COMMENT ON TABLE genre.experiment_rechecks IS
  'Written by the events delete trigger: (user, item) pairs whose conversions must be judged again; emptied by genre._update_experiment_counts().';

-- How far counting has got: the transaction snapshot of the last count (see genre._update_experiment_counts).
-- One row; kept apart from genre.watermarks, whose one row is the events watermark.
CREATE TABLE genre.experiment_counting (
    only_row    boolean     PRIMARY KEY DEFAULT true CHECK (only_row),
    snapshot    pg_snapshot NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- Experiments that exist now have no counts yet, so the first step counts them from scratch; nothing
-- committed before this point needs looking at again.
INSERT INTO genre.experiment_counting (snapshot) VALUES (pg_current_snapshot());
COMMENT ON TABLE genre.experiment_counting IS
  'The snapshot up to which impressions and events are reflected in genre.experiment_counts.';
