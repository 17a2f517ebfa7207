#!/usr/bin/env bash
# MovieLens-100k under the Microsoft Recommenders protocol, repeated over several split seeds: how much of a
# difference between two models is the split's noise. Prints nDCG@10 per seed and model, then each model's
# mean and standard deviation, and how often each model beats ALS on the same split (paired).
#   scripts/bench/ml100k_split_seeds.sh                    # seeds 42 1 2 … 10
#   SEEDS="42 1 2" MODELS="als ensemble" scripts/bench/ml100k_split_seeds.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA="${DATA:-../shared/data/ml-100k}"
SEEDS="${SEEDS:-42 1 2 3 4 5 6 7 8 9 10}"
MODELS="${MODELS:-als ease bpr ensemble}"
[ -f "$DATA/u.data" ] || { echo "no MovieLens-100k at $DATA (set DATA=…)" >&2; exit 1; }
swift build -c release >/dev/null
out="$(mktemp -d)"
for seed in $SEEDS; do
  args=(); for m in $MODELS; do args+=(--model "$m"); done
  .build/release/genre eval --dataset ml-100k --data-dir "$DATA" --no-text --split-seed "$seed" "${args[@]}" \
    --json "$out/$seed.json" "$@" >/dev/null
done
python3 - "$out" $SEEDS <<'PY'
import json, statistics, sys
folder, seeds = sys.argv[1], sys.argv[2:]
runs = {s: json.load(open(f"{folder}/{s}.json")) for s in seeds}
runs = {s: (r if isinstance(r, list) else [r]) for s, r in runs.items()}
models = [r["model"] for r in runs[seeds[0]]]
ndcg = {m: [next(r["metrics"]["ndcg"] for r in runs[s] if r["model"] == m) for s in seeds] for m in models}
print("seed  " + "  ".join(f"{m:>9}" for m in models))
for i, s in enumerate(seeds):
    print(f"{s:>4}  " + "  ".join(f"{ndcg[m][i]:9.4f}" for m in models))
print("mean  " + "  ".join(f"{statistics.mean(ndcg[m]):9.4f}" for m in models))
print("sd    " + "  ".join(f"{statistics.stdev(ndcg[m]) if len(seeds) > 1 else 0:9.4f}" for m in models))
if "als" in ndcg:
    for m in models:
        if m == "als": continue
        diffs = [a - b for a, b in zip(ndcg[m], ndcg["als"])]
        wins = sum(d > 0 for d in diffs)
        print(f"{m} vs als on the same split: mean {statistics.mean(diffs):+.4f}, better on {wins} of {len(diffs)}")
PY
