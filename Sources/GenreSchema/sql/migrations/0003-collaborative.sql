-- GENRE migration 0003: collaborative-filtering models (ALS, BPR, EASE) and the parameters every daemon
-- needs to fold a user in between builds.

-- Item factors of the latest factor model (ALS or BPR), swapped in whole with each build like the other
-- result tables. A daemon that did not train loads them to score users in real time (fold-in).
CREATE TABLE genre.item_factors (
    item_id     text    NOT NULL,
    factors     real[]  NOT NULL,
    bias        real    NOT NULL DEFAULT 0,
    generation  bigint  NOT NULL
) PARTITION BY LIST (generation);
CREATE TABLE genre.item_factors_g1 PARTITION OF genre.item_factors FOR VALUES IN (1);
INSERT INTO genre.result_generations (result, generation) VALUES ('item_factors', 1);
COMMENT ON TABLE genre.item_factors IS
  'Item factors of the latest ALS or BPR model (empty for EASE or none), for real-time fold-in by every daemon.';

-- Which collaborative model each published item_factors generation belongs to, with the parameters that
-- fold-in needs (factors, regularisation, alpha, learning rate, seed). Keyed by generation, so a reader sees
-- factors and parameters of the same build.
CREATE TABLE genre.collaborative_models (
    generation  bigint      PRIMARY KEY,
    model       text        NOT NULL,
    parameters  jsonb       NOT NULL DEFAULT '{}',
    note        text,
    trained_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE genre.collaborative_models IS
  'The collaborative model behind each item_factors generation (als, bpr, ease or none), its fold-in parameters, and a note when the build fell back (e.g. EASE above ease.max_items).';
