# Two commands for a newcomer: `make run` (the main job) and `make test`.
# Both create or reuse the virtualenv in .venv and install the project into it;
# the install step re-runs only when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: install run test lint typecheck unit clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing cinealert and its dependencies into $(VENV) (first time: several minutes, torch is large)"
	$(BIN)/python -m pip install --disable-pip-version-check -q --upgrade pip
	$(BIN)/python -m pip install --disable-pip-version-check -q -e '.[dev]'
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
	$(BIN)/mypy --strict deploy/kustomize_render.py deploy/k8s/overlays/gpu/model_fetch.py

unit: install
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck unit

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
