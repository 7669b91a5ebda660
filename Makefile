# aiops — developer tasks. `make all` to run it, `make check` to test it.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The interpreter of .venv: the system's own when it is 3.11 or newer (every account can read
# it: the service account runs aiops's web workers, see docs/security.md), else python3 on PATH.
PYTHON ?= $(shell for p in /usr/bin/python3 python3; do \
  $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
UV ?= $(or $(shell command -v uv 2>/dev/null),.tools/uv/bin/uv)
BIN := .venv/bin
HOST ?= 127.0.0.1
PORT ?= 8000
AIOPS_ADMIN_EMAIL ?= admin@example.com
PID_FILE ?= instance/aiops.pid
LOG_FILE ?= /tmp/aiops.log
SYSTEM_TOOLS ?= git tmux chromium npm
# pytest-xdist workers for `make test`: one more than the 2 cores of a CI machine fills the time
# the others spend waiting on subprocesses, servers and PostgreSQL.
TEST_WORKERS ?= 3
# The integration tests create (and drop) a fresh database on this server.
AIOPS_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
export AIOPS_TEST_POSTGRES_URL
export UV_PYTHON_DOWNLOADS ?= never
# Byte-compile at install time: with PYTHONDONTWRITEBYTECODE set (as on our CI machines), nothing
# is cached at import time and every command would recompile SQLAlchemy (1.2 s per start).
export UV_COMPILE_BYTECODE ?= 1

.PHONY: help sync sync-dev vendor format lint test test-launcher test-file check migrate seed start-dev start stop \
        all bench system-deps clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.tools/uv/bin/uv:
	@echo "uv not found: installing it from PyPI into .tools/uv"
	@$(PYTHON) -m pip --version >/dev/null 2>&1 || $(MAKE) --no-print-directory _pip
	@$(PYTHON) -m pip install --quiet --disable-pip-version-check --target .tools/uv uv \
	  || $(PYTHON) -m pip install --quiet --disable-pip-version-check --break-system-packages --target .tools/uv uv

_pip:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip; \
	else echo "make: pip is missing: install python3-pip (or uv), then run make again" >&2; exit 1; fi

sync: $(UV) vendor  ## make .venv with aiops and its runtime dependencies, and xterm.js
	$(UV) sync --no-dev --inexact --python $(PYTHON)
	$(BIN)/python -m compileall -q src migrations

sync-dev: $(UV) vendor  ## make .venv with the development tools too
	$(UV) sync --python $(PYTHON)
	$(BIN)/python -m compileall -q src migrations

# The browser's terminal: web/package.json's exact versions of xterm.js, installed with npm and
# copied to static/vendor/ (both ignored by git), again only when package.json changes. Pages
# work without them: the read-only pane view.
VENDOR_STAMP := src/aiops/entrypoints/http/static/vendor/.installed
vendor: $(VENDOR_STAMP)  ## install xterm.js (npm) into static/vendor/

$(VENDOR_STAMP): web/package.json web/vendor.sh
	web/vendor.sh
	@touch $@

format: sync-dev  ## ruff format and import sort
	$(BIN)/ruff check --select I --fix src tests bench migrations
	$(BIN)/ruff format src tests bench migrations

lint: sync-dev  ## ruff and mypy (strict on src/)
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/ruff format --check src tests bench migrations
	$(BIN)/mypy

system-deps:  ## install the system tools the tests need (as root), or say which are missing
	@missing=""; for tool in $(SYSTEM_TOOLS); do command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	[ -x /usr/sbin/sshd ] || missing="$$missing openssh-server"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "make: missing system tools:$$missing (install them, e.g. sudo apt-get install$$missing)" >&2; exit 1; fi; \
	fi

test: sync-dev system-deps  ## every test: in parallel (TEST_WORKERS), then the timed ones alone
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup -m "not serial" --ignore=tests/integration/launcher
	$(BIN)/pytest -m serial
	@$(MAKE) --no-print-directory test-launcher

# The launcher is the one process that stays root: its tests run under coverage, and every
# branch must be taken (also in the children it forks, which become other accounts: hence a
# data folder anyone may write to).
test-launcher: sync-dev  ## the launcher's tests, with 100% branch coverage required
	@data=$$(mktemp -d /tmp/aiops-coverage-XXXXXX) && chmod 1777 $$data && \
	export COVERAGE_FILE=$$data/.coverage && \
	$(BIN)/coverage run -m pytest -p no:cacheprovider tests/integration/launcher tests/unit/test_launcher_protocol.py && \
	$(BIN)/coverage combine -q $$data && $(BIN)/coverage report --fail-under=100; \
	status=$$?; rm -rf $$data; exit $$status

test-file: sync-dev system-deps  ## one test file: make test-file FILE=tests/unit/test_tenants.py
	$(BIN)/pytest $(FILE)

check: system-deps lint test  ## the system tools (npm for xterm.js), lint, then every test

migrate: sync  ## upgrade the database schema
	$(BIN)/aiops db upgrade

seed: sync  ## the admin (AIOPS_ADMIN_EMAIL=...), a default tenant and project
	$(BIN)/aiops seed --admin-email $(AIOPS_ADMIN_EMAIL)

start-dev: sync  ## serve on http://$(HOST):$(PORT) with auto reload
	$(BIN)/aiops serve --reload --host $(HOST) --port $(PORT)

start: sync  ## serve in the background (log in /tmp/aiops.log)
	@if [ -f $(PID_FILE) ] && kill -0 "$$(cat $(PID_FILE))" 2>/dev/null; then \
	  echo "aiops already running (pid $$(cat $(PID_FILE)))"; exit 0; fi; \
	mkdir -p $(dir $(PID_FILE)); \
	nohup $(BIN)/aiops serve --host $(HOST) --port $(PORT) >>$(LOG_FILE) 2>&1 & echo $$! >$(PID_FILE); \
	sleep 1; if kill -0 "$$(cat $(PID_FILE))" 2>/dev/null; then \
	  echo "aiops started on http://$(HOST):$(PORT) (pid $$(cat $(PID_FILE)), log $(LOG_FILE))"; \
	else echo "aiops failed to start; last lines of $(LOG_FILE):" >&2; tail -n 5 $(LOG_FILE) >&2; rm -f $(PID_FILE); exit 1; fi

stop:  ## stop the background server
	@if [ -f $(PID_FILE) ] && kill "$$(cat $(PID_FILE))" 2>/dev/null; then echo "aiops stopped"; \
	else echo "aiops is not running"; fi; rm -f $(PID_FILE)

all: sync migrate seed start-dev  ## set up, migrate, seed, and serve with auto reload

bench: sync-dev  ## the benchmarks (figures for docs/performance.md)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/cli_startup.py
	$(BIN)/python bench/agent_event.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/git_status.py
	$(BIN)/python bench/git_scale.py
	$(BIN)/python bench/workspaces.py
	$(BIN)/python bench/trackers.py
	$(BIN)/python bench/issues.py
	$(BIN)/python bench/sessions.py
	$(BIN)/python bench/issue_work.py
	$(BIN)/python bench/terminal.py
	$(BIN)/python bench/resync.py
	$(BIN)/python bench/jobs.py
	$(BIN)/python bench/automation_stream.py
	$(BIN)/python bench/ansible.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/live_status.py --postgres
	$(BIN)/python bench/agent_events.py
	$(BIN)/python bench/agent_status.py
	$(BIN)/python bench/pr_loop.py
	$(BIN)/python bench/metrics.py
	$(BIN)/python bench/oidc_sign_in.py

clean:  ## remove the virtualenv and caches (keeps instance/)
	rm -rf .venv .tools web/node_modules src/aiops/entrypoints/http/static/vendor .mypy_cache .ruff_cache .pytest_cache .hypothesis
