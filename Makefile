# Build / dev tooling for the arbitration project.
#   make run     - migrate, load demo data (only into an empty DB), serve on http://127.0.0.1:8000/
#   make test    - run the whole test suite (PYTEST_ARGS="-k foo" to narrow it)
#   make lint    - ruff check + ruff format --check
#   make worker  - Celery worker          make beat - Celery beat scheduler
#   make clean   - remove caches, collected static files and test artifacts
#   make distclean - clean + remove the venv and the local SQLite databases

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# pytest-xdist workers for `make test` (auto: one per CPU; 0 runs in this process).
TEST_WORKERS ?= auto

.PHONY: help venv run test lint format worker beat clean distclean

help:
	@echo "Targets: venv run test lint format worker beat clean distclean"
	@echo "  make run                      # http://$(HOST):$(PORT)/"
	@echo "  make test PYTEST_ARGS='-k x'  # run the test suite"

$(PY):
	@test -n "$(PYTHON)" || { echo "python3.11 / python3 not found" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstall only when a requirements file is newer than the stamp.
$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	PIP_DISABLE_PIP_VERSION_CHECK=1 $(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

venv: $(STAMP)

# The demo may post webhooks to a receiver on this machine (127.0.0.1); production may not.
run: export WEBHOOK_ALLOW_PRIVATE_URLS ?= 1
run: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty
	@echo ""
	@echo "==> Serving on http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	@echo ""
	@# No broker and no beat in the embedded setup: tick the floor once a minute beside the
	@# server (assignment, hand-backs, deadlines, escalations), as beat does in production.
	@( while sleep 60; do $(PY) manage.py floor_tick > /dev/null 2>&1 || true; done ) & \
	  trap 'kill $$! 2> /dev/null' EXIT INT TERM; \
	  $(PY) manage.py runserver $(HOST):$(PORT)

test: venv
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

worker: venv
	$(VENV)/bin/celery -A arbitration worker -l info

beat: venv
	$(VENV)/bin/celery -A arbitration beat -l info

clean:
	rm -rf .pytest_cache .ruff_cache test-artifacts staticfiles
	rm -f celerybeat-schedule*
	find . -path ./$(VENV) -prune -o -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
	rm -f db.sqlite3* test-db.sqlite3*
