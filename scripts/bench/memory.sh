#!/usr/bin/env bash
# Peak memory of a first build at three data sizes (docs/BENCHMARKS.md, "Memory"): MovieLens 100k,
# MovieLens latest-small, and a seeded synthetic set ten times latest-small's events. For each, a fresh
# database; then `genre run --exit-when-idle` (release build, embedding off so the build alone is measured)
# under /usr/bin/time: its maximum resident set size, the build's seconds, and the data's size.
# Usage: scripts/bench/memory.sh [sizes...]   (default: ml100k latest-small synthetic)
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA="${GENRE_DATA_DIR:-../shared/data}"
BIN="${GENRE_BIN:-$(swift build -c release --show-bin-path)/genre}"
[ -x "$BIN" ] || swift build -c release
scripts/dev-postgres.sh start >/dev/null
ADMIN="$(scripts/dev-postgres.sh admin-url)"
BASE="$(scripts/dev-postgres.sh url)"
OUT="$PWD/.genre/bench-memory"
mkdir -p "$OUT"

load_ml100k() {  # rating ≥ 4 like, ≤ 2 dislike, else view: the MovieLens importer's mapping
  psql -X -q -v ON_ERROR_STOP=1 "$1" <<SQL
CREATE TEMP TABLE u_item (line text);
\copy u_item FROM PROGRAM 'iconv -f latin1 -t utf-8 $DATA/ml-100k/u.item' WITH (FORMAT text, DELIMITER E'\x01')
INSERT INTO genre.items (item_id, title, category)
  SELECT split_part(line, '|', 1), split_part(line, '|', 2), 'film' FROM u_item;
CREATE TEMP TABLE u_data (user_id text, item_id text, rating int, ts bigint);
\copy u_data FROM '$DATA/ml-100k/u.data' WITH (FORMAT text, DELIMITER E'\t')
INSERT INTO genre.events (user_id, item_id, event_type, occurred_at)
  SELECT user_id, item_id, CASE WHEN rating >= 4 THEN 'like' WHEN rating <= 2 THEN 'dislike' ELSE 'view' END, to_timestamp(ts)
    FROM u_data;
SQL
}

load_latest_small() { "$BIN" import movielens --database-url "$1" --dir "$DATA/ml-latest-small" >/dev/null; }

# 1,000,000 events (ten times latest-small's 100,836) from 6,100 users on 20,000 items, seeded: item
# popularity and user activity follow power laws, and each user draws 80 % of their items from one of 20
# taste clusters (so co-occurrence and collaborative filtering have structure to find).
load_synthetic() {
  psql -X -q -v ON_ERROR_STOP=1 "$1" <<'SQL'
SELECT setseed(0.42);
INSERT INTO genre.items (item_id, title, category)
  SELECT 's' || g, 'Item ' || g || ' about ' || (ARRAY['space','baking','jazz','gardens','chess','sailing','poetry','trains','birds','maps'])[1 + g % 10],
         'c' || (g % 20)
    FROM generate_series(0, 19999) g;
WITH draws AS (
  SELECT floor(6100 * power(random(), 2))::int AS u, random() AS r1, random() AS r2, random() AS r3
    FROM generate_series(1, 1000000)
)
INSERT INTO genre.events (user_id, item_id, event_type, occurred_at)
  SELECT 'u' || u,
         's' || CASE WHEN r1 < 0.8 THEN (u % 20) + 20 * floor(1000 * power(r2, 2))::int   -- the user's cluster
                     ELSE floor(20000 * power(r2, 3))::int END,                            -- anything, popular first
         CASE WHEN r3 < 0.55 THEN 'view' WHEN r3 < 0.9 THEN 'like' ELSE 'dislike' END,
         timestamptz '2026-01-01' + make_interval(secs => (r1 * 1e7)::int)
    FROM draws;
SQL
}

printf '| data | users | items | events | interactions | first build | peak RSS | RSS per interaction |\n|---|---|---|---|---|---|---|---|\n'
for size in "${@:-ml100k latest-small synthetic}"; do
  for name in $size; do
    db="mem_${name//-/_}"
    psql -X -q "$ADMIN" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db OWNER genre" >/dev/null
    URL="${BASE%/genre}/$db"
    "$BIN" install --database-url "$URL" >/dev/null
    "load_${name//-/_}" "$URL"
    psql -X -qtA "$URL" -c "SELECT genre.set('embedding.enabled', false)" >/dev/null
    /usr/bin/time -v "$BIN" run --database-url "$URL" --exit-when-idle >"$OUT/$name.log" 2>"$OUT/$name.time"
    rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$OUT/$name.time")
    read -r users items events interactions seconds < <(psql -X -qtA -F ' ' "$URL" -c "
      SELECT b.users, b.items, (SELECT count(*) FROM genre.events), b.interactions,
             round(extract(epoch FROM b.finished_at - b.started_at)::numeric, 1)
        FROM genre.model_builds b ORDER BY id DESC LIMIT 1")
    printf '| %s | %s | %s | %s | %s | %s s | %s MB | %s bytes |\n' "$name" "$users" "$items" "$events" "$interactions" "$seconds" \
      "$(( rss_kb / 1024 ))" "$(( rss_kb * 1024 / interactions ))"
  done
done
