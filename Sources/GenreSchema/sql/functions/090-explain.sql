-- genre.explain: why an item is (or is not) on a user's list, as one sentence plus the evidence in jsonb.

-- The one definition of how each event type reads in a sentence: genre.explain speaks with it, and the
-- daemon reads it with its settings for the reasons it stores ("Because you bought Dune"). "*" is the
-- wording of any other event type.
CREATE OR REPLACE FUNCTION genre._event_verbs()
RETURNS jsonb LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT '{"purchase": "bought", "like": "liked", "view": "viewed", "click": "clicked on",
           "comment": "commented on", "dislike": "disliked", "*": "interacted with"}'::jsonb
$$;
COMMENT ON FUNCTION genre._event_verbs() IS 'Internal: each event type''s verb in a sentence ("purchase": "bought", …; "*" for any other), for genre.explain and the daemon''s reasons.';

CREATE OR REPLACE FUNCTION genre._verb(p_event text)
RETURNS text LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT coalesce(genre._event_verbs() ->> p_event, genre._event_verbs() ->> '*')
$$;
COMMENT ON FUNCTION genre._verb(text) IS 'Internal: how an event type reads in a sentence ("bought", "liked" ...), from genre._event_verbs().';

-- (Dropped first: the llm_sentence column was added, and CREATE OR REPLACE cannot change a result type.)
DROP FUNCTION IF EXISTS genre.explain(text, text);
CREATE FUNCTION genre.explain(user_id text, item_id text)
RETURNS TABLE (sentence text, details jsonb, llm_sentence text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
  v_user text := explain.user_id;
  v_item_id text := explain.item_id;
  v_item genre.items;
  v_name text;
  v_seen record;
  v_rec record;
  v_cooc jsonb;
  v_content jsonb;
  v_popular integer;
  v_parts text[] := '{}';
BEGIN
  IF v_user IS NULL OR v_item_id IS NULL THEN
    RAISE EXCEPTION 'genre.explain: user_id and item_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  SELECT * INTO v_item FROM genre.items i WHERE i.item_id = v_item_id;
  IF NOT FOUND THEN
    RETURN QUERY SELECT format('There is no item %s in genre.items.', v_item_id), jsonb_build_object('item_id', v_item_id, 'known', false), NULL::text;
    RETURN;
  END IF;
  v_name := coalesce(nullif(v_item.title, ''), v_item.item_id);

  SELECT e.event_type, e.occurred_at INTO v_seen FROM genre.events e
   WHERE e.user_id = v_user AND e.item_id = v_item_id ORDER BY e.occurred_at DESC LIMIT 1;
  -- The rank exactly as genre.recommend shows it (after its filters), not the stored one.
  SELECT r.rank, r.score, r.reasons INTO v_rec FROM genre.recommend(v_user, 1000) r WHERE r.item_id = v_item_id;

  -- Evidence, whatever the outcome: history items whose neighbour it is, the closest of the user's recent
  -- texts and items in the language model's space, and its popularity rank.
  SELECT coalesce(jsonb_agg(x ORDER BY (x->>'similarity')::numeric DESC), '[]') INTO v_cooc FROM (
    SELECT jsonb_build_object('item_id', h.item_id, 'title', coalesce(hi.title, h.item_id),
                              'similarity', round(n.score::numeric, 4), 'common_users', n.reasons->'common_users') AS x
      FROM (SELECT DISTINCT e.item_id FROM genre.events e WHERE e.user_id = v_user AND e.item_id IS NOT NULL
              AND e.item_id <> v_item_id AND e.event_type <> 'dislike') h
      JOIN genre.item_neighbors n ON n.item_id = h.item_id AND n.neighbor_id = v_item_id
       AND ((n.reasons->'scores'->>'cooccurrence')::real > 0 OR (n.reasons->'scores'->>'collaborative')::real > 0)
      LEFT JOIN genre.items hi ON hi.item_id = h.item_id
     ORDER BY n.score DESC LIMIT 5) top;
  SELECT to_jsonb(c) INTO v_content FROM (
    SELECT s.kind, s.label, s.event, round(genre._dot(s.embedding, ie.embedding)::numeric, 4) AS similarity
      FROM genre.item_embeddings ie,
           LATERAL (
             (SELECT 'text' AS kind, ev.text AS label, t.event_type AS event, t.embedding
                FROM genre.event_text_embeddings t JOIN genre.events ev ON ev.id = t.event_id
               WHERE t.user_id = v_user AND t.model = ie.model ORDER BY ev.occurred_at DESC LIMIT 20)
             UNION ALL
             (SELECT 'profile', t.text, 'profile', v.embeddings[(t.n - 1) * v.dims + 1 : t.n * v.dims]
                FROM genre.user_profile_vectors v, unnest(v.texts) WITH ORDINALITY t (text, n)
               WHERE v.user_id = v_user AND v.model = ie.model)
             UNION ALL
             (SELECT 'item', coalesce(i.title, i.item_id), x.event_type, e2.embedding
                FROM (SELECT DISTINCT ON (e.item_id) e.item_id, e.event_type, e.occurred_at FROM genre.events e
                       WHERE e.user_id = v_user AND e.item_id IS NOT NULL AND e.item_id <> v_item_id AND e.event_type <> 'dislike'
                       ORDER BY e.item_id, e.occurred_at DESC) x
                JOIN genre.item_embeddings e2 ON e2.item_id = x.item_id AND e2.embedding IS NOT NULL AND e2.model = ie.model
                JOIN genre.items i ON i.item_id = x.item_id
               ORDER BY x.occurred_at DESC LIMIT 20)) s
     WHERE ie.item_id = v_item_id AND ie.embedding IS NOT NULL
     ORDER BY 4 DESC LIMIT 1) c;
  SELECT p.rank INTO v_popular FROM genre.popular_items p WHERE p.item_id = v_item_id;

  IF jsonb_array_length(v_cooc) > 0 THEN
    v_parts := v_parts || format('people who chose %s also chose it', v_cooc->0->>'title');
  END IF;
  IF v_content IS NOT NULL THEN
    v_parts := v_parts || CASE
      WHEN v_content->>'kind' = 'profile' THEN format('its text is close to your interest in %s (similarity %s)', left(v_content->>'label', 60), v_content->>'similarity')
      WHEN v_content->>'kind' = 'text' THEN format('its text is close to your %s ''%s'' (similarity %s)', v_content->>'event', left(v_content->>'label', 60), v_content->>'similarity')
      ELSE format('its text is close to %s, which you %s (similarity %s)', v_content->>'label', genre._verb(v_content->>'event'), v_content->>'similarity') END;
  END IF;
  IF v_popular IS NOT NULL THEN v_parts := v_parts || format('it ranks #%s in popularity', v_popular); END IF;

  RETURN QUERY SELECT
    CASE
      WHEN v_seen.event_type IS NOT NULL AND (genre._setting('recommend.exclude_seen'))::text::boolean
        THEN format('You already %s %s, so it is not recommended to you.', genre._verb(v_seen.event_type), v_name)
      WHEN NOT v_item.available THEN format('%s is unavailable, so it is not recommended.', v_name)
      WHEN v_rec.rank IS NOT NULL THEN format('%s is #%s on your list. %s.', v_name, v_rec.rank, v_rec.reasons->>'summary')
      WHEN cardinality(v_parts) > 0 THEN format('%s is not on your list, though %s.', v_name, array_to_string(v_parts, '; '))
      ELSE format('Nothing links %s to your history yet.', v_name)
    END,
    jsonb_build_object('item_id', v_item_id, 'title', v_name, 'available', v_item.available,
                       'rank', v_rec.rank, 'score', v_rec.score, 'reasons', v_rec.reasons,
                       'already', v_seen.event_type, 'cooccurrence', v_cooc, 'closest_interest', v_content,
                       'popularity_rank', v_popular),
    v_rec.reasons->>'llm_sentence';
END $$;
COMMENT ON FUNCTION genre.explain(text, text) IS
  'Why an item is or is not on a user''s list, for any item: one readable sentence (from templates), plus jsonb with its rank and stored reasons (if listed), whether the user already has it, the history items it co-occurs with, the closest of the user''s searches, comments, profile interests and items in the language model''s space, and its popularity rank; and llm_sentence, a language model''s sentence grounded in the row''s facts when explain.llm_top_k covers the row and one was written (else NULL).';

-- How varied a user's list is: 1 − the mean pairwise cosine of the vectors of their top k items.
CREATE OR REPLACE FUNCTION genre.intra_list_diversity(user_id text, k integer DEFAULT 10)
RETURNS double precision LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  WITH top AS (SELECT r.item_id FROM genre.recommend(intra_list_diversity.user_id, k) r),
       v AS (SELECT e.item_id, e.embedding FROM genre.item_embeddings e JOIN top USING (item_id) WHERE e.embedding IS NOT NULL)
  SELECT 1 - avg(genre._dot(a.embedding, b.embedding)) FROM v a JOIN v b ON a.item_id < b.item_id
$$;
COMMENT ON FUNCTION genre.intra_list_diversity(text, integer) IS
  'Intra-list diversity of a user''s top k (as genre.recommend returns them): 1 − mean pairwise cosine of the items'' text vectors. NULL with fewer than two embedded items.';
