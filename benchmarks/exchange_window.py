"""Min-delay exchange (issue 13): the sharded engine exchanging spikes every step against once per
window of ``d`` steps (``d`` = the smallest delay, :mod:`spikenet.engine.exchange`), on the Brunel
(2000) network (delays 1.5 ms = 15 steps, Delta synapses, PoissonInput), with Brian2
cpp_standalone (1 and k OpenMP threads) on the same network as the reference.

Cases, each in a fresh process pinned to cores ``0 .. k-1`` (as :mod:`benchmarks.scaling`):
spikenet 1 device; spikenet k devices with ``exchange_every=1``; spikenet k devices with the
default window; Brian2 cpp_standalone with 1 and k threads (``--brian2`` off skips them). Each
spikenet case runs ``--repeats`` measured runs after one warm-up run (``resume=`` the warm-up, so
the network is in its steady state) and reports the median; Brian2 reports its one measured run.

Usage::

    python -m benchmarks.exchange_window                  # scale 1 (12,500 neurons), 2 cores
    python -m benchmarks.exchange_window --scale 0.2 --duration 100 --no-brian2

Writes ``results/benchmarks/exchange_window.json`` (atomically; ``--out``) and prints the ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from benchmarks.isolation import run_in_fresh_process
from benchmarks.scaling import _pin, _run_brian2_standalone, _xla_flags


def _network(scale: float):
    from experiments.brunel2000 import build

    return build(5.0, 2.0, scale=scale)  # the asynchronous irregular state (g = 5, nu_ext / nu_thr = 2)


def _case(arguments: tuple) -> dict:
    system, cores, exchange_every, scale, warmup_ms, bio_ms, repeats = arguments
    _pin(cores)
    os.environ["XLA_FLAGS"] = _xla_flags(cores if system == "spikenet" else 1)
    net = _network(scale)
    if system == "brian2_standalone":
        return _run_brian2_standalone(net, cores, warmup_ms, bio_ms)
    compiled = net.compile(precision="float32", devices=cores, exchange_every=exchange_every if cores > 1 else None)
    state = compiled.run(warmup_ms, seed=1, progress=False)
    times, spikes, events = [], [], []
    for _ in range(repeats):
        state = compiled.run(bio_ms, seed=1, progress=False, resume=state)
        times.append(state.run_seconds)
        spikes.append(int(state.counts.total_spikes))
        events.append(int(state.counts.total_synaptic_events))
    window = compiled.shard_plan.window if cores > 1 else None
    return {"sim_s": statistics.median(times), "sim_s_runs": times, "spikes": spikes, "synaptic_events": events,
            "window_steps": window}


def main(argv: list[str] | None = None) -> int:
    from benchmarks.scaling import _machine
    from spikenet.io import write_json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="Brunel network scale (1: 12,500 neurons)")
    parser.add_argument("--cores", type=int, default=2, help="devices / threads of the sharded cases")
    parser.add_argument("--duration", type=float, default=200.0, help="measured ms per run")
    parser.add_argument("--warmup", type=float, default=50.0, help="ms before the measured runs")
    parser.add_argument("--repeats", type=int, default=3, help="measured runs per spikenet case (median)")
    parser.add_argument("--no-brian2", dest="brian2", action="store_false")
    parser.add_argument("--out", type=Path, default=Path("results/benchmarks/exchange_window.json"))
    args = parser.parse_args(argv)
    plan = [("spikenet", 1, None), ("spikenet", args.cores, 1), ("spikenet", args.cores, None)]
    if args.brian2:
        plan += [("brian2_standalone", 1, None), ("brian2_standalone", args.cores, None)]
    cases = []
    for system, cores, every in plan:
        t0 = time.perf_counter()
        case = run_in_fresh_process(_case, (system, cores, every, args.scale, args.warmup, args.duration, args.repeats),
                                    {}, None)
        case.update(system=system, cores=cores, exchange_every=every or "default", wall_s=time.perf_counter() - t0)
        cases.append(case)
        print(f"{system:18s} cores {cores}  exchange_every {case['exchange_every']!s:8s} window {case.get('window_steps')!s:5s} "
              f"sim {case.get('sim_s', float('nan')):.3f} s per {args.duration:g} ms  {case.get('error', '')}")
    by = {(c["system"], c["cores"], c["exchange_every"]): c.get("sim_s") for c in cases}
    one = by.get(("spikenet", 1, "default"))
    every_step, window = by.get(("spikenet", args.cores, 1)), by.get(("spikenet", args.cores, "default"))
    ratios = {}
    if one and every_step and window:
        ratios = {"speedup_window_vs_every_step": every_step / window, f"speedup_{args.cores}_devices_window_vs_1": one / window,
                  f"speedup_{args.cores}_devices_every_step_vs_1": one / every_step}
        for cores in (1, args.cores):
            brian2 = by.get(("brian2_standalone", cores, "default"))
            mine = one if cores == 1 else window
            if brian2:
                ratios[f"spikenet_speedup_vs_brian2_standalone_{cores}_cores"] = brian2 / mine
    for name, value in ratios.items():
        print(f"{name}: {value:.2f}x")
    write_json(args.out, {"description": __doc__.splitlines()[0], "network": f"Brunel 2000 AI (g=5, nu_ext/nu_thr=2), scale {args.scale}",
                                 "bio_ms": args.duration, "warmup_ms": args.warmup, "repeats": args.repeats, "machine": _machine(),
                                 "cases": cases, "ratios": ratios})
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
