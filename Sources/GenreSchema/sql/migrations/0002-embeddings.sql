-- GENRE migration 0002: text embeddings of items and of users' own words (search and comment events).

-- One vector per item: the embedding of its current rendered text, and where it came from (model,
-- template, content hash). Text that did not change is never embedded again; a model or template change
-- re-embeds in the background while these rows keep serving. Items whose rendered text is empty keep a row
-- with a NULL embedding and the reason in `note`, so the gap is visible with SQL.
CREATE TABLE genre.item_embeddings (
    item_id           text        PRIMARY KEY,
    model             text        NOT NULL,
    template_version  text        NOT NULL,
    dims              integer     NOT NULL,
    embedding         real[]      CHECK (embedding IS NULL OR cardinality(embedding) = dims),
    content_hash      text        NOT NULL,
    note              text,
    embedded_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE genre.item_embeddings IS
  'Language-model vectors of item text (rendered by setting embedding.template), with the model, template version and content hash that made them.';

-- Vectors of the text users wrote themselves (searches, comments), keyed by event.
CREATE TABLE genre.event_text_embeddings (
    event_id      bigint      PRIMARY KEY,
    user_id       text        NOT NULL,
    event_type    text        NOT NULL,
    model         text        NOT NULL,
    dims          integer     NOT NULL,
    embedding     real[]      NOT NULL CHECK (cardinality(embedding) = dims),
    content_hash  text        NOT NULL,
    embedded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX event_text_embeddings_user_idx ON genre.event_text_embeddings (user_id);
COMMENT ON TABLE genre.event_text_embeddings IS 'Language-model vectors of search and comment texts, one per event.';

-- A template is a setting type of its own: validated against the item fields it may name.
ALTER TABLE genre.setting_definitions DROP CONSTRAINT setting_definitions_value_type_check;
ALTER TABLE genre.setting_definitions ADD CONSTRAINT setting_definitions_value_type_check
  CHECK (value_type IN ('number', 'integer', 'boolean', 'text', 'enum', 'weights', 'template'));
