-- Grounded explanations: for the first explain.llm_top_k rows of a user's list, a language model rewrites
-- the row's structured reasons (the facts) as one sentence. Each row is valid for the facts it was written
-- from (facts_hash): a list whose reasons changed shows the template sentence until a new one is written.
-- A sentence that names a title or a quotation not in the facts is kept as `rejected`, never shown.

CREATE TABLE genre.explanations (
    user_id       text        NOT NULL,
    item_id       text        NOT NULL,
    facts_hash    text        NOT NULL,
    -- The grounded sentence, or NULL when the model's sentence was rejected (then `rejected` and `problem`).
    sentence      text,
    rejected      text,
    problem       text,
    provider      text        NOT NULL,
    model         text        NOT NULL,
    prompt_hash   text        NOT NULL,
    tokens_in     integer,
    tokens_out    integer,
    latency_ms    integer,
    generated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, item_id),
    CHECK ((sentence IS NULL) <> (rejected IS NULL))
);
COMMENT ON TABLE genre.explanations IS
  'Sentences a language model wrote from a list row''s facts (explain.llm_top_k), with provenance; rejected ones (naming something not in the facts) keep the model''s text and the problem, and are never shown.';
