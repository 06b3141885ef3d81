# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install demo test lint migrate clean browser-deps bench audit restore-drill

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	mkdir -p var
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

migrate: install
	mkdir -p var
	$(PY) manage.py migrate --noinput

# With Redis answering on 127.0.0.1:6379, a Celery worker and beat run beside the server (packs
# and reminders go through the queue); without it, tasks run in-process. seed_demo follows suit:
# it queues the demo's report packs for that worker, or builds their public editions in-process.
demo: migrate
	@if $(PY) -c "import socket; socket.create_connection(('127.0.0.1', 6379), 0.5)" 2>/dev/null; then \
	  CELERY_BROKER_URL=$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0} $(PY) manage.py seed_demo; \
	else \
	  $(PY) manage.py seed_demo; \
	fi
	@echo ""
	@if $(PY) -c "import socket; socket.create_connection(('127.0.0.1', 6379), 0.5)" 2>/dev/null; then \
	  export CELERY_BROKER_URL=$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0}; \
	  echo "Redis answers: a Celery worker and beat run beside the server ($$CELERY_BROKER_URL)."; \
	  $(VENV)/bin/celery -A riskreg worker --loglevel=warning & worker=$$!; \
	  $(VENV)/bin/celery -A riskreg beat --loglevel=warning --schedule var/celerybeat-schedule & beat=$$!; \
	  trap 'kill $$worker $$beat 2>/dev/null' EXIT INT TERM; \
	  echo "Serving riskreg on http://$(HOST):$(PORT)/ (Ctrl-C to stop); logins are listed above."; \
	  echo "E-mails (invitations, password resets, reminders) are printed in this terminal: open a link by pasting it into the browser."; \
	  DJANGO_DEBUG=$${DJANGO_DEBUG:-false} $(PY) manage.py runserver $(HOST):$(PORT); \
	else \
	  echo "No Redis on 127.0.0.1:6379: tasks run in-process."; \
	  echo "Serving riskreg on http://$(HOST):$(PORT)/ (Ctrl-C to stop); logins are listed above."; \
	  echo "E-mails (invitations, password resets, reminders) are printed in this terminal: open a link by pasting it into the browser."; \
	  DJANGO_DEBUG=$${DJANGO_DEBUG:-false} $(PY) manage.py runserver $(HOST):$(PORT); \
	fi

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check --quiet .
	$(PY) manage.py makemigrations --check --dry-run

# Known vulnerabilities in the installed packages (pip-audit against PyPI's JSON API), less the
# triaged exceptions in pyproject.toml [tool.riskreg.pip-audit]. Needs the network: it fails,
# saying so, when the vulnerability service cannot be asked (it never passes unasked).
audit: install
	$(PY) .ci/pip_audit.py

# Browser tests drive Debian's Chromium (never a downloaded browser); pack tests read PDFs with
# poppler-utils (pdftotext, pdffonts). Installed from Debian's packages when missing.
browser-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v pdftotext >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's$$missing for the browser and PDF tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "the tests need Debian's$$missing: sudo apt-get install$$missing"; exit 1; fi; \
	fi

test: install lint browser-deps
	$(VENV)/bin/pytest

# Figures, not assertions: prints tables and merges them into bench/results.json (not part of
# make test). Packs, imports, then pages at 10,000 and 100 risks, a Locust load test and
# reminders, the API, and the pages again beside 40 other organisations, on PostgreSQL at
# 127.0.0.1:5432 (README, Performance); then every target with its figure and whether it is met
# (bench/targets.py: figures older than this run are marked so). A piece that fails does not stop
# the others: the summary says "not measured" and make fails at the end.
bench: install
	$(VENV)/bin/pip install --quiet -e '.[test,bench]'
	@started=$$(date -u +%Y-%m-%dT%H:%M:%S+00:00); failed=""; \
	for piece in packs imports run api tenants; do \
	  echo "== bench/$$piece.py"; \
	  $(PY) bench/$$piece.py || failed="$$failed $$piece"; \
	done; \
	$(PY) bench/targets.py --since $$started; \
	if [ -n "$$failed" ]; then echo "failed:$$failed"; exit 1; fi

# Point-in-time recovery rehearsed end to end on PostgreSQL clusters of the drill's own (a
# temporary directory, free ports; never the server on 5432): a base backup, changes, a restore
# point, a careless deletion, then recoveries to the point, to a microsecond and after an unclean
# stop, each checked table by table and export by export (docs/deploy.md, "Restore drill").
# Needs PostgreSQL's server binaries (RISKREG_PG_BIN, else the newest /usr/lib/postgresql/*/bin).
restore-drill: install
	$(PY) ops/restore_drill.py

clean:
	rm -rf $(VENV) var/*.sqlite3 .pytest_cache .ruff_cache
