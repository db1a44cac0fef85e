# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test

.PHONY: demo test reliability lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[sandbox]'
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(STAMP_RUN)

# The main job on the local sandbox: every automatable task runs, the manual ones wait
# for a person (exit 3 from execute is then the right answer). The sandbox stops even
# when a task fails; the demo fails only when a task did.
LUCKYCTL := $(BIN)/luckyctl
demo: $(STAMP_RUN)
	$(LUCKYCTL) -q roadmap check
	$(LUCKYCTL) sandbox up
	status=0; \
	$(LUCKYCTL) task execute PROD-DEPLOY-001 --strategy systematic || status=$$?; \
	$(LUCKYCTL) task status --all-epics; \
	$(LUCKYCTL) analyze --risks --mitigation-status; \
	$(LUCKYCTL) sandbox down; \
	echo "task execute exited $$status (0 all done, 3 waiting for people, 1 a task failed)"; \
	test $$status -eq 0 -o $$status -eq 3

test: $(STAMP_TEST)
	rm -f .coverage .coverage.*
	$(BIN)/python -m pytest --cov=luckyctl --cov-report=term --cov-fail-under=85 $(PYTEST_ARGS)

# The long reliability campaigns (kill -9 at many points, fuzzing, faults, planted secrets); not part of `make test`.
reliability: $(STAMP_TEST)
	$(BIN)/python -m pytest -m reliability tests/reliability -p no:cacheprovider $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .coverage .coverage.* .pytest_cache evidence/*/

# The HTML analytics report of the current evidence, rendered to PNG by a headless Chromium
# (installed from Debian when missing). Not part of `make test`.
REPORT_DIR := build/report
.PHONY: report-screenshot
report-screenshot: $(STAMP_RUN)
	command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	mkdir -p $(REPORT_DIR)
	$(BIN)/luckyctl task analytics --html $(REPORT_DIR)/analytics.html >/dev/null
	chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
		--screenshot=$(abspath $(REPORT_DIR))/analytics.png --window-size=1400,2400 \
		file://$(abspath $(REPORT_DIR))/analytics.html 2>/dev/null
	@echo "$(REPORT_DIR)/analytics.png"

# The quality bars of DESIGN §11 that are about speed (bench/README.md): every benchmark, side by side with
# its peers, each printing its ratios. Takes a few minutes; run it on a quiet machine.
BENCHES := bench_startup.py bench_chain.py bench_dag.py bench_scale.py
.PHONY: bench
bench: $(STAMP_TEST)
	@for script in $(BENCHES); do echo "== $$script"; $(BIN)/python bench/$$script || exit 1; echo; done
