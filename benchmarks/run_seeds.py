"""Seed sweeps: ``run_seeds(..., vectorize=True)`` (one ``jax.vmap`` over the seeds) against the
loop of single runs (``vectorize=False``, one compiled function reused), on one core.

The network: COBA (``experiments.networks.coba``) at 400 and 4,000 neurons plus Poisson drive
onto every neuron (``Network.poisson_input``) so that seeds differ. Prints and writes
``results/benchmarks/run_seeds.json`` with ``ratio_vectorized_vs_loop`` per size (median of reps).

Usage: ``python -m benchmarks.run_seeds [--seeds 8] [--reps 3] [--duration 1000]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from benchmarks.coba import CORE, run_isolated


def _case(arguments: tuple) -> dict:
    n_neurons, n_seeds, duration_ms, reps = arguments
    os.sched_setaffinity(0, {CORE})
    import spikenet as sn
    from experiments.networks import coba

    net = coba(n_neurons, seed=1)
    for name in ("exc", "inh"):
        net.poisson_input(net.populations[name], n_sources=10, rate=5.0, weight=0.5, synapse=sn.ConductanceExp(5.0, 0.0))
    compiled = net.compile()
    seeds = list(range(n_seeds))
    timings = {"vectorized": [], "loop": []}
    for vectorize, label in ((True, "vectorized"), (False, "loop")):
        compiled.run_seeds(duration_ms / 10, seeds, progress=False, vectorize=vectorize)  # compile
    for _ in range(reps):
        for vectorize, label in ((True, "vectorized"), (False, "loop")):
            start = time.perf_counter()
            results = compiled.run_seeds(duration_ms, seeds, progress=False, vectorize=vectorize)
            timings[label].append(time.perf_counter() - start)
    medians = {k: statistics.median(v) for k, v in timings.items()}
    return {"n_neurons": n_neurons, "seeds": n_seeds, "bio_s": duration_ms / 1000.0, "runs_s": timings,
            "median_s": medians, "ratio_vectorized_vs_loop": medians["vectorized"] / medians["loop"],
            "spikes_per_seed": [r.counts.total_spikes for r in results], "cores": 1}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="run_seeds: vmap over seeds vs a loop of runs, one core")
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--duration", type=float, default=1000.0, help="ms per run")
    parser.add_argument("--out", type=Path, default=Path("results/benchmarks/run_seeds.json"))
    args = parser.parse_args(argv)
    from spikenet.io import write_json

    cases = list(run_isolated(_case, [(n, args.seeds, args.duration, args.reps) for n in (400, 4000)]))
    for case in cases:
        print(f"COBA-{case['n_neurons']} + Poisson drive, {case['seeds']} seeds x {case['bio_s']:g} s: "
              f"vectorized {case['median_s']['vectorized']:.3f} s, loop {case['median_s']['loop']:.3f} s, "
              f"ratio {case['ratio_vectorized_vs_loop']:.2f}", flush=True)
    write_json(args.out, {"cases": cases})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
