# reportgen: `make demo` builds the sample pack, `make test` runs the suite.
# Both create .venv on first use and install what they need into it.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q
RUN    := $(VENV)/.run-deps
TEST   := $(VENV)/.test-deps

.PHONY: demo test lint format golden bench syscheck clean help

help:
	@echo "make demo    build the sample audit pack from inputs/ into output/"
	@echo "make test    run lint and the test suite"
	@echo "make golden  regenerate the golden files after an intended output change"
	@echo "make bench   run the benchmark (docs/performance.md); SIZES=1000,10000 for a quick one"
	@echo "make clean   remove .venv and output/"

$(RUN): pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 11) else f"reportgen needs Python 3.11 or newer; {sys.executable} is {v.major}.{v.minor}. Run: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -e .
	@touch $@

$(TEST): $(RUN)
	$(PIP) install -e '.[test]'
	@touch $@

syscheck: $(RUN)
	@$(BIN)/python -m reportgen.core.syscheck

demo: $(RUN) syscheck
	$(BIN)/reportgen build --config inputs/reportgen.yaml --out output/harbourline

lint: $(TEST)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(TEST)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Test files are shared out whole to one worker per core: module fixtures build once.
test: $(TEST) syscheck lint
	$(BIN)/python -m pytest -n auto --dist loadfile

# make bench SIZES=1000,10000 for a quicker run; BENCH_ARGS="--work DIR" keeps the files.
SIZES ?= 1000,10000,100000
bench: $(TEST) syscheck
	$(BIN)/python bench/run.py --sizes $(SIZES) $(BENCH_ARGS)

golden: $(TEST)
	REPORTGEN_REGENERATE_GOLDEN=1 $(BIN)/python -m pytest tests -k golden -q

clean:
	rm -rf $(VENV) output/*/ .pytest_cache .ruff_cache
