"""Multi-core scaling (issue 13, item 2): COBA fan-in 80 at N = 40,000 and 400,000 on 1 and 2
cores, spikenet (k JAX CPU devices) against Brian2 cpp_standalone (k OpenMP threads) and NEST
(k threads), one run per case.

Every case runs in a fresh spawned child process pinned to cores ``0 .. k-1``
(``os.sched_setaffinity``; Brian2's compiled binary inherits the mask), so peak RSS is per case
and a system never gets more than k cores:

* ``spikenet``: ``XLA_FLAGS=--xla_force_host_platform_device_count=k
  --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1`` is set before jax is
  imported (k devices, one thread each); the network is compiled with
  ``net.compile(precision="float32", devices=k)`` (``devices=1`` is the single-device engine).
* ``brian2_standalone``: the network exported by ``spikenet.brian2_export.to_brian2`` (same
  synapse lists and initial state), ``cpp_standalone`` with
  ``prefs.devices.cpp_standalone.openmp_threads = k`` (also 1 for k = 1: one OpenMP thread, not
  the OpenMP-free build that ``benchmarks.coba`` times).
* ``nest``: the same network built directly in PyNEST (``iaf_cond_exp``, see :func:`_build_nest`:
  ``experiments.nest_export.to_nest`` refuses conductance synapses and Euler integration), with
  ``local_num_threads = k``.

Each system first simulates a warm-up (``--warmup`` ms, default 100) and then the measured
``--duration`` ms (default 1 s biological) continuing from it (spikenet: ``resume=`` the warm-up;
recorded in ``measured_from``; spikenet's measured run is repeated :data:`SPIKENET_REPEATS` times
from the same warm-up state and ``sim_s`` is their median, since its runs are short and this
VM is noisy). Reported per case: ``network_s`` (the spikenet description: connectivity
drawn once, shared by all systems), ``build_s`` (export / code generation / compilation /
NEST node and connection creation), ``sim_s`` (the measured run only), spikes and mean rate of the
measured run (sanity check: the three systems should agree to within a few Hz), synaptic events
per second and peak RSS. A case that fails (an exception, a crash or ``--case-timeout``) is
recorded as ``{"error": ...}`` and the benchmark goes on.

Usage::

    python -m benchmarks.scaling                      # N = 40,000 and 400,000; 1 and 2 cores; 1 s
    python -m benchmarks.scaling --quick              # N = 40,000 only, 0.2 s
    python -m benchmarks.scaling --sizes 4000 --duration 100 --warmup 20 --out /tmp/scaling.json
    python -m benchmarks.scaling --systems spikenet --cores 1 2

Writes ``results/benchmarks/scaling.json`` (atomically) and prints a table and the ratios:
spikenet 2-core vs 1-core speed-up (target >= 1.7x at N = 400,000), and the speed-up of spikenet
over Brian2 standalone and over NEST with the same cores (> 1: spikenet is faster).
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.coba import _build, _events_from_counts, _peak_rss_mb
from benchmarks.isolation import run_in_fresh_process

SYSTEMS = ("spikenet", "brian2_standalone", "nest")
SIZES = (40000, 400000)
CORES = (1, 2)
SPIKENET_REPEATS = 3
"""spikenet's measured run is repeated (from the same warm-up state, identical spikes): sim_s is
the median (``sim_s_runs`` lists them). Brian2 and NEST run once (their runs take 1-1000x longer)."""
TARGET_SPEEDUP = 1.7
TARGET_SIZE = 400000


def _pin(cores: int) -> None:
    """Restrict this process (and its future threads and children) to cores 0 .. cores-1."""
    os.sched_setaffinity(0, set(range(cores)))


def _xla_flags(devices: int) -> str:
    return (f"--xla_force_host_platform_device_count={devices} "
            "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")


# ---------------------------------------------------------------------------------------------
# spikenet


def _run_spikenet(net, cores: int, warmup_ms: float, bio_ms: float) -> dict:
    import jax

    extra: dict = {"jax_devices": jax.device_count(), "xla_flags": os.environ.get("XLA_FLAGS", ""), "sharded": cores > 1}
    t0 = time.perf_counter()
    compiled = net.compile(precision="float32", devices=cores)
    build_s = time.perf_counter() - t0
    warm = None
    if warmup_ms > 0:
        t1 = time.perf_counter()
        warm = compiled.run(warmup_ms, seed=1, progress=False)
        build_s += warm.compile_seconds
        extra["warmup_wall_s"] = time.perf_counter() - t1
    runs = []
    for _ in range(SPIKENET_REPEATS):  # (the same run each time: median of the times)
        measured = compiled.run(bio_ms, seed=1, progress=False, resume=warm)
        build_s += measured.compile_seconds  # a chunk length not compiled during the warm-up (first repeat)
        runs.append((measured.run_seconds, int(measured.counts.total_spikes)))
    if len({spikes for _, spikes in runs}) != 1:
        raise RuntimeError(f"spikenet's repeated runs differ: {runs}")
    extra["measured_from"] = "initial state" if warm is None else "warm-up state"
    extra["sim_s_runs"] = [seconds for seconds, _ in runs]
    counts = measured.counts
    return {"build_s": build_s, "sim_s": float(np.median(extra["sim_s_runs"])), "spikes": int(counts.total_spikes),
            "spikes_by_population": {k: int(v) for k, v in counts.spikes.items()},
            "synaptic_events": int(counts.total_synaptic_events), **extra}


# ---------------------------------------------------------------------------------------------
# Brian2 cpp_standalone


def _run_brian2_standalone(net, cores: int, warmup_ms: float, bio_ms: float) -> dict:
    import brian2 as b2

    from spikenet.brian2_export import to_brian2

    directory = tempfile.mkdtemp(prefix="brian2_scaling_")
    b2.set_device("cpp_standalone", directory=directory, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = cores
    t0 = time.perf_counter()
    exported = to_brian2(net)
    monitors = {name: b2.SpikeMonitor(exported.groups[name], record=False) for name in net.populations}
    exported.network.add(*monitors.values())
    if warmup_ms > 0:
        for monitor in monitors.values():
            monitor.active = False
        exported.network.run(warmup_ms * b2.ms)
        for monitor in monitors.values():
            monitor.active = True
    exported.network.run(bio_ms * b2.ms)
    b2.device.build(directory=directory, compile=True, run=False, with_output=False)
    build_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    b2.device.run(directory=directory, with_output=False)
    binary_wall_s = time.perf_counter() - t1
    # Network::_last_run_time is the wall time of the last network.run() in the binary: the measured run.
    counts = {name: np.asarray(m.count[:]) for name, m in monitors.items()}
    return {"build_s": build_s, "sim_s": float(b2.device._last_run_time), "binary_wall_s": binary_wall_s,
            "spikes": int(sum(c.sum() for c in counts.values())),
            "spikes_by_population": {k: int(c.sum()) for k, c in counts.items()},
            "synaptic_events": _events_from_counts(net, counts), "openmp_threads": cores,
            "measured_from": "warm-up state" if warmup_ms > 0 else "initial state"}


# ---------------------------------------------------------------------------------------------
# NEST


def _build_nest(net, cores: int) -> tuple:
    """Build spikenet's COBA network ``net`` in PyNEST: one ``iaf_cond_exp`` population per
    spikenet population, the same parameters, initial v, injected current and synapse lists.

    ``experiments.nest_export.to_nest`` refuses this network (it exports only what NEST
    reproduces step for step: no conductance synapses, no Euler integration), so the network is
    built here. Mapping and the differences that remain (why rates agree only statistically):

    * C_m 200 pF, g_L = C_m / tau_m = 10 nS, E_L = V_reset -60 mV, V_th -50 mV, I_e 200 pA,
      E_ex 0 mV / tau_syn_ex 5 ms, E_in -80 mV / tau_syn_in 10 ms, V_m(0) = spikenet's v(0).
    * Weights: excitatory +6 nS, inhibitory -67 nS (iaf_cond_exp routes a spike by the sign
      of its weight and adds |w| to g_in).
    * Integration: spikenet and Brian2 integrate with forward Euler at dt 0.1 ms (the
      benchmark's definition); iaf_cond_exp integrates v, g_ex, g_in with GSL's adaptive
      RKF45 within each step (accurate, and more work per neuron and step than one Euler step).
    * Delay: spikenet's delay 0 makes a spike of step s change g before the integration of step
      s + 1; NEST's minimum delay is one step (dt) and iaf_cond_exp adds an input to g after
      integrating the step that reads it, so a spike acts from step s + 2: 0.1 ms more latency.
    * Refractoriness: t_ref = (R - 1) dt with R = refractory_steps(5 ms, dt) = 50, the
      mapping of ``experiments.nest_export`` (spikenet holds v for R - 1 steps after the spike
      step; NEST clamps V for t_ref / dt steps; neither gates the conductances). Threshold:
      NEST spikes on V >= V_th, spikenet on v > v_threshold.
    """
    from experiments.nest_export import import_nest
    from neurons.lif import refractory_steps
    from spikenet.synapses import ConductanceExp

    nest = import_nest()
    nest.ResetKernel()
    nest.SetKernelStatus({"local_num_threads": cores, "resolution": net.dt})
    dt = net.dt
    nodes = {}
    for name, population in net.populations.items():
        model = population.model
        channels = {}
        for projection in net.projections:
            if projection.post is population:
                if not isinstance(projection.synapse, ConductanceExp):
                    raise ValueError(f"projection {projection.name!r}: only ConductanceExp synapses are built in NEST here")
                port = "ex" if projection.synapse.e_rev > model.v_threshold else "in"  # reversal above threshold: excitatory
                if channels.setdefault(port, projection.synapse) != projection.synapse:
                    raise ValueError(f"population {name!r}: two {port} conductances; iaf_cond_exp has one per port")
        parameters = {"C_m": model.capacitance, "g_L": model.g_leak, "E_L": model.v_rest, "V_th": model.v_threshold,
                      "V_reset": model.v_reset,
                      "t_ref": max(refractory_steps(model.refractory, dt) - 1, 0) * dt}
        for port, synapse in channels.items():
            parameters[f"E_{port}"] = synapse.e_rev
            parameters[f"tau_syn_{port}"] = synapse.tau
        nodes[name] = nest.Create("iaf_cond_exp", population.size, params=parameters)
        current = sum((c.values for c in net.currents if c.population is population), np.zeros(population.size))
        v0 = population.initial.get("v", np.full(population.size, model.v_rest))
        nodes[name].set({"V_m": np.asarray(v0, dtype=np.float64).tolist(),
                         "I_e": np.asarray(current, dtype=np.float64).tolist()})
    for projection in net.projections:
        if not projection.n_synapses:
            continue
        inhibitory = not projection.synapse.e_rev > projection.post.model.v_threshold
        weights = np.abs(np.asarray(projection.weights, dtype=np.float64)) * (-1.0 if inhibitory else 1.0)
        delays = np.maximum(projection.delay_steps.astype(np.float64), 1.0) * dt  # NEST's minimum delay: one step
        delays = np.broadcast_to(delays, weights.shape).astype(np.float64)  # arrays: NEST's connect_arrays needs them
        first_pre = int(nodes[projection.pre.name][0].global_id)
        first_post = int(nodes[projection.post.name][0].global_id)
        nest.Connect(np.asarray(projection.synapses.pre, dtype=np.int64) + first_pre,
                     np.asarray(projection.synapses.post, dtype=np.int64) + first_post, "one_to_one",
                     syn_spec={"synapse_model": "static_synapse", "weight": weights, "delay": delays})
    return nest, nodes


def _run_nest(net, cores: int, warmup_ms: float, bio_ms: float) -> dict:
    t0 = time.perf_counter()
    nest, nodes = _build_nest(net, cores)
    recorders = {}
    for name, group in nodes.items():
        # Spikes stamped in (warm-up, warm-up + duration]: those of the measured run.
        recorders[name] = nest.Create("spike_recorder", params={"start": warmup_ms, "stop": warmup_ms + bio_ms})
        nest.Connect(group, recorders[name])
    build_s = time.perf_counter() - t0
    extra = {}
    if warmup_ms > 0:
        t1 = time.perf_counter()
        nest.Simulate(warmup_ms)  # includes NEST's preparation of the connection infrastructure
        extra["warmup_wall_s"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    nest.Simulate(bio_ms)
    sim_s = time.perf_counter() - t1
    counts = {}
    for name, group in nodes.items():
        senders = np.asarray(recorders[name].events["senders"], dtype=np.int64) - int(group[0].global_id)
        counts[name] = np.bincount(senders, minlength=len(group))
    return {"build_s": build_s, "sim_s": sim_s, "spikes": int(sum(c.sum() for c in counts.values())),
            "spikes_by_population": {k: int(c.sum()) for k, c in counts.items()},
            "synaptic_events": _events_from_counts(net, counts), "threads": cores,
            "nest_version": nest.__version__, "measured_from": "warm-up state" if warmup_ms > 0 else "initial state",
            **extra}


# ---------------------------------------------------------------------------------------------
# isolation


RUNNERS = {"spikenet": _run_spikenet, "brian2_standalone": _run_brian2_standalone, "nest": _run_nest}


def _case(arguments: tuple) -> dict:
    """One case, in a fresh process: pin, set the XLA flags (before jax is imported), build, run."""
    system, n_neurons, cores, warmup_ms, bio_ms = arguments
    _pin(cores)
    os.environ["XLA_FLAGS"] = _xla_flags(cores if system == "spikenet" else 1)
    t0 = time.perf_counter()
    net = _build("fanin80", n_neurons)
    network_s = time.perf_counter() - t0
    measured = RUNNERS[system](net, cores, warmup_ms, bio_ms)
    sim_s = measured["sim_s"]
    bio_s = bio_ms / 1000.0
    return {"system": system, "network": "COBA fan-in 80", "n_neurons": n_neurons, "cores": cores,
            "bio_s": bio_s, "warmup_s": warmup_ms / 1000.0, "network_s": network_s, **measured,
            "sim_s_per_bio_s": sim_s / bio_s, "rate_hz": measured["spikes"] / n_neurons / bio_s,
            "events_per_s": measured["synaptic_events"] / sim_s if sim_s > 0 else float("nan"),
            "peak_rss_mb": _peak_rss_mb()}


def run_case(arguments: tuple, timeout_s: float | None) -> dict:
    """One case in a fresh process (:func:`benchmarks.isolation.run_in_fresh_process`)."""
    system, n_neurons, cores, warmup_ms, bio_ms = arguments
    key = {"system": system, "network": "COBA fan-in 80", "n_neurons": n_neurons, "cores": cores,
           "bio_s": bio_ms / 1000.0}
    return run_in_fresh_process(_case, arguments, key, timeout_s)


# ---------------------------------------------------------------------------------------------
# report


def _find(cases: list[dict], system: str, n: int, cores: int) -> dict | None:
    for case in cases:
        if (case["system"], case["n_neurons"], case["cores"]) == (system, n, cores) and "error" not in case:
            return case
    return None


def ratios(cases: list[dict], sizes, cores_list) -> dict:
    """Speed-ups (ratios of sim_s): > 1 means the first-named system (or configuration) is faster."""
    out: dict = {"spikenet_speedup_vs_1_core": {}, "spikenet_speedup_vs_brian2_standalone": {},
                 "spikenet_speedup_vs_nest": {}}
    for n in sizes:
        one = _find(cases, "spikenet", n, 1)
        for k in cores_list:
            mine = _find(cases, "spikenet", n, k)
            if mine is None:
                continue
            if k != 1 and one is not None:
                out["spikenet_speedup_vs_1_core"].setdefault(str(n), {})[str(k)] = one["sim_s"] / mine["sim_s"]
            for other, label in (("brian2_standalone", "spikenet_speedup_vs_brian2_standalone"), ("nest", "spikenet_speedup_vs_nest")):
                theirs = _find(cases, other, n, k)
                if theirs is not None:
                    out[label].setdefault(str(n), {})[str(k)] = theirs["sim_s"] / mine["sim_s"]
    return out


def _machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": model or platform.processor(), "cpus_online": os.cpu_count(),
            "cpus_available": len(os.sched_getaffinity(0)), "platform": platform.platform()}


def _print_case(case: dict) -> None:
    head = f"{case['system']:18s} N={case['n_neurons']:>7,} cores={case['cores']}"
    if "error" in case:
        print(f"{head}  ERROR {case['error'].splitlines()[0]}", flush=True)
        return
    note = "" if case.get("sharded", True) else "  (unsharded engine)"
    print(f"{head}  build {case['build_s']:7.2f}s  sim {case['sim_s']:8.3f}s / {case['bio_s']:.2f}s bio  "
          f"rate {case['rate_hz']:5.1f} Hz  events {case['events_per_s'] / 1e6:7.1f} M/s  "
          f"RSS {case['peak_rss_mb']:7.0f} MB{note}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="COBA fan-in 80 on 1 and 2 cores: spikenet vs Brian2 standalone vs NEST")
    parser.add_argument("--quick", action="store_true", help="N = 40,000 only, 0.2 s biological")
    parser.add_argument("--sizes", type=int, nargs="+", help=f"network sizes (default {' '.join(map(str, SIZES))})")
    parser.add_argument("--systems", nargs="+", choices=SYSTEMS, default=list(SYSTEMS))
    parser.add_argument("--cores", type=int, nargs="+", default=list(CORES), help="core counts (default 1 2)")
    parser.add_argument("--duration", type=float, help="measured biological time in ms (default 1000; 200 with --quick)")
    parser.add_argument("--warmup", type=float, default=100.0, help="warm-up biological time in ms before the measured run")
    parser.add_argument("--case-timeout", type=float, default=7200.0, help="seconds before a case is abandoned")
    parser.add_argument("--out", type=Path, default=Path("results/benchmarks/scaling.json"))
    args = parser.parse_args(argv)
    from spikenet.io import write_json

    sizes = args.sizes or ([40000] if args.quick else list(SIZES))
    duration = args.duration if args.duration is not None else (200.0 if args.quick else 1000.0)
    cores_list = sorted(set(args.cores))
    plan = [(system, n, k, args.warmup, duration) for n in sizes for system in args.systems for k in cores_list]

    cases = []
    for arguments in plan:
        case = run_case(arguments, args.case_timeout)
        cases.append(case)
        _print_case(case)

    report = {
        "description": "COBA fan-in 80 (experiments.networks.coba(n, seed=1, in_degree=80)); one run per case, each in a "
                       "fresh process pinned to cores 0..k-1. spikenet: k JAX CPU devices, one thread each; Brian2 "
                       "cpp_standalone: k OpenMP threads; NEST 3 (iaf_cond_exp, same synapse lists): k threads. sim_s is "
                       "the measured run after the warm-up; build_s is export/code generation/compilation/node and "
                       "connection creation; network_s draws the connectivity. Ratios are speed-ups (ratios of sim_s, "
                       "> 1: spikenet faster, or more cores faster).",
        "machine": _machine(),
        "settings": {"sizes": sizes, "systems": args.systems, "cores": cores_list, "duration_ms": duration,
                     "warmup_ms": args.warmup},
        "cases": cases,
        "ratios": ratios(cases, sizes, cores_list),
    }
    speedup = report["ratios"]["spikenet_speedup_vs_1_core"].get(str(TARGET_SIZE), {}).get("2")
    report["target"] = {"description": f"spikenet 2 devices >= {TARGET_SPEEDUP}x faster than 1 device at N = {TARGET_SIZE:,}",
                        "speedup": speedup, "met": None if speedup is None else bool(speedup >= TARGET_SPEEDUP)}
    write_json(args.out, report)

    print()
    for label, table in report["ratios"].items():
        for n, by_cores in table.items():
            values = ", ".join(f"{k} core{'s' if k != '1' else ''}: {v:.2f}x" for k, v in by_cores.items())
            print(f"{label:40s} N={int(n):>7,}  {values}")
    if speedup is not None:
        print(f"target: spikenet 2 vs 1 device at N = {TARGET_SIZE:,}: {speedup:.2f}x "
              f"({'met' if speedup >= TARGET_SPEEDUP else 'not met'}, >= {TARGET_SPEEDUP}x)")
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
