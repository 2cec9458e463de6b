# Both entry points set everything up on a fresh machine: a .venv at the repo
# root with spinlens installed editable, then they do their job.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.spinlens-installed

.PHONY: demo test test-python test-extension e2e editor lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/spinlens spin examples/training_flow.py train --run-flow

lint: $(STAMP)
	$(BIN)/ruff check server tests bench examples scripts
	$(BIN)/ruff format --check server tests bench examples scripts
	$(BIN)/mypy server/spinlens

# Everything: Python (unit, real Metaflow runs, real LSP client), the extension's
# TypeScript unit tests, then the VSIX end to end in a real VS Code (code-server
# driven by Chromium; tests/e2e/setup.sh installs both on a fresh machine).
test: lint test-python test-extension e2e

test-python: $(STAMP)
	$(BIN)/python -m pytest

node_modules: package-lock.json
	npm ci
	touch node_modules

# The real-server and contract tests run the backend from .venv.
test-extension: node_modules $(STAMP)
	npm run typecheck
	npm test

# Each benchmark rewrites its own section of bench/RESULTS.md.
bench: $(STAMP)
	$(BIN)/python bench/spin_vs_metaflow.py
	$(BIN)/python bench/diff_bench.py
	$(BIN)/python bench/lsp_bench.py
	$(BIN)/python bench/debug_bench.py
	$(BIN)/python bench/hover_bench.py
	$(BIN)/python bench/prewarm_bench.py
	$(BIN)/python bench/scale_bench.py
	$(BIN)/python bench/explorer_bench.py
	$(BIN)/python bench/value_bench.py

clean:
	rm -rf $(VENV) examples/.metaflow examples/.spinlens node_modules dist bundled \
		media/panel.js media/graph.js media/viewer.js media/compare.js media/cardView.js \
		tests/e2e/.tools tests/e2e/node_modules tests/e2e/artifacts .editor

# The VS Code extension: the TypeScript client bundled into dist/, then a VSIX
# that also carries the backend's Python libraries (bundled/: spinlens, pygls,
# lsprotocol, cloudpickle, debugpy, pure-Python wheels from PyPI), so the user's
# interpreter needs only Metaflow.
EXT_VERSION = $(shell node -p "require('./package.json').version")
.PHONY: build-extension package e2e-locked

build-extension: node_modules
	npm run build

package: $(STAMP) build-extension
	rm -rf bundled
	$(BIN)/python scripts/bundle_libs.py bundled
	npx vsce package --no-dependencies --no-rewrite-relative-links --allow-missing-repository \
		-o dist/spinlens-$(EXT_VERSION).vsix
	unzip -l dist/spinlens-$(EXT_VERSION).vsix | grep -v ' extension/bundled/.*/'

# One e2e run at a time per checkout: runs share dist/, bundled/ and tests/e2e/artifacts.
e2e:
	flock .e2e.lock $(MAKE) --no-print-directory e2e-locked

e2e-locked: package
	bash tests/e2e/run.sh dist/spinlens-$(EXT_VERSION).vsix

# Try the real thing: code-server with the built extension and the example
# workspace, on a local URL it prints.
editor: package
	bash scripts/editor.sh dist/spinlens-$(EXT_VERSION).vsix
