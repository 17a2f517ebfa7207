-- The LLM re-ranking stage (rerank.top_n > 0 in a scenario): after a user's list is written, its first
-- rerank.top_n rows are queued (key ["user", "scenario"]); the daemon's generation service asks a provider
-- and blends its order in (rerank.weight). The list is never held for it: until a re-ranking lands, and
-- whenever a provider is slow or down, the blend order stands.

CREATE OR REPLACE FUNCTION genre._enqueue_rerank(p_users text[], p_scenarios text[])
RETURNS integer LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_keys text[];
BEGIN
  -- (A scenario dropped since the daemon read the scenarios is left out, not an error.)
  v_keys := ARRAY(SELECT jsonb_build_array(u, s)::text FROM unnest(p_users) u, unnest(p_scenarios) s
                   WHERE (s = 'default' OR EXISTS (SELECT 1 FROM genre.scenarios x WHERE x.name = s))
                     AND (genre._scenario_setting(s, 'rerank.top_n'))::text::integer > 0);
  PERFORM genre._enqueue('rerank', v_keys);
  RETURN cardinality(v_keys);
END $$;
COMMENT ON FUNCTION genre._enqueue_rerank(text[], text[]) IS
  'Internal: queues re-ranking of the users'' lists in the scenarios whose rerank.top_n is above 0.';

-- After a build every list is new: the users whose lists were re-ranked in the last week (the active ones)
-- get it again; older records are dropped, so the sweep never grows with everyone ever re-ranked.
CREATE OR REPLACE FUNCTION genre._enqueue_stale_reranks()
RETURNS integer LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_keys text[];
BEGIN
  DELETE FROM genre.reranks WHERE applied_at < now() - interval '7 days';
  v_keys := ARRAY(SELECT jsonb_build_array(x.user_id, x.scenario)::text FROM genre.reranks x
                   WHERE (x.scenario = 'default' OR EXISTS (SELECT 1 FROM genre.scenarios s WHERE s.name = x.scenario))
                     AND (genre._scenario_setting(x.scenario, 'rerank.top_n'))::text::integer > 0
                     AND NOT EXISTS (SELECT 1 FROM genre.recommendations r WHERE r.user_id = x.user_id AND r.scenario = x.scenario
                                        AND r.rank = 1 AND r.reasons ? 'rerank'));
  PERFORM genre._enqueue('rerank', v_keys);
  RETURN cardinality(v_keys);
END $$;
COMMENT ON FUNCTION genre._enqueue_stale_reranks() IS
  'Internal: re-queues users re-ranked in the last 7 days whose lists a build replaced (and forgets older re-rankings).';

-- What the re-ranker reads: the first rerank.top_n stored rows of the list (item, title, generated topics,
-- score) in rank order, the scenario's rerank.weight, and the user's side (profile interests, newest items
-- and searches).
CREATE OR REPLACE FUNCTION genre._rerank_input(p_key text)
RETURNS TABLE (item_id text, text text, score real, weight double precision, user_text text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
  v_user text := p_key::jsonb ->> 0;
  v_scenario text := p_key::jsonb ->> 1;
  v_n integer;
  v_weight double precision;
  v_user_text text;
BEGIN
  -- A scenario dropped meanwhile, or a list already re-ranked (a refresh that kept the same first rows was
  -- re-ranked by the answer for the previous one): nothing to do.
  IF NOT (v_scenario = 'default' OR EXISTS (SELECT 1 FROM genre.scenarios s WHERE s.name = v_scenario))
     OR EXISTS (SELECT 1 FROM genre.recommendations r WHERE r.user_id = v_user AND r.scenario = v_scenario AND r.rank = 1
                   AND r.reasons ? 'rerank') THEN
    RETURN;
  END IF;
  v_n := (genre._scenario_setting(v_scenario, 'rerank.top_n'))::text::integer;
  v_weight := (genre._scenario_setting(v_scenario, 'rerank.weight'))::text::double precision;
  SELECT concat_ws(' ',
           'Interests: ' || (SELECT array_to_string(p.interests, ', ') FROM genre._current_profile(v_user) p WHERE p.user_id IS NOT NULL) || '.',
           'Recently: ' || (SELECT string_agg(h.event_type || ' ' || coalesce(h.title, '"' || h.text || '"'), '; ')
                              FROM genre._profile_history(v_user, 8) h) || '.')
    INTO v_user_text;
  RETURN QUERY
  SELECT r.item_id, concat_ws(' — ', coalesce(genre._item_field(i, 'title'), r.item_id), genre._item_field(i, 'llm.topics')),
         r.score, v_weight, coalesce(v_user_text, '')
    FROM genre.recommendations r JOIN genre.items i ON i.item_id = r.item_id
   WHERE r.user_id = v_user AND r.scenario = v_scenario AND r.rank <= v_n
   ORDER BY r.rank;
END $$;
COMMENT ON FUNCTION genre._rerank_input(text) IS
  'Internal: the candidates (first rerank.top_n stored rows), rerank.weight and the user''s side a re-ranker reads for key ["user", "scenario"].';

-- Applies a re-ranking: the candidates' new ranks and scores (computed by the daemon, RerankBlend), each
-- row's reasons with the reranker's share (strategies.rerank, the blend's shares scaled by the rest) and
-- reasons.rerank; only if the list's first rows are still the candidates in the same order. A list replaced
-- meanwhile (a refresh, or a build, which queues nothing itself) is queued again. Returns whether it applied.
CREATE OR REPLACE FUNCTION genre._apply_rerank(p_user text, p_scenario text, p_candidates text[], p_rerank real[], p_weight real,
                                               p_mode text, p_provider text, p_model text, p_new_order text[], p_new_scores real[],
                                               p_shares real[], p_tokens_in integer, p_tokens_out integer, p_latency_ms integer)
RETURNS boolean LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_n integer := cardinality(p_candidates); v_current text[];
BEGIN
  SELECT array_agg(r.item_id ORDER BY r.rank) INTO v_current FROM (
    SELECT r.item_id, r.rank FROM genre.recommendations r
     WHERE r.user_id = p_user AND r.scenario = p_scenario AND r.rank <= v_n ORDER BY r.rank FOR UPDATE) r;
  IF v_current IS DISTINCT FROM p_candidates THEN
    PERFORM genre._enqueue('rerank', ARRAY[jsonb_build_array(p_user, p_scenario)::text]);
    RETURN false;
  END IF;
  -- Already re-ranked (the same first rows, re-ranked by an earlier answer): never blended twice.
  IF EXISTS (SELECT 1 FROM genre.recommendations r WHERE r.user_id = p_user AND r.scenario = p_scenario AND r.rank <= v_n
                AND r.reasons ? 'rerank') THEN
    RETURN false;
  END IF;
  UPDATE genre.recommendations r
     SET rank = x.rank, score = x.score,
         reasons = r.reasons || jsonb_build_object(
           'strategies', coalesce((SELECT jsonb_object_agg(s.key, round(((s.value #>> '{}')::numeric * (1 - x.share::numeric)), 4))
                                     FROM jsonb_each(r.reasons -> 'strategies') s
                                    WHERE round(((s.value #>> '{}')::numeric * (1 - x.share::numeric)), 4) > 0), '{}')
                         || CASE WHEN round(x.share::numeric, 4) > 0 THEN jsonb_build_object('rerank', round(x.share::numeric, 4)) ELSE '{}' END,
           'rerank', jsonb_build_object('score', round(p_rerank[array_position(p_candidates, r.item_id)]::numeric, 4),
                                        'share', round(x.share::numeric, 4), 'weight', p_weight, 'provider', p_provider, 'model', p_model))
    FROM unnest(p_new_order, p_new_scores, p_shares) WITH ORDINALITY AS x (item_id, score, share, rank)
   WHERE r.user_id = p_user AND r.scenario = p_scenario AND r.item_id = x.item_id AND r.rank <= v_n;
  INSERT INTO genre.reranks AS k (user_id, scenario, items, scores, weight, mode, provider, model, tokens_in, tokens_out, latency_ms)
  VALUES (p_user, p_scenario, p_candidates, p_rerank, p_weight, p_mode, p_provider, p_model, p_tokens_in, p_tokens_out, p_latency_ms)
  ON CONFLICT (user_id, scenario) DO UPDATE SET items = EXCLUDED.items, scores = EXCLUDED.scores, weight = EXCLUDED.weight,
    mode = EXCLUDED.mode, provider = EXCLUDED.provider, model = EXCLUDED.model, tokens_in = EXCLUDED.tokens_in,
    tokens_out = EXCLUDED.tokens_out, latency_ms = EXCLUDED.latency_ms, applied_at = now();
  IF p_scenario = 'default' THEN
    PERFORM genre._enqueue_explanations(ARRAY[p_user], (genre._setting('explain.llm_top_k'))::text::integer);
  END IF;
  PERFORM pg_notify('genre_refreshed', p_user);
  RETURN true;
END $$;
COMMENT ON FUNCTION genre._apply_rerank(text, text, text[], real[], real, text, text, text, text[], real[], real[], integer, integer, integer) IS
  'Internal: writes a re-ranking into a user''s list (new ranks, scores, reasons with the reranker''s share) if the list is still the one re-ranked (else queues the new list); records it in genre.reranks.';
