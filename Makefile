# Two commands do everything on a fresh clone with Python 3.11 and make:
#   make demo   virtualenv from the lock, the main job on demo data, reports
#   make test   the same set-up, then lint and the whole test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_PROJECT ?= demo-project
DEMO_ENDPOINTS ?= 100000

.PHONY: demo test lint format lab bench lock clean venv browser fuzz mutate

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name workbench --display-name "Workbench (.venv)" > /dev/null
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/workbench demo --project $(DEMO_PROJECT) --endpoints $(DEMO_ENDPOINTS)

lint: $(STAMP)
	$(BIN)/ruff check workbench tests benchmarks
	$(BIN)/ruff format --check workbench tests benchmarks
	$(BIN)/lint-imports --no-cache

# The browser tests need Debian's chromium: installed here when missing and we may (root), else the command.
CHROMIUM ?= chromium
browser:
	@command -v $(CHROMIUM) >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 || \
	     (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)) || \
	    { echo "could not install chromium; run: apt-get install -y chromium" >&2; exit 1; }; \
	  else \
	    echo "the browser tests need Debian's chromium; install it with: sudo apt-get install -y chromium" >&2; exit 1; \
	  fi; }

test: $(STAMP) browser lint
	$(BIN)/python -m pytest -n 2 --dist loadgroup

# The fuzz tests with many more examples than `make test` gives them (minutes, not seconds).
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q tests/test_import_fuzz.py tests/test_one_active_address.py \
	  tests/test_fuzz_events_segments.py tests/test_events_atomic.py

# Mutation testing (mutmut 3.3.1, a dev dependency) of the modules that hold the README's rules: settings in
# setup.cfg [mutmut], results in docs/quality.md. Not part of `make test` (an hour or more on 2 cores). Narrow it
# with MUTATE='workbench.ingest.export.*' (mutant names, fnmatch); MUTATE_MINUTES=20 stops it after that long.
# mutants/ keeps the results between runs (`mutmut show NAME` prints one mutant's change); rm -rf it to restart.
MUTATE ?=
MUTATE_MINUTES ?= 0
mutate: $(STAMP)
	$(BIN)/python tests/mutmut_run.py --jobs 2 --own-tests --max-minutes $(MUTATE_MINUTES) $(MUTATE)

lab: $(STAMP)
	WORKBENCH_PROJECT=$(abspath $(DEMO_PROJECT)) $(BIN)/jupyter lab --notebook-dir=notebooks

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

# Re-resolve the lock from pyproject.toml's ranges (needs PyPI).
lock:
	rm -rf /tmp/wb-lock && $(PYTHON) -m venv /tmp/wb-lock
	/tmp/wb-lock/bin/pip install --quiet -e '.[dev]'
	( echo '# Pinned, complete dependency set (direct + transitive). Regenerate with `make lock`.'; \
	  /tmp/wb-lock/bin/pip freeze --exclude-editable | grep -v '^pip=='; echo setuptools==80.9.0 ) | sort -f > requirements.lock

clean:
	rm -rf $(VENV) $(DEMO_PROJECT) reports/*.html reports/*.png
