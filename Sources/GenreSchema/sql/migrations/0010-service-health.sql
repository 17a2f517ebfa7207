-- Health of every service of every daemon, as the daemon last reported it (heartbeat service, every 5 s):
-- when it last finished a step, last succeeded, last failed and why, and how many steps in a row failed.
-- genre.status() derives an overall state from the rows of live daemons.
CREATE TABLE genre.service_health (
    worker_id             text        NOT NULL,
    service               text        NOT NULL,  -- realtime-0, trainer, embedding, tuning, experiments, …
    reported_at           timestamptz NOT NULL DEFAULT now(),
    step_at               timestamptz,           -- the last step that ended (well or not)
    last_success_at       timestamptz,
    last_error            text,
    last_error_at         timestamptz,
    consecutive_failures  integer     NOT NULL DEFAULT 0,
    PRIMARY KEY (worker_id, service)
);
COMMENT ON TABLE genre.service_health IS
  'Per daemon and service: last step, last success, last error (message and time) and failures in a row, as reported by the daemon''s heartbeat.';
