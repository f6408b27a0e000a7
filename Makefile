# dvc-index: every target sets up what it needs on a machine with only Python 3.11, pip and git.
PYTHON ?= python3
UV_VERSION := 0.13.8
BOOTSTRAP := .bootstrap
UV := $(BOOTSTRAP)/bin/uv
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench dev setup docs clean

run: setup ## install everything and run the default months (2025-05 through 2025-08) on the embedded simulator
	$(BIN)/dvc-index run --month 2025-05 --through 2025-08

test: setup ## install everything and run the whole test suite
	$(BIN)/ruff check orchestration tests
	$(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check orchestration tests

dev: setup ## the Dagster UI over the same definitions
	DAGSTER_HOME=$${DAGSTER_HOME:-$(CURDIR)/.dagster_home} $(BIN)/dagster dev -m orchestration.definitions

docs: setup ## the dbt documentation site: every model and mart column (with its Vietnamese term), one HTML file
	cd dbt_project && ../$(BIN)/dbt docs generate --static --profiles-dir .
	@echo "dbt docs: $(CURDIR)/dbt_project/target/static_index.html (open it in a browser)"

setup: $(BIN)/dvc-index

$(UV):
	$(PYTHON) -m venv $(BOOTSTRAP)
	$(BOOTSTRAP)/bin/pip install --quiet uv==$(UV_VERSION)

$(BIN)/dvc-index: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen
	@touch $@

clean:
	rm -rf $(VENV) $(BOOTSTRAP) dbt_project/target dbt_project/logs
