-- The LLM re-ranking stage: the last re-ranking applied to each user's list in each scenario, with
-- provenance. (The rows themselves carry it in reasons.rerank.)
CREATE TABLE genre.reranks (
    user_id      text        NOT NULL,
    scenario     text        NOT NULL,
    -- The candidates in their blend order, and the re-ranker's score (0…1) of each.
    items        text[]      NOT NULL,
    scores       real[]      NOT NULL,
    weight       real        NOT NULL,
    mode         text        NOT NULL CHECK (mode IN ('chat', 'endpoint')),
    provider     text        NOT NULL,
    model        text        NOT NULL,
    tokens_in    integer,
    tokens_out   integer,
    latency_ms   integer,
    applied_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, scenario)
);
COMMENT ON TABLE genre.reranks IS
  'The last language-model re-ranking applied to each user''s list per scenario (rerank.top_n candidates, their scores, rerank.weight), with provenance.';
