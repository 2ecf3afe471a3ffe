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

.PHONY: demo test lint bench lock clean postgres

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(UV): | $(BIN)/python
	$(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)"

# --compile-bytecode: uv writes no .pyc by default, and where PYTHONDONTWRITEBYTECODE is set
# (as on the CI machines) every process compiled numba, scipy, ... from source: 3.9 s of
# imports before `solve` (1.3 s with the .pyc), and 0.35 s more on the first numba call.
$(STAMP): $(UV) pyproject.toml requirements.lock
	$(UV) pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements.lock
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

# The planner's page (web/frontend: plain JS + MapLibre from npm) bundled into the package.
FRONTEND := web/frontend
PAGE := src/accessplan/web/static/index.html
$(PAGE): $(FRONTEND)/package.json $(FRONTEND)/package-lock.json $(FRONTEND)/build.mjs $(wildcard $(FRONTEND)/src/*)
	@command -v npm >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq nodejs npm >/dev/null; \
	  else echo "install Node.js and npm to build the page (web/frontend)"; exit 1; fi; }
	cd $(FRONTEND) && npm ci --no-audit --no-fund --loglevel=error && npm run build

demo: $(STAMP) $(SYSTEM_STAMP) $(PAGE)
	$(BIN)/accessplan demo --out demo-output

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

# PostgreSQL for the monitor's tests (tests/monitor run on SQLite and on PostgreSQL): installed
# on a bare machine when allowed, started when not running, database `test` created.
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
postgres:
	@if ! command -v pg_ctlcluster >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq postgresql >/dev/null; \
	  else \
	    echo "note: install PostgreSQL to run the monitor's PostgreSQL tests"; exit 0; \
	  fi; \
	fi; \
	pg_isready -q -h 127.0.0.1 -p 5432 || \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | sort -V | tail -1) main start; \
	for i in $$(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
	su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='test'\"" | grep -q 1 \
	  || su postgres -c "createdb test"

test: $(STAMP) $(SYSTEM_STAMP) $(PAGE) lint postgres
	ACCESSPLAN_TEST_POSTGRES=$(PG_TEST_URL) $(BIN)/python -m pytest -q

# Peers for the benchmarks (networkx, igraph, pandana, spopt) and GRASS GIS for surface.py
# (Debian grass-core, installed when missing and allowed).
bench: $(STAMP)
	$(UV) pip install --quiet --compile-bytecode --python $(BIN)/python -e ".[all,bench]"
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
	rm -rf $(VENV) demo-output build *.egg-info src/*.egg-info src/accessplan/web/static \
	  $(FRONTEND)/node_modules test-output
