# Stylist — the commands a person and CI use. `make demo` runs the product, `make test` tests it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000
CATALOG ?=
KAGL_GT ?=

export HF_HUB_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false

.PHONY: setup system-deps test demo bench lint eval-real clean

setup: $(STAMP)

# The venv is rebuilt when pyproject.toml changes. pip is upgraded first: the base pip cannot
# resolve this dependency set in reasonable time.
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# Debian packages the tests need: Chromium for Playwright (it cannot download its own), and
# PostgreSQL for the history tests (they start a throwaway server of their own from it).
system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core postgresql; \
	fi

# Lint first: a red lint fails CI before the suite spends its minutes.
test: setup lint system-deps
	$(PY) -m pytest -q -ra

demo: setup
	$(VENV)/bin/stylist demo --port $(PORT) $(if $(CATALOG),--catalog $(CATALOG))

bench: setup
	@for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

lint: setup
	$(VENV)/bin/ruff check stylist tests bench chainlit_app.py
	$(VENV)/bin/ruff format --check stylist tests bench chainlit_app.py

eval-real: setup
	@test -n "$(CATALOG)" || { echo "usage: make eval-real CATALOG=DIR [KAGL_GT=DIR] [DATA_DIR=DIR] (CATALOG: a folder with styles.csv and images/)"; exit 2; }
	$(VENV)/bin/stylist eval-real --catalog $(CATALOG) $(if $(KAGL_GT),--kagl-gt $(KAGL_GT)) $(if $(DATA_DIR),--data-dir $(DATA_DIR))

clean:
	rm -rf .stylist .stylist-real .files .pytest_cache test-artifacts
