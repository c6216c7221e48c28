"""COBAHH benchmark (Brette et al. 2007, benchmark 3): Brian2 (runtime/cython and cpp_standalone,
1 thread) against spikenet on the same network, in one benchmark run.

4000 Hodgkin–Huxley neurons (Traub–Miles; :class:`neurons.HodgkinHuxley` defaults are Brian2's
``examples/COBAHH.py`` parameters), 80 % excitatory (6 nS, tau 5 ms, E 0 mV), 20 % inhibitory
(67 nS, tau 10 ms, E -80 mV), connection probability 2 %, dt 0.1 ms, exponential Euler, refractory
3 ms, spikes at v > -20 mV; initial v = E_L + (5 randn - 5) mV, g_e = (1.5 randn + 4) x 10 nS,
g_i = (12 randn + 20) x 10 nS, gates 0 (Brian2's example). Brian2 simulates the network exported
from the spikenet description (identical synapses and initial state; in float64 the spikes are
identical, see ``tests/neurons/test_cobahh_network.py``).

Every case runs in a fresh child process pinned to one CPU core, with the measuring helpers of
:mod:`benchmarks.coba` (same JSON layout). Usage::

    python -m benchmarks.cobahh            # full: 1 s and 10 s, plus spikenet float64 and dense path
    python -m benchmarks.cobahh --quick    # COBAHH-4000 1 s for the three main systems (< 3 min)

Writes ``results/benchmarks/cobahh.json`` (``cases`` with system, network, n_neurons, bio_s,
compile_s, sim_s, rate_hz, synaptic_events, peak_rss_mb, ...; ``ratio_sim_vs_brian2_standalone``).

References
----------
Brette et al., J. Comput. Neurosci. 23:349-398 (2007), benchmark 3; Brian2 ``examples/COBAHH.py``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np

from benchmarks.coba import run_isolated

CORE = 0
NETWORK = "COBAHH p=0.02"


def initial_values(n_neurons: int, seed: int) -> dict[str, np.ndarray]:
    """Brian2 example's random initial state: v (mV), excitatory and inhibitory conductances (nS)."""
    rng = np.random.default_rng(seed)
    return {"v": -60.0 + rng.standard_normal(n_neurons) * 5.0 - 5.0,
            "g_exc": (rng.standard_normal(n_neurons) * 1.5 + 4.0) * 10.0,
            "g_inh": (rng.standard_normal(n_neurons) * 12.0 + 20.0) * 10.0}


def cobahh_network(n_neurons: int = 4000, seed: int = 1):
    """The COBAHH network as a spikenet description (populations ``exc`` and ``inh``)."""
    import spikenet as sn
    from neurons import HodgkinHuxley

    network = sn.Network(dt=0.1, seed=seed)
    n_exc = int(0.8 * n_neurons)
    exc = network.population("exc", n_exc, HodgkinHuxley())
    inh = network.population("inh", n_neurons - n_exc, HodgkinHuxley())
    excitatory = sn.ConductanceExp(tau=5.0, e_rev=0.0)  # channel g_syn0 of both populations
    inhibitory = sn.ConductanceExp(tau=10.0, e_rev=-80.0)  # channel g_syn1
    for pre, synapse, weight in ((exc, excitatory, 6.0), (inh, inhibitory, 67.0)):
        for post in (exc, inh):
            network.connect(pre, post, sn.FixedProbability(0.02), synapse=synapse, weight=weight)
    start = initial_values(n_neurons, seed)
    for population, part in ((exc, slice(0, n_exc)), (inh, slice(n_exc, n_neurons))):
        population.set_initial(v=start["v"][part], m=0.0, h=0.0, n=0.0, g_syn0=start["g_exc"][part],
                               g_syn1=start["g_inh"][part])
    return network


def _run_spikenet(net, bio_ms: float, engine: str, precision: str, reps: int) -> dict:
    start = time.perf_counter()
    compiled = net.compile(engine=engine, precision=precision)
    first = compiled.run(bio_ms, progress=False)
    compile_s = time.perf_counter() - start - first.run_seconds
    times = [first.run_seconds] + [compiled.run(bio_ms, progress=False).run_seconds for _ in range(reps - 1)]
    return {"compile_s": compile_s, "sim_runs_s": times, "spikes": first.counts.total_spikes,
            "synaptic_events": first.counts.total_synaptic_events}


def _case(arguments: tuple) -> dict:
    from benchmarks.coba import _peak_rss_mb, _run_brian2

    system, n_neurons, bio_ms, reps = arguments
    os.sched_setaffinity(0, {CORE})
    net = cobahh_network(n_neurons)
    if system.startswith("spikenet"):
        _, engine, *precision = system.split("_")
        measured = _run_spikenet(net, bio_ms, engine, precision[0] if precision else "float32", reps)
    else:
        measured = _run_brian2(net, bio_ms, system == "brian2_standalone", reps)
    sim_s = statistics.median(measured["sim_runs_s"])
    return {
        "system": system, "network": NETWORK, "n_neurons": n_neurons, "bio_s": bio_ms / 1000.0,
        "compile_s": measured["compile_s"], "sim_s": sim_s, "sim_runs_s": measured["sim_runs_s"],
        "sim_s_per_bio_s": sim_s / (bio_ms / 1000.0), "rate_hz": measured["spikes"] / n_neurons / (bio_ms / 1000.0),
        "synaptic_events": measured["synaptic_events"],
        "events_per_s": measured["synaptic_events"] / sim_s if sim_s > 0 else float("nan"),
        "peak_rss_mb": _peak_rss_mb(), "cores": 1,
    }


def plan(quick: bool, reps: int) -> list[tuple]:
    main = ("brian2_cython", "brian2_standalone", "spikenet_event")
    cases = [(system, 4000, 1000.0, reps) for system in main]
    if quick:
        return cases
    cases += [("spikenet_event_float64", 4000, 1000.0, reps), ("spikenet_dense", 4000, 100.0, reps)]
    cases += [(system, 4000, 10000.0, reps) for system in main]
    return cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="COBAHH benchmark: Brian2 vs spikenet on one core")
    parser.add_argument("--quick", action="store_true", help="COBAHH-4000 1 s only, three systems (< 3 min)")
    parser.add_argument("--reps", type=int, default=3, help="repetitions per case (median reported)")
    parser.add_argument("--out", type=Path, default=Path("results/benchmarks/cobahh.json"))
    args = parser.parse_args(argv)
    from spikenet.io import write_json

    cases = []
    for case in run_isolated(_case, plan(args.quick, args.reps)):
        cases.append(case)
        print(f"{case['system']:24s} bio={case['bio_s']:>5.1f}s compile {case['compile_s']:7.2f}s  sim {case['sim_s']:8.3f}s  "
              f"rate {case['rate_hz']:5.1f} Hz  events {case['synaptic_events']:>12,}  RSS {case['peak_rss_mb']:6.0f} MB",
              flush=True)

    def sim(system: str, bio: float = 1.0) -> float | None:
        for case in cases:
            if (case["system"], case["bio_s"]) == (system, bio):
                return case["sim_s_per_bio_s"]
        return None

    report = {
        "description": "sim_s is the median simulation time over repetitions; one CPU core per case; "
                       "compile_s is network export/build plus code generation/compilation; spikenet runs "
                       "float32 unless the system name says float64 (Brian2 runs float64)",
        "cases": cases,
        "ratio_sim_vs_brian2_standalone": sim("spikenet_event") / sim("brian2_standalone"),
        "ratio_sim_vs_brian2_cython": sim("spikenet_event") / sim("brian2_cython"),
    }
    if sim("spikenet_event_float64") is not None:
        report["ratio_sim_float64_vs_brian2_standalone"] = sim("spikenet_event_float64") / sim("brian2_standalone")
    if sim("spikenet_dense", 0.1) is not None:
        report["ratio_dense_vs_event"] = sim("spikenet_dense", 0.1) / sim("spikenet_event")
    write_json(args.out, report)
    print(f"\nCOBAHH-4000, 1 s: spikenet event / Brian2 cpp_standalone (1 thread) = "
          f"{report['ratio_sim_vs_brian2_standalone']:.2f}; / Brian2 cython = {report['ratio_sim_vs_brian2_cython']:.2f}")
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
