# Developer commands. `make help` lists them.
# The two that matter: `make serve` (set up + preview) and `make test` (set up + every check).

SHELL := /bin/bash
.DEFAULT_GOAL := help
export NO_MKDOCS_2_WARNING := 1
export PYTHONDONTWRITEBYTECODE := 1
# Examples run single-threaded: the same numbers on every machine, and tiny torch ops
# are not slowed a thousandfold by two threads fighting over two busy cores.
export OMP_NUM_THREADS := 1

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The venv is rebuilt only when the pinned dependencies change.
STAMP := $(VENV)/.installed
KATEX_VERSION := 0.19.1

.PHONY: help browser setup serve serve-en serve-ko build test test-fast check lint format bench search-bench clean vendor-katex

help:  ## Show this help.
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	@touch $@

# The browser tests drive Debian's Chromium (Playwright's own download fails offline);
# fonts-noto-cjk gives it Korean glyphs. Installed once, with apt, when missing.
CHROMIUM ?= /usr/bin/chromium
CJK_FONT := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(CHROMIUM) $(CJK_FONT):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk

browser: $(CHROMIUM) $(CJK_FONT)  ## Install Debian's chromium + fonts-noto-cjk for the browser tests (skipped when present).

setup: $(STAMP)  ## Create .venv and install the pinned dependencies (skipped when up to date).

# --dirty: a save rebuilds the pages it changes (hooks/preview.py), not the whole site.
SERVE := serve --livereload --dirty

serve: $(STAMP)  ## Set up, then preview both languages at http://127.0.0.1:8000 (Korean at /, English at /en/).
	$(BIN)/mkdocs $(SERVE)

serve-en: $(STAMP)  ## Preview one language only, faster (also serve-ko); it is served at /, even English.
	DOCS_LANGUAGE=en $(BIN)/mkdocs $(SERVE)

serve-ko: $(STAMP)
	DOCS_LANGUAGE=ko $(BIN)/mkdocs $(SERVE)

build: $(STAMP)  ## Build the site into site/ with --strict.
	$(BIN)/mkdocs build --strict

test: export TEST_SITE_DIR :=
test: $(STAMP) $(CHROMIUM) $(CJK_FONT)  ## Set up, then run every check: lint, twin check, page examples, unit tests, strict build, browser.
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m i18n check
	$(BIN)/python -m pytest

test-fast: $(STAMP)  ## Run the tests without the site build (quicker loop while writing a page).
	$(BIN)/python -m pytest -m "not build"

check: $(STAMP)  ## Check that Korean and English pages mirror each other.
	$(BIN)/python -m i18n check

lint: $(STAMP)  ## Lint with ruff.
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)  ## Format with ruff.
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP) $(CHROMIUM) $(CJK_FONT)  ## Measure build/test/example times, page weight, search recall and latency, Lighthouse on every page (npm ci once).
	$(BIN)/python -m tools.bench

search-bench: $(STAMP) $(CHROMIUM) $(CJK_FONT)  ## Search recall@1/@5 (this site vs Material's default), latency, bytes; builds the site.
	$(BIN)/python -m tools.search_eval $(if $(SITE),--site $(SITE))

vendor-katex:  ## Refresh the vendored KaTeX (build-time renderer, CSS, fonts) from the npm registry.
	@tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent katex@$(KATEX_VERSION) >/dev/null && tar xzf katex-$(KATEX_VERSION).tgz && cd - >/dev/null && \
	  d=docs/assets/vendor/katex && rm -rf $$d/fonts && mkdir -p $$d/fonts && \
	  cp $$tmp/package/dist/katex.min.js $$tmp/package/dist/katex.min.css $$d/ && \
	  cp $$tmp/package/dist/fonts/*.woff2 $$d/fonts/ && cp $$tmp/package/LICENSE $$d/LICENSE && rm -rf $$tmp

clean:  ## Remove the build output and caches (keeps .venv).
	rm -rf site .cache .pytest_cache
