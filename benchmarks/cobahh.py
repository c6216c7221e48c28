"""Brette et al. (2007) benchmark 3 (COBAHH): spikenet vs Brian2 runtime (cython) and cpp_standalone.

4000 Hodgkin–Huxley neurons (Traub–Miles, :class:`neurons.HodgkinHuxley` defaults = Brian2's
``examples/COBAHH.py``), 80 % excitatory (6 nS, tau 5 ms, E 0 mV), 20 % inhibitory (67 nS,
tau 10 ms, E -80 mV), connection probability 2 %, dt 0.1 ms, exponential Euler, initial
v = E_L + (5 randn - 5) mV, g_e = (1.5 randn + 4) x 10 nS, g_i = (12 randn + 20) x 10 nS, gates 0.

Every repetition of every system runs in its own subprocess (so peak memory is per case), pinned
to one CPU core unless ``--all-cores`` (Brian2 standalone runs one thread; XLA would otherwise use
every core); the JSON reports the median over repetitions. Usage::

    python -m benchmarks.cobahh            # 1 s of biological time, 3 repetitions
    python -m benchmarks.cobahh --quick    # 0.2 s, 1 repetition (< 3 minutes)

spikenet runs on the default JAX device (set ``JAX_PLATFORMS``; CPU when unset).

Writes ``results/benchmarks/cobahh.json``: ``cases`` (system, network, n_neurons, bio_s,
compile_s, sim_s, rate_hz, synaptic_events, peak_rss_mb) and ``ratio_sim_vs_brian2_standalone``.

References
----------
Brette et al., J. Comput. Neurosci. 23:349-398 (2007), benchmark 3; Brian2 ``examples/COBAHH.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SYSTEMS = ("brian2_runtime_cython", "brian2_cpp_standalone_1thread", "spikenet_float32", "spikenet_float64")
DT_MS = 0.1
EXCITATORY_FRACTION, PROBABILITY = 0.8, 0.02
W_EXC_NS, W_INH_NS = 6.0, 67.0
TAU_EXC_MS, TAU_INH_MS, E_EXC_MV, E_INH_MV = 5.0, 10.0, 0.0, -80.0


def initial_values(n_neurons: int, seed: int) -> dict[str, np.ndarray]:
    """Brian2 example's random initial state (v in mV, conductances in nS)."""
    rng = np.random.default_rng(seed)
    return {"v": -60.0 + rng.standard_normal(n_neurons) * 5.0 - 5.0,
            "g_exc": (rng.standard_normal(n_neurons) * 1.5 + 4.0) * 10.0,
            "g_inh": (rng.standard_normal(n_neurons) * 12.0 + 20.0) * 10.0}


def run_spikenet(n_neurons: int, bio_s: float, seed: int, precision: str = "float32") -> dict:
    import spikenet as sn
    from neurons import HodgkinHuxley

    network = sn.Network(dt=DT_MS, seed=seed)
    n_exc = int(EXCITATORY_FRACTION * n_neurons)
    exc = network.population("exc", n_exc, HodgkinHuxley())
    inh = network.population("inh", n_neurons - n_exc, HodgkinHuxley())
    excitatory = sn.ConductanceExp(tau=TAU_EXC_MS, e_rev=E_EXC_MV)  # channel g_syn0 of both populations
    inhibitory = sn.ConductanceExp(tau=TAU_INH_MS, e_rev=E_INH_MV)  # channel g_syn1
    for pre, synapse, weight in ((exc, excitatory, W_EXC_NS), (inh, inhibitory, W_INH_NS)):
        for post in (exc, inh):
            network.connect(pre, post, sn.FixedProbability(PROBABILITY), synapse=synapse, weight=weight)
    start = initial_values(n_neurons, seed)
    for population, part in ((exc, slice(0, n_exc)), (inh, slice(n_exc, n_neurons))):
        population.set_initial(v=start["v"][part], m=0.0, h=0.0, n=0.0, g_syn0=start["g_exc"][part],
                               g_syn1=start["g_inh"][part])
    result = network.run(bio_s * 1000.0, monitors=[sn.SpikeMonitor(exc), sn.SpikeMonitor(inh)],
                         precision=precision, progress=False)
    spikes = sum(result.counts.spikes.values())
    return {"compile_s": result.compile_seconds, "sim_s": result.run_seconds, "spikes": int(spikes),
            "synaptic_events": int(sum(result.counts.synaptic_events.values()))}


def _brian2_network(b2, n_neurons: int, seed: int):
    from neurons import HodgkinHuxley

    description = HodgkinHuxley().brian2_model("(g_exc*(E_exc - v) + g_inh*(E_inh - v))")
    namespace = {name: value * getattr(b2, unit) for name, (unit, value) in description["namespace"].items()}
    namespace.update(tau_exc=TAU_EXC_MS * b2.ms, tau_inh=TAU_INH_MS * b2.ms, E_exc=E_EXC_MV * b2.mV,
                     E_inh=E_INH_MV * b2.mV, w_exc=W_EXC_NS * b2.nS, w_inh=W_INH_NS * b2.nS)
    equations = description["equations"] + "\ndg_exc/dt = -g_exc/tau_exc : siemens\ndg_inh/dt = -g_inh/tau_inh : siemens"
    b2.seed(seed)
    group = b2.NeuronGroup(n_neurons, equations, threshold=description["threshold"],
                           refractory=description["refractory"][1] * b2.ms, method=description["method"], namespace=namespace)
    n_exc = int(EXCITATORY_FRACTION * n_neurons)
    exc_synapses = b2.Synapses(group[:n_exc], group, on_pre="g_exc += w_exc", namespace=namespace)
    inh_synapses = b2.Synapses(group[n_exc:], group, on_pre="g_inh += w_inh", namespace=namespace)
    exc_synapses.connect(p=PROBABILITY)
    inh_synapses.connect(p=PROBABILITY)
    start = initial_values(n_neurons, seed)
    group.v = start["v"] * b2.mV
    group.g_exc = start["g_exc"] * b2.nS
    group.g_inh = start["g_inh"] * b2.nS
    monitor = b2.SpikeMonitor(group)
    return b2.Network(group, exc_synapses, inh_synapses, monitor), monitor, (exc_synapses, inh_synapses), n_exc


def _brian2_events(monitor, synapses, n_exc: int, n_neurons: int) -> int:
    counts = np.bincount(np.asarray(monitor.i[:]), minlength=n_neurons)
    exc_degree = np.bincount(np.asarray(synapses[0].i[:]), minlength=n_exc)
    inh_degree = np.bincount(np.asarray(synapses[1].i[:]), minlength=n_neurons - n_exc)
    return int(counts[:n_exc] @ exc_degree + counts[n_exc:] @ inh_degree)


def run_brian2_runtime(n_neurons: int, bio_s: float, seed: int) -> dict:
    import brian2 as b2

    b2.prefs.codegen.target = "cython"
    b2.defaultclock.dt = DT_MS * b2.ms
    network, monitor, synapses, n_exc = _brian2_network(b2, n_neurons, seed)
    start = time.perf_counter()
    network.run(0 * b2.ms)  # code generation and Cython compilation (cached on disk across runs)
    compile_s = time.perf_counter() - start
    start = time.perf_counter()
    network.run(bio_s * b2.second)
    sim_s = time.perf_counter() - start
    return {"compile_s": compile_s, "sim_s": sim_s, "spikes": int(monitor.num_spikes),
            "synaptic_events": _brian2_events(monitor, synapses, n_exc, n_neurons)}


def run_brian2_standalone(n_neurons: int, bio_s: float, seed: int) -> dict:
    import brian2 as b2

    directory = tempfile.mkdtemp(prefix="cobahh_standalone_")
    b2.set_device("cpp_standalone", directory=directory, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0  # one thread
    b2.defaultclock.dt = DT_MS * b2.ms
    network, monitor, synapses, n_exc = _brian2_network(b2, n_neurons, seed)
    network.run(bio_s * b2.second)
    start = time.perf_counter()
    b2.device.build(directory=directory, compile=True, run=False, with_output=False)
    compile_s = time.perf_counter() - start
    start = time.perf_counter()
    b2.device.run(directory=directory, with_output=False)
    wall_s = time.perf_counter() - start
    sim_s = float(getattr(b2.device, "_last_run_time", None) or wall_s)  # time of network.run inside the binary
    return {"compile_s": compile_s, "sim_s": sim_s, "spikes": int(monitor.num_spikes),
            "synaptic_events": _brian2_events(monitor, synapses, n_exc, n_neurons)}


RUNNERS = {"brian2_runtime_cython": run_brian2_runtime, "brian2_cpp_standalone_1thread": run_brian2_standalone,
           "spikenet_float32": run_spikenet,
           "spikenet_float64": lambda n, bio_s, seed: run_spikenet(n, bio_s, seed, precision="float64")}


def _peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024.0  # ru_maxrss is in KiB on Linux


def run_case(system: str, n_neurons: int, bio_s: float, seed: int) -> dict:
    measured = RUNNERS[system](n_neurons, bio_s, seed)
    return {"system": system, "network": "COBAHH", "n_neurons": n_neurons, "bio_s": bio_s,
            "compile_s": measured["compile_s"], "sim_s": measured["sim_s"],
            "rate_hz": measured["spikes"] / n_neurons / bio_s, "synaptic_events": measured["synaptic_events"],
            "peak_rss_mb": _peak_rss_mb()}


def _median_case(runs: list[dict]) -> dict:
    case = dict(runs[0])
    for key in ("compile_s", "sim_s", "rate_hz", "synaptic_events", "peak_rss_mb"):
        case[key] = statistics.median(run[key] for run in runs)
    case["repetitions"] = len(runs)
    case["sim_s_each"] = [run["sim_s"] for run in runs]
    return case


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="0.2 s of biological time, 1 repetition")
    parser.add_argument("--repetitions", type=int, default=None)
    parser.add_argument("--neurons", type=int, default=4000)
    parser.add_argument("--output", default="results/benchmarks/cobahh.json")
    parser.add_argument("--all-cores", action="store_true", help="let each system use every core (default: one core each)")
    parser.add_argument("--case", choices=SYSTEMS, help=argparse.SUPPRESS)  # internal: one measurement
    parser.add_argument("--bio-s", type=float, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    bio_s = args.bio_s or (0.2 if args.quick else 1.0)
    if args.case:
        if not args.all_cores:  # every system on one core: Brian2 standalone has 1 thread, XLA may not
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        print("CASE " + json.dumps(run_case(args.case, args.neurons, bio_s, args.seed)))
        return
    repetitions = args.repetitions or (1 if args.quick else 3)
    cases = []
    for system in SYSTEMS:
        runs = []
        for repetition in range(repetitions):
            command = [sys.executable, "-m", "benchmarks.cobahh", "--case", system, "--neurons", str(args.neurons),
                       "--bio-s", str(bio_s), "--seed", str(repetition)] + (["--all-cores"] if args.all_cores else [])
            output = subprocess.run(command, check=True, capture_output=True, text=True,
                                    env={**os.environ, "JAX_PLATFORMS": os.environ.get("JAX_PLATFORMS", "cpu")}).stdout
            runs.append(json.loads(next(line for line in output.splitlines() if line.startswith("CASE "))[5:]))
            print(f"{system} rep {repetition}: sim {runs[-1]['sim_s']:.2f} s, compile {runs[-1]['compile_s']:.2f} s, "
                  f"rate {runs[-1]['rate_hz']:.2f} Hz", flush=True)
        cases.append(_median_case(runs))
    by_system = {case["system"]: case for case in cases}
    standalone_s = by_system["brian2_cpp_standalone_1thread"]["sim_s"]
    report = {
        "benchmark": "COBAHH (Brette et al. 2007, benchmark 3)", "dt_ms": DT_MS, "quick": args.quick,
        "cases": cases,
        "ratio_sim_vs_brian2_standalone": by_system["spikenet_float32"]["sim_s"] / standalone_s,
        "ratio_sim_vs_brian2_standalone_float64": by_system["spikenet_float64"]["sim_s"] / standalone_s,
        "ratio_sim_vs_brian2_runtime": by_system["spikenet_float32"]["sim_s"] / by_system["brian2_runtime_cython"]["sim_s"],
        "machine": {"platform": platform.platform(), "processor": platform.processor(), "cpus": os.cpu_count(),
                    "cores_per_system": os.cpu_count() if args.all_cores else 1},
        "notes": "median over repetitions, each in its own process; ratio_sim_vs_brian2_standalone uses spikenet's "
                 "default float32 (Brian2 runs float64; the float64 ratio is reported beside it); spikenet and Brian2 draw "
                 "different random connectivity from the same parameters, so rates differ by realisation (on identical "
                 "connectivity the spikes are identical: tests/neurons/test_cobahh_network.py); "
                 "Brian2 compile_s for the runtime target includes Cython code generation (cached on disk after the first run)",
    }
    path = Path(args.output)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(report, indent=2))
    os.replace(temporary, path)
    print(f"spikenet / Brian2 cpp_standalone simulation time: {report['ratio_sim_vs_brian2_standalone']:.2f}; wrote {path}")


if __name__ == "__main__":
    main()
