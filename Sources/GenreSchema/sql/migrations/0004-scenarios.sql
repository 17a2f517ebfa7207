-- GENRE migration 0004: named scenarios. One database serves several placements ('home', 'email', ...),
-- each a set of overrides of the list-shaping settings; every user gets one stored list per scenario.

CREATE TABLE genre.scenarios (
    name         text        PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_-]{0,62}$' AND name <> 'default'),
    overrides    jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(overrides) = 'object'),
    description  text,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    updated_by   text        NOT NULL DEFAULT current_user
);
COMMENT ON TABLE genre.scenarios IS
  'Named placements, each overriding list-shaping settings (blend.weights, diversity.lambda, ...). Write it with genre.set_scenario(); read lists with genre.recommend(..., scenario => name). ''default'' is the base settings.';

-- Each stored list belongs to a scenario; rows written before scenarios existed are the default's.
ALTER TABLE genre.recommendations ADD COLUMN scenario text NOT NULL DEFAULT 'default';
CREATE INDEX recommendations_user_scenario_idx ON genre.recommendations (user_id, scenario, rank);
DROP INDEX genre.recommendations_user_idx;
