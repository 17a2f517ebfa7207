#!/usr/bin/env bash
# Upgrade in place from the first released schema: a database installed exactly as the first release's
# `genre install` left it (commit 615cd98: migrations 0001–0002 recorded with their checksums, and that
# release's function files), holding items, events, settings and built results, is upgraded by this build's
# `genre install`; then nothing is lost and everything new works.
#
# The old SQL is in this tree, so the test runs in any clone: CI's is a fresh, possibly shallow clone on a
# machine with no network to fetch history from, and reading the release from git history skipped the test
# there (exit 0). Migrations 0001–0002 are this tree's (frozen by checksum); that release's function files are
# copied in scripts/upgrade/first-release/. scripts/upgrade/first-release.sha256 pins all of them to the
# release's blobs, and where the history is present they are compared with it as well.
set -euo pipefail
cd "$(dirname "$0")/.."
export GENRE_PG_DIR="${GENRE_PG_DIR:-$PWD/.genre/pg-test}" GENRE_PG_PORT="${GENRE_PG_PORT:-54330}"
FIRST=615cd986b4897226fd77c543fa8071ddbe592c2a
OLD=scripts/upgrade/first-release
die() { echo "upgrade: FAILED — $*" >&2; exit 1; }
sha256sum --quiet -c "$OLD.sha256" || die "the first release's SQL in this tree differs from $OLD.sha256 (released SQL must never change)"
if git cat-file -e "$FIRST^{commit}" 2>/dev/null; then
  [ "$(git ls-tree --name-only "$FIRST" Sources/GenreSchema/sql/functions/ | xargs -n1 basename)" = "$(cd "$OLD" && ls *.sql)" ] \
    || die "$OLD does not hold exactly the function files of $FIRST"
  for f in "$OLD"/*.sql; do
    git show "$FIRST:Sources/GenreSchema/sql/functions/${f##*/}" | cmp -s - "$f" || die "$f differs from $FIRST"
  done
else
  echo "upgrade: $FIRST is not in this clone's history (shallow clone?); using $OLD, checked against $OLD.sha256"
fi
scripts/dev-postgres.sh start >/dev/null
BIN="${GENRE_BIN:-$(swift build --show-bin-path)/genre}"
psql -X -q "$(scripts/dev-postgres.sh admin-url)" -c "DROP DATABASE IF EXISTS upgrade" -c "CREATE DATABASE upgrade OWNER genre_test"
URL="postgresql://genre_test@127.0.0.1:$GENRE_PG_PORT/upgrade"
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 "$URL" -c "$1"; }

# 1. The first release, as its installer applied it.
{
  echo "SELECT pg_advisory_lock(7);"
  for m in 0001-core 0002-embeddings; do
    cat "Sources/GenreSchema/sql/migrations/$m.sql"; echo
    sum="$(sha256sum < "Sources/GenreSchema/sql/migrations/$m.sql" | cut -d' ' -f1)"
    echo "INSERT INTO genre.schema_migrations (version, name, checksum) VALUES (${m%%-*}::int, '$m.sql', '$sum');"
  done
  for f in $(cd "$OLD" && ls *.sql | LC_ALL=C sort); do cat "$OLD/$f"; echo; done
} | psql -X -q -v ON_ERROR_STOP=1 "$URL" >/dev/null

# 2. Data in it, as an application and that release's daemon would have left them.
q "INSERT INTO genre.items (item_id, title) SELECT c || i, c || '-title ' || i FROM unnest(ARRAY['a','b']) c, generate_series(1, 15) i" >/dev/null
q "INSERT INTO genre.events (user_id, item_id, event_type) SELECT 'u' || u, (CASE WHEN u % 2 = 0 THEN 'a' ELSE 'b' END) || i, 'purchase'
     FROM generate_series(1, 20) u, generate_series(1, 15) i WHERE (u * 7 + i * 3) % 4 <> 0" >/dev/null
q "SELECT genre.set('popularity.half_life_days', '14'), genre.set('embedding.enabled', false)" >/dev/null
q "SELECT genre._apply_events()" >/dev/null
q "INSERT INTO genre.recommendations (user_id, rank, item_id, score, reasons, generation)
     SELECT 'u1', 1, 'a3', 0.5, '{\"summary\": \"from the first release\"}', generation FROM genre.result_generations WHERE result = 'recommendations'" >/dev/null
before="$(q "SELECT (SELECT count(*) FROM genre.items) || '/' || (SELECT count(*) FROM genre.events) || '/' || (SELECT count(*) FROM genre.interactions) || '/' || genre.get('popularity.half_life_days')::text || '/' || (SELECT count(*) FROM genre.recommendations)")"

# 3. Upgrade with this build, then use it.
"$BIN" install --database-url "$URL"
pass=0 fail=0
check() {
  if [ "$(q "$2" 2>&1)" = "t" ]; then echo "ok   $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi
}
after="$(q "SELECT (SELECT count(*) FROM genre.items) || '/' || (SELECT count(*) FROM genre.events) || '/' || (SELECT count(*) FROM genre.interactions) || '/' || genre.get('popularity.half_life_days')::text || '/' || (SELECT count(*) FROM genre.recommendations)")"
check "items, events, interactions, settings and stored lists are all still there ($before)" "SELECT '$before' = '$after'"
check "the stored list of the first release is now the default scenario's" "SELECT scenario = 'default' FROM genre.recommendations WHERE user_id = 'u1'"
check "every migration is recorded" "SELECT max(version) = (SELECT count(*) FROM genre.schema_migrations) AND count(*) >= 6 FROM genre.schema_migrations"
bundle="$("$BIN" print-sql | sed -n "s/.*INSERT INTO genre.function_bundle (checksum, genre_version) VALUES ('\([0-9a-f]*\)'.*/\1/p")"
[ -n "$bundle" ] || die "genre print-sql shows no function bundle checksum"
check "the function bundle installed is this build's" "SELECT checksum = '$bundle' FROM genre.function_bundle"
"$BIN" run --database-url "$URL" --exit-when-idle </dev/null >/dev/null 2>&1
check "the upgraded database builds models and serves lists with reasons" \
  "SELECT count(*) = 5 AND bool_and(reasons ? 'summary') FROM genre.recommend('u2', 5)"
check "ALS item factors were published" "SELECT count(*) = 30 FROM genre.item_factors"
check "scenarios and tuning runs can be created" \
  "SELECT genre.set_scenario('email', '{\"diversity.lambda\": 0.5}') IS NOT NULL AND genre.tune(trials => 1) > 0"
check "changes made after the upgrade are versioned" "SELECT count(*) = 1 FROM genre.settings_history WHERE key = 'scenario:email'"
echo "upgrade: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
