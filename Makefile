# Two commands on a fresh machine with Python 3.11 and pip:
#   make run    the main job (installs into .venv first)
#   make test   the test suite (installs into .venv first)
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

PEERS_VENV := .venv-peers
PEERS_STAMP := $(PEERS_VENV)/.installed

.PHONY: run test test-all benchmark clean peers-venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/python -m experiments.main_job

test: $(STAMP)
	$(VENV)/bin/python -m pytest -q

test-all: $(STAMP) $(PEERS_STAMP)
	SPIKENET_NIR_PEERS_PYTHON=$(PEERS_VENV)/bin/python $(VENV)/bin/python -m pytest -q -m "slow or not slow"

# NIR peer simulators for tests/test_nir_peers.py (slow), in their own venv: Sinabs pins nir<=1.0.4,
# so it goes in with --no-deps; torch is pinned to the 2.13.0 CPU build.
peers-venv: $(PEERS_STAMP)

$(PEERS_STAMP):
	$(PYTHON) -m venv $(PEERS_VENV)
	echo "torch==2.13.0" > $(PEERS_VENV)/constraints.txt
	$(PEERS_VENV)/bin/python -m pip install --quiet -c $(PEERS_VENV)/constraints.txt torch==2.13.0 nir==1.0.8 nirtorch==2.6 \
		snntorch==1.0.0 norse==1.1.0 rockpool==3.1.0 scipy h5py matplotlib pbr
	$(PEERS_VENV)/bin/python -m pip install --quiet --no-deps sinabs==3.1.3
	touch $(PEERS_STAMP)

benchmark: $(STAMP)
	$(VENV)/bin/python -m benchmarks.coba

clean:
	rm -rf $(VENV) $(PEERS_VENV) *.egg-info
