# adfd: the two commands of the README, plus lint.
#   make demo   set up .venv and run the CPU demo (every table and figure, embedded real faces)
#   make test   set up .venv and run the test suite
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
DEMO_TARGETS ?= all_tables
export HF_HUB_OFFLINE := 1
export NO_ALBUMENTATIONS_UPDATE := 1
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: setup demo test lint clean-demo

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-nodeps.txt requirements-reference.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -r requirements-nodeps.txt
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip install --quiet --no-deps --target $(VENV)/reference -r requirements-reference.txt
	touch $@

demo: setup
	$(BIN)/snakemake $(DEMO_TARGETS) --profile profiles/local --configfile demo/config.yaml

test: setup
	$(BIN)/pytest -ra --durations=25

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/snakemake --lint --configfile demo/config.yaml

clean-demo:
	rm -rf results/demo_data results/datasets results/preprocess results/train \
	  results/train_state results/predictions results/tables results/figures \
	  results/benchmarks logs
