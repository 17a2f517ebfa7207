-- Which function files are installed. Migrations run once and are recorded in schema_migrations; the
-- function files (sql/functions) are re-applied by every `genre install`, so a new binary could otherwise
-- run against an older install's functions. `genre install` (and `genre print-sql`'s script) records the
-- bundle's checksum here, and a daemon refuses to start when it is not its own.
CREATE TABLE genre.function_bundle (
    -- One row: the bundle in force.
    single         boolean     PRIMARY KEY DEFAULT true CHECK (single),
    -- SHA-256 of `sha256sum` over the function files in name order (see SQLCatalog.functionBundleChecksum).
    checksum       text        NOT NULL,
    genre_version  text        NOT NULL,
    installed_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE genre.function_bundle IS
  'The function files installed by the last genre install: checksum, genre version and time. A genre whose own bundle differs refuses to run until genre install runs again.';
