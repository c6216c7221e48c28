"""Vogels–Abbott COBA network (Brette et al. 2007 benchmark 1): run it, print rates and
synaptic events, and write a run folder ``results/coba/<timestamp>/`` (raster PNG, rates JSON,
spikes NPZ, ``activity_counts.json`` for ``spikenet energy``, config, seeds, versions, log).

Usage: ``python -m experiments.coba [--duration MS] [--neurons N] [--seed S] [--results ROOT]``
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import spikenet as sn
from experiments.networks import coba, isi_cv
from experiments.run_folder import add_results_option, network_builder, record_counts, resolved_config, run_script
from spikenet.io import save_figure, write_json, write_npz

EXPERIMENT = "coba"


@network_builder
def network(n_neurons: int = 4000, seed: int = 1) -> sn.Network:
    """The simulated network (rebuilt by ``spikenet energy``)."""
    return coba(n_neurons, seed=seed)


def run(duration_ms: float = 1000.0, n_neurons: int = 4000, seed: int = 1, out: Path | None = None,
        precision: str = "float32") -> dict:
    """Simulate COBA and, if ``out`` is given, write the results there (``rates.json``, ``spikes.npz``,
    ``raster.png``, ``activity_counts.json``, ``network.json``); returns the summary of ``rates.json``."""
    net = network(n_neurons, seed)
    result = net.run(duration_ms, seed=seed, precision=precision,
                     monitors=[sn.SpikeMonitor("exc"), sn.SpikeMonitor("inh"), sn.PopulationRateMonitor("exc")])
    counts = result.counts
    summary = {
        "network": "COBA (Vogels & Abbott 2005; Brette et al. 2007 benchmark 1)",
        "n_neurons": n_neurons, "duration_ms": duration_ms, "dt_ms": net.dt, "seed": seed, "precision": precision,
        "rate_hz": {name: counts.mean_rate_hz(name) for name in ("exc", "inh")},
        "isi_cv_mean": {name: float(np.mean(isi_cv(*result.spikes[name], net.populations[name].size)))
                        for name in ("exc", "inh")},
        "spikes": counts.spikes, "synaptic_events": counts.synaptic_events,
        "total_synaptic_events": counts.total_synaptic_events,
        "compile_s": result.compile_seconds, "simulation_s": result.run_seconds,
    }
    if out is None:
        return summary
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    record_counts(out, counts, builder=network, kwargs={"n_neurons": n_neurons, "seed": seed})
    write_json(out / "rates.json", summary)
    write_npz(out / "spikes.npz", exc_times_ms=result.spikes["exc"][0], exc_indices=result.spikes["exc"][1],
              inh_times_ms=result.spikes["inh"][0], inh_indices=result.spikes["inh"][1])
    _raster(result, net, out / "raster.png", summary)
    return summary


def _raster(result, net, path: Path, summary: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    n_exc = net.populations["exc"].size
    for name, colour, offset in (("exc", "tab:blue", 0), ("inh", "tab:red", n_exc)):
        times, indices = result.spikes[name]
        shown = indices < (400 if name == "exc" else 100)
        top.plot(times[shown], indices[shown] + (0 if name == "exc" else 400), ".", ms=1.5, color=colour,
                 label=f"{name}: {summary['rate_hz'][name]:.1f} Hz")
    top.set_ylabel("neuron (400 exc, 100 inh shown)")
    top.set_title(f"COBA network, {summary['n_neurons']} LIF neurons, "
                  f"{summary['total_synaptic_events']:,} synaptic events in {summary['duration_ms']:.0f} ms")
    top.legend(loc="upper right", markerscale=6)
    t, rate = result.rates["exc"]
    bins = int(round(1.0 / net.dt))  # 1-ms bins
    usable = (len(rate) // bins) * bins
    bottom.plot(t[:usable:bins], rate[:usable].reshape(-1, bins).mean(axis=1), color="tab:blue")
    bottom.set_xlabel("time (ms)")
    bottom.set_ylabel("exc rate (Hz, 1-ms bins)")
    save_figure(figure, path)
    plt.close(figure)


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=1000.0, help="biological time in ms (default 1000)")
    parser.add_argument("--neurons", type=int, default=4000, help="network size (default 4000)")
    parser.add_argument("--seed", type=int, default=1, help="seed of connectivity, initial state and simulation")
    parser.add_argument("--precision", choices=["float32", "float64"], default="float32")
    return add_results_option(parser)


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if not args.duration > 0:
        parser.error(f"--duration must be > 0 ms; got {args.duration}")
    if args.neurons < 5:
        parser.error(f"--neurons must be >= 5; got {args.neurons}")
    config = resolved_config(args, dt_ms=0.1, network="experiments.networks.coba")
    return run_script(EXPERIMENT, args.results, config, {"network_and_simulation": args.seed},
                      lambda folder: _report(run(args.duration, args.neurons, args.seed, folder.path, args.precision),
                                             folder.path))


def _report(summary: dict, out: Path) -> None:
    print(f"COBA {summary['n_neurons']} neurons, {summary['duration_ms']:.0f} ms: "
          f"exc {summary['rate_hz']['exc']:.2f} Hz, inh {summary['rate_hz']['inh']:.2f} Hz, "
          f"ISI CV {summary['isi_cv_mean']['exc']:.2f}/{summary['isi_cv_mean']['inh']:.2f}")
    print(f"synaptic events: {summary['total_synaptic_events']:,} "
          + ", ".join(f"{k}: {v:,}" for k, v in summary["synaptic_events"].items()))
    print(f"compile {summary['compile_s']:.2f} s, simulation {summary['simulation_s']:.2f} s; results in {out}/")


if __name__ == "__main__":
    raise SystemExit(main())
