#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for humans and tests, under .genre/pg (ignored by git).
#
#   scripts/dev-postgres.sh start     # initdb if needed, start, create roles and the genre database
#   scripts/dev-postgres.sh stop | restart | status | url | admin-url | destroy
#
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user. The server listens
# on 127.0.0.1:$GENRE_PG_PORT (default 54329) and in its own socket dir; local connections are trusted.
# The application role `genre` is a plain (non-superuser) role that owns the `genre` database.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PGBIN="${GENRE_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
STATE="${GENRE_PG_DIR:-$ROOT/.genre/pg}"
PORT="${GENRE_PG_PORT:-54329}"
DATA="$STATE/data"
SOCKET="$STATE/socket"
LOG="$STATE/server.log"

as_owner() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

url() { echo "postgresql://genre@127.0.0.1:$PORT/genre"; }
admin_url() { echo "postgresql://postgres@127.0.0.1:$PORT/postgres"; }

is_running() { [ -f "$DATA/postmaster.pid" ] && as_owner "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

close_inherited_fds() {
  # A server that inherits our pipes keeps them open forever, and whoever reads them (CI, Foundation's
  # Process) would wait forever: close everything above stderr before starting it.
  local fd
  for fd in $(ls /proc/$$/fd 2>/dev/null); do
    if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
}

start() {
  [ -x "$PGBIN/initdb" ] || { echo "PostgreSQL server binaries not found (looked in ${PGBIN:-/usr/lib/postgresql/*/bin}); install postgresql" >&2; exit 1; }
  mkdir -p "$STATE" "$SOCKET"
  if [ "$(id -u)" = "0" ]; then chown -R postgres:postgres "$STATE"; fi
  if [ ! -f "$DATA/PG_VERSION" ]; then
    as_owner "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$STATE/initdb.log" 2>&1 \
      || { cat "$STATE/initdb.log" >&2; exit 1; }
  fi
  if ! is_running; then
    ( close_inherited_fds
      as_owner "$PGBIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
        -o "-p $PORT -k $SOCKET -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start </dev/null >/dev/null 2>&1 ) || { tail -n 20 "$LOG" >&2; exit 1; }
  fi
  local psql="$PGBIN/psql"
  "$psql" -X -q -v ON_ERROR_STOP=1 "$(admin_url)" <<'SQL' >/dev/null
SELECT 'CREATE ROLE genre LOGIN CREATEDB CREATEROLE' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'genre') \gexec
ALTER ROLE genre CREATEROLE;
SELECT 'CREATE DATABASE genre OWNER genre' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'genre') \gexec
SQL
}

stop() {
  if is_running; then as_owner "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null; fi
}

case "${1:-start}" in
  start) start; url ;;
  stop) stop ;;
  restart) stop; start >/dev/null; url ;;
  status) if is_running; then echo "running on port $PORT ($(url))"; else echo "stopped"; exit 1; fi ;;
  url) url ;;
  admin-url) admin_url ;;
  destroy) stop; rm -rf "$STATE" ;;
  *) echo "usage: $0 start|stop|restart|status|url|admin-url|destroy" >&2; exit 2 ;;
esac
