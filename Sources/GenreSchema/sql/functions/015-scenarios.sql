-- Scenarios: named sets of overrides of the settings that shape a list (not those that train models), so
-- one build serves every placement. Every override is validated like genre.set validates the setting.

CREATE OR REPLACE FUNCTION genre._scenario_keys()
RETURNS text[] LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT coalesce(array_agg(key ORDER BY key), '{}') FROM genre.setting_definitions WHERE scenario
$$;
COMMENT ON FUNCTION genre._scenario_keys() IS
  'Internal: the settings a scenario may override (those that shape a list from the built models; model training settings are shared).';

-- Validates and canonicalises a scenario's overrides: known keys only, each value checked by the catalogue.
CREATE OR REPLACE FUNCTION genre._scenarios_validate()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_entry record;
  v_out jsonb := '{}';
BEGIN
  IF NEW.overrides IS NULL OR jsonb_typeof(NEW.overrides) <> 'object' THEN
    RAISE EXCEPTION 'genre scenario "%": overrides must be a JSON object of setting: value', NEW.name
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  FOR v_entry IN SELECT key, value FROM jsonb_each(NEW.overrides) LOOP
    IF NOT v_entry.key = ANY (genre._scenario_keys()) THEN
      RAISE EXCEPTION 'genre scenario "%": "%" cannot be overridden per scenario; allowed: %', NEW.name, left(v_entry.key, 100),
        array_to_string(genre._scenario_keys(), ', ') USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_out := v_out || jsonb_build_object(v_entry.key, genre._parse_setting(v_entry.key,
      CASE WHEN jsonb_typeof(v_entry.value) = 'string' THEN v_entry.value #>> '{}' ELSE v_entry.value::text END));
  END LOOP;
  NEW.overrides := v_out;
  NEW.updated_at := now();
  NEW.updated_by := current_user;
  RETURN NEW;
END $$;
COMMENT ON FUNCTION genre._scenarios_validate() IS 'Internal trigger: validates every write to genre.scenarios.';

CREATE OR REPLACE FUNCTION genre._scenarios_notify()
RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM pg_notify('genre_settings', 'scenario:' || coalesce(NEW.name, OLD.name));
  RETURN NULL;
END $$;
COMMENT ON FUNCTION genre._scenarios_notify() IS 'Internal trigger: tells daemons (channel genre_settings) that a scenario changed.';

CREATE OR REPLACE TRIGGER scenarios_validate BEFORE INSERT OR UPDATE ON genre.scenarios
  FOR EACH ROW EXECUTE FUNCTION genre._scenarios_validate();
CREATE OR REPLACE TRIGGER scenarios_notify AFTER INSERT OR UPDATE OR DELETE ON genre.scenarios
  FOR EACH ROW EXECUTE FUNCTION genre._scenarios_notify();

CREATE OR REPLACE FUNCTION genre.set_scenario(name text, overrides jsonb, description text DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_out jsonb;
BEGIN
  IF set_scenario.name IS NULL OR set_scenario.name !~ '^[a-z][a-z0-9_-]{0,62}$' OR set_scenario.name = 'default' THEN
    RAISE EXCEPTION 'genre scenario name must be lower-case letters, digits, _ or - (at most 63, starting with a letter), and not "default"; got %',
      coalesce(quote_literal(left(set_scenario.name, 100)), 'NULL') USING ERRCODE = 'invalid_parameter_value';
  END IF;
  INSERT INTO genre.scenarios AS s (name, overrides, description)
  VALUES (set_scenario.name, coalesce(set_scenario.overrides, '{}'), set_scenario.description)
  ON CONFLICT ON CONSTRAINT scenarios_pkey DO UPDATE
    SET overrides = EXCLUDED.overrides, description = coalesce(EXCLUDED.description, s.description)
  RETURNING s.overrides INTO v_out;
  RETURN v_out;
END $$;
COMMENT ON FUNCTION genre.set_scenario(text, jsonb, text) IS
  'Creates or replaces a scenario, e.g. genre.set_scenario(''email'', ''{"blend.weights": {"popularity": 1, "content": 0.5}, "diversity.lambda": 0.7}''). Overrides are validated like genre.set; returns them canonicalised. Users get lists for it after the next build (started at once).';

CREATE OR REPLACE FUNCTION genre.drop_scenario(name text)
RETURNS boolean LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  DELETE FROM genre.scenarios s WHERE s.name = drop_scenario.name;
  IF NOT FOUND THEN RETURN false; END IF;
  DELETE FROM genre.recommendations r WHERE r.scenario = drop_scenario.name;
  RETURN true;
END $$;
COMMENT ON FUNCTION genre.drop_scenario(text) IS 'Deletes a scenario and its stored lists; returns false when there was none.';

-- The effective value of a setting in a scenario: its override, else the setting. Unknown scenarios raise.
CREATE OR REPLACE FUNCTION genre._scenario_setting(p_scenario text, p_key text)
RETURNS jsonb LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE v_overrides jsonb;
BEGIN
  IF p_scenario IS NULL OR p_scenario = 'default' THEN RETURN genre._setting(p_key); END IF;
  SELECT s.overrides INTO v_overrides FROM genre.scenarios s WHERE s.name = p_scenario;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'unknown genre scenario "%"; defined: %', left(p_scenario, 100),
      coalesce((SELECT string_agg(name, ', ' ORDER BY name) FROM genre.scenarios), 'none besides default')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  RETURN coalesce(v_overrides -> p_key, genre._setting(p_key));
END $$;
COMMENT ON FUNCTION genre._scenario_setting(text, text) IS 'Internal: a setting''s effective value in a scenario (override, else setting); raises for an unknown scenario.';
