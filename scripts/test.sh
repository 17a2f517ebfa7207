#!/usr/bin/env bash
# `make test`: build, start a throwaway PostgreSQL cluster (port 54330, data in .genre/pg-test), install the
# schema into a template database as a NON-superuser role, run every Swift test against it, then the
# llama.cpp tier (a real local language-model server), the fault suite (SIGKILL and PostgreSQL restarts
# under a running daemon) and the secrets, upgrade and signal checks.
set -euo pipefail
cd "$(dirname "$0")/.."

export GENRE_PG_DIR="$PWD/.genre/pg-test" GENRE_PG_PORT="${GENRE_TEST_PG_PORT:-54330}"
scripts/dev-postgres.sh start >/dev/null
ADMIN_URL="$(scripts/dev-postgres.sh admin-url)"

psql -X -q -v ON_ERROR_STOP=1 "$ADMIN_URL" <<'SQL' >/dev/null
SELECT 'CREATE ROLE genre_test LOGIN CREATEDB CREATEROLE NOSUPERUSER' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'genre_test') \gexec
-- CREATEROLE: `genre install` creates GENRE's roles (genre_reader, …) as a real installer would.
ALTER ROLE genre_test CREATEROLE;
SELECT format('DROP DATABASE %I', datname) FROM pg_database WHERE datname LIKE 't\_%' OR datname = 'genre_template' \gexec
CREATE DATABASE genre_template OWNER genre_test;
SQL

swift build --build-tests
BIN="$(swift build --show-bin-path)/genre"
"$BIN" model fetch   # no-op when a verified copy is cached
"$BIN" install --database-url "postgresql://genre_test@127.0.0.1:$GENRE_PG_PORT/genre_template" >/dev/null

# The role tests act as each GENRE role (SET ROLE), and run a daemon logged in as a role that holds
# nothing but genre_daemon. Roles are cluster-wide, so this is done once here, not per test database.
psql -X -q -v ON_ERROR_STOP=1 "$ADMIN_URL" <<'SQL' >/dev/null
GRANT genre_reader, genre_writer, genre_admin, genre_daemon TO genre_test;
SELECT 'CREATE ROLE genre_test_daemon LOGIN' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'genre_test_daemon') \gexec
GRANT genre_daemon TO genre_test_daemon;
SQL

export GENRE_TEST_DATABASE_URL="postgresql://genre_test@127.0.0.1:$GENRE_PG_PORT/postgres"
export GENRE_TEST_TEMPLATE=genre_template
export GENRE_BIN="$BIN"
# The llama.cpp tier runs with the other tests: a real local language-model server (installed on first use).
GENRE_TEST_LLM_URL="$(scripts/llm-server.sh start)"
export GENRE_TEST_LLM_URL
trap 'scripts/llm-server.sh stop' EXIT
swift test --skip-build
scripts/llm-server.sh stop
scripts/test-faults.sh
scripts/test-secrets.sh
scripts/test-upgrade.sh
scripts/test-release-signals.sh
