# The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi

.PHONY: run test lint format bench system-deps clean

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall whenever a requirements file changes.
$(STAMP): $(PY) requirements.txt requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# Debian packages the tests and the offline voice need (Chromium, espeak-ng).
system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v espeak-ng >/dev/null || missing="$$missing espeak-ng"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "please install:$$missing (sudo apt-get install$$missing)"; \
	  fi; \
	fi

run: $(STAMP)
	@scripts/ensure_services.sh redis
	$(PY) -m scripts.dev_setup
	$(VENV)/bin/honcho start -f Procfile

test: $(STAMP) system-deps
	@scripts/ensure_services.sh redis postgres
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest -n 2 --dist loadgroup

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Every benchmark, one after another, at the sizes docs/benchmarks.md
# reports (about 35 minutes on 2 cores). Run it on a quiet machine.
bench: $(STAMP)
	@scripts/ensure_services.sh redis postgres
	$(PY) -m bench.import_directory --students 200000 --repeat 1
	$(PY) -m bench.fanout --households 50000 --workers 4
	$(PY) -m bench.attendance --absences 10000 --languages 20 --dial --cps 50
	$(PY) -m bench.load --households 50000 --students 80000 --staff 50 \
		--seconds 60 --callback-rate 200

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
