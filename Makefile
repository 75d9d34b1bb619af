# Organising Academy: `make run` serves the app, `make test` runs the whole suite.
# Needs only Python 3.11+ and make; everything else is installed here.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app academy
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint format migration bench clean system-packages check-lock lock wheel

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Exactly what the lock says, every file checked against its hash; then the
# project itself, editable, adding nothing (its dependencies are all locked).
# A change to either lock or to pyproject.toml reinstalls.
$(VENV)/.installed: requirements-dev.lock requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# Fails, naming the problem, when the locks and pyproject.toml disagree.
check-lock: $(VENV)/.installed
	@$(BIN)/python scripts/check_lock.py

# Rewrite the locks from pyproject.toml's ranges, from PyPI alone (whatever pip's
# own configuration on this machine says), for every platform and Python 3.11+.
# Versions already locked are kept unless pyproject.toml excludes them:
#   make lock LOCK_ARGS=--upgrade                   everything to the newest allowed
#   make lock LOCK_ARGS="--upgrade-package flask"   one package
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 \
	--generate-hashes --index-url https://pypi.org/simple --custom-compile-command "make lock" \
	--quiet $(LOCK_ARGS)
lock: | $(BIN)/python
	@# A venv not yet installed from the locks (or whose lock is broken) gets the tools alone.
	@test -x $(BIN)/uv && $(BIN)/python -c 'import packaging' 2>/dev/null || \
	  $(BIN)/pip install --quiet 'uv>=0.5,<0.14' 'packaging>=24,<27'
	$(UV_COMPILE) -o requirements.lock
	$(UV_COMPILE) --extra dev --constraint requirements.lock -o requirements-dev.lock
	@$(BIN)/python scripts/check_lock.py

# The wheel production installs (with requirements.lock): dist/organising_academy-*.whl.
# (build/ is emptied first: setuptools would otherwise pack files deleted since.)
wheel: $(VENV)/.installed
	rm -rf build
	$(BIN)/pip wheel --quiet --no-deps --no-build-isolation --wheel-dir dist .

# Debian packages the app and the tests need (WeasyPrint's font
# subsetting, Chromium for Playwright, systemd and nginx to check deploy/).
# Installed only where missing and root.
system-packages:
	@bash scripts/system-packages

run: check-lock system-packages
	$(FLASK) db upgrade
	$(FLASK) academy seed-academies
	$(FLASK) academy curriculum sync
	@# Links in the demo's e-mails name the address about to be served.
	ACADEMY_BASE_URL="$${ACADEMY_BASE_URL:-http://$(HOST):$(PORT)}" $(FLASK) academy seed-demo
	@echo "Serving on http://$(HOST):$(PORT)"
	@test -n "$$MAIL_SERVER" || echo "No MAIL_SERVER: e-mails are printed here and kept in instance/outbox/ (.eml)"
	$(FLASK) run --host $(HOST) --port $(PORT)

test: check-lock system-packages
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

bench: check-lock system-packages
	@BENCH=1 bash scripts/system-packages
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist
