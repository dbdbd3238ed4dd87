# Two commands do all set-up on a fresh machine:
#   make reproduce   every notebook, headless, default (cpu) profile, one seed -> outputs/cpu/
#   make record      the committed run: seeds 42 1 2, then the docs rendered (RESUME=1 goes on; TUNE=1 tunes first)
#   make test        the test suite
# Both create the virtual environment in .venv when it is missing.
PYTHON ?= python3
VENV ?= .venv
PROFILE ?= cpu
# torch, installed first (the package's own `torch>=2.1` range then keeps it). From the default index this is
# whatever that index serves for the platform: on Linux from PyPI, the CUDA build with its CUDA libraries.
# A CPU-only machine takes PyTorch's CPU wheels with TORCH_INDEX=https://download.pytorch.org/whl/cpu.
TORCH ?= torch==2.13.0
TORCH_INDEX ?=
PYTEST_ARGS ?=
BIN := $(VENV)/bin
# The WASSA and CARER files: $WASSA_DATA_DIR / $CARER_DATA_DIR when set, else data/wassa2021, data/emotion_carer.
export WASSA_DATA_DIR ?= $(firstword $(wildcard data/wassa2021 ../shared/data/wassa2021))
export CARER_DATA_DIR ?= $(firstword $(wildcard data/emotion_carer ../shared/data/emotion_carer))

.PHONY: env reproduce record smoke test test-all lint mutants bench lab clean-env

env: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH)" $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(BIN)/python -m pip install --quiet -e ".[cpu,dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name wassa-kit --display-name "WASSA kit"
	touch $@

reproduce: env
	$(BIN)/python -m wassa_lib run --profile $(PROFILE)

record: env
	$(BIN)/python -m wassa_lib record $(if $(RESUME),--resume) $(if $(TUNE),--tune)

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
