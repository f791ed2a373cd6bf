# Escalade: `make demo` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: demo test test-sqlite test-postgres lint format bench install clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/escalade demo

test: $(STAMP)
	bash scripts/system-deps.sh
	bash scripts/test.sh

test-sqlite: $(STAMP)
	bash scripts/test.sh sqlite

test-postgres: $(STAMP)
	bash scripts/test.sh postgres

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: $(STAMP)
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

bench: $(STAMP)
	@$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
