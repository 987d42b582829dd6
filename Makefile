# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/hatched serve

test: $(STAMP)
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The load generator (wrk) and the PostgreSQL baseline (pgbench) come from Debian; they are
# installed only when missing (and say so). py-spy draws the flame graphs.
bench: $(STAMP)
	@command -v wrk >/dev/null || { echo "installing wrk (apt-get)"; apt-get install -y -qq wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }; }
	@command -v pgbench >/dev/null || { echo "installing pgbench (apt-get postgresql-client)"; apt-get install -y -qq postgresql-client >/dev/null || { apt-get update -qq && apt-get install -y -qq postgresql-client; }; }
	@test -x $(BIN)/py-spy || { echo "installing py-spy (pip)"; $(BIN)/pip install --quiet py-spy; }
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
