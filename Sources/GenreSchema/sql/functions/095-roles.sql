-- Least privilege. Nothing in schema genre is usable by PUBLIC; each GENRE role (genre.roles, set by
-- `genre install`) gets what its job needs and no more:
--   reader  read the lists and explanations; log impressions (genre.recommend(..., log_impression => true));
--           record a user's experiment variant only through genre.recommend
--   writer  insert, update and delete items; insert and delete events (events are immutable); show a
--           person their profile and take their corrections (genre.set_user_profile)
--   admin   the reader's rights, plus settings, scenarios, tuning runs, experiments and dead letters
--   daemon  read items and events (never write them), and write everything GENRE computes
-- Every function runs as its caller (SECURITY INVOKER) except the ones listed below, so table privileges
-- decide what a role can do even through functions. A migration that adds a table must add it to the
-- lists in genre._apply_grants() (RoleTests runs the daemon and every role's calls, so a missing grant
-- fails there).

-- Functions are executable by PUBLIC when created; nothing of GENRE's is meant for PUBLIC.
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA genre FROM PUBLIC;

-- SECURITY DEFINER, and why each:
-- * The item and event triggers queue GENRE's own work (work_queue, embeddings to forget, interactions to
--   adjust, experiment conversions to judge again). A writer must be able to insert an item or an event
--   without rights on those tables, or a writer could fake or drop the daemon's work.
ALTER FUNCTION genre._items_touch() SECURITY DEFINER;
ALTER FUNCTION genre._items_enqueue_changed() SECURITY DEFINER;
ALTER FUNCTION genre._items_enqueue_features() SECURITY DEFINER;
ALTER FUNCTION genre._items_forget() SECURITY DEFINER;
ALTER FUNCTION genre._events_validate() SECURITY DEFINER;
ALTER FUNCTION genre._events_immutable() SECURITY DEFINER;
ALTER FUNCTION genre._events_enqueue() SECURITY DEFINER;
ALTER FUNCTION genre._events_forget() SECURITY DEFINER;
ALTER FUNCTION genre._events_enqueue_texts() SECURITY DEFINER;
ALTER FUNCTION genre._events_forget_texts() SECURITY DEFINER;
ALTER FUNCTION genre._events_recheck_conversions() SECURITY DEFINER;
ALTER FUNCTION genre._events_forget_profiles() SECURITY DEFINER;
-- * A person corrects their own profile through the application (a writer) or an admin: these two add or
--   withdraw a 'person' version only; no role but the daemon writes genre.user_profiles itself, so no
--   application can pass its text off as the model's.
ALTER FUNCTION genre.set_user_profile(text, text[], text) SECURITY DEFINER;
ALTER FUNCTION genre.clear_user_profile(text) SECURITY DEFINER;
-- * Queueing work (genre._enqueue) upserts one (queue, key) wake-up for the daemon on a checked queue name.
--   The triggers above and the admin's genre.tune and genre.retry_dead_letter queue work this way, so no
--   role but the daemon needs rights on genre.work_queue itself.
ALTER FUNCTION genre._enqueue(text, text[]) SECURITY DEFINER;
-- * A user's experiment variant is recorded at their first exposure (genre._assign_variant, called by
--   genre.recommend). It computes the variant itself from the shares; readers get no rights on
--   genre.experiment_assignments, so no application can choose or change a user's variant.
ALTER FUNCTION genre._assign_variant(text, text) SECURITY DEFINER;
-- * Swapping a result set creates, attaches, detaches and drops partitions, which PostgreSQL allows only
--   to the owner of the partitioned table (and indexing a staging table, to its owner). These four take
--   no identifiers from the caller (the result name is checked against the four result tables, the rest
--   is generated) and are executable by the daemon role alone; the staging table is handed to the daemon
--   role for its COPY.
ALTER FUNCTION genre._prepare_generation(text) SECURITY DEFINER;
ALTER FUNCTION genre._publish_generation(text, bigint, timestamptz, text[], bigint[]) SECURITY DEFINER;
ALTER FUNCTION genre._index_generation(text, bigint) SECURITY DEFINER;
ALTER FUNCTION genre._drop_abandoned_generations() SECURITY DEFINER;

-- Takes back everything a role holds in schema genre (a role that no longer holds a GENRE job, and every
-- role before genre._apply_grants grants anew).
CREATE OR REPLACE FUNCTION genre._revoke_role(p_role text)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_role) THEN RETURN; END IF;
  EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA genre FROM %I', p_role);
  EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA genre FROM %I', p_role);
  EXECUTE format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA genre FROM %I', p_role);
  EXECUTE format('REVOKE ALL ON SCHEMA genre FROM %I', p_role);
END $$;
COMMENT ON FUNCTION genre._revoke_role(text) IS 'Internal: revokes every privilege a role holds in schema genre.';

-- Grants each role in genre.roles its privileges, after taking back whatever it held in schema genre (so
-- a privilege dropped from this file is revoked by the next install). Called by `genre install`.
CREATE OR REPLACE FUNCTION genre._apply_grants()
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  r record;
  v_reader_functions text[] := ARRAY['genre.recommend(text, integer, text[], text, text, boolean)',
                                     'genre.similar_items(text, integer)', 'genre.explain(text, text)',
                                     'genre.intra_list_diversity(text, integer)', 'genre.get(text)',
                                     'genre.render_item_text(genre.items, text)', 'genre.user_profile(text)'];
  v_admin_functions text[] := ARRAY['genre.set(text, boolean)', 'genre.set(text, double precision)',
                                    'genre.set(text, jsonb)', 'genre.set(text, text)', 'genre.reset(text)',
                                    'genre.set_scenario(text, jsonb, text)', 'genre.drop_scenario(text)',
                                    'genre.diff_settings(bigint, bigint)', 'genre.rollback_settings(bigint)',
                                    'genre.tune(text, text, integer, text, jsonb, boolean, bigint)',
                                    'genre.create_experiment(text, jsonb, text, text, boolean, integer, double precision)',
                                    'genre.stop_experiment(text, text)', 'genre.retry_dead_letter(bigint)',
                                    'genre.status()', 'genre.create_provider(text, text, text, text, text, jsonb)',
                                    'genre.alter_provider(text, text, text, text, jsonb)', 'genre.drop_provider(text)',
                                    'genre.list_providers()', 'genre.set_user_profile(text, text[], text)',
                                    'genre.clear_user_profile(text)', 'genre.request_user_profiles(text[])',
                                    'genre.request_explanations(text[])'];
  v_results text[] := ARRAY['recommendations', 'item_neighbors', 'popular_items', 'item_factors',
                            'collaborative_models', 'result_generations', 'model_builds', 'interactions',
                            'item_embeddings', 'event_text_embeddings', 'watermarks', 'workers', 'service_health', 'model_state',
                            'item_features', 'llm_cache', 'llm_usage', 'provider_state', 'user_profiles',
                            'user_profile_vectors', 'profile_activity', 'explanations', 'reranks'];
  v_config text[] := ARRAY['settings', 'settings_history', 'scenarios', 'tuning_runs', 'tuning_trials',
                           'experiments', 'experiment_variants', 'providers'];
  -- What the admin may do to each configuration table: history and trials are appended, never rewritten.
  v_admin_rights text[] := ARRAY['SELECT, INSERT, UPDATE, DELETE', 'SELECT, INSERT', 'SELECT, INSERT, UPDATE, DELETE',
                                 'SELECT, INSERT, UPDATE', 'SELECT', 'SELECT, INSERT, UPDATE', 'SELECT, INSERT, UPDATE, DELETE',
                                 'SELECT, INSERT, UPDATE, DELETE'];
  n integer;
  f text;
  t text;
BEGIN
  EXECUTE 'REVOKE ALL ON ALL FUNCTIONS IN SCHEMA genre FROM PUBLIC';
  -- Every revoke before any grant: one role may hold several jobs (--reader-role app --writer-role app).
  FOR r IN SELECT DISTINCT role_name FROM genre.roles LOOP
    PERFORM genre._revoke_role(r.role_name);
  END LOOP;
  FOR r IN SELECT kind, role_name FROM genre.roles ORDER BY kind LOOP
    EXECUTE format('GRANT USAGE ON SCHEMA genre TO %I', r.role_name);
    -- Internal helpers run as the caller, so they give nothing the caller's table rights do not.
    FOR f IN SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname = 'genre' AND p.proname LIKE '\_%' AND NOT p.prosecdef LOOP
      EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', f, r.role_name);
    END LOOP;
    -- Everyone may read the catalogue of settings and what is in force, and which schema and function
    -- bundle are installed (the daemon checks both before it starts).
    EXECUTE format('GRANT SELECT ON genre.setting_definitions, genre.settings, genre.current_settings, genre.scenarios, genre.schema_migrations, genre.function_bundle TO %I', r.role_name);

    IF r.kind IN ('reader', 'admin') THEN
      FOREACH f IN ARRAY v_reader_functions LOOP EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', f, r.role_name); END LOOP;
      EXECUTE format('GRANT SELECT ON genre.recommendations, genre.item_neighbors, genre.popular_items, genre.items, genre.events, genre.interactions, genre.item_embeddings, genre.event_text_embeddings, genre.model_builds, genre.result_generations, genre.experiments, genre.experiment_variants, genre.experiment_results, genre.item_features, genre.user_profiles, genre.user_profile_vectors, genre.explanations, genre.reranks TO %I', r.role_name);
      EXECUTE format('GRANT INSERT ON genre.impressions TO %I', r.role_name);
      EXECUTE format('GRANT EXECUTE ON FUNCTION genre._assign_variant(text, text) TO %I', r.role_name);
      EXECUTE format('GRANT USAGE ON SEQUENCE genre.impressions_id_seq TO %I', r.role_name);
    END IF;
    IF r.kind = 'writer' THEN
      EXECUTE format('GRANT EXECUTE ON FUNCTION genre.get(text), genre.render_item_text(genre.items, text) TO %I', r.role_name);
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON genre.items TO %I', r.role_name);
      -- genre.render_item_text fills {llm.*} fields from the generated features.
      EXECUTE format('GRANT SELECT ON genre.item_features TO %I', r.role_name);
      -- Showing a person their profile and taking their corrections.
      EXECUTE format('GRANT EXECUTE ON FUNCTION genre.user_profile(text), genre.set_user_profile(text, text[], text), genre.clear_user_profile(text) TO %I', r.role_name);
      EXECUTE format('GRANT SELECT ON genre.user_profiles, genre.user_profile_vectors TO %I', r.role_name);
      EXECUTE format('GRANT SELECT, INSERT, DELETE ON genre.events TO %I', r.role_name);
      EXECUTE format('GRANT USAGE ON SEQUENCE genre.events_id_seq TO %I', r.role_name);
    END IF;
    IF r.kind = 'admin' THEN
      FOREACH f IN ARRAY v_admin_functions LOOP EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', f, r.role_name); END LOOP;
      FOR n IN 1..cardinality(v_config) LOOP
        EXECUTE format('GRANT %s ON genre.%I TO %I', v_admin_rights[n], v_config[n], r.role_name);
      END LOOP;
      -- Queueing a tuning run or a retried dead letter (through genre._enqueue); seeing the backlog.
      EXECUTE format('GRANT EXECUTE ON FUNCTION genre._enqueue(text, text[]) TO %I', r.role_name);
      EXECUTE format('GRANT SELECT ON genre.work_queue TO %I', r.role_name);
      EXECUTE format('GRANT SELECT, DELETE ON genre.dead_letters TO %I', r.role_name);
      -- genre.drop_scenario deletes the dropped scenario's stored lists (derived rows the daemon rebuilds).
      EXECUTE format('GRANT DELETE ON genre.recommendations TO %I', r.role_name);
      EXECUTE format('GRANT SELECT ON genre.impressions, genre.experiment_assignments, genre.experiment_counts, genre.workers, genre.service_health, genre.watermarks TO %I', r.role_name);
      -- genre.list_providers reads what the daemon saw and spent.
      EXECUTE format('GRANT SELECT ON genre.provider_state, genre.llm_usage, genre.item_features TO %I', r.role_name);
      EXECUTE format('GRANT USAGE ON ALL SEQUENCES IN SCHEMA genre TO %I', r.role_name);
    END IF;
    IF r.kind = 'daemon' THEN
      EXECUTE format('GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA genre TO %I', r.role_name);
      -- Business data: read only.
      EXECUTE format('GRANT SELECT ON genre.items, genre.events TO %I', r.role_name);
      FOREACH t IN ARRAY v_results || v_config || ARRAY['work_queue', 'dead_letters', 'impressions', 'experiment_assignments', 'experiment_counts',
                                                 'impression_conversions', 'experiment_rechecks', 'experiment_counting'] LOOP
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON genre.%I TO %I', t, r.role_name);
      END LOOP;
      EXECUTE format('GRANT SELECT ON genre.experiment_results TO %I', r.role_name);
      EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA genre TO %I', r.role_name);
    END IF;
  END LOOP;
END $$;
COMMENT ON FUNCTION genre._apply_grants() IS
  'Internal: revokes everything PUBLIC and GENRE''s roles hold in schema genre, then grants each role in genre.roles what its kind needs (see the comment at the top of 095-roles.sql). Run by genre install.';

-- Creates role p_name (NOLOGIN: people and services log in as their own roles and are granted this one)
-- unless it exists; returns false when it does not exist and the installing role may not create roles.
-- Two installs in different databases may race to create the same (cluster-wide) role: the loser sees
-- the winner's.
CREATE OR REPLACE FUNCTION genre._ensure_role(p_name text)
RETURNS boolean LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_name) THEN RETURN true; END IF;
  IF NOT (SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user) THEN RETURN false; END IF;
  BEGIN
    EXECUTE format('CREATE ROLE %I NOLOGIN', p_name);
  EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
  END;
  RETURN true;
END $$;
COMMENT ON FUNCTION genre._ensure_role(text) IS
  'Internal: creates a NOLOGIN role unless it exists; false when it is missing and the installer lacks CREATEROLE.';
