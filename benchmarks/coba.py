"""COBA benchmark: Brian2 (runtime/cython and cpp_standalone, 1 thread) against spikenet (event
engine and dense path) on the same networks, in one benchmark run.

Every case runs in a fresh child process pinned to one CPU core (so peak RSS is per case and
all systems get the same single core; Brian2 standalone runs serially). Each system simulates
the network exported from one spikenet description: identical connectivity and initial state.
Reported per case: setup/compile time, simulation time (median of the repetitions), mean rate,
synaptic events, events per second and peak RSS.

Usage::

    python -m benchmarks.coba            # full: COBA-4000 1 s and 10 s, fan-in 80 at 4k/40k/400k
    python -m benchmarks.coba --quick    # COBA-4000 1 s for the three main systems (< 3 min)

Writes ``results/benchmarks/coba.json`` (``cases`` and ``ratio_sim_vs_brian2_standalone`` for
COBA-4000 1 s) and prints a table.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

SYSTEMS = ("brian2_cython", "brian2_standalone", "spikenet_event", "spikenet_dense")
CORE = 0


def _build(network_kind: str, n_neurons: int):
    from experiments.networks import coba

    return coba(n_neurons, seed=1, in_degree=None if network_kind == "coba" else 80)


def _events_from_counts(net, spike_counts: dict[str, np.ndarray]) -> int:
    return int(sum(int(np.dot(spike_counts[p.pre.name], p.synapses.out_degree())) for p in net.projections))


def _peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024.0


def _run_spikenet(net, bio_ms: float, engine: str, reps: int) -> dict:
    t0 = time.perf_counter()
    compiled = net.compile(engine=engine)
    first = compiled.run(bio_ms, seed=1, progress=False)
    compile_s = time.perf_counter() - t0 - first.run_seconds
    times = [first.run_seconds] + [compiled.run(bio_ms, seed=1, progress=False).run_seconds for _ in range(reps - 1)]
    counts = first.counts
    return {"compile_s": compile_s, "sim_runs_s": times, "spikes": counts.total_spikes,
            "synaptic_events": counts.total_synaptic_events}


def _run_brian2(net, bio_ms: float, standalone: bool, reps: int) -> dict:
    import brian2 as b2

    from spikenet.brian2_export import to_brian2

    directory = tempfile.mkdtemp(prefix="brian2_standalone_")
    if standalone:
        b2.set_device("cpp_standalone", directory=directory, build_on_run=False)
        b2.prefs.devices.cpp_standalone.openmp_threads = 0
    else:
        b2.prefs.codegen.target = "cython"
    t0 = time.perf_counter()
    exported = to_brian2(net)
    monitors = {name: b2.SpikeMonitor(exported.groups[name], record=False) for name in net.populations}
    exported.network.add(*monitors.values())
    if standalone:
        exported.network.run(bio_ms * b2.ms)
        b2.device.build(directory=directory, compile=True, run=False, with_output=False)
        compile_s = time.perf_counter() - t0
        times = []
        for _ in range(reps):
            b2.device.run(directory=directory, with_output=False)
            times.append(b2.device._last_run_time)
        counts = {name: np.asarray(m.count[:]) for name, m in monitors.items()}
    else:
        exported.network.run(net.dt * b2.ms)  # code generation and compilation happen here
        compile_s = time.perf_counter() - t0
        times = []
        for rep in range(reps):
            store_name = "start"
            if rep == 0:
                exported.network.store(store_name)
            else:
                exported.network.restore(store_name)
            t1 = time.perf_counter()
            exported.network.run(bio_ms * b2.ms)
            times.append(time.perf_counter() - t1)
        counts = {name: np.asarray(m.count[:]) for name, m in monitors.items()}
    return {"compile_s": compile_s, "sim_runs_s": times, "spikes": int(sum(c.sum() for c in counts.values())),
            "synaptic_events": _events_from_counts(net, counts)}


def _case(arguments: tuple) -> dict:
    system, network_kind, n_neurons, bio_ms, reps = arguments
    os.sched_setaffinity(0, {CORE})
    net = _build(network_kind, n_neurons)
    if system.startswith("spikenet"):
        measured = _run_spikenet(net, bio_ms, system.split("_")[1], reps)
    else:
        measured = _run_brian2(net, bio_ms, system == "brian2_standalone", reps)
    sim_s = statistics.median(measured["sim_runs_s"])
    return {
        "system": system, "network": "COBA p=0.02" if network_kind == "coba" else "COBA fan-in 80",
        "n_neurons": n_neurons, "bio_s": bio_ms / 1000.0, "compile_s": measured["compile_s"], "sim_s": sim_s,
        "sim_runs_s": measured["sim_runs_s"], "sim_s_per_bio_s": sim_s / (bio_ms / 1000.0),
        "rate_hz": measured["spikes"] / n_neurons / (bio_ms / 1000.0),
        "synaptic_events": measured["synaptic_events"],
        "events_per_s": measured["synaptic_events"] / sim_s if sim_s > 0 else float("nan"),
        "peak_rss_mb": _peak_rss_mb(), "cores": 1,
    }


def run_isolated(case_function, plan: list[tuple]):
    """Run each case of ``plan`` with ``case_function`` in a fresh spawned process (per-case peak
    RSS, no state shared between systems); yields the case results in order."""
    context = multiprocessing.get_context("spawn")
    for arguments in plan:
        with context.Pool(1) as pool:
            yield pool.apply(case_function, (arguments,))


def plan(quick: bool, reps: int) -> list[tuple]:
    main = ("brian2_cython", "brian2_standalone", "spikenet_event")
    cases = [(s, "coba", 4000, 1000.0, reps) for s in main]
    if quick:
        return cases
    cases.append(("spikenet_dense", "coba", 4000, 100.0, reps))
    cases += [(s, "coba", 4000, 10000.0, reps) for s in main]
    for n in (4000, 40000, 400000):
        cases += [(s, "fanin80", n, 1000.0, reps) for s in main]
    return cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="COBA benchmark: Brian2 vs spikenet on one core")
    parser.add_argument("--quick", action="store_true", help="COBA-4000 1 s only, three systems (< 3 min)")
    parser.add_argument("--reps", type=int, default=3, help="repetitions per case (median reported)")
    parser.add_argument("--out", type=Path, default=Path("results/benchmarks/coba.json"))
    args = parser.parse_args(argv)
    from spikenet.io import write_json

    cases = []
    for case in run_isolated(_case, plan(args.quick, args.reps)):
        cases.append(case)
        print(f"{case['system']:18s} {case['network']:15s} N={case['n_neurons']:>7,} bio={case['bio_s']:>5.1f}s "
              f"compile {case['compile_s']:7.2f}s  sim {case['sim_s']:8.3f}s  rate {case['rate_hz']:5.1f} Hz  "
              f"events {case['synaptic_events']:>13,}  {case['events_per_s'] / 1e6:7.1f} M/s  RSS {case['peak_rss_mb']:7.0f} MB",
              flush=True)

    def sim(system, network="COBA p=0.02", n=4000, bio=1.0):
        """Simulation seconds per biological second (the dense path runs a shorter time)."""
        for c in cases:
            if (c["system"], c["network"], c["n_neurons"]) == (system, network, n) and (
                    c["bio_s"] == bio or system == "spikenet_dense"):
                return c["sim_s_per_bio_s"]
        return None

    report = {
        "description": "sim_s is the median simulation time over repetitions; one CPU core per case; "
                       "compile_s is network export/build plus code generation/compilation",
        "cases": cases,
        "ratio_sim_vs_brian2_standalone": sim("spikenet_event") / sim("brian2_standalone"),
        "ratio_sim_vs_brian2_cython": sim("spikenet_event") / sim("brian2_cython"),
    }
    if sim("spikenet_dense") is not None:
        report["ratio_dense_vs_event"] = sim("spikenet_dense") / sim("spikenet_event")
    write_json(args.out, report)
    print(f"\nCOBA-4000, 1 s: spikenet event / Brian2 cpp_standalone (1 thread) = {report['ratio_sim_vs_brian2_standalone']:.2f}; "
          f"/ Brian2 cython = {report['ratio_sim_vs_brian2_cython']:.2f}")
    if "ratio_dense_vs_event" in report:
        print(f"dense path / event path (per biological second) = {report['ratio_dense_vs_event']:.1f}")
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
