# Two commands on a fresh machine with Python 3.11 and pip:
#   make run    the main job (installs into .venv first)
#   make test   the test suite (installs into .venv first)
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run test test-all benchmark clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/python -m experiments.main_job

test: $(STAMP)
	$(VENV)/bin/python -m pytest -q

test-all: $(STAMP)
	$(VENV)/bin/python -m pytest -q -m "slow or not slow"

benchmark: $(STAMP)
	$(VENV)/bin/python -m benchmarks.coba

clean:
	rm -rf $(VENV) *.egg-info
