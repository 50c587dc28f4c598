# Two commands for a newcomer: `make demo` and `make test`. Both bootstrap `.venv` first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.hsimul3r-setup
ISAACLAB_VERSION := 3.0.0
DEMO_OUT ?= outputs/demo

.PHONY: setup test test-fast demo lint bench clean

setup: $(STAMP)

# Re-runs only when the pins or this recipe change, so a second `make setup` takes a second.
$(STAMP): pyproject.toml Makefile
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@if $(BIN)/python -c 'import sys; sys.exit(sys.version_info >= (3, 12))'; then \
		echo "Python 3.11: installing isaaclab==$(ISAACLAB_VERSION) without its 3.12-only metadata"; \
		$(BIN)/pip install --quiet --no-deps --ignore-requires-python isaaclab==$(ISAACLAB_VERSION); \
	else \
		$(BIN)/pip install --quiet isaaclab==$(ISAACLAB_VERSION); \
	fi
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $(STAMP)

# Two workers, one test file each at a time (module fixtures are built once), handed out in collection order
# with the files of slow tests first (tests/conftest.py): the PPO learning test runs beside the rest, not after.
test: setup
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder

test-fast: setup
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder -m "not slow"

demo: setup
	$(BIN)/python scripts/run_demo.py --out $(DEMO_OUT)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: setup
	$(BIN)/python benchmarks/bench_case_io.py
	$(BIN)/python benchmarks/bench_convert.py
	$(BIN)/python benchmarks/bench_judge.py
	$(BIN)/python benchmarks/bench_judge_agreement.py --fast
	$(BIN)/python benchmarks/bench_contact_distance.py
	$(BIN)/python benchmarks/bench_tasks.py

clean:
	rm -rf $(VENV) outputs .pytest_cache .ruff_cache
