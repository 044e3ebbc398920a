# civicfed — every target creates/updates .venv itself, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo-data
SCALE ?= 100000

.PHONY: demo test lint bench venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[server,bench,dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/civicfed demo setup --dir $(DEMO_DIR) --scale $(SCALE)
	$(BIN)/civicfed demo run --dir $(DEMO_DIR)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m benchmarks $(if $(FULL),--full,)
	$(BIN)/python -m benchmarks.policy_overhead $(if $(FULL),--scale 2500000,)
	$(BIN)/python -m benchmarks.lookups
	$(BIN)/python -m benchmarks.pushdown_matrix $(if $(FULL),--full,)
	$(BIN)/python -m benchmarks.bulk_transfer $(if $(FULL),--full,)
	$(BIN)/python -m benchmarks.analytics $(if $(FULL),--full,)
	$(BIN)/python -m benchmarks.api_load $(if $(FULL),,--quick)

clean:
	rm -rf $(VENV) $(DEMO_DIR) benchmarks/.work .pytest_cache .mypy_cache .ruff_cache
