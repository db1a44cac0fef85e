# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test

.PHONY: demo test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(STAMP_RUN)

demo: $(STAMP_RUN)
	$(BIN)/luckyctl roadmap check
	$(BIN)/luckyctl task status --all-epics

test: $(STAMP_TEST)
	rm -f .coverage .coverage.*
	$(BIN)/python -m pytest --cov=luckyctl --cov-report=term --cov-fail-under=85 $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .coverage .coverage.* .pytest_cache evidence/*/
