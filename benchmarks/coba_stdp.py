"""COBA-4000 with pair STDP on the excitatory-to-excitatory projection: is plasticity still
event-driven? Measures in one benchmark run (each case in a fresh process on one core):

* spikenet, static COBA vs the same network with STDP (``ratio_stdp_vs_static``, target <= 2);
* Brian2 cpp_standalone (1 thread) on the exported STDP network (``ratio_vs_brian2_standalone``,
  target <= 1), and Brian2 runtime (cython).

Usage: ``python -m benchmarks.coba_stdp [--quick] [--reps N]`` (``--quick``: 1 s of biological
time, one repetition of the Brian2 cases, under 3 minutes). Writes ``results/benchmarks/coba_stdp.json``.
"""

from __future__ import annotations

import argparse
import os
import statistics
from pathlib import Path

from benchmarks.coba import CORE, _peak_rss_mb, _run_brian2, _run_spikenet, run_isolated


def _case(arguments: tuple) -> dict:
    system, stdp, bio_ms, reps = arguments
    os.sched_setaffinity(0, {CORE})
    from experiments.networks import coba

    net = coba(4000, seed=1, stdp=stdp)
    if system == "spikenet_event":
        measured = _run_spikenet(net, bio_ms, "event", reps)
    else:
        measured = _run_brian2(net, bio_ms, system == "brian2_standalone", reps)
    sim_s = statistics.median(measured["sim_runs_s"])
    return {"system": system, "network": "COBA-4000 + STDP exc->exc" if stdp else "COBA-4000 static",
            "n_neurons": 4000, "bio_s": bio_ms / 1000.0, "compile_s": measured["compile_s"], "sim_s": sim_s,
            "sim_runs_s": measured["sim_runs_s"], "rate_hz": measured["spikes"] / 4000 / (bio_ms / 1000.0),
            "synaptic_events": measured["synaptic_events"], "peak_rss_mb": _peak_rss_mb(), "cores": 1}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="COBA + STDP: spikenet static vs plastic vs Brian2, one core")
    parser.add_argument("--quick", action="store_true", help="1 s of biological time (< 3 min)")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("results/benchmarks/coba_stdp.json"))
    args = parser.parse_args(argv)
    from spikenet.io import write_json

    bio_ms = 1000.0 if args.quick else 10000.0
    plan = [("spikenet_event", False, bio_ms, args.reps), ("spikenet_event", True, bio_ms, args.reps),
            ("brian2_standalone", True, bio_ms, args.reps)]
    if not args.quick:
        plan.append(("brian2_cython", True, bio_ms, args.reps))
    cases = []
    for case in run_isolated(_case, plan):
        cases.append(case)
        print(f"{case['system']:18s} {case['network']:26s} bio={case['bio_s']:.0f}s compile {case['compile_s']:6.2f}s "
              f"sim {case['sim_s']:7.3f}s rate {case['rate_hz']:5.1f} Hz events {case['synaptic_events']:,}", flush=True)
    static, plastic, brian = cases[0]["sim_s"], cases[1]["sim_s"], cases[2]["sim_s"]
    report = {"cases": cases, "ratio_stdp_vs_static": plastic / static, "ratio_vs_brian2_standalone": plastic / brian}
    write_json(args.out, report)
    print(f"\nspikenet STDP / static = {report['ratio_stdp_vs_static']:.2f} (target <= 2); "
          f"spikenet STDP / Brian2 cpp_standalone STDP = {report['ratio_vs_brian2_standalone']:.2f} (target <= 1)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
