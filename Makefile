# IndustryBrain — the two commands a newcomer needs: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
IB := $(BIN)/industrybrain
ENTERPRISES ?= 20000
SEED ?= 2023
DEMO_SETTINGS := industrybrain.settings.dev

.PHONY: demo test install assets messages lint typecheck unit browser serve worker bench clean

## install: virtual environment from the lock file, front-end packages from package.json
install: $(VENV)/.installed node_modules/.installed messages

$(VENV)/.installed: requirements.lock pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: node_modules/.installed

messages: $(VENV)/.installed
	@if ! command -v msgfmt >/dev/null; then \
	  echo "msgfmt (gettext) not found: the English translation is not compiled; the Chinese UI is unaffected"; \
	elif [ -d src/industrybrain/locale ]; then \
	  cd src/industrybrain && DJANGO_SETTINGS_MODULE=$(DEMO_SETTINGS) ../../$(BIN)/python -m django compilemessages -v0; \
	fi

## demo: install, migrate, build the demo province (once), serve it with the background worker
demo: install
	DJANGO_SETTINGS_MODULE=$(DEMO_SETTINGS) $(IB) demo --enterprises $(ENTERPRISES) --seed $(SEED)

serve: install
	DJANGO_SETTINGS_MODULE=$(DEMO_SETTINGS) $(IB) serve

worker: install
	DJANGO_SETTINGS_MODULE=$(DEMO_SETTINGS) $(IB) worker

## test: lint, types, and the whole suite (unit, integration, API, browser) on the configured database
test: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests bench

typecheck: install
	$(BIN)/mypy src

unit: install
	$(BIN)/pytest -m "not browser" $(PYTEST_ARGS)

browser: install
	$(BIN)/pytest -m browser $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf var/test.sqlite3 var/test-media var/screenshots
