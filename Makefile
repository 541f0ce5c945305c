# Two commands for a newcomer: `make run` (the main job) and `make test`.
# Both create or reuse the virtualenv in .venv and install into it exactly what
# deploy/requirements.lock pins (versions and hashes: no resolving, no drift); the
# install step re-runs only when the lock or pyproject.toml changes.
# `make lock` refreshes the lock on purpose (see README, "Locked installs").
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LOCK := deploy/requirements.lock
RUNTIME_LOCK := deploy/requirements-runtime.lock
PYTEST_ARGS ?=
PIP := $(BIN)/python -m pip --disable-pip-version-check

.PHONY: install run test lint typecheck unit lock clean

$(STAMP): $(LOCK) pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing the locked dependencies into $(VENV) (first time: a few minutes, torch is large)"
	$(PIP) install -q --require-hashes -r $(LOCK)
	@echo "installing cinealert itself (editable, no dependency resolution)"
	$(PIP) install -q --no-deps --no-build-isolation -e .
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/cinealert demo

lint: install
	$(BIN)/ruff check cap pipeline daemon bench deploy tests
	$(BIN)/ruff format --check cap pipeline daemon bench deploy tests

typecheck: install
	$(BIN)/mypy
	# deploy/ holds scripts, not a package: checked by path.
	$(BIN)/mypy --strict deploy/k8s/overlays/gpu/model_fetch.py

unit: install
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck unit

# Re-resolve pyproject.toml + deploy/lock.in to the newest versions they allow (needs
# the package index) and write both locks: the full one (make, CI) and the runtime
# subset (the container image), the second constrained to the first's versions.
# uv is itself pinned so that the same inputs give the same lock.
UV_VERSION := 0.13.9
UV_COMPILE := --universal --python-version 3.11 --generate-hashes --quiet --custom-compile-command "make lock"
lock:
	@test -x $(VENV)/lock-tools/bin/uv || { $(PYTHON) -m venv $(VENV)/lock-tools \
		&& $(VENV)/lock-tools/bin/pip install -q --disable-pip-version-check uv==$(UV_VERSION); }
	$(VENV)/lock-tools/bin/uv pip compile pyproject.toml deploy/lock.in --extra dev \
		$(UV_COMPILE) --upgrade -o $(LOCK)
	$(VENV)/lock-tools/bin/uv pip compile pyproject.toml deploy/lock.in -c $(LOCK) \
		$(UV_COMPILE) -o $(RUNTIME_LOCK)
	@echo "wrote $(LOCK) and $(RUNTIME_LOCK); run make test, then commit both"

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
