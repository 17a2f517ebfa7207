#!/usr/bin/env bash
# The fault suite (`make test-faults`, also run by `make test`): while a producer inserts 20,000 items and
# 200,000 events, edits item descriptions, deletes events and deletes items that have events, three daemons
# (language model embedding every item) run side by side, get SIGKILLed again and again and restarted, and
# PostgreSQL itself is restarted under them twice. Then SQL checks that every event is reflected exactly
# once, every user has fresh recommendations that exclude what they already saw, every item has exactly one
# vector of its current text, no content was embedded twice, no claim is stuck and nothing was dead-lettered.
# The scale is set by FAULT_ITEMS, FAULT_EVENTS, FAULT_USERS and FAULT_DAEMONS (e.g. FAULT_ITEMS=400
# FAULT_EVENTS=20000 FAULT_DAEMONS=2 for a one-minute run). Bounded: the catch-up after the producer has
# FAULT_CATCH_UP_SECONDS (default 600), the whole run well under 15 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

ITEMS="${FAULT_ITEMS:-20000}"
EVENTS="${FAULT_EVENTS:-200000}"
USERS="${FAULT_USERS:-5000}"
DAEMONS="${FAULT_DAEMONS:-3}"
CATCH_UP="${FAULT_CATCH_UP_SECONDS:-600}"
BATCHES=200
ITEMS_PER_BATCH=$(( (ITEMS + BATCHES - 1) / BATCHES ))
EVENTS_PER_BATCH=$(( EVENTS / BATCHES ))
STARTED=$(date +%s)

export GENRE_PG_DIR="${GENRE_PG_DIR:-$PWD/.genre/pg-test}" GENRE_PG_PORT="${GENRE_PG_PORT:-54330}"
scripts/dev-postgres.sh start >/dev/null
ADMIN_URL="$(scripts/dev-postgres.sh admin-url)"
BIN="${GENRE_BIN:-$(swift build --show-bin-path)/genre}"
[ -x "$BIN" ] || swift build
WORK="$PWD/.genre/faults"
rm -rf "$WORK" && mkdir -p "$WORK"
LOG="$WORK/daemons.log"

psql -X -q -v ON_ERROR_STOP=1 "$ADMIN_URL" >/dev/null <<'SQL'
SELECT 'CREATE ROLE genre_test LOGIN CREATEDB NOSUPERUSER' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'genre_test') \gexec
DROP DATABASE IF EXISTS faults;
CREATE DATABASE faults OWNER genre_test;
SQL
URL="postgresql://genre_test@127.0.0.1:$GENRE_PG_PORT/faults"
"$BIN" install --database-url "$URL" >/dev/null 2>&1
q() { psql -X -qtA -v ON_ERROR_STOP=1 "$URL" -c "$1"; }
# The producer's record of description edits, to bound how often each item may have been embedded.
q "CREATE TABLE public.fault_edits (item_id text NOT NULL)"
q "SELECT genre.set('model.rebuild_after_events', $(( EVENTS / 4 > 3000 ? EVENTS / 4 : 3000 ))), genre.set('model.min_rebuild_gap_seconds', 0), genre.set('daemon.poll_interval_seconds', 0.5), genre.set('queue.lease_seconds', 3)" >/dev/null

declare -a PIDS=()
# Whatever happens, leave no daemon behind (a failed run must not block the next one).
trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done' EXIT
start_daemon() { GENRE_LOG_LEVEL=info "$BIN" run --database-url "$URL" </dev/null >>"$LOG" 2>&1 & PIDS[$1]=$!; }
for d in $(seq 0 $((DAEMONS - 1))); do start_daemon "$d"; done

# Runs one statement, retrying while the server is restarting.
retry() { until psql -X -q "$URL" -c "$1" >/dev/null 2>&1; do sleep 0.2; done; }

# Producer: 200 batches, each adding items and events from USERS users on the items so far; description
# edits, event deletes and deletes of items with events mixed in.
producer() {
  local batch first last
  for batch in $(seq 1 $BATCHES); do
    first=$(( (batch - 1) * ITEMS_PER_BATCH + 1 )); last=$(( batch * ITEMS_PER_BATCH > ITEMS ? ITEMS : batch * ITEMS_PER_BATCH ))
    if [ "$first" -le "$last" ]; then
      retry "INSERT INTO genre.items (item_id, title, category) SELECT 'i' || g, 'Item ' || g || ' about ' ||
               (ARRAY['space', 'baking', 'jazz', 'gardens', 'chess', 'sailing', 'poetry'])[1 + g % 7], 'c' || (g % 7)
               FROM generate_series($first, $last) g ON CONFLICT (item_id) DO NOTHING"
    fi
    retry "INSERT INTO genre.events (user_id, item_id, event_type)
        SELECT 'u' || (random() * ($USERS - 1))::int, 'i' || (1 + (random() * ($last - 1))::int),
               (ARRAY['view', 'click', 'like', 'purchase', 'dislike'])[1 + (random() * 4)::int]
          FROM generate_series(1, $EVENTS_PER_BATCH)"
    if [ $((batch % 10)) -eq 0 ]; then
      retry "WITH edited AS (UPDATE genre.items SET description = 'Edited in batch $batch'
                WHERE item_id IN (SELECT item_id FROM genre.items ORDER BY random() LIMIT 50) RETURNING item_id)
             INSERT INTO public.fault_edits SELECT item_id FROM edited"
      retry "DELETE FROM genre.events WHERE id IN (SELECT id FROM genre.events ORDER BY random() LIMIT $(( EVENTS_PER_BATCH / 4 )))"
    fi
    if [ $((batch % 40)) -eq 0 ]; then
      retry "DELETE FROM genre.items WHERE item_id IN (SELECT item_id FROM genre.events WHERE item_id IS NOT NULL ORDER BY random() LIMIT 10)"
    fi
    sleep 0.1
  done
}
producer &
PRODUCER=$!

kills=0
restarted_pg=0
while kill -0 "$PRODUCER" 2>/dev/null; do
  sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 1 + (r % 200) / 100 }')"
  victim=$((RANDOM % DAEMONS))
  kill -9 "${PIDS[$victim]}" 2>/dev/null || true
  wait "${PIDS[$victim]}" 2>/dev/null || true
  kills=$((kills + 1))
  start_daemon "$victim"
  if { [ "$kills" -eq 4 ] || [ "$kills" -eq 20 ]; } && [ "$restarted_pg" -lt 2 ]; then
    scripts/dev-postgres.sh restart >/dev/null
    restarted_pg=$((restarted_pg + 1))
  fi
done
wait "$PRODUCER"
PRODUCED=$(date +%s)

# Let the survivors catch up by themselves (at most CATCH_UP seconds).
for _ in $(seq 1 $((CATCH_UP * 2))); do
  idle=$(q "SELECT events_pending = 0 AND users_queued = 0 AND items_to_embed = 0 FROM genre.status()" 2>/dev/null || echo f)
  [ "$idle" = "t" ] && break
  sleep 0.5
done
CAUGHT_UP=$(date +%s)

passed=0; failed=0
check() {  # check NAME SQL-returning-true
  local got
  got=$(q "$2" 2>&1 || true)
  if [ "$got" = "t" ]; then passed=$((passed + 1)); echo "ok   $1"; else failed=$((failed + 1)); echo "FAIL $1 (got: $got)"; fi
}
alive() { local n=0; for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && n=$((n + 1)); done; echo "$n"; }

echo "fault suite: $DAEMONS daemons, $kills SIGKILLs, $restarted_pg PostgreSQL restart(s); $(q 'SELECT count(*) FROM genre.items') items and $(q 'SELECT count(*) FROM genre.events') events left after deletes; producer $((PRODUCED - STARTED)) s, catch-up $((CAUGHT_UP - PRODUCED)) s"
check "all $DAEMONS daemons survived the PostgreSQL restarts" "SELECT $(alive) = $DAEMONS"
check "the queue drained (no user waiting, no claim stuck past its lease)" "SELECT count(*) = 0 FROM genre.work_queue"
check "the watermark counts every event exactly once" \
  "SELECT w.events = (SELECT count(*) FROM genre.events) FROM genre.watermarks w WHERE name = 'interactions'"
check "interactions equal a fresh aggregation of the events (nothing missed, nothing twice)" "
  SELECT count(*) = 0 FROM (
    SELECT user_id, item_id, event_type, count(*)::int AS n FROM genre.events WHERE item_id IS NOT NULL GROUP BY 1, 2, 3
  ) e FULL JOIN genre.interactions i USING (user_id, item_id, event_type)
  WHERE e.n IS DISTINCT FROM i.event_count"
check "every user with events has recommendations" "
  SELECT count(*) = 0 FROM (SELECT DISTINCT user_id FROM genre.events) u
  WHERE NOT EXISTS (SELECT 1 FROM genre.recommendations r WHERE r.user_id = u.user_id)"
check "no stored recommendation is an item the user already has an event for" "
  SELECT count(*) = 0 FROM genre.recommendations r
  WHERE EXISTS (SELECT 1 FROM genre.events e WHERE e.user_id = r.user_id AND e.item_id = r.item_id)"
check "every user's list was computed after their last event" "
  SELECT count(*) = 0 FROM (SELECT user_id, max(occurred_at) AS last_event FROM genre.events GROUP BY 1) e
  JOIN (SELECT user_id, min(computed_at) AS computed FROM genre.recommendations GROUP BY 1) r USING (user_id)
  WHERE r.computed < e.last_event"
check "nothing was dead-lettered (no row here is really bad)" "SELECT count(*) = 0 FROM genre.dead_letters"
check "every item has exactly one vector, of its current text and template" "
  SELECT count(*) = 0 FROM genre.items i LEFT JOIN genre.item_embeddings e USING (item_id)
  WHERE e.item_id IS NULL OR e.embedding IS NULL OR cardinality(e.embedding) <> 384
     OR e.content_hash <> genre._text_hash(genre.render_item_text(i)) OR e.template_version <> genre._template_version()"
check "no content was embedded twice (each vector written at most once per text the item had)" "
  SELECT count(*) = 0 FROM genre.item_embeddings e
  WHERE e.writes > 1 + (SELECT count(*) FROM public.fault_edits f WHERE f.item_id = e.item_id)"
check "deleted items are in nobody's genre.recommend() and their vectors were forgotten" "
  SELECT NOT EXISTS (SELECT 1 FROM (SELECT DISTINCT user_id FROM genre.events) u CROSS JOIN LATERAL genre.recommend(u.user_id, 20) r
                      LEFT JOIN genre.items i ON i.item_id = r.item_id WHERE i.item_id IS NULL)
     AND NOT EXISTS (SELECT 1 FROM genre.item_embeddings e LEFT JOIN genre.items i USING (item_id) WHERE i.item_id IS NULL)"
check "a model was built" "SELECT count(*) > 0 FROM genre.model_builds"

# Graceful shutdown: SIGTERM while the daemons hold work (every user queued again just before), all gone
# within 10 s, and their claims given back.
q "SELECT genre._enqueue('users', ARRAY(SELECT DISTINCT user_id FROM genre.events))" >/dev/null
# Waits for the lanes to hold claims (on a loaded two-core machine a claim can take seconds to commit while a
# build scores every user), so the SIGTERM below really lands on held work.
for _ in $(seq 1 600); do [ "$(q "SELECT count(*) > 0 FROM genre.work_queue WHERE claimed_by IS NOT NULL")" = t ] && break; sleep 0.1; done
held=$(q "SELECT count(*) FROM genre.work_queue WHERE claimed_by IS NOT NULL")
echo "$(date +%T.%N) SIGTERM ($held claims held)" >>"$LOG"
for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
for _ in $(seq 1 100); do [ "$(alive)" = "0" ] && break; sleep 0.1; done
check "SIGTERM stops all $DAEMONS daemons within 10 s" "SELECT $(alive) = 0"
check "stopped daemons released their $held claims" "SELECT $held > 0 AND count(*) = 0 FROM genre.work_queue WHERE claimed_by IS NOT NULL"

echo "faults: $passed passed, $failed failed in $(( $(date +%s) - STARTED )) s"
if [ "$failed" -ne 0 ]; then echo "daemon log: $LOG"; tail -n 40 "$LOG"; exit 1; fi
