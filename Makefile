# Hot Rod AN Analytics — the targets the README names.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
LOCK   := requirements.lock
# The product and the two dev distributions (sandbox, benchmarks), installed editable.
PROJECTS := pyproject.toml sandbox/pyproject.toml benchmarks/pyproject.toml

export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1

.PHONY: install lock run test test-slow lint format docs bench dagster chromium clean

## Exactly the locked versions (requirements.lock), then the three distributions of this
## repository, editable and without dependencies.
$(STAMP): $(LOCK) $(PROJECTS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# metadata an older build left in the checkout would shadow the installed entry points
	rm -rf *.egg-info sandbox/*.egg-info benchmarks/*.egg-info
	$(BIN)/python -m pip install --quiet --requirement $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation \
		--editable . --editable ./sandbox --editable ./benchmarks
	$(BIN)/python -m pip check
	@touch $(STAMP)

install: $(STAMP)

## Re-resolve requirements.lock from pyproject.toml (Python 3.11, Linux); UPGRADE=1 also moves
## every pin to the newest allowed version.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 \
		--python-platform linux --no-emit-index-url --custom-compile-command "make lock" \
		$(if $(UPGRADE),--upgrade) --output-file $(LOCK)

## The main job, on the embedded warehouse unless HOTROD_DATABASE_URL is set. Sources: the demo
## sandbox unless HOTROD_SOURCES is set (empty: the configured SHOPIFY_*/CHATWOOT_*/... sources).
run: $(STAMP)
	HOTROD_SOURCES=$${HOTROD_SOURCES-sandbox} $(BIN)/hotrod run

## Lint (ruff, sqlfluff) and the whole test suite in TEST_WORKERS processes (pytest-xdist, one
## test module per worker at a time; TEST_WORKERS=0: in one process).
TEST_WORKERS ?= 2
test: $(STAMP) chromium
	$(BIN)/hotrod db up
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m hotrod.lint_sql
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope --durations=25

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

## Headless Chromium for the docs lineage test: installed from the Debian/Ubuntu packages when
## missing and run as root, else the one command to run.
chromium:
	@if [ -n "$$HOTROD_CHROMIUM" ] || command -v chromium >/dev/null 2>&1 \
		|| command -v chromium-browser >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1; then \
		true; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "make: installing chromium (Debian package) for the docs lineage test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "make: the docs test needs headless Chromium: sudo apt-get install -y chromium" >&2; \
		exit 1; \
	fi

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

## The Dagster UI on the warehouse; sources as for `make run`.
dagster: $(STAMP)
	HOTROD_SOURCES=$${HOTROD_SOURCES-sandbox} $(BIN)/hotrod dagster dev

clean:
	rm -rf dbt_project/target dbt_project/logs .pytest_cache .ruff_cache
