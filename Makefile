# One entry point for set-up and the everyday commands. Every target builds what it needs.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME := $(CURDIR)/.dagster_home
export DBT_PROFILES_DIR := $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1
export PYTHONPATH := $(CURDIR)

DBT_SOURCES := $(shell find dbt_project -type f 2>/dev/null) dbt_project.yml profiles.yml

.PHONY: setup run test ui sample-data docs bench reliability validate clean

PLAIN_EXTRACT := orchestration/parsing/_plain_extract.so

setup: $(VENV)/.installed $(PLAIN_EXTRACT) target/manifest.json $(DAGSTER_HOME)/dagster.yaml

# The environment: exact pins of every package from constraints.txt. The project's own code
# is not installed: PYTHONPATH (exported above) points at the repository.
$(VENV)/.installed: constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r constraints.txt
	touch $@

# The detail extract's fast path, a C function the loader calls through ctypes.
$(PLAIN_EXTRACT): orchestration/parsing/plain_extract.c
	$(CC) -O2 -Wall -Wextra -Werror -shared -fPIC -o $@ $<

# dagster-dbt loads the manifest at import time; `dbt parse` writes it offline.
target/manifest.json: $(VENV)/.installed $(DBT_SOURCES)
	$(BIN)/dbt parse --quiet
	touch $@

$(DAGSTER_HOME)/dagster.yaml: orchestration/dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp orchestration/dagster.yaml $@

sample-data: $(VENV)/.installed
	$(BIN)/python -m tools.sample_data --out data/landing

# The main job on the shipped sample data: generate, ingest, dbt build, publish, print the headline.
run: setup sample-data
	$(BIN)/python -m orchestration.cli refresh

# PYTEST_ARGS=--run-slow adds the slow suites (fault injection, daemon end-to-end); CI does.
test: setup
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

ui: setup
	$(BIN)/python -m orchestration.cli ui

# The code location of [tool.dg] in pyproject.toml, loaded as `make ui` serves it.
validate: setup
	$(BIN)/dg check defs

docs: setup
	$(BIN)/dbt docs generate --quiet
	@echo "dbt docs: target/index.html (serve with: $(BIN)/dbt docs serve --host 127.0.0.1)"

bench: setup
	$(BIN)/python -m tools.bench

reliability: setup
	$(BIN)/python -m tools.reliability_report

clean:
	rm -rf target logs data/landing data/quarantine data/published data/*.duckdb* $(DAGSTER_HOME)
