# After-sales service and complaint handling (售后服务与投诉处理)
#
#   make run    set up, load the demo data once, start web + worker (with beat); Ctrl-C stops
#   make test   set up, lint, Django checks, migrations check, pytest
#
# Configuration comes from the environment (DATABASE_URL, CELERY_BROKER_URL, REDIS_URL, ...);
# without it everything runs embedded: SQLite and a file-based broker under var/.

SHELL := /bin/bash

VENV ?= .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

export VENV PY HOST PORT

.DEFAULT_GOAL := help
.PHONY: help setup install assets messages run test lint bench clean distclean

help:
	@echo "make run        set up, load demo data once, run web + worker; Ctrl-C stops"
	@echo "make test       set up, then ruff, import contracts, manage.py check, makemigrations --check, pytest"
	@echo "make setup      virtualenv, dependencies, translations, migrations, static files"
	@echo "make lint       ruff check"
	@echo "make bench      run the scripts in bench/"
	@echo "make clean      remove caches, collected static files, broker queue, beat schedule"
	@echo "make distclean  clean, and remove .venv and var/ (the local database and uploads)"
	@echo "Options: PORT=8000 HOST=127.0.0.1 PYTEST_ARGS='-k sla'"

# --- setup ---------------------------------------------------------------------------------

# Python 3.11 preferred; a python3 that is 3.11 or 3.12 will do.
define FIND_PYTHON
for candidate in python3.11 python3 python3.12; do
  if command -v "$$candidate" >/dev/null 2>&1 &&
     "$$candidate" -c 'import sys; sys.exit(sys.version_info[:2] not in ((3, 11), (3, 12)))' \
       >/dev/null 2>&1; then
    echo "$$candidate"; exit 0
  fi
done
exit 1
endef
export FIND_PYTHON

$(PY):
	@python="$$(bash -c "$$FIND_PYTHON")" || { \
	  echo "Python 3.11 (or 3.12) is needed: install python3.11 and python3.11-venv." >&2; \
	  exit 1; }; \
	echo "==> creating $(VENV) with $$python"; \
	"$$python" -m venv $(VENV)

# Reinstall only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml | $(PY)
	@echo "==> installing the project and its development tools into $(VENV)"
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

define COMPILE_MESSAGES
[ -d locale ] || exit 0
if ! command -v msgfmt >/dev/null 2>&1; then
  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing gettext (msgfmt) to compile translations"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends gettext >/dev/null
  else
    echo "!!  msgfmt (GNU gettext) is missing, so translations are not compiled and pages" >&2
    echo "!!  show English. Install it: 'sudo apt-get install gettext' or 'brew install gettext'." >&2
    exit 0
  fi
fi
echo "==> compiling translations"
$$PY manage.py compilemessages -v 0 --ignore="$$VENV" --ignore=node_modules --ignore=var
endef
export COMPILE_MESSAGES

messages: $(STAMP)
	@bash -c 'eval "$$COMPILE_MESSAGES"'

# Front-end libraries (ECharts) from npm, reinstalled when package.json changes. Without npm
# the pages still work: the dashboard shows its numbers as tables.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  echo "==> installing front-end packages (npm ci)"; \
	  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error && touch $@ \
	    || echo "!!  npm ci failed: the dashboard's charts are not drawn (its tables are)." >&2; \
	else \
	  echo "!!  npm is missing: the dashboard's charts are not drawn (its tables are)." >&2; \
	fi

assets: node_modules/.installed

setup: $(STAMP) messages assets
	@echo "==> migrating the database"
	@$(MANAGE) migrate --noinput -v 0
	@echo "==> collecting static files"
	@$(MANAGE) collectstatic --noinput -v 0

# --- run -----------------------------------------------------------------------------------

# Web and worker each run in their own process group (set -m), so stopping kills each whole
# group: runserver's autoreloader child and Celery's pool and beat processes included.
define RUN_SERVICES
set -u
URL="http://$$HOST:$$PORT"
export SITE_URL="$${SITE_URL:-$$URL}"
mkdir -p var
set -m
$$PY manage.py runserver "$$HOST:$$PORT" &
web=$$!
$$VENV/bin/celery -A aftersales worker -B -l info --concurrency 2 \
  --schedule var/celerybeat-schedule &
worker=$$!
set +m
stopping=0
stop() {
  [ "$$stopping" = 1 ] && return
  stopping=1
  trap '' INT TERM HUP
  echo; echo "==> stopping web and worker"
  kill -TERM -- "-$$web" 2>/dev/null || true
  kill -TERM "$$worker" 2>/dev/null || true
  for _ in $$(seq 1 60); do
    kill -0 -- "-$$web" 2>/dev/null || kill -0 -- "-$$worker" 2>/dev/null || break
    sleep 0.25
  done
  kill -KILL -- "-$$web" "-$$worker" 2>/dev/null || true
  wait 2>/dev/null || true
  echo "==> stopped"
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM HUP
for _ in $$(seq 1 120); do
  kill -0 "$$web" 2>/dev/null || break
  if $$PY -c "import urllib.request as u; u.urlopen('$$URL/accounts/login/', timeout=2)" \
       >/dev/null 2>&1; then
    echo
    echo "================================================================================"
    echo " After-sales service (售后服务与投诉处理) is running"
    echo
    echo "   Public complaint form   $$URL/c/new/"
    echo "   Staff inbox             $$URL/c/inbox/"
    echo "   Admin                   $$URL/admin/"
    $$PY manage.py seed_demo --logins
    echo
    echo " Worker with beat: logs below. Press Ctrl-C to stop everything."
    echo "================================================================================"
    break
  fi
  sleep 0.5
done
while kill -0 "$$web" 2>/dev/null && kill -0 "$$worker" 2>/dev/null; do
  sleep 1
done
kill -0 "$$web" 2>/dev/null && gone=worker || gone="web server"
echo "!!  the $$gone exited; stopping the rest" >&2
stop
exit 1
endef
export RUN_SERVICES

run: setup
	@$(MANAGE) seed_demo
	@bash -c 'eval "$$RUN_SERVICES"'

# --- checks --------------------------------------------------------------------------------

lint: $(STAMP)
	$(VENV)/bin/ruff check .

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/bandit -r aftersales complaints returns delivery analytics -c pyproject.toml \
	  --severity-level medium --quiet
	$(VENV)/bin/lint-imports
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: setup
	@shopt -s nullglob; scripts=(bench/*.py); \
	if [ $${#scripts[@]} -eq 0 ]; then echo "No benchmarks in bench/."; exit 0; fi; \
	for script in "$${scripts[@]}"; do \
	  case "$$script" in bench/peer_*|bench/seed.py|bench/wrk.py|bench/gunicorn_bench.py) continue;; esac; \
	  echo "==> $$script"; \
	  DJANGO_SETTINGS_MODULE="$${DJANGO_SETTINGS_MODULE:-aftersales.settings}" \
	  PYTHONPATH="$(CURDIR)$${PYTHONPATH:+:$$PYTHONPATH}" $(PY) "$$script" || exit $$?; \
	done

# --- cleaning ------------------------------------------------------------------------------

clean:
	rm -rf staticfiles .pytest_cache .ruff_cache .hypothesis test-artifacts
	rm -rf var/broker var/cache var/celerybeat-schedule var/celerybeat-schedule.*
	find . -path ./$(VENV) -prune -o -path ./node_modules -prune -o \
	  -name __pycache__ -type d -prune -exec rm -rf {} +
	[ ! -d locale ] || find locale -name '*.mo' -delete

distclean: clean
	rm -rf $(VENV) var
