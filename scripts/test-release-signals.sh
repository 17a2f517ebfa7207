#!/usr/bin/env bash
# The optimised build must stop on SIGTERM too: an earlier release build dropped its signal sources at once
# (debug builds kept them alive), so only this check, with the release binary, can catch that again.
set -euo pipefail
cd "$(dirname "$0")/.."
export GENRE_PG_DIR="${GENRE_PG_DIR:-$PWD/.genre/pg-test}" GENRE_PG_PORT="${GENRE_PG_PORT:-54330}"
scripts/dev-postgres.sh start >/dev/null
swift build -c release >/dev/null
BIN="$(swift build -c release --show-bin-path)/genre"
psql -X -q "$(scripts/dev-postgres.sh admin-url)" -c "DROP DATABASE IF EXISTS signals" -c "CREATE DATABASE signals OWNER genre_test"
URL="postgresql://genre_test@127.0.0.1:$GENRE_PG_PORT/signals"
"$BIN" install --database-url "$URL" >/dev/null
"$BIN" run --database-url "$URL" </dev/null >/dev/null 2>&1 &
PID=$!
sleep 2
kill -TERM "$PID"
for _ in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$PID" 2>/dev/null; then
  kill -9 "$PID"; echo "release signals: 0 passed, 1 failed (the release daemon ignored SIGTERM)"; exit 1
fi
echo "release signals: 1 passed, 0 failed"
