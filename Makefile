# Quick start: `make run` (site on http://127.0.0.1:8000 with demo data) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_RETAILERS ?= 2000
DEMO_MONTHS ?= 12

.PHONY: run test install install-dev lint messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --retailers $(DEMO_RETAILERS) --months $(DEMO_MONTHS)
	$(BIN)/python manage.py run_grading --if-never-run
	$(BIN)/python manage.py plan_visits
	$(BIN)/python manage.py remind_care
	bash scripts/serve.sh

lint: install-dev
	$(BIN)/ruff check .

test: install-dev lint
	DJANGO_ENV=test $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

# Needs GNU gettext (apt-get install gettext); the compiled .mo files are committed.
messages: install-dev
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=bench
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=bench

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
