#!/usr/bin/env bash
# `make test-llm`: the llama.cpp tier. Starts the local OpenAI-compatible server (scripts/llm-server.sh:
# llama-cpp-python + SmolLM2-135M-Instruct, installed on first use) and runs the tests that talk to it
# against the test cluster `make test` prepares (GENRE_TEST_DATABASE_URL must be set, as scripts/test.sh does).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${GENRE_TEST_DATABASE_URL:-}" ] || { echo "test-llm: run through scripts/test.sh (make test), which prepares the database" >&2; exit 2; }
URL="$(scripts/llm-server.sh start)"
trap 'scripts/llm-server.sh stop' EXIT
GENRE_TEST_LLM_URL="$URL" swift test --skip-build --filter 'RealProviderTests'
