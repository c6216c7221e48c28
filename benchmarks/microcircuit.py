"""Full-scale Potjans & Diesmann (2014) microcircuit (issue 13, item 5): spikenet on 1 and 2 cores
against NEST on the same cores, in one run.

What is measured, per case (system x core count):

* build: spikenet ``network_s`` (``experiments.microcircuit.build``: the description, synapses
  drawn) + ``compile_s`` (``net.compile`` and the compilation of the simulation chunk) =
  ``build_s``, everything until the network is ready to simulate; NEST ``create_s`` + ``connect_s``
  = ``build_s`` (``nest.Create`` and ``nest.Connect``; NEST's own preparation of the connection
  infrastructure happens in the first ``Simulate`` and is recorded apart as ``nest_prepare_s``);
* a transient (``--transient`` ms, default 500, not measured) and then the measured run
  (``--duration`` ms, default 1000) continuing from it: ``sim_s``, real-time factor
  ``sim_s / bio_s``;
* peak RSS of the case (``ru_maxrss``: build included) and bytes per synapse at that peak;
* per-population rates in the measured window, spikes / (N * duration).

How: every case runs in its own spawned child pinned to cores ``0 .. k-1`` (``os.sched_setaffinity``),
strictly one after the other (never two at once: memory), so peak RSS is per case. A case that fails
(an exception, the OOM killer, ``--case-timeout``) is recorded as ``{"error": ...}`` and the run goes
on.

* ``spikenet``: ``XLA_FLAGS`` gives k JAX CPU devices (one thread each) before jax is imported;
  ``net.compile(precision="float32", keep_synapses=False)`` for one core, ``net.compile(precision="float32",
  devices=k, keep_synapses=False)`` (sharded engine) for k > 1 (``keep_synapses=False``: the network's
  synapse arrays are handed to the engine, as NEST keeps no second copy of its connections);
  ``compiled.run(transient)`` then
  ``compiled.run(duration, resume=transient)``, one chunk length serving both.
* ``nest``: NEST's own build, as the public PyNEST microcircuit (``pynest/examples/Potjans_2014``)
  does it: ``iaf_psc_exp`` per population (C_m 250 pF, tau_m 10 ms, tau_syn_ex = tau_syn_in
  0.5 ms, E_L -65, V_th -50, V_reset -65 mV), V_m(0) normal with the 'optimized' mean and SD per
  population, ``fixed_total_number`` connections with redrawn-normal weights (relative SD 0.1, sign
  kept) and delays (SD half the mean, redrawn below dt), DC background as ``I_e``, resolution
  0.1 ms, one ``spike_recorder`` per population, two ``nest.Simulate`` calls. The child does not
  import spikenet or jax (75 MB that would count as NEST's memory): the numbers come from the parent.

Same model in both: the synapse numbers, weights and DC come from
``experiments.microcircuit.derived_parameters(scale, scale, poisson_input)``; ``--scale`` sets
N_scaling = K_scaling (default 1, full scale). The background is the DC equivalent of the Poisson
input (``poisson_input=False``; PyNEST's default is Poisson): no random background, so the activity
depends on the connectivity only. ``--poisson`` uses Poisson input instead (spikenet
``Network.poisson_input``, NEST one ``poisson_generator`` per population at K_ext x 8 Hz, delay
1.5 ms, as PyNEST). At small scales the DC background alone is below rheobase (375 pA: the DC
compensation of K_scaling < 1 assumes the full-scale rates), so both systems stay silent; check
rates at small scale with ``--poisson``.

The two systems integrate differently: spikenet's LIF is exponential Euler with the synaptic current
held over each 0.1-ms step, NEST's ``iaf_psc_exp`` integrates the decaying current exactly, so with
equal weights a PSC moves v P20/P21 = 1.10 times more in spikenet (tau_syn 0.5 ms; see the
``experiments.microcircuit`` and ``experiments.nest_export`` docstrings), and NEST's t_ref holds V one
step longer. With the downscaled model's large weights that changes the rates severalfold (scale
0.02, Poisson background: 1.5 Hz in spikenet, 0.6 Hz in NEST), and with them the work simulated. By
default NEST therefore gets ``experiments.nest_export``'s mapping, under which its recursion is
spikenet's: every PSC weight (recurrent and Poisson) x P20/P21 and t_ref = (R - 1) dt = 1.9 ms.
Constant currents need no mapping. ``--nest-public-model`` keeps PyNEST's values (weights as given,
t_ref 2 ms). Either way the rates agree statistically, not spike for spike (different random
connectivity draws, Poisson trains, spike stamping).

Targets (per core count, ratios spikenet / NEST): ``ratio_sim_vs_nest`` <= 0.5,
``ratio_memory_vs_nest`` <= 0.5 (peak RSS, build included), ``ratio_build_vs_nest`` <= 1.0 (spikenet
build against NEST create + connect).

NEST's thread minimum: NEST stores at most 134,217,726 connections per virtual process and synapse
model, so the full model (298,880,968 synapses) needs several virtual processes whatever the core
count. The NEST case runs ``local_num_threads`` = max(cores, ceil(synapses / 134,217,726)) threads on
its k cores (recorded with the reason); if NEST still refuses ("Too many connections") the case is
rerun in a fresh process with one thread more (``threads_refused``).

Usage::

    python -m benchmarks.microcircuit                        # full scale, 1 and 2 cores, both systems
    python -m benchmarks.microcircuit --scale 0.02 --transient 100 --duration 200 --poisson --out /tmp/mc.json
    python -m benchmarks.microcircuit --systems spikenet --cores 1

Writes ``results/benchmarks/microcircuit.json`` (atomically; ``--out``) and prints a table.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from pathlib import Path

import numpy as np

from benchmarks.coba import _peak_rss_mb
from benchmarks.isolation import run_in_fresh_process
from benchmarks.scaling import _machine, _pin, _xla_flags

SYSTEMS = ("spikenet", "nest")
CORES = (1, 2)
SEED = 1
NEST_MAX_CONNECTIONS_PER_VP = 134_217_726  # per virtual process and synapse model (NEST 3)
NEST_POISSON_DELAY_MS = 1.5  # PyNEST network_params 'poisson_delay'
MIN_SHARED_CHUNK_STEPS = 1000
TARGETS = {"ratio_sim_vs_nest": 0.5, "ratio_memory_vs_nest": 0.5, "ratio_build_vs_nest": 1.0}


# ---------------------------------------------------------------------------------------------
# model numbers (parent process)


def model_numbers(scale: float, poisson_input: bool, nest_public_model: bool = False) -> dict:
    """The numbers both systems build from: ``derived_parameters(scale, scale, poisson_input)``,
    the neuron parameters, initial-V_m statistics and mean delays of ``experiments.microcircuit``,
    as plain lists (sent to the NEST child). NEST's PSC weights are multiplied by
    ``nest_weight_factor`` and its ``t_ref`` is (R - 1) dt, the mapping of ``experiments.nest_export``
    that gives NEST spikenet's dynamics; ``nest_public_model``: factor 1 and t_ref 2 ms, the PyNEST values."""
    from experiments import microcircuit as mc
    from experiments.nest_export import current_propagators
    from neurons.lif import LIF, refractory_steps

    params = mc.derived_parameters(scale, scale, poisson_input)
    neuron = LIF(tau_m=mc.TAU_M_MS, v_rest=mc.E_L_MV, v_threshold=mc.V_TH_MV, v_reset=mc.V_RESET_MV,
                 refractory=mc.T_REF_MS, capacitance=mc.C_M_PF)
    p20, p21 = current_propagators(neuron, mc.TAU_SYN_MS, mc.DT_MS)
    t_ref = mc.T_REF_MS if nest_public_model else round(max(refractory_steps(mc.T_REF_MS, mc.DT_MS) - 1, 0) * mc.DT_MS, 9)
    return {
        "populations": list(mc.POPULATIONS), "dt_ms": mc.DT_MS,
        "num_neurons": params["num_neurons"].tolist(), "num_synapses": params["num_synapses"].tolist(),
        "total_synapses": int(params["num_synapses"].sum()),
        "weight_matrix_pa": params["weight_matrix_pa"].tolist(), "weight_rel_std": mc.WEIGHT_REL_STD,
        "delay_matrix_ms": mc.delay_matrix_ms().tolist(), "delay_rel_std": mc.DELAY_REL_STD,
        "dc_pa": params["dc_pa"].tolist(), "ext_indegrees": params["ext_indegrees"].tolist(),
        "weight_ext_pa": params["weight_ext_pa"], "bg_rate_hz": mc.BG_RATE_HZ,
        "v0_mean_mv": mc.V0_MEAN_MV.tolist(), "v0_std_mv": mc.V0_STD_MV.tolist(),
        "nest_weight_factor": 1.0 if nest_public_model else p20 / p21,
        "nest_neuron_params": {"C_m": mc.C_M_PF, "tau_m": mc.TAU_M_MS, "tau_syn_ex": mc.TAU_SYN_MS,
                               "tau_syn_in": mc.TAU_SYN_MS, "E_L": mc.E_L_MV, "V_th": mc.V_TH_MV,
                               "V_reset": mc.V_RESET_MV, "t_ref": t_ref},
        "nest_full_scale_rates_hz": mc.NEST_FULL_SCALE_RATES_HZ.tolist(),
    }


def nest_threads(total_synapses: int, cores: int) -> tuple[int, str]:
    """The fewest NEST threads (virtual processes) that hold ``total_synapses`` on ``cores`` cores, and why."""
    needed = math.ceil(total_synapses / NEST_MAX_CONNECTIONS_PER_VP)
    threads = max(cores, needed)
    reason = (f"ceil({total_synapses:,} synapses / {NEST_MAX_CONNECTIONS_PER_VP:,} per virtual process and synapse "
              f"model) = {needed} virtual process{'es' if needed != 1 else ''}; at least the {cores} core"
              f"{'s' if cores != 1 else ''}: {threads} thread{'s' if threads != 1 else ''}")
    return threads, reason


def _rates(spikes: dict[str, int], model: dict, bio_s: float) -> dict[str, float]:
    return {name: spikes[name] / (n * bio_s) for name, n in zip(model["populations"], model["num_neurons"])}


# ---------------------------------------------------------------------------------------------
# spikenet (child process)


def _shared_chunk(transient_steps: int, duration_steps: int) -> int | None:
    """Steps per chunk dividing both runs (one compiled chunk serves the transient and the measured
    run), or None: the engine's choice."""
    from spikenet.engine.chunk import MAX_CHUNK_STEPS

    common = math.gcd(transient_steps, duration_steps)
    return common if transient_steps and MIN_SHARED_CHUNK_STEPS <= common <= MAX_CHUNK_STEPS else None


def _run_spikenet(arguments: dict) -> dict:
    cores, model = arguments["cores"], arguments["model"]
    os.environ["XLA_FLAGS"] = _xla_flags(cores)  # before jax is imported
    import jax

    from experiments.microcircuit import build

    t0 = time.perf_counter()
    net = build(arguments["scale"], arguments["scale"], SEED, arguments["poisson"], False)
    network_s = time.perf_counter() - t0
    stages = {"network": _peak_rss_mb()}
    t1 = time.perf_counter()
    compiled = net.compile(precision="float32", devices=cores if cores > 1 else None, keep_synapses=False)
    compile_s = time.perf_counter() - t1
    dt = net.dt
    transient_steps = round(arguments["transient_ms"] / dt)
    chunk = _shared_chunk(transient_steps, round(arguments["duration_ms"] / dt))
    transient = None
    transient_wall_s = 0.0
    if transient_steps:
        t2 = time.perf_counter()
        transient = compiled.run(arguments["transient_ms"], seed=SEED, chunk_steps=chunk, progress=False)
        transient_wall_s = time.perf_counter() - t2 - transient.compile_seconds
        compile_s += transient.compile_seconds
    stages["compiled"] = _peak_rss_mb()
    measured = compiled.run(arguments["duration_ms"], seed=SEED, chunk_steps=chunk, progress=False, resume=transient)
    compile_s += measured.compile_seconds  # 0 when the transient's chunk serves the measured run
    stages["end"] = _peak_rss_mb()
    spikes = {name: int(measured.counts.spikes[name]) for name in model["populations"]}
    synapses = int(sum(p.n_synapses for p in net.projections))
    if synapses != model["total_synapses"]:
        raise RuntimeError(f"spikenet built {synapses:,} synapses, derived_parameters gives {model['total_synapses']:,}")
    return {"jax_devices": jax.device_count(), "xla_flags": os.environ["XLA_FLAGS"],
            "sharded": cores > 1, "chunk_steps": chunk, "network_s": network_s, "compile_s": compile_s,
            "build_s": network_s + compile_s, "transient_wall_s": transient_wall_s, "sim_s": measured.run_seconds,
            "spikes": spikes, "synaptic_events": int(measured.counts.total_synaptic_events),
            "peak_rss_stages_mb": stages}


# ---------------------------------------------------------------------------------------------
# NEST (child process)


def _run_nest(arguments: dict) -> dict:
    os.environ.setdefault("PYNEST_QUIET", "1")  # as experiments.nest_export.import_nest, without importing jax
    import nest

    nest.verbosity = nest.VerbosityLevel.ERROR
    model, threads = arguments["model"], arguments["threads"]
    transient_ms, duration_ms, dt = arguments["transient_ms"], arguments["duration_ms"], model["dt_ms"]
    nest.ResetKernel()
    nest.SetKernelStatus({"local_num_threads": threads, "resolution": dt, "rng_seed": SEED, "print_time": False})

    t0 = time.perf_counter()
    populations = []
    for i in range(len(model["populations"])):
        population = nest.Create("iaf_psc_exp", model["num_neurons"][i], params=model["nest_neuron_params"])
        population.set(I_e=model["dc_pa"][i])
        population.set(V_m=nest.random.normal(mean=model["v0_mean_mv"][i], std=model["v0_std_mv"][i]))
        populations.append(population)
    if arguments["poisson"]:
        generators = nest.Create("poisson_generator", len(populations),
                                 params=[{"rate": model["bg_rate_hz"] * k} for k in model["ext_indegrees"]])
    create_s = time.perf_counter() - t0
    stages = {"created": _peak_rss_mb()}

    factor = model["nest_weight_factor"]
    t1 = time.perf_counter()
    for i, post in enumerate(populations):
        for j, pre in enumerate(populations):
            n = model["num_synapses"][i][j]
            if n <= 0:
                continue
            w, d = model["weight_matrix_pa"][i][j] * factor, model["delay_matrix_ms"][i][j]
            low, high = (0.0, np.inf) if w >= 0 else (-np.inf, 0.0)
            weight = nest.math.redraw(nest.random.normal(mean=w, std=abs(w) * model["weight_rel_std"]), min=low, max=high)
            delay = nest.math.redraw(nest.random.normal(mean=d, std=d * model["delay_rel_std"]), min=dt, max=np.inf)
            nest.Connect(pre, post, {"rule": "fixed_total_number", "N": n},
                         {"synapse_model": "static_synapse", "weight": weight, "delay": delay})
        if arguments["poisson"]:
            nest.Connect(generators[i], post, "all_to_all",
                         {"weight": model["weight_ext_pa"] * factor, "delay": NEST_POISSON_DELAY_MS})
    connect_s = time.perf_counter() - t1
    stages["connected"] = _peak_rss_mb()
    num_connections = nest.num_connections

    recorders = []
    for population in populations:
        # Spikes stamped in (transient, transient + duration]: those of the measured run.
        recorder = nest.Create("spike_recorder", params={"start": transient_ms, "stop": transient_ms + duration_ms})
        nest.Connect(population, recorder)
        recorders.append(recorder)
    transient_wall_s = 0.0
    if transient_ms > 0:
        t2 = time.perf_counter()
        nest.Simulate(transient_ms)
        transient_wall_s = time.perf_counter() - t2
    t3 = time.perf_counter()
    nest.Simulate(duration_ms)
    sim_s = time.perf_counter() - t3
    stages["end"] = _peak_rss_mb()
    spikes = {name: int(recorder.n_events) for name, recorder in zip(model["populations"], recorders)}
    return {"threads": threads, "virtual_processes": nest.total_num_virtual_procs, "nest_version": nest.__version__,
            "create_s": create_s, "connect_s": connect_s, "build_s": create_s + connect_s,
            "nest_prepare_s": float(np.max(nest.GetKernelStatus("time_communicate_prepare"))),  # per thread
            "nest_num_connections": num_connections, "transient_wall_s": transient_wall_s, "sim_s": sim_s,
            "spikes": spikes, "peak_rss_stages_mb": stages}


# ---------------------------------------------------------------------------------------------
# isolation


RUNNERS = {"spikenet": _run_spikenet, "nest": _run_nest}


def _case_key(arguments: dict) -> dict:
    return {"system": arguments["system"], "cores": arguments["cores"], "scale": arguments["scale"]}


def _case(arguments: dict) -> dict:
    """One case, in a fresh process: pin to the cores, build, run, measure."""
    _pin(arguments["cores"])
    model = arguments["model"]
    measured = RUNNERS[arguments["system"]](arguments)
    bio_s = arguments["duration_ms"] / 1000.0
    peak = _peak_rss_mb()
    total = model["total_synapses"]
    return {**_case_key(arguments), "n_neurons": int(sum(model["num_neurons"])), "total_synapses": total,
            "bio_s": bio_s, "transient_s": arguments["transient_ms"] / 1000.0, **measured,
            "real_time_factor": measured["sim_s"] / bio_s, "peak_rss_mb": peak,
            "bytes_per_synapse": peak * 2**20 / total if total else None,
            "rates_hz": _rates(measured["spikes"], model, bio_s),
            "mean_rate_hz": sum(measured["spikes"].values()) / sum(model["num_neurons"]) / bio_s}


def run_case(arguments: dict, timeout_s: float | None) -> dict:
    """One case in a fresh process (:func:`benchmarks.isolation.run_in_fresh_process`)."""
    return run_in_fresh_process(_case, arguments, _case_key(arguments), timeout_s)


def run_nest_case(arguments: dict, timeout_s: float | None) -> dict:
    """A NEST case; while NEST refuses the thread count ("Too many connections"), again in a fresh
    process with one thread more."""
    refused = []
    while True:
        case = run_case(arguments, timeout_s)
        if "Too many connections" not in case.get("error", ""):
            break
        refused.append(arguments["threads"])
        arguments = {**arguments, "threads": arguments["threads"] + 1}
    case["threads_refused"] = refused
    return case


# ---------------------------------------------------------------------------------------------
# report


def _find(cases: list[dict], system: str, cores: int) -> dict | None:
    for case in cases:
        if (case["system"], case["cores"]) == (system, cores) and "error" not in case:
            return case
    return None


def comparisons(cases: list[dict], cores_list: list[int], model: dict) -> dict:
    """Ratios spikenet / NEST per core count (sim_s, peak RSS, build_s), the targets and whether
    each is met, and the per-population rates of both."""
    report: dict = {name: {} for name in TARGETS}
    rates: dict = {}
    for k in cores_list:
        mine, theirs = _find(cases, "spikenet", k), _find(cases, "nest", k)
        if mine is None or theirs is None:
            continue
        for name, field in (("ratio_sim_vs_nest", "sim_s"), ("ratio_memory_vs_nest", "peak_rss_mb"),
                            ("ratio_build_vs_nest", "build_s")):
            report[name][str(k)] = mine[field] / theirs[field]
        rates[str(k)] = {
            name: {"spikenet_hz": mine["rates_hz"][name], "nest_hz": theirs["rates_hz"][name],
                   "relative_difference": (mine["rates_hz"][name] - theirs["rates_hz"][name]) / theirs["rates_hz"][name]
                   if theirs["rates_hz"][name] else None,
                   "nest_full_scale_reference_hz": reference}
            for name, reference in zip(model["populations"], model["nest_full_scale_rates_hz"])}
    report["targets"] = {name: {"target": target, "met": {k: bool(v <= target) for k, v in report[name].items()}}
                         for name, target in TARGETS.items()}
    report["rates_comparison"] = rates
    return report


def _print_case(case: dict) -> None:
    head = f"{case['system']:9s} cores={case['cores']}"
    if "error" in case:
        print(f"{head}  ERROR {case['error'].splitlines()[0]}", flush=True)
        return
    workers = f"threads={case['threads']}" if case["system"] == "nest" else f"devices={case['jax_devices']}"
    print(f"{head} {workers:10s} build {case['build_s']:8.2f}s  sim {case['sim_s']:8.2f}s / {case['bio_s']:.2f}s bio "
          f"(RTF {case['real_time_factor']:6.2f})  peak RSS {case['peak_rss_mb']:8.0f} MB "
          f"({case['bytes_per_synapse']:.1f} B/synapse)  mean rate {case['mean_rate_hz']:5.2f} Hz", flush=True)


def _print_summary(report: dict, model: dict) -> None:
    print()
    if not report["rates_comparison"]:
        print("no core count with both systems completed: no ratios")
    for name, target in TARGETS.items():
        for k, value in report[name].items():
            met = "met" if report["targets"][name]["met"][k] else "NOT met"
            print(f"{name:22s} {k} core{'s' if k != '1' else ' '}: {value:6.3f}  (target <= {target}: {met})")
    for k, table in report["rates_comparison"].items():
        print(f"\nrates (Hz), {k} core{'s' if k != '1' else ''}:  {'spikenet':>9s} {'NEST':>9s} {'rel. diff':>10s} "
              f"{'NEST full-scale ref.':>21s}")
        for name in model["populations"]:
            row = table[name]
            diff = "n/a" if row["relative_difference"] is None else f"{row['relative_difference']:+.1%}"
            print(f"  {name:24s} {row['spikenet_hz']:9.3f} {row['nest_hz']:9.3f} {diff:>10s} "
                  f"{row['nest_full_scale_reference_hz']:21.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Potjans & Diesmann microcircuit: spikenet vs NEST on the same cores")
    parser.add_argument("--scale", type=float, default=1.0, help="N_scaling = K_scaling (default 1: full scale)")
    parser.add_argument("--cores", type=int, nargs="+", default=list(CORES), help="core counts (default 1 2)")
    parser.add_argument("--systems", nargs="+", choices=SYSTEMS, default=list(SYSTEMS))
    parser.add_argument("--transient", type=float, default=500.0,
                        help="ms simulated before the measured run, not measured (default 500)")
    parser.add_argument("--duration", type=float, default=1000.0,
                        help="measured biological time in ms (default 1000)")
    parser.add_argument("--poisson", action="store_true", help="Poisson background instead of its DC equivalent")
    parser.add_argument("--nest-public-model", action="store_true",
                        help="NEST with PyNEST's weights and t_ref 2 ms instead of spikenet's dynamics (see the docstring)")
    parser.add_argument("--case-timeout", type=float, default=7200.0, help="seconds before a case is abandoned")
    parser.add_argument("--out", type=Path, default=Path("results/benchmarks/microcircuit.json"))
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 1:
        parser.error(f"--scale must be in (0, 1]; got {args.scale}")
    if min(args.cores) < 1:
        parser.error("--cores must be positive")
    model = model_numbers(args.scale, args.poisson, args.nest_public_model)
    dt = model["dt_ms"]
    for option, value in (("--transient", args.transient), ("--duration", args.duration)):
        if value < 0 or abs(round(value / dt) * dt - value) > 1e-9:
            parser.error(f"{option} must be a non-negative multiple of dt = {dt} ms; got {value:g}")
    if args.duration == 0:
        parser.error("--duration must be positive")
    from spikenet.io import write_json

    cores_list = sorted(set(args.cores))
    threads = {k: nest_threads(model["total_synapses"], k) for k in cores_list}
    common = {"scale": args.scale, "poisson": args.poisson, "transient_ms": args.transient,
              "duration_ms": args.duration, "model": model}
    print(f"microcircuit at scale {args.scale:g}: {sum(model['num_neurons']):,} neurons, "
          f"{model['total_synapses']:,} synapses, {'Poisson' if args.poisson else 'DC'} background", flush=True)

    cases = []
    for k in cores_list:
        for system in args.systems:
            arguments = {**common, "system": system, "cores": k}
            if system == "nest":
                case = run_nest_case({**arguments, "threads": threads[k][0]}, args.case_timeout)
                case["threads_reason"] = threads[k][1]
            else:
                case = run_case(arguments, args.case_timeout)
            cases.append(case)
            _print_case(case)

    report = {
        "description": "Potjans & Diesmann (2014) microcircuit, spikenet (k JAX CPU devices) vs NEST (iaf_psc_exp, "
                       "PyNEST microcircuit build) on the same k cores; each case in a fresh process pinned to cores "
                       "0..k-1, one after the other. build_s: spikenet description + compilation until ready to "
                       "simulate, NEST create + connect. sim_s: the measured run after the transient. peak_rss_mb: "
                       "ru_maxrss of the case (build included). Ratios: spikenet / NEST, same cores (< 1: spikenet "
                       "faster or smaller). NEST's PSC weights are x nest_weight_factor (P20/P21) and t_ref (R - 1) dt, "
                       "the mapping of experiments.nest_export that gives NEST spikenet's dynamics, unless "
                       "nest_public_model. See the benchmarks.microcircuit docstring.",
        "machine": _machine(),
        "parameters": {"scale": args.scale, "k_scale": args.scale, "poisson_input": args.poisson,
                       "transient_ms": args.transient, "duration_ms": args.duration, "dt_ms": model["dt_ms"],
                       "seed": SEED, "cores": cores_list, "systems": args.systems, "case_timeout_s": args.case_timeout,
                       "num_neurons": dict(zip(model["populations"], model["num_neurons"])),
                       "total_synapses": model["total_synapses"],
                       "dc_pa": dict(zip(model["populations"], model["dc_pa"])), "weight_ext_pa": model["weight_ext_pa"],
                       "nest_public_model": args.nest_public_model, "nest_weight_factor": model["nest_weight_factor"],
                       "nest_neuron_params": model["nest_neuron_params"],
                       "nest_threads": {str(k): {"threads": t, "reason": why} for k, (t, why) in threads.items()}},
        "cases": cases,
        **comparisons(cases, cores_list, model),
    }
    write_json(args.out, report)
    _print_summary(report, model)
    print(f"\nwritten {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
