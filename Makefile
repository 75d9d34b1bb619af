# Organising Academy: `make run` serves the app, `make test` runs the whole suite.
# Needs only Python 3.11+ and make; everything else is installed here.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app academy
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint format migration bench clean system-packages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Debian packages the app and the browser tests need (WeasyPrint's font
# subsetting, Chromium for Playwright). Installed only where missing and root.
system-packages:
	@bash scripts/system-packages

run: $(VENV)/.installed system-packages
	$(FLASK) db upgrade
	$(FLASK) academy seed-academies
	$(FLASK) academy curriculum sync
	$(FLASK) academy seed-demo
	@echo "Serving on http://$(HOST):$(PORT)"
	$(FLASK) run --host $(HOST) --port $(PORT)

test: $(VENV)/.installed system-packages
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# A schema change is a new, reviewed Alembic migration: make migration MESSAGE="why".
migration: $(VENV)/.installed
	DATABASE_URL="sqlite:///$$(mktemp -d)/autogenerate.sqlite3" FLASK_ACADEMY_CHECK_CURRICULUM=false \
	  sh -c '$(FLASK) db upgrade && $(FLASK) db migrate -m "$(MESSAGE)"'

bench: $(VENV)/.installed system-packages
	@BENCH=1 bash scripts/system-packages
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
