# TenantPilot: `make demo` sets up and starts the product; `make test` runs the whole suite.
PYTHON ?= python3.12
VENV := .venv
BIN := $(VENV)/bin
PYTEST := $(BIN)/python -m pytest
export UV_PYTHON_DOWNLOADS := never

.PHONY: lock demo test lint typecheck test-sqlite test-postgres test-browser test-intunecd system-packages system-packages-ask install clean

# `make demo PORT=8001` serves the console on another port (one demo per var dir; see README).
PORT ?= 8000
demo: $(VENV)/.installed
	$(BIN)/tenantpilot demo --port $(PORT)

# `make test` installs missing system packages only in CI or after asking on a terminal
# (scripts/ensure-system-packages --ask); `make system-packages` installs them without asking.
test: $(VENV)/.installed system-packages-ask lint typecheck test-sqlite test-postgres test-browser test-intunecd

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==0.13.9
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

# After changing dependencies in pyproject.toml: `make lock`, then commit requirements.lock.
lock:
	$(BIN)/uv pip compile --quiet --python $(BIN)/python --extra dev pyproject.toml -o requirements.lock

# Installs PostgreSQL and Chromium from apt when missing (root only; CI calls it before `make test`).
system-packages:
	scripts/ensure-system-packages

system-packages-ask:
	scripts/ensure-system-packages --ask

lint:
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports --no-cache

typecheck:
	$(BIN)/mypy

# Default lane: embedded SQLite, everything but the PostgreSQL-only and browser tests.
test-sqlite:
	$(PYTEST) -m "not postgres and not browser and not external_client" -q

# PostgreSQL lane: the whole suite (browser tests aside) on a throw-away cluster.
test-postgres:
	TENANTPILOT_TEST_LANE=postgres scripts/with-postgres $(PYTEST) -m "not browser and not external_client" -q

# Browser lane: Playwright driving Debian's Chromium against a live server.
test-browser:
	$(PYTEST) -m browser -q

# A second Microsoft-facing client: IntuneCD (installed from PyPI into var/) backs up graphsim.
test-intunecd:
	$(PYTEST) -m external_client -q

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
