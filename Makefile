# Order Watch — the two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint schemas bench backtest clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

## run: the whole system on embedded PostgreSQL + broker, with demo data (Ctrl-C stops everything)
run: $(STAMP)
	$(BIN)/devstack $(ARGS)

## test: the whole suite (unit, integration against real PostgreSQL and broker, end to end)
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## schemas: regenerate schemas/*.json from the contract models
schemas: $(STAMP)
	$(BIN)/python -m services.common.contracts.generate

clean:
	rm -rf $(VENV) .devstack .pytest_cache
