# The two commands a newcomer needs:  `make plan` (offline plan of a stack) and `make test`.
# Each sets up its own environment on first use (scripts/bootstrap.sh).
STACK ?= dev
VENV := .venv/bin
# pytest keeps its rewritten test modules (and Python the compiled sources) in __pycache__/
# (gitignored) so a second run skips recompiling them; some shells set PYTHONDONTWRITEBYTECODE.
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(VENV)/python -m pytest

.PHONY: plan plan-all test test-fast lint typecheck checkov bench setup setup-test

plan: setup            ## offline plan of STACK (default dev): make plan STACK=prod
	$(VENV)/blueprint plan $(STACK)

plan-all: setup        ## every stack in one process
	$(VENV)/blueprint plan --all

test: setup-test       ## the whole test suite, offline
	$(PYTEST)

test-fast: setup-test  ## everything but the Spark/Redis job tests (marker `job`)
	$(PYTEST) -m "not job"

lint: setup            ## ruff, and the import contracts of pyproject.toml (one-way layers)
	$(VENV)/ruff check . && $(VENV)/ruff format --check . && $(VENV)/lint-imports --no-cache

typecheck: setup
	$(VENV)/mypy infra policies/streaming_policies jobs/streaming_job canary/rpo_canary

checkov:               ## checkov (pinned, own venv, offline) over every stack's Terraform plan export
	scripts/checkov.sh

bench: setup           ## plan time per stack and import cost
	$(VENV)/python bench/plan_benchmark.py

setup:
	@scripts/bootstrap.sh

setup-test:
	@scripts/bootstrap.sh --test
