-- Which database roles hold GENRE's four privilege sets. Written by `genre install` (which creates the
-- roles genre_reader, genre_writer, genre_admin and genre_daemon, or is told to use existing ones) and read
-- by genre._apply_grants(), which grants each exactly what its kind needs on every install.
CREATE TABLE genre.roles (
    kind        text PRIMARY KEY CHECK (kind IN ('reader', 'writer', 'admin', 'daemon')),
    role_name   name NOT NULL,
    granted_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE genre.roles IS
  'The role holding each GENRE privilege set: reader (recommend, similar_items, explain, read results), writer (items and events), admin (settings, scenarios, tuning, experiments), daemon (what genre run needs). Set by genre install.';
