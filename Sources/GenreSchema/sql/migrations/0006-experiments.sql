-- GENRE migration 0006: online experiments. An experiment splits the users of one placement (scenario)
-- between variants, each serving a scenario's lists; impressions are logged by genre.recommend and later
-- click or purchase events on those items count as conversions.

CREATE TABLE genre.experiments (
    name                 text        PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_-]{0,62}$'),
    scenario             text        NOT NULL DEFAULT 'default',
    policy               text        NOT NULL DEFAULT 'fixed' CHECK (policy IN ('fixed', 'thompson')),
    auto_promote         boolean     NOT NULL DEFAULT false,
    promote_probability  double precision NOT NULL DEFAULT 0.95 CHECK (promote_probability > 0.5 AND promote_probability < 1),
    min_impressions      integer     NOT NULL DEFAULT 1000 CHECK (min_impressions >= 1),
    conversion_days      double precision NOT NULL DEFAULT 7 CHECK (conversion_days > 0),
    status               text        NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'stopped', 'promoted')),
    winner               text,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX experiments_one_running_per_scenario ON genre.experiments (scenario) WHERE status = 'running';
COMMENT ON TABLE genre.experiments IS
  'Online experiments: the users of one scenario split between variants (fixed shares, or Thompson sampling); promoted or stopped ones keep their results. Create with genre.create_experiment().';

CREATE TABLE genre.experiment_variants (
    experiment  text        NOT NULL REFERENCES genre.experiments ON DELETE CASCADE,
    variant     text        NOT NULL CHECK (variant ~ '^[a-z][a-z0-9_-]{0,62}$'),
    serves      text        NOT NULL,
    share       double precision NOT NULL CHECK (share >= 0 AND share <= 1),
    p_best      double precision,
    PRIMARY KEY (experiment, variant)
);
COMMENT ON TABLE genre.experiment_variants IS
  'Each variant: the scenario whose lists it serves, its traffic share (moved by the daemon under Thompson sampling) and its posterior probability of being best.';

CREATE TABLE genre.impressions (
    id          bigserial   PRIMARY KEY,
    experiment  text        NOT NULL,
    variant     text        NOT NULL,
    user_id     text        NOT NULL,
    item_id     text        NOT NULL,
    rank        integer     NOT NULL,
    shown_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX impressions_experiment_idx ON genre.impressions (experiment, variant);
CREATE INDEX impressions_user_item_idx ON genre.impressions (user_id, item_id, shown_at);
COMMENT ON TABLE genre.impressions IS 'Items shown by genre.recommend(..., log_impression => true) under an experiment, with the variant.';
