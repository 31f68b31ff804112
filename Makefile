# agp: the two commands of the README's quick start.
#   make run   - create .venv if missing, install, serve the app on http://127.0.0.1:8050
#   make test  - create .venv if missing, install the test extra, ensure Chromium, run all tests headless
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8050
# Chromium, pytest and tempfile write here, never into $HOME or /tmp.
SCRATCH := $(CURDIR)/.scratch
PYTEST_ARGS ?=

.PHONY: run test install install-test browser bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,deploy]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	@echo "agp: open http://$(HOST):$(PORT)/ (Ctrl+C to stop)"
	$(BIN)/agp serve --host $(HOST) --port $(PORT)

browser:
	@bash scripts/ensure-browser.sh

test: install-test browser
	@rm -rf $(SCRATCH) && mkdir -p $(SCRATCH)/tmp $(SCRATCH)/config $(SCRATCH)/cache
	TMPDIR=$(SCRATCH)/tmp XDG_CONFIG_HOME=$(SCRATCH)/config XDG_CACHE_HOME=$(SCRATCH)/cache \
	MPLCONFIGDIR=$(SCRATCH)/config AGP_HOME=$(SCRATCH)/agp-home \
	$(BIN)/python -m pytest --headless $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(SCRATCH) .pytest_cache
