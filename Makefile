# make demo: set up .venv (if missing) and run the demo; make test: set up and run the checks.
# Dependencies are installed at the exact versions of requirements.lock (what CI tested);
# after changing them in pyproject.toml, `make lock` resolves the lock again.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed
SYSTEM_STAMP := $(VENV)/.system
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc

.PHONY: demo test lint bench lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(UV): | $(BIN)/python
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"

$(STAMP): $(UV) pyproject.toml requirements.lock
	$(UV) pip install --quiet --python $(BIN)/python -r requirements.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

lock: $(UV)
	$(UV) pip compile pyproject.toml --extra all --universal --python-version 3.11 \
	  --quiet -o requirements.lock

# Debian's Chromium renders the report in the page tests; a CJK font draws its Chinese.
$(SYSTEM_STAMP): | $(BIN)/python
	@if [ ! -x /usr/bin/chromium ] || [ ! -e $(CJK_FONT) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	  else \
	    echo "note: install chromium and fonts-wqy-microhei to run the report page tests"; \
	  fi; \
	fi
	touch $(SYSTEM_STAMP)

demo: $(STAMP) $(SYSTEM_STAMP)
	$(BIN)/accessplan demo --out demo-output

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

test: $(STAMP) $(SYSTEM_STAMP) lint
	$(BIN)/python -m pytest -q

# Peers for the benchmarks (networkx, igraph, pandana, spopt) and GRASS GIS for surface.py
# (Debian grass-core, installed when missing and allowed).
bench: $(STAMP)
	$(UV) pip install --quiet --python $(BIN)/python -e ".[all,bench]"
	@if ! command -v grass >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq grass-core >/dev/null; \
	  else \
	    echo "note: install grass-core (GRASS GIS) for benchmarks/surface.py"; \
	  fi; \
	fi
	@echo "benchmarks: python benchmarks/travel_times.py | location_orlib.py | surface.py (see benchmarks/)"

clean:
	rm -rf $(VENV) demo-output build *.egg-info src/*.egg-info
