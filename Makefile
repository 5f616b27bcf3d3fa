# The README's two commands: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
export HF_HUB_OFFLINE := 1
export HF_HUB_DISABLE_PROGRESS_BARS := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: run test test-fast test-slow install install-dev index bench eval clean

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt
	$(PIP) install -q --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Build (or update) the index: only changed documents are re-read and re-embedded.
index: install
	$(VENV)/bin/mgi build

## Install, build the index if missing or stale, serve on http://127.0.0.1:8000
run: index
	$(VENV)/bin/mgi serve

## The test suite: the fast tier (no model, no PDF, no index; under a minute) first, then the
## slow tier (real models, real PDFs, real FAISS, real PostgreSQL, headless Chromium).
test: test-fast test-slow

test-fast: install-dev
	$(PY) -m pytest -q -m "not slow"

test-slow: install-dev
	$(PY) -m pytest -q -m slow

bench: install-dev index
	$(PY) bench/run.py

eval: index
	$(VENV)/bin/mgi eval eval/dev.jsonl --report eval/report.md --runs eval/runs.jsonl --json eval/metrics.json

clean:
	rm -rf index/current index/builds .cache test-output
