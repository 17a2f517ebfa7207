# GENRE — the two commands a newcomer needs: `make demo` and `make test`.
# Both install what is missing (apt packages), start a throwaway local PostgreSQL under .genre/ and build.

SWIFT ?= swift
RELEASE_BIN := .build/release/genre
DEBUG_BIN := .build/debug/genre

.PHONY: all deps build release test test-unit test-integration test-faults test-llm demo-llm test-upgrade test-secrets demo db db-stop clean bench-refresh bench-load print-sql compose-check

all: build

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# Unit tests, integration tests against a real PostgreSQL (own cluster on port 54330), then the fault suite.
test: deps
	@scripts/test.sh

# Every test that needs no database. The embedding tests need the language model: fetched once (pip), then
# a no-op while the cached copy verifies.
test-unit: deps
	$(SWIFT) build --build-tests
	$(DEBUG_BIN) model fetch
	$(SWIFT) test --skip-build --filter 'GenreSupportTests|GenrePostgresTests|GenreRecommendTests|GenreLinearAlgebraTests|GenreTuningTests|GenreEmbeddingTests'

test-faults: deps
	@scripts/test-faults.sh

# The llama.cpp tier alone: a real local OpenAI-compatible server (llama-cpp-python + SmolLM2-135M, built and
# fetched on first use) and the tests that talk to it. Needs the test database `make test` prepares.
test-llm: deps
	@scripts/test-llm.sh

# The database password never reaches a log line or a stored row.
test-secrets: deps build
	@GENRE_BIN=$(DEBUG_BIN) scripts/test-secrets.sh

# Upgrade in place from the first released schema (its SQL is in scripts/upgrade/, so any clone runs it).
test-upgrade: deps build
	@GENRE_BIN=$(DEBUG_BIN) scripts/test-upgrade.sh

# Local PostgreSQL, schema, MovieLens latest-small, daemon until recommendations exist, a user's list.
demo: deps
	@scripts/demo.sh

# A generative model in the loop: the local llama.cpp server (built on first use), features for 40 films.
demo-llm: deps
	@scripts/demo-llm.sh

db:
	@scripts/dev-postgres.sh start

db-stop:
	@scripts/dev-postgres.sh stop

bench-refresh: release
	@scripts/bench-refresh.sh

# 500 events/s for 60 s against a running daemon: freshness, and genre.recommend() under 8 pgbench clients.
bench-load: release
	@scripts/bench/load.sh

print-sql: build
	@$(DEBUG_BIN) print-sql

compose-check:
	docker-compose config -q

clean:
	rm -rf .build .genre
