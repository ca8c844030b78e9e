# The two commands a new machine needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# PostgreSQL for the test suite (pytest-django creates and drops test_<name>).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/robeing
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
DEMO_TURNS ?= 2000
PORT ?= 8000
# make run writes it once if missing; settings read it (robeing_site/settings.py).
ENV_FILE ?= .env

.PHONY: run test lint install browser worker beat clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

## run: the whole system on this machine (SQLite + filesystem broker unless
## DATABASE_URL / CELERY_BROKER_URL say otherwise): migrate, demo data, then
## the Procfile through honcho: gunicorn on http://127.0.0.1:$(PORT)/, a Celery
## worker and beat. Ctrl-C stops all three.
# honcho starts each Procfile process in a session of its own, so a terminal's
# Ctrl-C reaches make and honcho (exec: no shell in between) but none of them;
# honcho then sends each process group one SIGTERM (the Procfile says how the
# worker takes it). It SIGKILLs what still runs a while after the first one
# stopped: 5 s, a constant with no option yet (nickstenning/honcho#189), is less
# than the 5-6 s a Celery worker on the filesystem broker needs to stop; 8 s here.
# --env /dev/null: settings read $(ENV_FILE) themselves, the real environment
# first, as for every other command (honcho's own .env would win over it).
HONCHO := $(BIN)/python -c 'import sys, honcho.command, honcho.manager; honcho.manager.KILL_WAIT = 8; sys.exit(honcho.command.main())'
run: install $(ENV_FILE)
	export DEBUG=$${DEBUG:-true} PATH="$(CURDIR)/$(BIN):$$PATH" PYTHONUNBUFFERED=1; \
	$(BIN)/python manage.py migrate --noinput && \
	$(BIN)/python manage.py seed_demo --turns $(DEMO_TURNS) && \
	$(BIN)/python manage.py aggregate_stats && \
	exec $(HONCHO) start --env /dev/null --port $(PORT)

# The settings file manage.py reads (ENV_FILE, as in robeing_site/settings.py),
# written once so that manage.py in a plain shell runs as `make run` does: DEBUG
# and a SECRET_KEY of this machine's own. Never overwritten. Production has none.
$(ENV_FILE):
	key=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))') && \
	umask 077 && { \
		echo '# Local development settings, written once by make run (all: .env.example).'; \
		echo '# Production has no .env: it sets these in its own environment.'; \
		echo 'DEBUG=true'; \
		echo "SECRET_KEY=$$key"; \
	} > $@.tmp && mv $@.tmp $@

## test: lint, the whole suite on PostgreSQL, then again on SQLite (the
## embedded default), skipping the PostgreSQL-only tests there.
test: install lint browser
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
		$(BIN)/python -m pytest $(PYTEST_ARGS)
	env -u DATABASE_URL -u REDIS_URL VAR_DIR=$$(mktemp -d) \
		$(BIN)/python -m pytest -q $(PYTEST_ARGS)

## browser: Debian's Chromium (and Korean fonts, for readable screenshots) for
## the Playwright tests, installed through apt when missing; never downloaded.
browser:
	@command -v chromium >/dev/null && fc-list :lang=ko | grep -q . || \
		{ apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

worker: install
	$(BIN)/celery -A robeing_site worker --loglevel=INFO

beat: install
	$(BIN)/celery -A robeing_site beat --loglevel=INFO \
		--scheduler django_celery_beat.schedulers:DatabaseScheduler

clean:
	rm -rf $(VENV) var
