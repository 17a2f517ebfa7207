#!/usr/bin/env bash
# The ensemble weights chosen on validation only: each candidate scored on validation splits carved from
# train (10 % held out) of the splits with seeds 42, 1 … 4; the test parts are never read. ~3 min.
cd "$(dirname "$0")/../.." && swift build -c release >/dev/null
G=".build/release/genre eval --dataset ml-100k --data-dir ../shared/data/ml-100k --no-text --validation --validation-fraction 0.1"
for cfg in als ease '{"als":1,"ease":0.5}' '{"als":1,"ease":1}' '{"als":0.5,"ease":1}' '{"als":1,"ease":0.5,"bpr":0.3}' '{"als":1,"ease":0.5,"bpr":0.6}'; do
  echo -n "$cfg: "
  for seed in 42 1 2 3 4; do
    if [ "$cfg" = als ] || [ "$cfg" = ease ]; then $G --split-seed $seed --model $cfg; else $G --split-seed $seed --model ensemble --set "collaborative.ensemble=$cfg"; fi 2>&1 | tail -1 | awk '{printf "%s ", $3}'
  done; echo
done
