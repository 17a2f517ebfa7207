-- GENRE migration 0005: config versions (every settings change is recorded) and tuning runs.

-- Every change of genre.settings, one row per key; all changes made in one transaction share a version.
-- old_value / new_value NULL mean "the default" (no row in genre.settings).
CREATE SEQUENCE genre.settings_version_seq;
CREATE TABLE genre.settings_history (
    id          bigserial   PRIMARY KEY,
    version     bigint      NOT NULL,
    key         text        NOT NULL,
    old_value   jsonb,
    new_value   jsonb,
    changed_by  text        NOT NULL DEFAULT current_user,
    changed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX settings_history_version_idx ON genre.settings_history (version);
COMMENT ON TABLE genre.settings_history IS
  'Every settings change (who, when, old and new value; NULL = the default), grouped into versions: one version per transaction. See genre.diff_settings and genre.rollback_settings.';

-- A tuning run asked for with genre.tune(); the daemon claims it (work queue ''tuning''), evaluates the trials
-- on a temporal hold-out of the events, and records each in genre.tuning_trials as it finishes.
CREATE TABLE genre.tuning_runs (
    id                bigserial   PRIMARY KEY,
    scenario          text        NOT NULL DEFAULT 'default',
    strategy          text        NOT NULL CHECK (strategy IN ('random', 'bayesian')),
    trials            integer     NOT NULL CHECK (trials BETWEEN 1 AND 1000),
    metric            text        NOT NULL,
    search_space      jsonb       NOT NULL,
    apply_best        boolean     NOT NULL DEFAULT false,
    seed              bigint      NOT NULL DEFAULT 1,
    status            text        NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    baseline_value    double precision,
    best_trial        integer,
    best_value        double precision,
    best_params       jsonb,
    applied_version   bigint,
    previous_version  bigint,
    note              text,
    requested_by      text        NOT NULL DEFAULT current_user,
    created_at        timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    finished_at       timestamptz
);
COMMENT ON TABLE genre.tuning_runs IS
  'Tuning runs: status, the baseline (trial 1 = the settings in force), the best trial and its parameters, and the config version apply_best wrote.';

CREATE TABLE genre.tuning_trials (
    run_id       bigint      NOT NULL REFERENCES genre.tuning_runs ON DELETE CASCADE,
    trial        integer     NOT NULL,
    params       jsonb       NOT NULL,
    value        double precision,
    metrics      jsonb,
    error        text,
    seconds      double precision NOT NULL,
    finished_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, trial)
);
COMMENT ON TABLE genre.tuning_trials IS 'One row per finished trial of a tuning run: parameters, the tuned metric, all metrics, seconds.';
