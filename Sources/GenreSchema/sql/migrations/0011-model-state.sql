-- The model state every daemon serves from, at full precision (see ModelState.swift): one row per part of
-- the latest build, written in the transaction that records the build. Binary, for machines; people read
-- the result tables and their reasons.
CREATE TABLE genre.model_state (
    build_id  bigint NOT NULL REFERENCES genre.model_builds ON DELETE CASCADE,
    part      text   NOT NULL,
    data      bytea  NOT NULL,
    PRIMARY KEY (build_id, part)
);
COMMENT ON TABLE genre.model_state IS
  'Per build: the catalogue, co-occurrence neighbours, popularity and item-item weights the daemons serve from, as little-endian binary (floats bit for bit).';
