# Two commands do all set-up on a fresh machine:
#   make reproduce   every notebook, headless, default (cpu) profile -> outputs/cpu/
#   make test        the test suite
# Both create the virtual environment in .venv when it is missing.
PYTHON ?= python3
VENV ?= .venv
PROFILE ?= cpu
# The CPU wheel of torch (kept as it is by the package's own `torch>=2.1` range).
TORCH ?= torch==2.13.0
PYTEST_ARGS ?=
BIN := $(VENV)/bin
# The WASSA and CARER files: $WASSA_DATA_DIR / $CARER_DATA_DIR when set, else data/wassa2021, data/emotion_carer.
export WASSA_DATA_DIR ?= $(firstword $(wildcard data/wassa2021 ../shared/data/wassa2021))
export CARER_DATA_DIR ?= $(firstword $(wildcard data/emotion_carer ../shared/data/emotion_carer))

.PHONY: env reproduce smoke test test-all lint mutants bench lab clean-env

env: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[cpu,dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name wassa-kit --display-name "WASSA kit"
	touch $@

reproduce: env
	$(BIN)/python -m wassa_lib run --profile $(PROFILE)

smoke: env
	$(BIN)/python -m wassa_lib run --profile smoke

test: env
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

lint: env
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

mutants: env
	$(BIN)/python tests/mutants/run_mutants.py

test-all: env
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: env
	$(BIN)/python -m wassa_lib bench --profile $(PROFILE)

lab: env
	$(BIN)/jupyter lab notebooks/

clean-env:
	rm -rf $(VENV)
