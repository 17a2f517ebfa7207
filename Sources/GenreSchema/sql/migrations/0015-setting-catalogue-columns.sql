-- Two facts about settings that SQL used to hard-code now live in the catalogue rows (written by every
-- install from SettingsCatalogue.swift): which keys a scenario may override, and the pattern the names of
-- a weights setting must match (event types become identifiers).
ALTER TABLE genre.setting_definitions ADD COLUMN name_pattern text;
ALTER TABLE genre.setting_definitions ADD COLUMN scenario boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN genre.setting_definitions.name_pattern IS
  'Weights settings: a regular expression every name must match (event.weights), or NULL for any name.';
COMMENT ON COLUMN genre.setting_definitions.scenario IS
  'Whether a scenario (genre.set_scenario) may override this key: the keys that shape lists from the built models.';
