#!/usr/bin/env bash
# `make demo-llm`: a generative model in the loop. Starts the local llama.cpp server (scripts/llm-server.sh:
# built on first use, about 13 minutes), loads the 40 most-rated MovieLens latest-small films and their ratings
# into a database of their own (genre_llm_demo, so `make demo`'s stays as it is), lets SmolLM2-135M write
# features for each film, profiles for five users and a sentence for the first rows of their lists, and
# prints them, a user's list and the usage table. SmolLM2 writes poor text: this shows the machinery, not the
# quality a strong model brings.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE_URL="$(scripts/dev-postgres.sh start)"
ADMIN_URL="$(scripts/dev-postgres.sh admin-url)"
URL="${BASE_URL%/*}/genre_llm_demo"
psql -X -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS genre_llm_demo" -c "CREATE DATABASE genre_llm_demo OWNER $(psql -X -qtA "$BASE_URL" -c 'SELECT current_user')"
echo "==> PostgreSQL database: $URL"

echo "==> building genre (release)"
swift build -c release >/dev/null
BIN="$(swift build -c release --show-bin-path)/genre"
"$BIN" model fetch
"$BIN" install --database-url "$URL" >/dev/null

echo "==> starting the local language model (llama.cpp + SmolLM2-135M-Instruct)"
LLM_URL="$(scripts/llm-server.sh start)"
trap 'scripts/llm-server.sh stop' EXIT

DATA="${GENRE_DEMO_DATA:-../shared/data/ml-latest-small}"
[ -f "$DATA/ratings.csv" ] || { echo "demo-llm: MovieLens latest-small not found in $DATA (run make demo once, or set GENRE_DEMO_DATA)" >&2; exit 1; }
echo "==> loading the 40 most-rated films of $DATA and their ratings"
python3 - "$DATA" <<'PY' | psql -X -q -v ON_ERROR_STOP=1 "$URL"
import csv, sys, collections
data = sys.argv[1]
ratings = list(csv.DictReader(open(f"{data}/ratings.csv")))
top = {m for m, _ in collections.Counter(r["movieId"] for r in ratings).most_common(40)}
q = lambda s: "'" + s.replace("'", "''") + "'"
print("BEGIN;")
for m in csv.DictReader(open(f"{data}/movies.csv")):
    if m["movieId"] in top:
        tags = "ARRAY[" + ",".join(q(g) for g in m["genres"].split("|")) + "]::text[]"
        print(f"INSERT INTO genre.items (item_id, title, tags, category) VALUES ({q(m['movieId'])}, {q(m['title'])}, {tags}, 'film');")
for r in ratings:
    if r["movieId"] in top:
        kind = "like" if float(r["rating"]) >= 4 else ("dislike" if float(r["rating"]) <= 2 else "view")
        print(f"INSERT INTO genre.events (user_id, item_id, event_type, occurred_at) VALUES ({q(r['userId'])}, {q(r['movieId'])}, '{kind}', to_timestamp({r['timestamp']}));")
print("COMMIT;")
PY

DEMO_USERS="ARRAY['1', '4', '6', '15', '18']"
psql -X -q "$URL" -c "SELECT genre.create_provider('local', 'openai', '$LLM_URL', 'smollm2', options => '{\"structured_output\": \"json_object\", \"timeout_seconds\": 120}')" \
  -c "SELECT genre.set('llm.provider', 'local')" -c "SELECT genre.set('features.enabled', true)" \
  -c "SELECT genre.set('profile.enabled', true)" -c "SELECT genre.set('explain.llm_top_k', 3)" \
  -c "SELECT genre.set('profile.refresh_after_events', 1000000)" -c "SELECT genre.set('profile.refresh_interval_hours', 8760)" \
  -c "SELECT genre.request_user_profiles($DEMO_USERS)" >/dev/null
# (Every user's ratings arrive at once here, so with the default refresh rule every active user would be due
# for a profile: five are asked for explicitly instead, and the rule is set out of reach.)

echo "==> the daemon: features for every film (about 4 s each), profiles for five users, embeddings, models,"
echo "    every user's list, and a sentence for the first three rows of the five users' lists (queued when their"
echo "    profiles are embedded and their lists refreshed)"
time "$BIN" run --exit-when-idle --database-url "$URL" 2>&1 | grep -E "queued .* work|build (starting|finished)|idle" || true

# The last build (once the generated features were embedded) gave every list new facts: user 1's rows get
# their sentences now (users refreshed in real time get theirs without asking).
echo "==> grounded sentences for user 1's list as it stands after the last build"
psql -X -q "$URL" -c "SELECT genre.request_explanations(ARRAY['1'])" >/dev/null
"$BIN" run --exit-when-idle --database-url "$URL" 2>&1 | grep -E "idle" || true

psql -X "$URL" -c "SELECT f.item_id, i.title, f.features->>'summary' AS summary, f.features->'topics' AS topics, f.tokens_in, f.tokens_out, f.latency_ms
                   FROM genre.item_features f JOIN genre.items i USING (item_id) ORDER BY f.item_id::int LIMIT 8" \
  -c "SELECT genre.render_item_text(i) AS embedded_text FROM genre.items i WHERE item_id = '1'" \
  -c "SELECT user_id, source, interests, summary, tokens_in, tokens_out, latency_ms FROM genre.user_profiles ORDER BY user_id::int" \
  -c "SELECT r.rank, i.title, r.reasons->>'summary' AS why, r.reasons->>'llm_sentence' AS llm_sentence FROM genre.recommend('1', 5) r JOIN genre.items i USING (item_id) ORDER BY r.rank" \
  -c "SELECT user_id, item_id, coalesce(sentence, 'REJECTED: ' || problem) AS sentence FROM genre.explanations ORDER BY user_id::int, item_id LIMIT 15" \
  -c "SELECT provider, hour, task, requests, tokens_in, tokens_out, errors, cache_hits, latency_ms_total FROM genre.llm_usage" \
  -c "SELECT name, state, requests_24h, tokens_in_24h, tokens_out_24h, errors_24h FROM genre.list_providers()"
echo "Dead letters (answers that never fit the schema, with the raw text): psql \"$URL\" -c 'SELECT * FROM genre.dead_letters'"
