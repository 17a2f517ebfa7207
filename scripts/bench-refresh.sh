#!/usr/bin/env bash
# `make bench-refresh`: a scratch database `bench` on the local cluster, MovieLens latest-small, then
# `genre bench refresh` (release build).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/dev-postgres.sh start >/dev/null
psql -X -q "$(scripts/dev-postgres.sh admin-url)" -c "DROP DATABASE IF EXISTS bench" -c "CREATE DATABASE bench OWNER genre"
URL="$(scripts/dev-postgres.sh url | sed 's#/genre$#/bench#')"
BIN="$(swift build -c release --show-bin-path)/genre"
"$BIN" install --database-url "$URL" >/dev/null
"$BIN" bench refresh --database-url "$URL" --dir "${GENRE_DEMO_DATA:-../shared/data/ml-latest-small}" --samples "${SAMPLES:-200}" --searches "${SEARCHES:-0}"
