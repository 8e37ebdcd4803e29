# gobuild's own tasks. Everything runs from a local virtualenv built from requirements.lock.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench lint docs build clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $@

# The main job on the bundled example: build testdata/, verify, publish to a local S3 server.
demo: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python scripts/demo

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python bench/run.py $(BENCH_ARGS)

# The gates CI holds: ruff's rule set (pyproject.toml) and mypy --strict, both must pass.
lint: $(STAMP)
	$(BIN)/python -m ruff check gobuild tests bench scripts
	$(BIN)/python -m mypy --strict gobuild

# The documentation site (mkdocs.yml, docs/) into site/; --strict fails on any warning.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

# What a project using gobuild puts in its own Makefile:
build: $(STAMP)
	$(BIN)/gobuild build -C testdata

clean:
	rm -rf $(VENV) testdata/dist site
