# Order Watch — the two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Browser tests drive Debian's Chromium (never a browser download); installed here if missing.
CHROMIUM := /usr/bin/chromium
WRK := /usr/bin/wrk
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test faults install lint schemas bench backtest clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

# The intake benchmark drives Debian's wrk (a load generator in its own process); installed here if missing.
$(WRK):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

## run: the whole system on embedded PostgreSQL + broker, with demo data (Ctrl-C stops everything)
run: $(STAMP)
	$(BIN)/devstack $(ARGS)

## test: the whole suite (unit, integration against real PostgreSQL and broker, end to end)
test: $(STAMP) $(CHROMIUM)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## faults: break the running system (kill processes, stop PostgreSQL, drop connections, restart the broker) and count what was lost
faults: $(STAMP)
	PYTHONPATH=. $(BIN)/python -m faults.run $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## schemas: regenerate schemas/*.json from the contract models
schemas: $(STAMP)
	$(BIN)/python -m services.common.contracts.generate

## bench: every speed figure next to this machine's own floors, measured in the same run (bench-results/*.json)
bench: $(STAMP) $(WRK)
	$(BIN)/python bench/run.py
	PYTHONPATH=. $(BIN)/python bench/worker.py
	PYTHONPATH=. $(BIN)/python bench/intake.py
	PYTHONPATH=. $(BIN)/python bench/lists.py
	PYTHONPATH=. $(BIN)/python bench/pipeline.py
	PYTHONPATH=. $(BIN)/python bench/backtest.py

WORLDS := $(wildcard services/order_watch/backtest/worlds/*.json)

## backtest: learn on the first half, score the second: the catalog's own world (10,000 orders) and
## each world that disagrees with it (6,000 orders over 12 weeks), then one table (bench-results/backtest*/)
backtest: $(STAMP)
	$(BIN)/python -m services.order_watch.backtest.cli --orders 10000 --seed 7 --days 28 --out bench-results/backtest
	for world in $(WORLDS); do \
		$(BIN)/python -m services.order_watch.backtest.cli --world $$world --orders 6000 --seed 7 --days 84 \
			--out bench-results/backtest-$$(basename $$world .json) || exit 1; \
	done
	$(BIN)/python -m services.order_watch.backtest.table bench-results/backtest bench-results/backtest-*

clean:
	rm -rf $(VENV) .devstack .pytest_cache
