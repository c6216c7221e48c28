"""The main job run by ``make run``: the energy comparison on its built-in default network —
a fixed spiking network swept over input rates, priced on every chip preset and on the dense
baseline (``experiments/energy_vs_activity.py``), writing ``results/energy_vs_activity/``."""

from experiments.energy_vs_activity import main

if __name__ == "__main__":
    raise SystemExit(main([]) or 0)
