# Hot Rod AN Analytics — the targets the README names.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1

.PHONY: install run test test-slow lint format docs bench dagster clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## The main job, on the embedded warehouse unless HOTROD_DATABASE_URL is set.
run: $(STAMP)
	$(BIN)/hotrod run

## Lint (ruff, sqlfluff) and the whole test suite.
test: $(STAMP)
	$(BIN)/hotrod db up
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m hotrod.lint_sql
	$(BIN)/python -m pytest

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m hotrod.lint_sql

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

docs: $(STAMP)
	$(BIN)/hotrod docs serve

bench: $(STAMP)
	$(BIN)/hotrod bench --orders $${ORDERS:-100000} --json $${BENCH_JSON:-.hotrod/bench.json}

dagster: $(STAMP)
	$(BIN)/hotrod dagster dev

clean:
	rm -rf dbt_project/target dbt_project/logs .pytest_cache .ruff_cache
