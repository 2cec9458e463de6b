# Both entry points set everything up on a fresh machine: a .venv at the repo
# root with spinlens installed editable, then they do their job.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.spinlens-installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/spinlens spin examples/training_flow.py train --run-flow

lint: $(STAMP)
	$(BIN)/ruff check server tests bench examples
	$(BIN)/ruff format --check server tests bench examples
	$(BIN)/mypy server/spinlens

test: lint
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/spin_vs_metaflow.py

clean:
	rm -rf $(VENV) examples/.metaflow examples/.spinlens
