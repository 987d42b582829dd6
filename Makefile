# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SERVE_STAMP := $(VENV)/.installed-serve
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Serving needs only the runtime dependencies; the test tools (pytest, playwright, mypy, ...)
# come with the first `make test`, `make lint` or `make bench`.
$(SERVE_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $(SERVE_STAMP)

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(TEST_STAMP) $(SERVE_STAMP)

run: $(SERVE_STAMP)
	$(BIN)/hatched serve

test: $(TEST_STAMP)
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The load generator (wrk) and the PostgreSQL baseline (pgbench) come from Debian; they are
# installed only when missing (and say so). py-spy draws the flame graphs.
bench: $(TEST_STAMP)
	@command -v wrk >/dev/null || { echo "installing wrk (apt-get)"; apt-get install -y -qq wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }; }
	@command -v pgbench >/dev/null || { echo "installing pgbench (apt-get postgresql-client)"; apt-get install -y -qq postgresql-client >/dev/null || { apt-get update -qq && apt-get install -y -qq postgresql-client; }; }
	@test -x $(BIN)/py-spy || { echo "installing py-spy (pip)"; $(BIN)/pip install --quiet py-spy; }
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)
	$(BIN)/python -m benchmarks.analytics_reads --write

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
