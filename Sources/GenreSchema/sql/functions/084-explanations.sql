-- Grounded explanations (explain.llm_top_k): the facts of a list row as a model reads them, the queue of
-- rows to explain, and the check that a stored sentence still explains the row shown.

-- The facts of one row: its reasons as plain sentences (anchors, the closest search, comment, item or
-- profile interest, popularity, shares rounded to 10 %), and the names a sentence may use. The one
-- definition: the daemon sends these facts, and genre.recommend shows a sentence only while its hash matches.
CREATE OR REPLACE FUNCTION genre._explanation_facts(p_item text, p_reasons jsonb)
RETURNS TABLE (facts text, names text[])
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  -- The item as reasons name items: its title, else its id.
  v_title text := coalesce((SELECT genre._item_field(i, 'title') FROM genre.items i WHERE i.item_id = p_item), p_item);
  v_lines text[] := ARRAY['Recommended item: ' || v_title];
  v_names text[] := ARRAY[v_title];
  v_anchor jsonb;
  v_similar jsonb := p_reasons -> 'similar_to';
  v_shares text;
BEGIN
  FOR v_anchor IN SELECT a FROM jsonb_array_elements(coalesce(p_reasons -> 'because', '[]')) a LIMIT 3 LOOP
    v_lines := v_lines || format('You %s %s.', genre._verb(v_anchor ->> 'event'), v_anchor ->> 'title');
    v_names := v_names || (v_anchor ->> 'title');
  END LOOP;
  IF v_similar IS NOT NULL THEN
    IF v_similar ? 'title' THEN
      v_lines := v_lines || format('Its text is close to %s, which you %s.', v_similar ->> 'title', genre._verb(v_similar ->> 'event'));
      v_names := v_names || (v_similar ->> 'title');
    ELSIF v_similar ->> 'event' = 'profile' THEN
      v_lines := v_lines || format('It matches your interest in %s.', v_similar ->> 'text');
      v_names := v_names || (v_similar ->> 'text');
    ELSE
      v_lines := v_lines || format('Its text is close to your %s "%s".', v_similar ->> 'event', v_similar ->> 'text');
      v_names := v_names || (v_similar ->> 'text');
    END IF;
  END IF;
  IF p_reasons ? 'users' AND p_reasons -> 'strategies' ? 'popularity' THEN
    v_lines := v_lines || format('%s people chose it recently.', p_reasons ->> 'users');
  END IF;
  SELECT string_agg(format('%s %s%%', CASE s.key WHEN 'collaborative' THEN 'people with similar taste'
                                                  WHEN 'cooccurrence' THEN 'chosen together with your items'
                                                  WHEN 'content' THEN 'text similarity'
                                                  WHEN 'popularity' THEN 'popularity'
                                                  WHEN 'freshness' THEN 'new in the catalogue'
                                                  WHEN 'rerank' THEN 'a language model''s ranking' ELSE s.key END,
                           round((s.value #>> '{}')::numeric * 10) * 10), ', ' ORDER BY (s.value #>> '{}')::numeric DESC, s.key)
    INTO v_shares
    FROM jsonb_each(coalesce(p_reasons -> 'strategies', '{}')) s
   WHERE round((s.value #>> '{}')::numeric * 10) > 0;
  IF v_shares IS NOT NULL THEN v_lines := v_lines || ('Share of the score: ' || v_shares || '.'); END IF;
  RETURN QUERY SELECT array_to_string(v_lines, E'\n'), v_names;
END $$;
COMMENT ON FUNCTION genre._explanation_facts(text, jsonb) IS
  'Internal: a list row''s reasons as the facts a language model may use for its sentence, and the names it may mention.';

-- What a stored explanation is keyed by: the hash of a row's facts.
CREATE OR REPLACE FUNCTION genre._facts_hash(p_item text, p_reasons jsonb)
RETURNS text LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT genre._text_hash(f.facts) FROM genre._explanation_facts(p_item, p_reasons) f
$$;
COMMENT ON FUNCTION genre._facts_hash(text, jsonb) IS 'Internal: the hash of a list row''s facts (genre.explanations.facts_hash).';

-- The stored sentence for a row, if it was written from the row's current facts.
CREATE OR REPLACE FUNCTION genre._llm_sentence(p_user text, p_item text, p_reasons jsonb)
RETURNS text LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT e.sentence FROM genre.explanations e
   WHERE e.user_id = p_user AND e.item_id = p_item AND e.sentence IS NOT NULL
     AND e.facts_hash = genre._facts_hash(p_item, p_reasons)
$$;
COMMENT ON FUNCTION genre._llm_sentence(text, text, jsonb) IS
  'Internal: the grounded sentence stored for a user''s row, when it explains the row''s current reasons; else NULL.';

-- Queue keys are ["user", "item"] (JSON text: ids may hold any character).
CREATE OR REPLACE FUNCTION genre._enqueue_explanations(p_users text[], p_k integer)
RETURNS integer LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_keys text[];
BEGIN
  IF p_k <= 0 THEN RETURN 0; END IF;
  -- A row with a sentence or a rejected one for its current facts has had its answer.
  v_keys := ARRAY(SELECT jsonb_build_array(u, r.item_id)::text
                    FROM unnest(p_users) u, genre._recommend_rows(u, p_k, '{}', NULL, 'default') r
                   WHERE NOT EXISTS (SELECT 1 FROM genre.explanations e
                                      WHERE e.user_id = u AND e.item_id = r.item_id
                                        AND e.facts_hash = genre._facts_hash(r.item_id, r.reasons)));
  PERFORM genre._enqueue('explanations', v_keys);
  RETURN cardinality(v_keys);
END $$;
COMMENT ON FUNCTION genre._enqueue_explanations(text[], integer) IS
  'Internal: queues the first k rows of each user''s default list that have no sentence for their current facts (and no rejected one).';

-- After a build every list changed: users who got sentences in the last week (the active ones) get them
-- again for their new rows; older sentences are dropped, so the sweep never grows with everyone ever explained.
CREATE OR REPLACE FUNCTION genre._enqueue_stale_explanations(p_k integer)
RETURNS integer LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  DELETE FROM genre.explanations WHERE generated_at < now() - interval '7 days';
  RETURN genre._enqueue_explanations(ARRAY(SELECT DISTINCT user_id FROM genre.explanations), p_k);
END $$;
COMMENT ON FUNCTION genre._enqueue_stale_explanations(integer) IS
  'Internal: re-queues the rows of users explained in the last 7 days whose lists no longer match their sentences (and forgets older sentences).';

-- The input of one queued row: the user's row as genre.recommend shows it now, and its facts.
CREATE OR REPLACE FUNCTION genre._explanation_input(p_key text)
RETURNS TABLE (facts text, names text[])
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT f.facts, f.names
    FROM genre._recommend_rows(p_key::jsonb ->> 0, 50, '{}', NULL, 'default') r,
         genre._explanation_facts(r.item_id, r.reasons) f
   WHERE r.item_id = p_key::jsonb ->> 1
$$;
COMMENT ON FUNCTION genre._explanation_input(text) IS
  'Internal: the facts of a queued explanation (key ["user", "item"]), from the row genre.recommend shows now; no row when the item left the list.';

-- Catalogue titles a sentence mentions (lower case, a trailing "(1995)" left out, at least 4 characters),
-- for the grounding check: a title not in the facts makes the sentence rejected.
CREATE OR REPLACE FUNCTION genre._titles_in(p_text text)
RETURNS SETOF text LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT DISTINCT k.key FROM genre.items i,
         LATERAL (SELECT lower(btrim(regexp_replace(i.title, '\s*\(\d{4}\)\s*$', ''))) AS key) k
   WHERE i.title IS NOT NULL AND length(k.key) >= 4 AND position(k.key IN lower(p_text)) > 0
$$;
COMMENT ON FUNCTION genre._titles_in(text) IS 'Internal: catalogue titles (normalised) that occur in a text.';

CREATE OR REPLACE FUNCTION genre.request_explanations(user_ids text[])
RETURNS integer LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_k integer := (genre._setting('explain.llm_top_k'))::text::integer;
BEGIN
  IF v_k = 0 THEN
    RAISE EXCEPTION 'genre.request_explanations: explain.llm_top_k is 0 (off)' USING ERRCODE = 'object_not_in_prerequisite_state',
      HINT = 'SELECT genre.set(''explain.llm_top_k'', 3)';
  END IF;
  RETURN genre._enqueue_explanations(ARRAY(SELECT DISTINCT u FROM unnest(user_ids) u WHERE u IS NOT NULL), v_k);
END $$;
COMMENT ON FUNCTION genre.request_explanations(text[]) IS
  'Queues grounded sentences now for the first explain.llm_top_k rows of the given users'' default lists (users refreshed in real time are queued by the daemon; this serves everyone else, e.g. after switching explanations on). Returns how many rows were queued.';
