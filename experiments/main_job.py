"""The main job run by ``make run``: ``experiments/energy_vs_dense.py`` on its built-in default —
a Diehl & Cook (2015) STDP network on scikit-learn's bundled digits against a dense ANN, in
accuracy and in energy per inference on every chip preset and on the dense GPU/CPU baselines.
Writes a run folder ``results/energy_vs_dense/<timestamp>/``.

Ctrl-C (SIGINT) or SIGTERM stops it between two presentations (never inside an engine run):
``status.json`` then says ``interrupted`` with the signal's name, every file present is
complete, and the exit code is 130 (SIGINT) or 143 (SIGTERM)."""

import sys

from experiments.energy_vs_dense import main

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]) or 0)
