"""Simulation time vs firing rate on COBA-4000 (spikenet event engine, one core): the drive
current sets the rate; time should grow linearly with the synaptic events delivered.

Usage: ``python -m benchmarks.rate_sweep`` -> ``results/benchmarks/rate_sweep.json`` and a table
with a least-squares fit time = a + b x events (and its R^2).
"""

from __future__ import annotations

import os
import statistics
from pathlib import Path

import numpy as np

DRIVES_PA = (120.0, 160.0, 200.0, 300.0, 450.0, 700.0)


def main() -> int:
    os.sched_setaffinity(0, {0})
    from experiments.networks import coba
    from spikenet.io import write_json

    rows = []
    for drive in DRIVES_PA:
        net = coba(4000, seed=1)
        for current in net.currents:
            current.values[:] = drive
        compiled = net.compile()
        runs = [compiled.run(1000.0, seed=1, progress=False) for _ in range(3)]
        sim = statistics.median(r.run_seconds for r in runs)
        counts = runs[0].counts
        rows.append({"drive_pA": drive, "rate_hz": counts.total_spikes / 4000, "synaptic_events": counts.total_synaptic_events,
                     "sim_s": sim})
        print(f"drive {drive:6.0f} pA  rate {rows[-1]['rate_hz']:6.1f} Hz  events {rows[-1]['synaptic_events']:>11,}  sim {sim:.3f} s",
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
