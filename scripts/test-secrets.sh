#!/usr/bin/env bash
# Secrets (in `make test`): the database password given to genre (in --database-url or GENRE_DATABASE_URL)
# goes to libpq and nowhere else, and a provider's API key (read from the environment variable its row
# names) goes into the Authorization header and nowhere else. Runs the daemon, a read command and a failing
# connection with a random password in the URL and a random key for a provider that answers 401 quoting the
# key back (as OpenAI does), at debug log level, then greps every line they printed and every row GENRE stored.
# (The test cluster trusts local connections, so the password is carried, not checked: what is tested is
# that it never leaks.)
set -euo pipefail
cd "$(dirname "$0")/.."
export GENRE_PG_DIR="${GENRE_PG_DIR:-$PWD/.genre/pg-test}" GENRE_PG_PORT="${GENRE_PG_PORT:-54330}"
scripts/dev-postgres.sh start >/dev/null
BIN="${GENRE_BIN:-$(swift build --show-bin-path)/genre}"
WORK="$PWD/.genre/secrets"
rm -rf "$WORK" && mkdir -p "$WORK"
LOG="$WORK/output.log"
SECRET="pw-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
KEY="sk-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"

# A provider that refuses every key, quoting it back; it notes whether it was sent this run's key.
python3 - "$WORK/provider.port" "$WORK/provider.saw-key" "Bearer $KEY" <<'PY' &
import http.server, sys
port_file, saw_file, expected = sys.argv[1:4]
class Refuse(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        sent = self.headers.get("Authorization", "")
        if sent == expected:
            open(saw_file, "w").write("yes")
        body = ('{"error": {"message": "Incorrect API key provided: %s"}}' % sent).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Refuse)
open(port_file, "w").write(str(server.server_port))
server.serve_forever()
PY
PROVIDER=$!
trap 'kill $PROVIDER 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do [ -s "$WORK/provider.port" ] && break; sleep 0.1; done

psql -X -q -v ON_ERROR_STOP=1 "$(scripts/dev-postgres.sh admin-url)" -c "DROP DATABASE IF EXISTS secrets" -c "CREATE DATABASE secrets OWNER genre_test" >/dev/null 2>&1
PLAIN="postgresql://genre_test@127.0.0.1:$GENRE_PG_PORT/secrets"
URL="postgresql://genre_test:$SECRET@127.0.0.1:$GENRE_PG_PORT/secrets"
"$BIN" install --database-url "$URL" >>"$LOG" 2>&1
psql -X -q -v ON_ERROR_STOP=1 "$PLAIN" >/dev/null <<'SQL'
INSERT INTO genre.items (item_id, title) SELECT 'i' || g, 'Item ' || g FROM generate_series(1, 30) g;
INSERT INTO genre.events (user_id, item_id, event_type) SELECT 'u' || (g % 10), 'i' || (1 + g % 30), 'view' FROM generate_series(1, 200) g;
SELECT genre.set('embedding.enabled', false);
SQL
psql -X -q -v ON_ERROR_STOP=1 "$PLAIN" >/dev/null -c "SELECT genre.create_provider('refusing', 'openai', 'http://127.0.0.1:$(cat "$WORK/provider.port")/v1', 'm', 'SECRETS_PROVIDER_KEY')" \
  -c "SELECT genre.set('llm.provider', 'refusing')" -c "SELECT genre.set('features.enabled', true)"

passed=0; failed=0
check() { if eval "$2"; then passed=$((passed + 1)); echo "ok   $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi; }

SECRETS_PROVIDER_KEY="$KEY" GENRE_LOG_LEVEL=debug GENRE_DATABASE_URL="$URL" "$BIN" run --exit-when-idle >>"$LOG" 2>&1
check "the daemon ran with the password in GENRE_DATABASE_URL and built lists" \
  '[ "$(psql -X -qtA "$PLAIN" -c "SELECT count(DISTINCT user_id) FROM genre.recommendations")" = 10 ]'
check "the provider was sent the key, refused it quoting it back, and was paused" \
  '[ "$(cat "$WORK/provider.saw-key" 2>/dev/null)" = yes ] && [ "$(psql -X -qtA "$PLAIN" -c "SELECT state FROM genre.list_providers()")" = paused ]'
# While a daemon is connected: its sessions' application names and queries.
GENRE_DATABASE_URL="$URL" "$BIN" run >>"$LOG" 2>&1 &
SERVING=$!
for _ in $(seq 1 50); do
  [ "$(psql -X -qtA "$PLAIN" -c "SELECT count(*) FROM pg_stat_activity WHERE datname = 'secrets' AND pid <> pg_backend_pid()")" -ge 3 ] && break
  sleep 0.1
done
sessions=$(psql -X -qtA "$PLAIN" -c "SELECT count(*) FROM pg_stat_activity WHERE datname = 'secrets' AND pid <> pg_backend_pid()")
leaks=$(psql -X -qtA "$PLAIN" -c "SELECT count(*) FROM pg_stat_activity WHERE (application_name LIKE '%$SECRET%' OR query LIKE '%$SECRET%') AND pid <> pg_backend_pid()")
kill -TERM "$SERVING"; wait "$SERVING" 2>/dev/null || true
check "no session of the running daemon ($sessions) shows it in its application name or query" '[ "$sessions" -ge 3 ] && [ "$leaks" = 0 ]'
GENRE_LOG_LEVEL=debug "$BIN" recommend u1 --database-url "$URL" >>"$LOG" 2>&1
# No daemon runs now, so the state is degraded: genre status says so and exits 8.
status_exit=0; GENRE_LOG_LEVEL=debug "$BIN" status --database-url "$URL" >>"$LOG" 2>&1 || status_exit=$?
[ "$status_exit" -eq 8 ] || { echo "genre status exited $status_exit with no daemon running; expected 8 (degraded)"; exit 1; }
# Failing connections: a wrong database, and a port nobody listens on (the daemon retries and logs it).
"$BIN" status --database-url "postgresql://genre_test:$SECRET@127.0.0.1:$GENRE_PG_PORT/no_such_db" >>"$LOG" 2>&1 || true
GENRE_LOG_LEVEL=debug GENRE_DATABASE_URL="postgresql://genre_test:$SECRET@127.0.0.1:1/secrets" "$BIN" run >>"$LOG" 2>&1 &
RUNNING=$!
sleep 3
kill -TERM "$RUNNING" 2>/dev/null || true
wait "$RUNNING" 2>/dev/null || true

check "the failing connections were reported" 'grep -q "database \"no_such_db\" does not exist" "$LOG" && grep -q "cannot reach PostgreSQL; retrying" "$LOG"'
check "no output line carries the password or the key ($(wc -l <"$LOG") lines)" '! grep -qF "$SECRET" "$LOG" && ! grep -qF "$KEY" "$LOG"'
stored=$(psql -X -qtA "$PLAIN" <<SQL
SELECT coalesce(sum(n), 0) FROM (
  SELECT (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I t WHERE t::text LIKE %L OR t::text LIKE %L', n.nspname, c.relname, '%$SECRET%', '%$KEY%'), false, true, '')))[1]::text::int AS n
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = 'genre' AND c.relkind IN ('r', 'p') AND NOT c.relispartition) s;
SQL
)
check "no row GENRE stored carries the password or the key" '[ "$stored" = 0 ]'

echo "secrets: $passed passed, $failed failed"
[ "$failed" -eq 0 ] || { echo "output: $LOG"; exit 1; }
