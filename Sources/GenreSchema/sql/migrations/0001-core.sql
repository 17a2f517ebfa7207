-- GENRE migration 0001: the core schema.
-- Migrations run once, in order, and are frozen by checksum: never edit this file after a release; add
-- a new migration instead. Functions live in sql/functions and are re-applied on every install.

CREATE SCHEMA IF NOT EXISTS genre;

-- Which migrations have run, with the checksum of the text that ran.
CREATE TABLE genre.schema_migrations (
    version     integer PRIMARY KEY,
    name        text        NOT NULL,
    checksum    text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------------------------------------------------
-- Business rows: written by the application.
-- ---------------------------------------------------------------------------------------------------------

CREATE TABLE genre.items (
    item_id      text        PRIMARY KEY CHECK (item_id <> '' AND length(item_id) <= 256),
    title        text,
    description  text,
    tags         text[]      NOT NULL DEFAULT '{}',
    category     text,
    attributes   jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    available    boolean     NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE genre.items IS
  'The catalogue: one row per recommendable item. Written by the application; available = false hides an item from every result.';

-- Events carry no foreign key to items on purpose: applications often send events before (or after
-- deleting) the item row. Results only ever show items that exist and are available.
CREATE TABLE genre.events (
    id           bigserial   PRIMARY KEY,
    user_id      text        NOT NULL CHECK (user_id <> '' AND length(user_id) <= 256),
    item_id      text        CHECK (item_id <> '' AND length(item_id) <= 256),
    event_type   text        NOT NULL,
    weight       real,
    text         text        CHECK (length(text) <= 10000),
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    context      jsonb       NOT NULL DEFAULT '{}',
    -- The inserting transaction. The daemon's watermark is a transaction snapshot: each batch takes the
    -- events whose transaction became visible since the previous snapshot, so an event committed late with
    -- a low id is never skipped and never counted twice (see genre._apply_events).
    txid         xid8        NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX events_user_idx ON genre.events (user_id, occurred_at);
CREATE INDEX events_txid_idx ON genre.events (txid);
CREATE INDEX events_item_idx ON genre.events (item_id) WHERE item_id IS NOT NULL;
COMMENT ON TABLE genre.events IS
  'Behaviour: one row per view, click, like, purchase, dislike, search or comment. Written by the application; validated on insert.';

-- ---------------------------------------------------------------------------------------------------------
-- Configuration: a catalogue of keys, and the values users chose.
-- ---------------------------------------------------------------------------------------------------------

CREATE TABLE genre.setting_definitions (
    key            text    PRIMARY KEY,
    value_type     text    NOT NULL CHECK (value_type IN ('number', 'integer', 'boolean', 'text', 'enum', 'weights')),
    default_value  jsonb   NOT NULL,
    min_value      double precision,
    max_value      double precision,
    allowed        jsonb,  -- enum: array of allowed strings; weights: optional array of required keys
    description    text    NOT NULL,
    -- What the daemon must redo when the value changes.
    requires       text    NOT NULL CHECK (requires IN ('nothing', 'rerank', 'rebuild', 'restart'))
);
COMMENT ON TABLE genre.setting_definitions IS
  'The catalogue of settings: type, default, range or allowed values, description and what a change requires.';

CREATE TABLE genre.settings (
    key         text        PRIMARY KEY REFERENCES genre.setting_definitions (key),
    value       jsonb       NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text        NOT NULL DEFAULT current_user
);
COMMENT ON TABLE genre.settings IS
  'Values chosen by the user; keys without a row use their default. Validated on write; change with genre.set().';

-- ---------------------------------------------------------------------------------------------------------
-- Work queues: filled by triggers in the business transaction, claimed by daemons with SKIP LOCKED.
-- ---------------------------------------------------------------------------------------------------------

-- One table for every kind of work: `queue` says which ('users': recommendations to refresh; later
-- 'items': texts to embed ...), `work_key` which user or item. `version` grows every time the work is
-- requested again, so a worker that finished an older version does not delete a row that became dirty
-- again while it worked.
CREATE TABLE genre.work_queue (
    queue          text        NOT NULL,
    work_key       text        NOT NULL,
    version        bigint      NOT NULL DEFAULT 1,
    enqueued_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    available_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    attempts       integer     NOT NULL DEFAULT 0,   -- claims so far
    lease_expiries integer     NOT NULL DEFAULT 0,   -- claims lost because the worker died or hung
    claimed_by     text,
    claimed_until  timestamptz,
    last_error     text,
    PRIMARY KEY (queue, work_key)
);
CREATE INDEX work_queue_ready_idx ON genre.work_queue (queue, available_at);
COMMENT ON TABLE genre.work_queue IS
  'Work for the daemon, one row per (queue, key): users whose recommendations must be recomputed (queue users), filled by triggers in the business transaction; claimed with a lease.';

CREATE TABLE genre.dead_letters (
    id          bigserial   PRIMARY KEY,
    queue       text        NOT NULL,
    work_key    text        NOT NULL,
    attempts    integer     NOT NULL,
    error       text        NOT NULL,
    payload     jsonb       NOT NULL DEFAULT '{}',
    failed_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE genre.dead_letters IS
  'Work that failed queue.max_attempts times, with its last error. Inspect, fix the cause, then genre.retry_dead_letter(id).';

-- ---------------------------------------------------------------------------------------------------------
-- Daemon state.
-- ---------------------------------------------------------------------------------------------------------

-- How far the daemon has folded events into genre.interactions: every event whose inserting transaction
-- is visible in `snapshot` is reflected exactly once; `events` counts them.
CREATE TABLE genre.watermarks (
    name           text        PRIMARY KEY,
    snapshot       pg_snapshot NOT NULL DEFAULT '1:1:',
    events         bigint      NOT NULL DEFAULT 0,
    last_event_id  bigint,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
INSERT INTO genre.watermarks (name) VALUES ('interactions');

-- Per user, item and event type: how many events, and their explicit weights. Event-type weights are
-- applied at model build time, so changing them needs a rebuild but never a re-scan of events.
CREATE TABLE genre.interactions (
    user_id           text             NOT NULL,
    item_id           text             NOT NULL,
    event_type        text             NOT NULL,
    event_count       integer          NOT NULL,
    default_count     integer          NOT NULL,  -- events without an explicit weight
    explicit_weight   double precision NOT NULL,  -- sum of explicit weights
    first_at          timestamptz      NOT NULL,
    last_at           timestamptz      NOT NULL,
    PRIMARY KEY (user_id, item_id, event_type)
);
CREATE INDEX interactions_item_idx ON genre.interactions (item_id);

CREATE TABLE genre.workers (
    worker_id     text        PRIMARY KEY,
    hostname      text        NOT NULL,
    pid           integer     NOT NULL,
    version       text        NOT NULL,
    started_at    timestamptz NOT NULL DEFAULT now(),
    heartbeat_at  timestamptz NOT NULL DEFAULT now(),
    stopped_at    timestamptz,
    state         jsonb       NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE genre.workers IS 'Daemons that ran against this database, with their last heartbeat.';

CREATE TABLE genre.model_builds (
    id             bigserial   PRIMARY KEY,
    model          text        NOT NULL,
    started_at     timestamptz NOT NULL,
    finished_at    timestamptz NOT NULL DEFAULT now(),
    worker_id      text,
    users          integer     NOT NULL,
    items          integer     NOT NULL,
    interactions   bigint      NOT NULL,
    events_seen    bigint      NOT NULL,
    details        jsonb       NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE genre.model_builds IS 'One row per finished model build, newest last.';

-- ---------------------------------------------------------------------------------------------------------
-- Results. Each is a list-partitioned table with one live partition (its current generation): a full
-- rebuild COPYs into a fresh partition and swaps it in by detach/attach in one transaction, so readers see
-- the old set or the new one, and views or grants on the parent survive the swap.
-- ---------------------------------------------------------------------------------------------------------

CREATE TABLE genre.result_generations (
    result      text        PRIMARY KEY,
    generation  bigint      NOT NULL,
    swapped_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE genre.recommendations (
    user_id      text        NOT NULL,
    rank         integer     NOT NULL,
    item_id      text        NOT NULL,
    score        real        NOT NULL,
    reasons      jsonb       NOT NULL,
    computed_at  timestamptz NOT NULL DEFAULT now(),
    generation   bigint      NOT NULL
) PARTITION BY LIST (generation);
CREATE INDEX recommendations_user_idx ON genre.recommendations (user_id, rank);
CREATE TABLE genre.recommendations_g1 PARTITION OF genre.recommendations FOR VALUES IN (1);
INSERT INTO genre.result_generations (result, generation) VALUES ('recommendations', 1);
COMMENT ON TABLE genre.recommendations IS
  'Each user''s precomputed top items with reasons. Read it through genre.recommend(), which also filters and falls back.';

CREATE TABLE genre.item_neighbors (
    item_id      text        NOT NULL,
    rank         integer     NOT NULL,
    neighbor_id  text        NOT NULL,
    score        real        NOT NULL,
    reasons      jsonb       NOT NULL,
    computed_at  timestamptz NOT NULL DEFAULT now(),
    generation   bigint      NOT NULL
) PARTITION BY LIST (generation);
CREATE INDEX item_neighbors_item_idx ON genre.item_neighbors (item_id, rank);
CREATE TABLE genre.item_neighbors_g1 PARTITION OF genre.item_neighbors FOR VALUES IN (1);
INSERT INTO genre.result_generations (result, generation) VALUES ('item_neighbors', 1);
COMMENT ON TABLE genre.item_neighbors IS 'For each item, its most similar items and why. Read it through genre.similar_items().';

CREATE TABLE genre.popular_items (
    rank         integer     NOT NULL,
    item_id      text        NOT NULL,
    score        real        NOT NULL,
    users        integer     NOT NULL,
    reasons      jsonb       NOT NULL,
    computed_at  timestamptz NOT NULL DEFAULT now(),
    generation   bigint      NOT NULL
) PARTITION BY LIST (generation);
CREATE INDEX popular_items_rank_idx ON genre.popular_items (rank);
CREATE TABLE genre.popular_items_g1 PARTITION OF genre.popular_items FOR VALUES IN (1);
INSERT INTO genre.result_generations (result, generation) VALUES ('popular_items', 1);
COMMENT ON TABLE genre.popular_items IS 'Items ranked by time-decayed, event-weighted popularity; the fallback for cold users.';
