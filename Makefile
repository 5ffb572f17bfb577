# airflow-rest: every workflow is a target here. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_BOOT ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
AIRFLOW_VERSION ?= $(shell cat spec/AIRFLOW_VERSION)
AIRFLOW_PORT ?= 28080
export AIRFLOW_PORT

.PHONY: help venv spec generate check-generated spec-diff upgrade airflow-up airflow-down airflow-status \
        test test-unit test-faults test-regen test-integration bench lint demo clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements/dev.lock
	@test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements/dev.lock -e ".[dev]"
	@touch $@

venv: $(STAMP) ## create .venv with the project and its dev tools (pinned by requirements/dev.lock)

spec: $(STAMP) ## fetch v1.yaml of AIRFLOW_VERSION (default: spec/AIRFLOW_VERSION) into spec/upstream
	$(PY) scripts/fetch_spec.py --version $(AIRFLOW_VERSION)

generate: $(STAMP) ## apply spec/corrections.yaml and regenerate generated/airflow_rest_v1
	$(PY) scripts/generate.py

check-generated: $(STAMP) ## regenerate into a temporary folder and fail on any difference from generated/
	$(PY) scripts/generate.py --check

spec-diff: $(STAMP) ## FROM=2.10.5 TO=2.11.2: operations and schema fields added, removed, changed
	$(PY) scripts/spec_diff.py $(FROM) $(TO)

upgrade: ## AIRFLOW_VERSION=X: fetch that spec, show what changed, regenerate
	@old=$$(cat spec/AIRFLOW_VERSION); \
	$(MAKE) --no-print-directory spec AIRFLOW_VERSION=$(AIRFLOW_VERSION) && \
	$(PY) scripts/spec_diff.py $$old $(AIRFLOW_VERSION) && \
	$(MAKE) --no-print-directory generate

airflow-up: ## start the local Airflow (webserver + scheduler on 127.0.0.1:AIRFLOW_PORT), installing it if needed
	$(PYTHON_BOOT) scripts/airflow_local.py up

airflow-down: ## stop exactly the Airflow processes airflow-up started
	$(PYTHON_BOOT) scripts/airflow_local.py down

airflow-status: ## say whether the local Airflow is running
	$(PYTHON_BOOT) scripts/airflow_local.py status

test-unit: $(STAMP) ## unit tests (no network)
	$(PY) -m pytest tests/unit -q

test-regen: $(STAMP) ## the corrections re-apply to Airflow 2.8.4 and 2.10.5 and their output imports
	$(PY) -m pytest tests/regen -q

test-fresh: $(STAMP) ## the airflow_fake fixture in a new venv that only installs the built package
	$(PY) -m pytest tests/fresh -q

test-faults: $(STAMP) ## the fault matrix: a misbehaving server on 127.0.0.1 against both clients
	$(PY) -m pytest tests/faults -q

bench: $(STAMP) ## speed as ratios against raw httpx + json.loads (a report, not a gate)
	$(PY) scripts/benchmark.py

test-integration: $(STAMP) ## integration tests against the local Airflow (brought up and down)
	@$(MAKE) --no-print-directory airflow-up; \
	$(PY) -m pytest tests/integration -q; rc=$$?; \
	$(MAKE) --no-print-directory airflow-down; exit $$rc

lint: $(STAMP) ## ruff and mypy --strict on the hand-written code
	$(PY) -m ruff check facade scripts tests
	$(PY) -m ruff format --check facade scripts tests
	$(PY) -m mypy

test: $(STAMP) ## everything CI runs: lint, unit tests, drift gate, other versions, integration suite
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-unit
	$(MAKE) --no-print-directory test-faults
	$(MAKE) --no-print-directory test-fresh
	$(MAKE) --no-print-directory check-generated
	$(MAKE) --no-print-directory test-regen
	$(MAKE) --no-print-directory test-integration

demo: $(STAMP) ## a short tour against the local Airflow (brought up and down)
	@$(MAKE) --no-print-directory airflow-up; \
	$(PY) scripts/demo.py; rc=$$?; \
	$(MAKE) --no-print-directory airflow-down; exit $$rc

clean: ## remove caches (keeps .venv and .airflow)
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis
