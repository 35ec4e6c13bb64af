# Two set-up commands: `make demo` and `make test`. Everything else is a detail.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DB     ?= walkaway-demo.db

.PHONY: demo test lint typecheck bench clean install install-test

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

test: install-test lint typecheck
	$(BIN)/python -m pytest

bench: install-test
	$(BIN)/python benchmarks/import_bench.py

clean:
	rm -rf $(VENV) build dist *.egg-info walkaway-demo.db* walkaway.db*
