# The two commands of the README: `make run` (install + start on SQLite) and `make test` (everything CI runs).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
# The suite on two worker processes, each test file whole on one worker (its module fixtures made once);
# `make unit PYTEST_WORKERS=0` runs it in this one process.
PYTEST_WORKERS ?= 2

.PHONY: run test install install-test lint unit coverage-gates bench node-deps image

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Stamp files: installing again only when pyproject.toml changed (the install is editable, so
# source edits need no reinstall).
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

# newman (the TMF620 conformance kit runner) comes from npm, pinned by package-lock.json.
node-deps:
	@if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; fi

run: install
	$(BIN)/offer-catalog serve

lint: install-test
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: install-test node-deps
	$(BIN)/pytest --cov --cov-report= -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

coverage-gates:
	$(BIN)/coverage report --include='src/offer_catalog/patch/*' --fail-under=98 --skip-covered
	$(BIN)/coverage report --include='src/offer_catalog/decisioning/engine.py,src/offer_catalog/decisioning/pql/*' --fail-under=95 --skip-covered

test: lint unit coverage-gates

# The container image on a locally built Debian base (needs root, podman and debootstrap; not in CI).
image:
	scripts/build-image.sh

bench: install-test
	$(BIN)/python bench/store.py
	$(BIN)/python bench/patch.py
