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

.PHONY: setup fast-path run test ui dashboard sample-data docs bench reliability validate clean

setup: $(VENV)/.installed fast-path target/manifest.json $(DAGSTER_HOME)/dagster.yaml

# The environment: exact pins of every package from constraints.txt. The project's own code
# is not installed: PYTHONPATH (exported above) points at the repository.
$(VENV)/.installed: constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r constraints.txt
	touch $@

# The package's own build (setup.py): the loader's C fast path, an optional extension. With
# no C compiler it warns and the loader takes the Python path. It runs on every set-up
# (build_ext skips what is up to date), so a compiler installed later is used.
fast-path: $(VENV)/.installed
	$(BIN)/python -W ignore::UserWarning setup.py --quiet build_ext --inplace

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

# The desk dashboard over the published file: http://127.0.0.1:8501 (DASHBOARD_PORT moves it).
dashboard: setup
	$(BIN)/python -m dashboard

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
	rm -rf build target logs data/landing data/quarantine data/lake data/published data/*.duckdb* $(DAGSTER_HOME)
