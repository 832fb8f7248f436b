# make install | run | test | lint | clean   (see README.md)
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Extra pytest arguments for `make test`, e.g. PYTEST_ARGS="tests/db -x -q".
PYTEST_ARGS ?=

# python3.11 when it runs, else python3 (pyproject requires >= 3.11).
PYTHON := $(shell for p in python3.11 python3; do \
	if $$p -c 'import sys' >/dev/null 2>&1; then echo $$p; break; fi; done)

.PHONY: help install run test lint clean browser-deps

help:
	@echo "make install  create .venv (when missing) and install the project with its test extras"
	@echo "make run      migrate, seed the demo instance, start web app + worker + scheduler"
	@echo "make test     ruff, mypy and the whole pytest suite (PYTEST_ARGS=... for pytest)"
	@echo "make lint     ruff and mypy only"
	@echo "make clean    remove .venv, data/ and caches"

install: $(STAMP)

# Reinstalls only when pyproject.toml is newer than the stamp (or the venv is missing).
$(STAMP): pyproject.toml
	@if ! $(BIN)/python -c 'import sys' >/dev/null 2>&1; then \
		test -n "$(PYTHON)" || { echo "make install: no python3.11 or python3 on PATH" >&2; exit 1; }; \
		echo "==> creating $(VENV) with $(PYTHON)"; \
		$(PYTHON) -m venv --clear $(VENV); \
	fi
	$(BIN)/python -m pip install --disable-pip-version-check -q --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --disable-pip-version-check -q -e '.[test]'
	@touch $@

run: install
	$(BIN)/reportbuilder run

# Debian's chromium and chromium-driver for the dash_duo browser tests. Installed only as
# root; otherwise scripts/run-checks.sh warns and leaves the browser tests out.
browser-deps:
	@if [ ! -x /usr/bin/chromedriver ] && [ "$$(id -u)" -eq 0 ]; then \
		if command -v apt-get >/dev/null 2>&1; then \
			echo "==> installing chromium and chromium-driver (apt-get)"; \
			export DEBIAN_FRONTEND=noninteractive; \
			apt-get update -qq; \
			apt-get install -y -qq chromium chromium-driver; \
		else \
			echo "make test: /usr/bin/chromedriver is missing and there is no apt-get" >&2; \
		fi; \
	fi

# ruff, mypy and pytest (--headless) with PostgreSQL and Redis started where missing.
test: install browser-deps
	scripts/run-checks.sh $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
