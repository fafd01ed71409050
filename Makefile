# Caixiao — two commands: `make run` and `make test` (README "Quick start").
SHELL := /bin/bash
PYTHON_BIN := $(shell scripts/find-python.sh)
PY_MINOR := $(shell $(PYTHON_BIN) -c 'import sys; print(f"{sys.version_info[0]}{sys.version_info[1]}")')
# Python 3.11 only when no 3.12+ exists: Django 5.2 LTS lock (docs/decisions.md, D2).
LOCK_SUFFIX := $(if $(filter 311,$(PY_MINOR)),-py311,)
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test install install-test assets system-deps migrate lint messages openapi events bench clean

$(VENV)/.created:
	$(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	touch $@

# A virtualenv that has the test tools keeps them (the test lock is a superset of the base lock).
$(VENV)/.base: $(VENV)/.created requirements/base$(LOCK_SUFFIX).txt requirements/test$(LOCK_SUFFIX).txt
	if [ -f $(VENV)/.test ]; then \
	  $(UV) pip sync -q --python $(PY) requirements/test$(LOCK_SUFFIX).txt; touch $(VENV)/.test; \
	else \
	  $(UV) pip sync -q --python $(PY) requirements/base$(LOCK_SUFFIX).txt; \
	fi
	touch $@

$(VENV)/.test: $(VENV)/.created requirements/test$(LOCK_SUFFIX).txt
	$(UV) pip sync -q --python $(PY) requirements/test$(LOCK_SUFFIX).txt
	touch $(VENV)/.base; touch $@

install: $(VENV)/.base assets
install-test: $(VENV)/.test assets system-deps

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: node_modules/.installed

# Debian packages the suite needs (chromium for Playwright, a CJK font, gettext for the catalog check).
system-deps:
	@scripts/system-deps.sh

migrate: install
	$(PY) manage.py migrate --noinput

run: install
	$(PY) manage.py serve

test: install-test
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy caixiao config
	$(PY) -m pytest -q $(PYTEST_ARGS)

lint: install-test
	$(PY) -m ruff check . && $(PY) -m ruff format --check .

messages: install-test
	cd caixiao && ../$(PY) ../manage.py makemessages -l zh_Hans --no-obsolete --no-location --ignore='*/tests/*' --ignore='*/migrations/*' --ignore='static/*'
	$(PY) manage.py compilemessages -l zh_Hans --ignore=.venv --ignore=node_modules

openapi: install
	$(PY) manage.py export_openapi --output docs/openapi.json

events: install
	$(PY) manage.py export_events --output docs/events.md

bench: install-test
	$(PY) bench/order_entry.py

clean:
	rm -rf $(VENV) node_modules var/static
