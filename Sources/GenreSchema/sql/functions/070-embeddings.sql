-- Item text rendering, change detection and the embedding queues.
--
-- A template names item fields in braces; a part in square brackets is left out when any field in it is
-- empty:   {title}[. {description}][. Tags: {tags}][. Category: {category}]
-- Fields: item_id, title, description, category, tags (joined with ", "), attributes.<key> and llm.<key>
-- (what a language model wrote about the item: genre.item_features; lists joined with ", ").


-- The field names a template uses, in order.
CREATE OR REPLACE FUNCTION genre._template_fields(p_template text)
RETURNS text[] LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT coalesce(array_agg(m[1]), '{}') FROM regexp_matches(p_template, '\{([^{}]*)\}', 'g') AS m
$$;
COMMENT ON FUNCTION genre._template_fields(text) IS 'Internal: the {field} names a template uses.';

-- Refuses templates that name unknown fields, nest or leave open brackets, or insert nothing.
CREATE OR REPLACE FUNCTION genre._check_template(p_key text, p_template text)
RETURNS void LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_field text; v_depth integer := 0; v_char text;
BEGIN
  FOREACH v_field IN ARRAY genre._template_fields(p_template) LOOP
    IF v_field NOT IN ('item_id', 'title', 'description', 'category', 'tags') AND v_field !~ '^attributes\.[A-Za-z0-9_]+$'
       AND (v_field !~ '^llm\.[A-Za-z0-9_]+$' OR p_key = 'features.template') THEN
      -- (The prompt that writes the llm.* fields cannot use them.)
      RAISE EXCEPTION 'genre setting "%": unknown field {%} in template', p_key, v_field
        USING ERRCODE = 'invalid_parameter_value',
              HINT = 'Fields: {item_id}, {title}, {description}, {category}, {tags}, {attributes.<key>}'
                     || CASE WHEN p_key = 'features.template' THEN '.' ELSE ', {llm.<key>} (genre.item_features).' END;
    END IF;
  END LOOP;
  IF cardinality(genre._template_fields(p_template)) = 0 THEN
    RAISE EXCEPTION 'genre setting "%": the template names no field; use e.g. {title}', p_key USING ERRCODE = 'invalid_parameter_value';
  END IF;
  FOREACH v_char IN ARRAY regexp_split_to_array(regexp_replace(p_template, '[^\[\]{}]', '', 'g'), '') LOOP
    v_depth := v_depth + CASE v_char WHEN '[' THEN 1 WHEN ']' THEN -1 ELSE 0 END;
    IF v_depth < 0 OR v_depth > 1 THEN
      RAISE EXCEPTION 'genre setting "%": [optional sections] must not nest and every ] needs a [', p_key USING ERRCODE = 'invalid_parameter_value';
    END IF;
  END LOOP;
  IF v_depth <> 0 THEN
    RAISE EXCEPTION 'genre setting "%": an [optional section] is not closed', p_key USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_template ~ '\{[^}]*$' OR p_template ~ '^[^{]*\}' THEN
    RAISE EXCEPTION 'genre setting "%": unbalanced { } in template', p_key USING ERRCODE = 'invalid_parameter_value';
  END IF;
END $$;
COMMENT ON FUNCTION genre._check_template(text, text) IS 'Internal: validates an item text template (known fields, balanced brackets).';

CREATE OR REPLACE FUNCTION genre._item_field(p_item genre.items, p_field text)
RETURNS text LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT nullif(btrim(CASE
    WHEN p_field = 'item_id' THEN p_item.item_id
    WHEN p_field = 'title' THEN p_item.title
    WHEN p_field = 'description' THEN p_item.description
    WHEN p_field = 'category' THEN p_item.category
    WHEN p_field = 'tags' THEN array_to_string(p_item.tags, ', ')
    WHEN p_field LIKE 'llm.%' THEN
      (SELECT CASE jsonb_typeof(v) WHEN 'array' THEN (SELECT string_agg(x, ', ') FROM jsonb_array_elements_text(v) x)
                                   -- A sentence's own full stop would double the template's ". ".
                                   ELSE rtrim(v #>> '{}', '. ') END
         FROM (SELECT f.features -> substr(p_field, length('llm.') + 1) AS v
                 FROM genre.item_features f WHERE f.item_id = p_item.item_id) x)
    ELSE p_item.attributes ->> substr(p_field, length('attributes.') + 1)
  END), '')
$$;
COMMENT ON FUNCTION genre._item_field(genre.items, text) IS 'Internal: one item field as template text (NULL when empty).';

-- Fills the {fields} of a template fragment; NULL if any of them is empty.
CREATE OR REPLACE FUNCTION genre._fill(p_item genre.items, p_fragment text)
RETURNS text LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_out text := p_fragment; v_field text; v_value text;
BEGIN
  FOREACH v_field IN ARRAY genre._template_fields(p_fragment) LOOP
    v_value := genre._item_field(p_item, v_field);
    IF v_value IS NULL THEN RETURN NULL; END IF;
    v_out := replace(v_out, '{' || v_field || '}', v_value);
  END LOOP;
  RETURN v_out;
END $$;
COMMENT ON FUNCTION genre._fill(genre.items, text) IS 'Internal: fills a template fragment, NULL when one of its fields is empty.';

-- genre.render_item_text: the text the language model sees for an item.
CREATE OR REPLACE FUNCTION genre.render_item_text(item genre.items, template text DEFAULT NULL)
RETURNS text LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_template text := coalesce(template, genre._setting('embedding.template') #>> '{}');
  v_out text := '';
  v_part text;
  v_filled text;
BEGIN
  -- Split into alternating plain and [optional] parts, keeping the brackets to tell them apart.
  FOR v_part IN SELECT m[1] FROM regexp_matches(v_template, '(\[[^\]]*\]|[^\[]+)', 'g') AS m LOOP
    IF left(v_part, 1) = '[' THEN
      v_filled := genre._fill(item, substr(v_part, 2, length(v_part) - 2));
      v_out := v_out || coalesce(v_filled, '');
    ELSE
      -- Outside brackets an empty field is simply empty.
      v_filled := v_part;
      DECLARE v_field text;
      BEGIN
        FOREACH v_field IN ARRAY genre._template_fields(v_part) LOOP
          v_filled := replace(v_filled, '{' || v_field || '}', coalesce(genre._item_field(item, v_field), ''));
        END LOOP;
      END;
      v_out := v_out || v_filled;
    END IF;
  END LOOP;
  RETURN btrim(v_out);
END $$;
COMMENT ON FUNCTION genre.render_item_text(genre.items, text) IS
  'The text the language model embeds for an item, rendered from setting embedding.template (or the template given). Try it: SELECT genre.render_item_text(i) FROM genre.items i LIMIT 5.';

CREATE OR REPLACE FUNCTION genre._text_hash(p_text text)
RETURNS text LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT encode(sha256(convert_to(coalesce(p_text, ''), 'UTF8')), 'hex')
$$;
COMMENT ON FUNCTION genre._text_hash(text) IS 'Internal: SHA-256 (hex) of a text, the content hash of an embedding.';

CREATE OR REPLACE FUNCTION genre._template_version()
RETURNS text LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT left(md5(genre._setting('embedding.template') #>> '{}'), 12)
$$;
COMMENT ON FUNCTION genre._template_version() IS 'Internal: short hash of the current item text template.';

-- Queues items whose rendered text differs from what their stored vector was made from. Statement-level,
-- one trigger per event type (PostgreSQL allows one transition table per trigger event).
CREATE OR REPLACE FUNCTION genre._items_enqueue_changed()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_version text := genre._template_version();
BEGIN
  IF NOT (genre._setting('embedding.enabled'))::text::boolean THEN RETURN NULL; END IF;
  PERFORM genre._enqueue('items', ARRAY(
    SELECT n.item_id FROM changed_items n LEFT JOIN genre.item_embeddings e ON e.item_id = n.item_id
     WHERE e.item_id IS NULL OR e.template_version <> v_version
        OR e.content_hash <> genre._text_hash(genre.render_item_text(n))));
  RETURN NULL;
END $$;
COMMENT ON FUNCTION genre._items_enqueue_changed() IS
  'Internal trigger: queues items for embedding when their rendered text changed (a column outside the template changes nothing).';
CREATE OR REPLACE TRIGGER items_embed_inserted AFTER INSERT ON genre.items
  REFERENCING NEW TABLE AS changed_items FOR EACH STATEMENT EXECUTE FUNCTION genre._items_enqueue_changed();
CREATE OR REPLACE TRIGGER items_embed_updated AFTER UPDATE ON genre.items
  REFERENCING NEW TABLE AS changed_items FOR EACH STATEMENT EXECUTE FUNCTION genre._items_enqueue_changed();

CREATE OR REPLACE FUNCTION genre._items_forget()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  DELETE FROM genre.item_embeddings e USING old_items o WHERE e.item_id = o.item_id;
  DELETE FROM genre.work_queue q USING old_items o WHERE q.queue IN ('items', 'item_features') AND q.work_key = o.item_id;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION genre._items_forget() IS 'Internal trigger: a deleted item loses its vector and its queued embedding and feature work (its features go by foreign key).';
CREATE OR REPLACE TRIGGER items_forget AFTER DELETE ON genre.items
  REFERENCING OLD TABLE AS old_items FOR EACH STATEMENT EXECUTE FUNCTION genre._items_forget();

-- Search and comment texts are queued by event id.
CREATE OR REPLACE FUNCTION genre._events_enqueue_texts()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF NOT (genre._setting('embedding.enabled'))::text::boolean THEN RETURN NULL; END IF;
  PERFORM genre._enqueue('event_texts', ARRAY(SELECT n.id::text FROM new_events n WHERE n.text IS NOT NULL AND btrim(n.text) <> ''));
  RETURN NULL;
END $$;
COMMENT ON FUNCTION genre._events_enqueue_texts() IS 'Internal trigger: queues the text of search and comment events for embedding.';
CREATE OR REPLACE TRIGGER events_embed_texts AFTER INSERT ON genre.events
  REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION genre._events_enqueue_texts();

CREATE OR REPLACE FUNCTION genre._events_forget_texts()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  DELETE FROM genre.event_text_embeddings t USING old_events o WHERE t.event_id = o.id;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION genre._events_forget_texts() IS 'Internal trigger: a deleted event loses its text vector.';
CREATE OR REPLACE TRIGGER events_forget_texts AFTER DELETE ON genre.events
  REFERENCING OLD TABLE AS old_events FOR EACH STATEMENT EXECUTE FUNCTION genre._events_forget_texts();

-- The sweep a daemon runs at start and after a template change: queue every item and event text whose
-- vector is missing or was made by another model or template. Work already queued keeps its version.
CREATE OR REPLACE FUNCTION genre._enqueue_stale_embeddings(p_model text)
RETURNS integer LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_version text := genre._template_version(); v_items integer; v_texts integer; v_profiles integer;
BEGIN
  INSERT INTO genre.work_queue (queue, work_key)
    SELECT 'items', i.item_id FROM genre.items i LEFT JOIN genre.item_embeddings e ON e.item_id = i.item_id
     WHERE e.item_id IS NULL OR e.model <> p_model OR e.template_version <> v_version
     ORDER BY 2
  ON CONFLICT (queue, work_key) DO NOTHING;
  GET DIAGNOSTICS v_items = ROW_COUNT;
  INSERT INTO genre.work_queue (queue, work_key)
    SELECT 'event_texts', ev.id::text FROM genre.events ev LEFT JOIN genre.event_text_embeddings t ON t.event_id = ev.id
     WHERE ev.text IS NOT NULL AND btrim(ev.text) <> '' AND (t.event_id IS NULL OR t.model <> p_model)
     ORDER BY 2
  ON CONFLICT (queue, work_key) DO NOTHING;
  GET DIAGNOSTICS v_texts = ROW_COUNT;
  -- Users whose profile in force has no vectors from this model (or whose vectors outlived their profile).
  INSERT INTO genre.work_queue (queue, work_key)
    SELECT 'profile_texts', u.user_id
      FROM (SELECT user_id FROM genre.user_profiles UNION SELECT user_id FROM genre.user_profile_vectors) u
      LEFT JOIN genre.user_profile_vectors v ON v.user_id = u.user_id
      CROSS JOIN LATERAL (SELECT (genre._current_profile(u.user_id)).version) c (version)
     WHERE v.version IS DISTINCT FROM c.version OR v.model <> p_model
     ORDER BY 2
  ON CONFLICT (queue, work_key) DO NOTHING;
  GET DIAGNOSTICS v_profiles = ROW_COUNT;
  IF v_items + v_texts + v_profiles > 0 THEN PERFORM pg_notify('genre_work', 'items'); END IF;
  RETURN v_items + v_texts + v_profiles;
END $$;
COMMENT ON FUNCTION genre._enqueue_stale_embeddings(text) IS
  'Internal: queues items, event texts and user profiles whose vectors are missing or stale for the given model and the current template.';

-- Completes many claimed keys at once (each only if its version is unchanged); returns how many.
CREATE OR REPLACE FUNCTION genre._complete_many(p_queue text, p_keys text[], p_versions bigint[])
RETURNS integer LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_done integer;
BEGIN
  DELETE FROM genre.work_queue q USING unnest(p_keys, p_versions) AS d(work_key, version)
   WHERE q.queue = p_queue AND q.work_key = d.work_key AND q.version = d.version;
  GET DIAGNOSTICS v_done = ROW_COUNT;
  UPDATE genre.work_queue q SET claimed_by = NULL, claimed_until = NULL, available_at = clock_timestamp()
   WHERE q.queue = p_queue AND q.work_key = ANY (p_keys);
  RETURN v_done;
END $$;
COMMENT ON FUNCTION genre._complete_many(text, text[], bigint[]) IS
  'Internal: marks a batch of claimed work done, keeping (released) any key requested again meanwhile.';

CREATE OR REPLACE FUNCTION genre._dot(a real[], b real[])
RETURNS double precision LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT sum(x::float8 * y) FROM unnest(a, b) AS t(x, y)
$$;
COMMENT ON FUNCTION genre._dot(real[], real[]) IS 'Internal: dot product of two vectors (cosine, for unit-length embeddings).';
