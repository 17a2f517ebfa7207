#!/usr/bin/env bash
# Side by side, same files, same machine, same run: GENRE's ALS and BPR (`genre bench collaborative`, release
# build) against implicit (PyPI) with the same factors, regularisation and iterations: training seconds,
# top-10-for-every-user seconds, nDCG@10 of both. Datasets: ml-100k (per-item 75/25 split) and a seeded
# power-law synthetic set (scripts/bench/implicit_side_by_side.py documents the generator).
#   SYNTHETIC=small|full|none (default full: 200k users x 50k items x ~5M interactions)
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA="${GENRE_DATA_DIR:-../shared/data}"
VENV=.genre/bench-venv-implicit
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet implicit==0.7.3 numpy scipy threadpoolctl
fi
swift build -c release >/dev/null
BIN="$(swift build -c release --show-bin-path)/genre"
PY="$VENV/bin/python scripts/bench/implicit_side_by_side.py"
OUT=.genre/bench-collaborative && mkdir -p "$OUT/ml-100k" "$OUT/synthetic"
[ -s "$OUT/ml-100k/train.csv" ] || $PY generate-ml100k "$DATA/ml-100k" "$OUT/ml-100k"
SETS="ml-100k"
case "${SYNTHETIC:-full}" in
  none) ;;
  *) [ -s "$OUT/synthetic/train.csv" ] || $PY generate-synthetic "$OUT/synthetic"; SETS="$SETS synthetic" ;;
esac

: > "$OUT/results.jsonl"
for set in $SETS; do
  # model factors regularisation alpha iterations learning-rate GENRE's BPR negatives (implicit draws by popularity)
  for spec in "als 64 50 5 15 0 uniform" "bpr 64 0.01 0 100 0.01 uniform" "bpr 64 0.01 0 100 0.01 popularity"; do
    read -r model f r a it lr neg <<<"$spec"
    # Interleaved, so drift on this shared machine hits both alike.
    g=$("$BIN" bench collaborative --train "$OUT/$set/train.csv" --test "$OUT/$set/test.csv" --model "$model" \
          --factors "$f" --regularization "$r" --alpha "$a" --iterations "$it" --learning-rate "$lr" --negatives "$neg")
    i=$($PY run "$model" "$OUT/$set/train.csv" "$OUT/$set/test.csv" "$f" "$r" "$a" "$it" "$lr")
    echo "{\"set\":\"$set\",\"negatives\":\"$neg\",\"genre\":$g,\"implicit\":$i}" | tee -a "$OUT/results.jsonl"
  done
done
"$VENV/bin/python" - "$OUT/results.jsonl" <<'PY'
import json, sys
print(f"{'set':10} {'model':10} {'train s (genre/implicit)':>26} {'ratio':>6} {'top-10 all s':>20} {'ratio':>6} {'nDCG@10 genre/implicit':>24}")
for line in open(sys.argv[1]):
    r = json.loads(line); g, i = r["genre"], r["implicit"]
    label = g['model'] + ("-pop" if r.get("negatives") == "popularity" else "")
    print(f"{r['set']:10} {label:10} {g['train_seconds']:12.2f} / {i['train_seconds']:<11.2f} {g['train_seconds']/i['train_seconds']:6.2f} "
          f"{g['recommend_seconds']:9.2f} / {i['recommend_seconds']:<8.2f} {g['recommend_seconds']/i['recommend_seconds']:6.2f} "
          f"{g['ndcg']:11.4f} / {i['ndcg']:.4f}")
PY
