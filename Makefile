# One task runner for everything. `make up` and `make test` are all a fresh clone needs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
BENCH_VENV ?= .bench-venv

.PHONY: up test lint format bench bench-peers install install-test clean

$(PY):
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PIP) install -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

## Start Flowwright (api + worker + scheduler) on the embedded SQLite database.
up: install
	$(VENV)/bin/flowwright up

## Run the whole test suite (PostgreSQL tests run when the server is reachable; always under CI).
test: install-test
	$(PY) -m pytest $(PYTEST_ARGS)

## ruff (lint + format check), mypy (strict) and the import-linter contracts.
lint: install-test
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

format: install-test
	$(VENV)/bin/ruff check --fix src tests bench
	$(VENV)/bin/ruff format src tests bench

## Benchmarks: each script prints its figures; results land in bench/results/.
## The peers (LangGraph, Celery, DBOS) live in their own environment, $(BENCH_VENV); when they
## cannot be installed the engine benchmark reports them as n/a and carries on.
bench: install-test bench-peers
	@for script in bench/*_bench.py; do echo "== $$script"; $(PY) $$script || exit 1; done

bench-peers:
	@test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV) || true
	@if test -x $(BENCH_VENV)/bin/python && ! cmp -s bench/requirements-peers.txt $(BENCH_VENV)/.installed; then \
		$(BENCH_VENV)/bin/python -m pip --disable-pip-version-check -q install -r bench/requirements-peers.txt \
			&& cp bench/requirements-peers.txt $(BENCH_VENV)/.installed \
			|| echo "warning: the benchmark peers could not be installed; they will be reported as n/a"; \
	fi

clean:
	rm -rf $(VENV) $(BENCH_VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
