#!/usr/bin/env bash
# `make demo`: local PostgreSQL, the genre schema, MovieLens latest-small, the daemon until every user has
# recommendations, then one user's list with reasons and how to connect with psql.
set -euo pipefail
cd "$(dirname "$0")/.."

URL="$(scripts/dev-postgres.sh start)"
echo "==> PostgreSQL running: $URL"

echo "==> building genre (release)"
swift build -c release >/dev/null
BIN="$(swift build -c release --show-bin-path)/genre"

"$BIN" model fetch
"$BIN" install --database-url "$URL"

items=$(psql -X -qtA "$URL" -c "SELECT count(*) FROM genre.items")
if [ "$items" = "0" ]; then
  DATA="${GENRE_DEMO_DATA:-}"
  if [ -z "$DATA" ] && [ -f ../shared/data/ml-latest-small/ratings.csv ]; then DATA=../shared/data/ml-latest-small; fi
  if [ -z "$DATA" ]; then
    DATA=.genre/data/ml-latest-small
    if [ ! -f "$DATA/ratings.csv" ]; then
      echo "==> downloading MovieLens latest-small from GroupLens (research use; see its README)"
      mkdir -p .genre/data
      curl -fsSL -o .genre/data/ml-latest-small.zip https://files.grouplens.org/datasets/movielens/ml-latest-small.zip
      (cd .genre/data && unzip -q -o ml-latest-small.zip)
    fi
  fi
  echo "==> loading MovieLens latest-small from $DATA"
  "$BIN" import movielens --dir "$DATA" --database-url "$URL"
fi

echo "==> running the daemon until every user has recommendations"
"$BIN" run --exit-when-idle --database-url "$URL" 2>&1 | grep -E "build (starting|finished)|idle" || true

USER_ID="${GENRE_DEMO_USER:-1}"
echo
"$BIN" recommend "$USER_ID" -k 10 --database-url "$URL"
echo
echo "Items similar to Toy Story (1995):"
psql -X -q "$URL" -c "SELECT s.rank, i.title, round(s.score::numeric, 3) AS score, s.reasons->>'summary' AS why
                      FROM genre.similar_items('1', 5) s JOIN genre.items i USING (item_id) ORDER BY s.rank"
echo
echo "==> a brand-new user searches once; the language model turns the search into recommendations"
psql -X -q "$URL" -c "DELETE FROM genre.events WHERE user_id = 'demo-searcher'" \
  -c "INSERT INTO genre.events (user_id, event_type, text) VALUES ('demo-searcher', 'search', 'funny animated adventure for kids with talking animals')"
"$BIN" run --exit-when-idle --database-url "$URL" >/dev/null 2>&1
psql -X -q "$URL" -c "SELECT r.rank, i.title, r.reasons->>'summary' AS why
                      FROM genre.recommend('demo-searcher', 5) r JOIN genre.items i USING (item_id) ORDER BY r.rank"
cat <<EOT
Connect with:   psql "$URL"
Then try:       SELECT * FROM genre.recommend('42', 5);
                INSERT INTO genre.events (user_id, item_id, event_type) VALUES ('new-user', '1', 'like');
                SELECT * FROM genre.recommend('new-user', 5);   -- while 'genre run' is running
Run the daemon: $BIN run --database-url "$URL"
Stop PostgreSQL: scripts/dev-postgres.sh stop
EOT
