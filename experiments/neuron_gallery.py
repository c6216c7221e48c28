"""One figure with the membrane potential of every neuron preset under its published protocol.

Izhikevich (2003) classes: I = 10 (10 pA on 1 pF) for 1 s; AdEx Naud et al. (2008) patterns:
their step current for 600 ms; Hodgkin–Huxley squid axon (1952) at 10 µA/cm² and the COBAHH
Traub–Miles neuron at 300 pA; LIF and adaptive LIF at 300 pA. Forward Euler / exponential Euler as
each model documents; dt 0.1 ms (0.01 ms for Hodgkin–Huxley). Writes a run folder
``results/neuron_gallery/<timestamp>/`` with ``neuron_gallery.png``, ``neuron_gallery.json`` (spike
counts, first spike times, protocol), ``activity_counts.json`` (one simulation per dt and duration),
config and log.

Usage: ``python -m experiments.neuron_gallery [--results ROOT]``
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

import spikenet as sn
from experiments.run_folder import add_results_option, network_builder, record_counts, resolved_config, run_script
from neurons import ALIF, IZHIKEVICH_2003_PRESETS, LIF, NAUD_2008_PRESETS, AdEx, HodgkinHuxley, Izhikevich


def presets() -> list[tuple[str, str, object, float, float, float]]:
    """(family, name, model, current pA, duration ms, dt ms) for every preset shown."""
    rows = [("Izhikevich 2003", name, Izhikevich.preset(name), 10.0, 1000.0, 0.1) for name in IZHIKEVICH_2003_PRESETS]
    rows += [("AdEx (Naud 2008)", name, AdEx.preset(name), p.current, 600.0, 0.1) for name, p in NAUD_2008_PRESETS.items()]
    rows += [("Hodgkin-Huxley", "squid 1952, 10 uA/cm2", HodgkinHuxley.squid_1952(), 1000.0, 200.0, 0.01),
             ("Hodgkin-Huxley", "Traub-Miles (COBAHH)", HodgkinHuxley(), 300.0, 200.0, 0.01),
             ("integrate-and-fire", "LIF", LIF(refractory=2.0), 300.0, 300.0, 0.1),
             ("integrate-and-fire", "adaptive LIF (ALIF)", ALIF(beta=3.0), 300.0, 300.0, 0.1)]
    return rows


EXPERIMENT = "neuron_gallery"


def _groups(rows) -> dict[tuple[float, float], list[int]]:
    """Indices of the rows sharing (duration, dt): one network each."""
    groups: dict[tuple[float, float], list[int]] = {}
    for index, row in enumerate(rows):
        groups.setdefault((row[4], row[5]), []).append(index)
    return groups


def _network(rows, members: list[int], dt: float) -> sn.Network:
    network = sn.Network(dt=dt)
    for index in members:
        population = network.population(f"preset{index}", 1, rows[index][2])
        network.current(population, rows[index][3])
    return network


@network_builder
def group_network(duration_ms: float, dt_ms: float) -> sn.Network:
    """The network of the gallery's presets simulated for ``duration_ms`` at ``dt_ms`` (for ``spikenet energy``)."""
    rows = presets()
    return _network(rows, _groups(rows)[(duration_ms, dt_ms)], dt_ms)


def simulate(rows, out: Path | None = None) -> list[dict]:
    """Run every preset; presets sharing dt and duration share one network (one population each).
    With ``out`` (and ``rows`` = :func:`presets`), each network's counts are written there."""
    traces = [None] * len(rows)
    for (duration, dt), members in _groups(rows).items():
        network = _network(rows, members, dt)
        monitors = []
        for index in members:
            monitors += [sn.SpikeMonitor(f"preset{index}"), sn.StateMonitor(f"preset{index}", ["v"])]
        result = network.run(duration, monitors=monitors, precision="float64", progress=False)
        if out is not None:
            record_counts(out, result.counts, label=f"dt{dt:g}ms_{duration:g}ms", builder=group_network,
                          kwargs={"duration_ms": duration, "dt_ms": dt})
        for index in members:
            name = f"preset{index}"
            traces[index] = {"t": result.states[name]["t"], "v": result.states[name]["v"][:, 0],
                             "spikes": result.spikes[name][0]}
    return traces


def plot(rows, traces, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = 4
    figure_rows = -(-len(rows) // columns)
    figure, axes = plt.subplots(figure_rows, columns, figsize=(4.2 * columns, 2.0 * figure_rows), squeeze=False)
    for axis, row, trace in zip(axes.ravel(), rows, traces):
        family, name, model, current, duration, _ = row
        window = min(duration, 300.0) if family.startswith("Izhikevich") else duration
        shown = trace["t"] <= window
        axis.plot(trace["t"][shown], trace["v"][shown], lw=0.6, color="k")
        peak = getattr(model, "v_peak", getattr(model, "v_threshold", 0.0))
        spikes = trace["spikes"][trace["spikes"] <= window]
        if not isinstance(model, HodgkinHuxley):  # draw the spikes the reset hides from the sampled trace
            axis.vlines(spikes, np.interp(spikes, trace["t"], trace["v"]), peak, lw=0.6, color="k")
        axis.set_title(f"{family}: {name} ({current:g} pA, {len(trace['spikes'])} spikes)", fontsize=7)
        axis.set_xlim(0, window)
        axis.tick_params(labelsize=6)
    for axis in axes.ravel()[len(rows):]:
        axis.axis("off")
    for axis in axes[-1]:
        axis.set_xlabel("time (ms)", fontsize=7)
    for axis in axes[:, 0]:
        axis.set_ylabel("v (mV)", fontsize=7)
    figure.tight_layout()
    temporary = path.with_name(path.stem + ".tmp.png")
    figure.savefig(temporary, dpi=130)
    plt.close(figure)
    os.replace(temporary, path)


def run(output_dir: str | Path) -> dict:
    """Simulate every preset and write the figure, summary and counts into ``output_dir``."""
    rows = presets()
    directory = Path(output_dir)
    directory.mkdir(parents=True, exist_ok=True)
    traces = simulate(rows, directory)
    plot(rows, traces, directory / "neuron_gallery.png")
    summary = {"presets": [
        {"family": family, "name": name, "model": repr(model), "current_pA": current, "duration_ms": duration, "dt_ms": dt,
         "spike_count": int(len(trace["spikes"])), "first_spike_ms": float(trace["spikes"][0]) if len(trace["spikes"]) else None}
        for (family, name, model, current, duration, dt), trace in zip(rows, traces)]}
    path = directory / "neuron_gallery.json"
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(summary, indent=2))
    os.replace(temporary, path)
    for entry in summary["presets"]:
        print(f"{entry['family']:20s} {entry['name']:28s} {entry['spike_count']:4d} spikes")
    return summary


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    return add_results_option(parser)


def main(argv: list[str] | None = None, prog: str | None = None, output_dir: str | Path | None = None):
    """Script entry point: a new run folder under ``--results``; returns the exit code.
    ``main(output_dir=DIR)`` (kept for callers of the earlier API) is :func:`run` and returns the summary."""
    if output_dir is not None:
        return run(output_dir)
    args = build_parser(prog).parse_args(argv)
    config = resolved_config(args, presets=[{"family": f, "name": n, "current_pA": i, "duration_ms": d, "dt_ms": dt}
                                            for f, n, _, i, d, dt in presets()], precision="float64")
    return run_script(EXPERIMENT, args.results, config, {"network": 0}, lambda folder: run(folder.path))


if __name__ == "__main__":
    raise SystemExit(main())
