"""The main job run by ``make run``: the COBA experiment on its built-in default network
(to be replaced by the energy comparison when it lands)."""

from experiments.coba import main

if __name__ == "__main__":
    raise SystemExit(main([]))
