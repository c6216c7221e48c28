"""COBA-4000 with pair STDP on the excitatory-to-excitatory projection: is plasticity still
event-driven? Measures in one benchmark run (each case in a fresh process on one core):

* spikenet, static COBA vs the same network with STDP (``ratio_stdp_vs_static``, target <= 2),
  both compiled in one process and run alternately (static, STDP, static, STDP, ...): the ratio
  is the median of the paired ratios, so that the drift of a shared VM's speed between cases
  (seen here: the same run 20 % slower a minute later) cancels;
* Brian2 cpp_standalone (1 thread) on the exported STDP network (``ratio_vs_brian2_standalone``,
  target <= 1), and Brian2 runtime (cython).

Usage: ``python -m benchmarks.coba_stdp [--quick] [--reps N] [--pairs N]`` (``--quick``: 1 s of biological
time, one repetition of the Brian2 cases, under 3 minutes). Writes ``results/benchmarks/coba_stdp.json``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from benchmarks.coba import CORE, _peak_rss_mb, _run_brian2, _run_spikenet, run_isolated


def _paired_spikenet(arguments: tuple) -> dict:
    """Static and STDP COBA-4000 compiled in one process, then run alternately ``pairs`` times."""
    bio_ms, pairs = arguments
    os.sched_setaffinity(0, {CORE})
    from experiments.networks import coba

    compiled, first, compile_s = {}, {}, {}
    for stdp in (False, True):
        start = time.perf_counter()
        compiled[stdp] = coba(4000, seed=1, stdp=stdp).compile()
        first[stdp] = compiled[stdp].run(bio_ms, seed=1, progress=False)  # compiles
        compile_s[stdp] = time.perf_counter() - start - first[stdp].run_seconds
    runs = {False: [], True: []}
    for _ in range(pairs):
        for stdp in (False, True):
            runs[stdp].append(compiled[stdp].run(bio_ms, seed=1, progress=False).run_seconds)
    cases = []
    for stdp in (False, True):
        counts = first[stdp].counts
        cases.append({"system": "spikenet_event", "network": "COBA-4000 + STDP exc->exc" if stdp else "COBA-4000 static",
                      "n_neurons": 4000, "bio_s": bio_ms / 1000.0, "compile_s": compile_s[stdp],
                      "sim_s": statistics.median(runs[stdp]),
                      "sim_runs_s": runs[stdp], "rate_hz": counts.total_spikes / 4000 / (bio_ms / 1000.0),
                      "synaptic_events": counts.total_synaptic_events, "peak_rss_mb": _peak_rss_mb(), "cores": 1})
    paired = [plastic / static for static, plastic in zip(runs[False], runs[True])]
    return {"cases": cases, "paired_ratios": paired}


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
    parser.add_argument("--reps", type=int, default=3, help="repetitions of each Brian2 case (median reported)")
    parser.add_argument("--pairs", type=int, default=7, help="alternating static/STDP spikenet runs (median of the paired ratios)")
    parser.add_argument("--out", type=Path, default=Path("results/benchmarks/coba_stdp.json"))
    args = parser.parse_args(argv)
    from spikenet.io import write_json

    if args.reps < 1 or args.pairs < 1:
        parser.error("--reps and --pairs must be >= 1")
    bio_ms = 1000.0 if args.quick else 10000.0
    (paired,) = run_isolated(_paired_spikenet, [(bio_ms, args.pairs)])
    plan = [("brian2_standalone", True, bio_ms, args.reps)]
    if not args.quick:
        plan.append(("brian2_cython", True, bio_ms, args.reps))
    cases = paired["cases"] + list(run_isolated(_case, plan))
    for case in cases:
        print(f"{case['system']:18s} {case['network']:26s} bio={case['bio_s']:.0f}s compile {case['compile_s']:6.2f}s "
              f"sim {case['sim_s']:7.3f}s rate {case['rate_hz']:5.1f} Hz events {case['synaptic_events']:,}", flush=True)
    plastic, brian = cases[1]["sim_s"], cases[2]["sim_s"]
    report = {"cases": cases, "paired_ratios_stdp_vs_static": paired["paired_ratios"],
              "ratio_stdp_vs_static": statistics.median(paired["paired_ratios"]),
              "ratio_vs_brian2_standalone": plastic / brian}
    write_json(args.out, report)
    print(f"\nspikenet STDP / static = {report['ratio_stdp_vs_static']:.2f} (median of {args.pairs} paired ratios "
          f"{min(paired['paired_ratios']):.2f}-{max(paired['paired_ratios']):.2f}; target <= 2); "
          f"spikenet STDP / Brian2 cpp_standalone STDP = {report['ratio_vs_brian2_standalone']:.2f} (target <= 1)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
