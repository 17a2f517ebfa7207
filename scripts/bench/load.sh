#!/usr/bin/env bash
# The load benchmark: a daemon (`genre run`, release) on MovieLens latest-small in a scratch database
# `load` on the local cluster takes RATE events/s (default 500) for LOAD_SECONDS (60) from
# `genre bench load`, which times event → list freshness with probe users. Meanwhile pgbench runs
# CLIENTS (8) clients calling genre.recommend() for random users at READ_RATE (200) calls/s in all, then
# the same clients doing a plain primary-key read at the same rate (the floor), each for a third of the
# run. Before the load, the same pair runs flat out (no rate limit): the most each can serve on this
# machine. (Flat out under load would measure pgbench starving the daemon of CPU, not the daemon.)
#   scripts/bench/load.sh
#   RATE=1000 LOAD_SECONDS=30 scripts/bench/load.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
RATE="${RATE:-500}"
LOAD_SECONDS="${LOAD_SECONDS:-60}"
CLIENTS="${CLIENTS:-8}"
READ_RATE="${READ_RATE:-200}"
DATA="${DATA:-../shared/data/ml-latest-small}"
PGBENCH="${PGBENCH:-/usr/lib/postgresql/15/bin/pgbench}"
WORK="$PWD/.genre/bench-load"
rm -rf "$WORK" && mkdir -p "$WORK"

scripts/dev-postgres.sh start >/dev/null
psql -X -q "$(scripts/dev-postgres.sh admin-url)" -c "DROP DATABASE IF EXISTS load" -c "CREATE DATABASE load OWNER genre" 2>/dev/null
URL="$(scripts/dev-postgres.sh url | sed 's#/genre$#/load#')"
swift build -c release >/dev/null
BIN="$(swift build -c release --show-bin-path)/genre"
"$BIN" install --database-url "$URL" >/dev/null 2>&1
"$BIN" import movielens --dir "$DATA" --database-url "$URL"
echo "==> first build (embeds every item; about a minute)"
"$BIN" run --exit-when-idle --database-url "$URL" >"$WORK/first-build.log" 2>&1

"$BIN" run --database-url "$URL" >"$WORK/daemon.log" 2>&1 &
DAEMON=$!
trap 'kill "$DAEMON" 2>/dev/null || true' EXIT
sleep 3

users=$(psql -X -qtA "$URL" -c "SELECT count(DISTINCT user_id) FROM genre.interactions")
printf '\\set u random(1, %s)\nSELECT * FROM genre.recommend(:u::text, 10);\n' "$users" >"$WORK/recommend.sql"
printf '\\set u random(1, %s)\nSELECT * FROM genre.items WHERE item_id = :u::text;\n' "$users" >"$WORK/primary-key.sql"
# pgbench CLIENTS clients for S seconds on a script (extra options after), per-transaction latencies
# logged for percentiles. With --rate the latency counts from the scheduled start (lag included).
bench() { "$PGBENCH" -n -c "$CLIENTS" -j 2 -T "$2" -f "$WORK/$1.sql" -l --log-prefix="$WORK/$3" "${@:4}" "$URL" >"$WORK/$3.out" 2>&1; }
third=$(( LOAD_SECONDS / 3 ))

echo "==> without load, flat out: genre.recommend() then a primary-key read, $CLIENTS clients, $third s each"
bench recommend "$third" idle-recommend
bench primary-key "$third" idle-primary-key

echo "==> $RATE events/s for $LOAD_SECONDS s, pgbench alongside at $READ_RATE calls/s"
"$BIN" bench load --database-url "$URL" --rate "$RATE" --seconds "$LOAD_SECONDS" --json "$WORK/load.json" >"$WORK/load.out" 2>&1 &
LOAD=$!
sleep 2
bench recommend "$third" load-recommend --rate "$READ_RATE"
bench primary-key "$third" load-primary-key --rate "$READ_RATE"
wait "$LOAD"
cat "$WORK/load.out"

python3 - "$WORK" <<'PY'
import glob, sys
work = sys.argv[1]
def latencies(prefix):
    values = []
    for name in glob.glob(f"{work}/{prefix}.*"):
        if name.endswith(".out"): continue
        for line in open(name):
            parts = line.split()
            if len(parts) >= 3: values.append(int(parts[2]) / 1000.0)
    return sorted(values)
def pct(v, p): return v[min(len(v) - 1, max(0, int(round(p * len(v) + 0.5)) - 1))] if v else float("nan")
print(f"{'':44} {'tx/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
rows = {}
for phase in ("idle", "load"):
    for script in ("recommend", "primary-key"):
        v = latencies(f"{phase}-{script}")
        tps = next((l.split("=")[1].split()[0] for l in open(f"{work}/{phase}-{script}.out") if l.startswith("tps")), "?")
        rows[(phase, script)] = v
        label = f"{'under load, paced' if phase == 'load' else 'no load, flat out'}: " + ("genre.recommend(user, 10)" if script == "recommend" else "primary-key read")
        print(f"{label:44} {tps:>8.8} {pct(v, .5):8.2f} {pct(v, .95):8.2f} {pct(v, .99):8.2f}")
for phase in ("idle", "load"):
    r, k = rows[(phase, "recommend")], rows[(phase, "primary-key")]
    if r and k: print(f"recommend / primary-key p50 {'under load' if phase == 'load' else 'no load'}: {pct(r, .5) / pct(k, .5):.2f}×")
PY
