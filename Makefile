# Demo Bank: `make run` serves the app, `make test` checks everything.
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 5000
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test lint typecheck pytest install install-dev upgrade serve screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

upgrade: install
	$(BIN)/flask db upgrade

## run: create .venv, install, upgrade the database, serve on http://$(HOST):$(PORT)
## (in development PUBLIC_BASE_URL follows HOST and PORT unless you set it)
run: upgrade
	HOST=$(HOST) PORT=$(PORT) $(BIN)/flask run --host $(HOST) --port $(PORT)

## test: ruff, mypy --strict and pytest
test: install-dev lint typecheck pytest

lint: install-dev
	$(BIN)/ruff check .

typecheck: install-dev
	$(BIN)/mypy --strict app

pytest: install-dev
	$(BIN)/python -m pytest

## serve: production-style server (gunicorn.conf.py) on the environment's PORT (default 8000)
serve: upgrade
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

## screenshots: every main page at 1280 and 375 px, light and dark, in screenshots/
screenshots: install-dev
	$(BIN)/python -m tests.screenshots

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache tests/artifacts screenshots
