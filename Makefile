# dvc-index: every target sets up what it needs on a machine with only Python 3.11, pip and git.
PYTHON ?= python3
UV_VERSION := 0.13.8
BOOTSTRAP := .bootstrap
UV := $(BOOTSTRAP)/bin/uv
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench dev setup browser docs clean

run: setup ## install everything and run the default months (2025-05 through 2025-08) on the embedded simulator
	$(BIN)/dvc-index run --month 2025-05 --through 2025-08

test: setup browser ## install everything and run the whole test suite
	$(BIN)/ruff check orchestration tests
	$(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check orchestration tests

dev: setup ## the Dagster UI over the same definitions
	$(BIN)/dvc-index ui

bench: setup ## measure a month at scale small, and 13 months of history at scale tiny (results in docs/benchmarks/)
	$(BIN)/dvc-index bench --scale small --history 13

docs: setup ## the dbt documentation site: every model and mart column (with its Vietnamese term), one HTML file
	$(BIN)/dvc-index docs

setup: $(BIN)/dvc-index

# Debian's Chromium, for the test that opens report.html headless (Playwright drives it; it downloads no browser).
# Not fatal: where it cannot be installed that test skips and says why, or fails when CI_REQUIRE_BROWSER=1.
CHROMIUM := /usr/bin/chromium
browser: ## Debian's chromium for the report's browser test (skipped when already installed)
	@if [ -x $(CHROMIUM) ]; then \
		echo "browser: $(CHROMIUM) is installed"; \
	else \
		( apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium ) \
		|| echo "browser: could not install chromium; the report's browser test will skip (fail if CI_REQUIRE_BROWSER=1)" >&2; \
	fi

$(UV):
	$(PYTHON) -m venv $(BOOTSTRAP)
	$(BOOTSTRAP)/bin/pip install --quiet uv==$(UV_VERSION)

$(BIN)/dvc-index: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen
	@touch $@

clean:
	rm -rf $(VENV) $(BOOTSTRAP) dbt_project/target dbt_project/logs
