"""Simulation time vs firing rate (spikenet event engine, one core): 4000 Poisson sources at a
swept rate, fixed out-degree 80, onto 4000 LIF neurons (conductance synapses, weights small
enough that the targets stay near rest). Time should grow linearly with the synaptic events.

Usage: ``python -m benchmarks.rate_sweep`` -> ``results/benchmarks/rate_sweep.json`` and a table
with a least-squares fit time = a + b x events (and its R^2).
"""

from __future__ import annotations

import os
import statistics
from pathlib import Path

import numpy as np

RATES_HZ = (2.0, 5.0, 10.0, 20.0, 50.0, 100.0)


def network(rate_hz: float):
    import spikenet as sn
    from neurons import LIF

    net = sn.Network(dt=0.1, seed=1)
    sources = net.poisson_source("sources", 4000, rate_hz)
    targets = net.population("targets", 4000, LIF(tau_m=20.0, v_rest=-60.0, v_threshold=-50.0, v_reset=-60.0, refractory=5.0))
    net.connect(sources, targets, sn.FixedOutDegree(80), synapse=sn.ConductanceExp(tau=5.0, e_rev=0.0), weight=0.01)
    return net


def main() -> int:
    os.sched_setaffinity(0, {0})
    from spikenet.io import write_json

    rows = []
    for rate in RATES_HZ:
        compiled = network(rate).compile()
        runs = [compiled.run(1000.0, seed=1, progress=False) for _ in range(3)]
        sim = statistics.median(r.run_seconds for r in runs)
        counts = runs[0].counts
        rows.append({"source_rate_hz": rate, "measured_rate_hz": counts.spikes["sources"] / 4000,
                     "synaptic_events": counts.total_synaptic_events, "sim_s": sim})
        print(f"source rate {rate:6.1f} Hz  measured {rows[-1]['measured_rate_hz']:6.1f} Hz  events {rows[-1]['synaptic_events']:>11,}  sim {sim:.3f} s",
              flush=True)
    events = np.array([r["synaptic_events"] for r in rows], float)
    times = np.array([r["sim_s"] for r in rows])
    slope, intercept = np.polyfit(events, times, 1)
    residual = times - (intercept + slope * events)
    r_squared = 1 - residual.var() / times.var()
    write_json(Path("results/benchmarks/rate_sweep.json"), {"rows": rows, "fit_intercept_s": intercept,
                                                              "fit_ns_per_event": slope * 1e9, "r_squared": r_squared})
    print(f"time = {intercept:.3f} s + {slope * 1e9:.2f} ns x events  (R^2 = {r_squared:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
