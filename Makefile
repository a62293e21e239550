# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint bench browser media dicomtools postgres clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[all]'
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(STAMP)

## make run: install, migrate, and serve on http://127.0.0.1:8000 with demo data
run: $(STAMP) media
	$(BIN)/yangcheng db upgrade
	$(BIN)/yangcheng serve --demo

## Debian's Chromium for the console's browser test (Playwright drives it; no browser download)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	  || echo "could not install chromium (not root?): the browser tests will be skipped"; }

## make test: install with test extras and run the suite (PostgreSQL tests run when
## YANGCHENG_TEST_POSTGRES_URL points at a live server; `make postgres` starts one)
test: $(TEST_STAMP) browser media dicomtools
	$(BIN)/pytest

## Debian's ffmpeg (decodes recordings) and espeak-ng (speaks the synthetic test recordings)
media:
	@{ command -v ffmpeg && command -v espeak-ng; } >/dev/null 2>&1 || { \
	  echo "installing Debian's ffmpeg and espeak-ng"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg espeak-ng >/dev/null; } \
	  || echo "could not install ffmpeg/espeak-ng (not root?): recording checks and their tests need them"; }

## Debian's dicom3tools: dciodvfy checks the DICOM-RT export against the standard's IODs
dicomtools:
	@command -v dciodvfy >/dev/null 2>&1 || { \
	  echo "installing Debian's dicom3tools"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dicom3tools >/dev/null; } \
	  || echo "could not install dicom3tools (not root?): the DICOM validator test will be skipped"; }

postgres:
	@scripts/start-postgres.sh

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/yangcheng bench platform

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
