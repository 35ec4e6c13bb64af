# Two set-up commands: `make demo` and `make test`. Everything else is a detail.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DB     ?= walkaway-demo.db

# What `make test` runs once scripts/test-services has brought up what the tests need
# (Chromium, PostgreSQL on 127.0.0.1:5432), and stops what it started afterwards.
TEST_STEPS ?= lint typecheck pytest
# The suite runs on every core (pytest-xdist), a test module to a worker so a module's
# fixtures are built once; PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= auto

.PHONY: demo test pytest lint typecheck bench clean install install-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/walkaway demo --db $(DB)

lint: install-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports

typecheck: install-test
	$(BIN)/mypy

test: install-test
	bash scripts/test-services $(MAKE) --no-print-directory $(TEST_STEPS)

pytest: install-test
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadscope

bench: install-test
	$(BIN)/python benchmarks/import_bench.py

clean:
	rm -rf $(VENV) build dist *.egg-info walkaway-demo.db* walkaway.db*
