# Set-up and everyday commands. `make run` and `make test` work on a fresh machine.

# .venv's interpreter: the first Python 3.11 here that can make a virtual environment, Debian's first:
# its libpython is linked into the executable, where pyenv's build loads it as a shared library at each start.
PYTHON ?= $(shell for candidate in /usr/bin/python3.11 python3.11 python3; do \
	$$candidate -c 'import ensurepip, venv, sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null \
	&& command -v $$candidate && break; done)
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) dashboard/manage.py
PG_URL ?= postgres://postgres@127.0.0.1:5432/dashboard
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-sqlite test-postgres install install-test chromium postgres bench serve loadtest sample-data clean

run: install
	$(MANAGE) migrate --no-input
	@if [ ! -f data/user_data.csv ]; then \
		echo "data/ holds no data set: generating sample data"; \
		$(MANAGE) generate_sample_data --out data; \
	fi
	$(MANAGE) import --data-dir data
	$(MANAGE) runserver $(HOST):$(PORT)

test: install-test chromium postgres
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

test-sqlite:
	env -u DATABASE_URL $(VENV)/bin/pytest

test-postgres:
	DATABASE_URL=$(PG_URL) $(VENV)/bin/pytest

install: $(VENV)/.installed node_modules/.installed

install-test: install $(VENV)/.installed-test

$(VENV)/.installed: requirements.txt
	@test -x $(PY) || { python="$(PYTHON)"; \
		test -n "$$python" || { echo "no Python 3.11 here can make a venv (Debian: apt-get install python3.11-venv)" >&2; \
		exit 1; }; \
		echo "$$python -m venv $(VENV)"; $$python -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.txt
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Browser tests drive Debian's Chromium; Playwright's own browser download is never used.
chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

postgres:
	@bash .ci/ensure-postgres

# `make bench SCALE=100` measures the dashboard at a hundred times the customers instead (bench/scale.py).
bench: install-test postgres
	$(if $(SCALE),$(PY) bench/scale.py $(SCALE),$(PY) bench/run.py)

# Production-style serving: DEBUG off (SECRET_KEY must be set), static files collected for whitenoise,
# gunicorn with 2 x CPUs + 1 workers. Requests are logged by the app (logger consumption.request).
serve: install
	DEBUG=$${DEBUG:-0} $(MANAGE) collectstatic --no-input -v0
	DEBUG=$${DEBUG:-0} $(MANAGE) migrate --no-input
	cd dashboard && DEBUG=$${DEBUG:-0} exec ../$(VENV)/bin/gunicorn config.wsgi --bind $(HOST):$(PORT) \
		--workers $${WORKERS:-$$(( 2 * $$(nproc) + 1 ))} --timeout $${TIMEOUT:-60} --graceful-timeout 30 \
		--max-requests 5000 --max-requests-jitter 500

loadtest: install-test postgres
	$(PY) bench/loadtest.py

sample-data: install
	$(MANAGE) generate_sample_data --out data

clean:
	rm -rf $(VENV) node_modules staticfiles db.sqlite3 db.sqlite3-wal db.sqlite3-shm
