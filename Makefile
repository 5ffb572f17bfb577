# airflow-rest: every workflow is a target here. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_BOOT ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
AIRFLOW_VERSION ?=
AIRFLOW_PORT ?= 28080
export AIRFLOW_PORT
AIRFLOW3_PORT ?= 28180
export AIRFLOW3_PORT

.PHONY: help venv spec generate check-generated spec-diff upgrade airflow-up airflow-down airflow-status \
        airflow3-up airflow3-down airflow3-status \
        test test-unit test-faults test-regen test-fresh test-integration test-integration-v2 bench lint demo clean

help: ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements/dev.lock
	@test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements/dev.lock -e ".[dev]"
	@touch $@

venv: $(STAMP) ## create .venv with the project and its dev tools (pinned by requirements/dev.lock)

spec: $(STAMP) ## AIRFLOW_VERSION=X (2.x or 3.x): fetch its spec into spec/<api>/upstream and pin it (default: re-fetch both pins)
	@for version in $(or $(AIRFLOW_VERSION),$$(cat spec/v1/AIRFLOW_VERSION spec/v2/AIRFLOW_VERSION)); do \
		$(PY) scripts/fetch_spec.py --version $$version || exit 1; done

generate: $(STAMP) ## apply spec/<api>/corrections.yaml and facts.yaml; regenerate generated/airflow_rest_v1 and _v2
	$(PY) scripts/generate.py

check-generated: $(STAMP) ## regenerate into a temporary folder and fail on any difference from generated/
	$(PY) scripts/generate.py --check

spec-diff: $(STAMP) ## FROM=2.10.5 TO=2.11.2 (or across majors, TO=3.3.2): what changed between two releases
	$(PY) scripts/spec_diff.py $(FROM) $(TO)

upgrade: $(STAMP) ## AIRFLOW_VERSION=X (2.x or 3.x): fetch that spec, show what changed, regenerate
	@test -n "$(AIRFLOW_VERSION)" || { echo "usage: make upgrade AIRFLOW_VERSION=3.4.0"; exit 2; }; \
	old=$$($(PY) scripts/majors.py pinned $(AIRFLOW_VERSION)) && \
	$(MAKE) --no-print-directory spec AIRFLOW_VERSION=$(AIRFLOW_VERSION) && \
	$(PY) scripts/spec_diff.py $$old $(AIRFLOW_VERSION) && \
	$(MAKE) --no-print-directory generate

airflow-up: ## start the local Airflow (webserver + scheduler on 127.0.0.1:AIRFLOW_PORT), installing it if needed
	$(PYTHON_BOOT) scripts/airflow_local.py up

airflow-down: ## stop exactly the Airflow processes airflow-up started
	$(PYTHON_BOOT) scripts/airflow_local.py down

airflow-status: ## say whether the local Airflow is running
	$(PYTHON_BOOT) scripts/airflow_local.py status

airflow3-up: ## start the local Airflow 3 (api-server, scheduler, dag-processor, triggerer on 127.0.0.1:AIRFLOW3_PORT)
	$(PYTHON_BOOT) scripts/airflow_local.py up --major 3

airflow3-down: ## stop exactly the Airflow 3 processes airflow3-up started
	$(PYTHON_BOOT) scripts/airflow_local.py down --major 3

airflow3-status: ## say whether the local Airflow 3 is running
	$(PYTHON_BOOT) scripts/airflow_local.py status --major 3

test-unit: $(STAMP) ## unit tests (no network)
	$(PY) -m pytest tests/unit -q

test-regen: $(STAMP) ## corrections re-apply to older 2.x and 3.x specs and their output imports; spec-diff on real specs
	$(PY) -m pytest tests/regen -q

test-fresh: $(STAMP) ## the built wheel in a new venv: the airflow_fake fixture, and mypy on a user's service
	$(PY) -m pytest tests/fresh -q

test-faults: $(STAMP) ## the fault matrix: a misbehaving server on 127.0.0.1 against both clients
	$(PY) -m pytest tests/faults -q

bench: $(STAMP) ## speed as ratios against raw httpx + json.loads (a report, not a gate)
	$(PY) scripts/benchmark.py

test-integration: $(STAMP) ## integration tests against the local Airflow 2 (brought up and down)
	@$(MAKE) --no-print-directory airflow3-down >/dev/null; \
	$(MAKE) --no-print-directory airflow-up; \
	$(PY) -m pytest tests/integration -q; rc=$$?; \
	$(MAKE) --no-print-directory airflow-down; exit $$rc

test-integration-v2: $(STAMP) ## integration tests against the local Airflow 3 (brought up and down; AIRFLOW3_VERSION=3.0.6 for another)
	@$(MAKE) --no-print-directory airflow-down >/dev/null; \
	$(MAKE) --no-print-directory airflow3-up; \
	$(PY) -m pytest tests/integration_v2 -q; rc=$$?; \
	$(MAKE) --no-print-directory airflow3-down; exit $$rc

lint: $(STAMP) ## ruff and mypy --strict on the hand-written code
	$(PY) -m ruff check facade scripts tests
	$(PY) -m ruff format --check facade scripts tests
	$(PY) -m mypy

test: $(STAMP) ## everything CI runs: lint, unit tests, drift gate, other versions, both integration suites
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-unit
	$(MAKE) --no-print-directory test-faults
	$(MAKE) --no-print-directory test-fresh
	$(MAKE) --no-print-directory check-generated
	$(MAKE) --no-print-directory test-regen
	$(MAKE) --no-print-directory test-integration
	$(MAKE) --no-print-directory test-integration-v2

demo: $(STAMP) ## a short tour against the local Airflow (brought up and down)
	@$(MAKE) --no-print-directory airflow-up; \
	$(PY) scripts/demo.py; rc=$$?; \
	$(MAKE) --no-print-directory airflow-down; exit $$rc

clean: ## remove caches (keeps .venv and .airflow)
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis
