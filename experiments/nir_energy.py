"""Bring your own network, price it: ``spikenet energy --nir MODEL.nir --dt MS --input INPUT.npz``.

A spiking network trained elsewhere (snnTorch, Norse, Sinabs, Rockpool, ...) and saved as a NIR
graph is imported (:func:`spikenet.nir.from_nir`), run on the event engine on every sample of
``INPUT.npz`` (:func:`spikenet.nir.simulate`; the network is compiled once and reused), and one
inference — the mean over the samples of the engine's activity counts — is priced:

* on every chip preset the network fits on (:func:`experiments.energy_vs_dense.price_snn`, the
  main job's pricing: digital chips mapped onto cores, analog chips onto crossbars); the presets
  it does not fit are listed with the reason;
* on every dense device as the *dense twin*: the graph's own Affine/Conv/pool layers run as an
  ANN, one forward pass per inference, MACs = the sum of ``network.nir.layers[i]["dense_macs"]``
  (:func:`hardware.dense.nir_twin_workload`, priced by :func:`hardware.dense.price_workload`);

each in the regimes of :mod:`hardware.regimes` (latency, throughput, real time; all three unless
``--regime`` names one), with static power on both sides. In the real-time regime one inference
lasts the simulated time of a sample (its T steps plus the import's lead-in step).

``INPUT.npz`` holds ``spikes``, 0/1 values of shape (samples, T, *input shape) or (T, *input
shape) (the trailing input dimensions may also be given flattened), and optionally ``labels``
(samples,), integers. With labels the accuracy is reported: the prediction is the argmax over the
Output node's value summed over the T steps — its spike count for a spiking output, the summed
value (e.g. a membrane potential) otherwise; ties go to the lowest index.

The output folder (``--out``, default ``results/nir_energy/<UTC timestamp>/``) receives
``nir_energy.json`` (everything the table shows and more), ``energy_reports.json`` (every report,
keyed ``device|regime``), ``energy_per_inference.png`` (a bar chart per regime, log scale),
``model.nir`` (a copy of the graph) and ``activity_counts.json`` + ``network.json`` (the summed
counts and how to rebuild the network), so that ``spikenet energy OUT --chip NAME`` re-prices the
run on one chip later without simulating.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import hardware
import spikenet as sn
from experiments.run_folder import network_builder, record_counts
from spikenet.io import save_figure, write_json
from spikenet.progress import ProgressBar
from spikenet.validation import SpikenetError

EXPERIMENT = "nir_energy"
REGIMES = hardware.REGIMES
PROGRESS_STEPS = 20000  # the engine's own threshold for a progress bar (spikenet.engine.runner)
MODEL_COPY = "model.nir"


class NIRInputError(ValueError):
    """Bad input to ``spikenet energy --nir``: a file, array or parameter, named in the one-line message (exit 2)."""


@network_builder
def nir_network(path: str, dt: float, time_unit: str = "s", spike_input: str = "step") -> sn.Network:
    """The network of a NIR file as :func:`spikenet.nir.from_nir` imports it (for ``spikenet energy RUN_DIR``)."""
    from spikenet import nir as snir

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return snir.from_nir(path, dt, time_unit=time_unit, spike_input=spike_input)


# -- input ----------------------------------------------------------------------------------------


@dataclass
class InputSet:
    """The samples of an ``INPUT.npz``: spikes (samples, T, *input shape) as bool, labels or None."""

    spikes: np.ndarray
    labels: np.ndarray | None
    path: Path

    @property
    def samples(self) -> int:
        return int(self.spikes.shape[0])

    @property
    def steps(self) -> int:
        return int(self.spikes.shape[1])


def check_dt(dt: Any) -> float:
    """``--dt`` in ms within :data:`spikenet.nir.DT_RANGE_MS`."""
    from spikenet.nir import DT_RANGE_MS

    low, high = DT_RANGE_MS
    if isinstance(dt, bool) or not isinstance(dt, (int, float)) or not math.isfinite(dt) or not low <= dt <= high:
        raise NIRInputError(f"--dt must be a time step in ms within [{low:g}, {high:g}]; got {dt!r}")
    return float(dt)


def load_inputs(path: Path, input_shape: tuple[int, ...]) -> InputSet:
    """Read and check ``spikes`` (and ``labels``) of an ``INPUT.npz`` for an Input node of ``input_shape``."""
    path = Path(path)
    if not path.is_file():
        raise NIRInputError(f"--input {path}: no such file")
    import zipfile

    if not zipfile.is_zipfile(path):
        raise NIRInputError(f"--input {path}: not a .npz file (an .npz is a zip archive of arrays, as numpy.savez writes)")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: np.asarray(data[name]) for name in data.files}
    except Exception as error:  # noqa: BLE001 - a foreign or truncated file: zipfile, OSError, ValueError ...
        raise NIRInputError(f"--input {path}: not a readable .npz file ({type(error).__name__}: "
                            f"{str(error).splitlines()[0] if str(error) else ''})") from None
    if "spikes" not in arrays:
        raise NIRInputError(f"--input {path}: no array 'spikes' (it holds {sorted(arrays) or 'no arrays'}); "
                            "expected spikes of shape (samples, T, *input shape) and optionally labels (samples,)")
    spikes = arrays["spikes"]
    shape = tuple(int(v) for v in input_shape)
    size = int(np.prod(shape))
    wanted = f"(samples, T, {', '.join(map(str, shape))}) or (T, {', '.join(map(str, shape))})"
    if spikes.ndim >= len(shape) and tuple(spikes.shape[spikes.ndim - len(shape):]) == shape:
        lead = spikes.shape[:spikes.ndim - len(shape)]
    elif len(shape) > 1 and spikes.ndim >= 1 and spikes.shape[-1] == size:
        lead = spikes.shape[:-1]
    else:
        lead = None
    if lead is None or len(lead) not in (1, 2):
        raise NIRInputError(f"--input {path}: 'spikes' has shape {spikes.shape}; the graph's Input node takes {shape}, "
                            f"so spikes must have shape {wanted}")
    if len(lead) == 1:
        lead = (1,) + tuple(lead)
    if lead[0] < 1 or lead[1] < 1:
        raise NIRInputError(f"--input {path}: 'spikes' has shape {spikes.shape}: at least one sample of at least one step needed")
    if spikes.dtype != bool:
        if not (np.issubdtype(spikes.dtype, np.integer) or np.issubdtype(spikes.dtype, np.floating)) \
                or not np.all(np.isin(spikes, (0, 1))):
            raise NIRInputError(f"--input {path}: 'spikes' must hold 0/1 values (at most one spike per channel and step); "
                                f"found {_bad_values(spikes)}")
    spikes = spikes.astype(bool).reshape(lead + shape)
    labels = None
    if "labels" in arrays:
        labels = arrays["labels"]
        if labels.shape != (lead[0],):
            raise NIRInputError(f"--input {path}: 'labels' has shape {labels.shape}; expected ({lead[0]},), one per sample")
        numeric = np.issubdtype(labels.dtype, np.integer) or np.issubdtype(labels.dtype, np.floating)
        if not numeric or not np.all(np.isfinite(labels)) or not np.all(labels == np.round(labels)) or np.any(labels < 0):
            raise NIRInputError(f"--input {path}: 'labels' must be integers >= 0 (class indices); got dtype {labels.dtype}, "
                                f"values {labels[:5].tolist()}{' ...' if labels.size > 5 else ''}")
        labels = labels.astype(np.int64)
    return InputSet(spikes, labels, path)


def _bad_values(array: np.ndarray) -> str:
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        return f"dtype {array.dtype}"
    bad = array[~np.isin(array, (0, 1))]
    return f"{bad.size} other value(s), e.g. {bad.ravel()[:3].tolist()}"


# -- import and simulation ------------------------------------------------------------------------


def import_graph(model: Path, dt: float, time_unit: str, spike_input: str | None, notes: list[str]) -> sn.Network:
    """:func:`spikenet.nir.from_nir`, its warnings kept as notes and its errors as :class:`NIRInputError`."""
    from spikenet import nir as snir

    model = Path(model)
    if not model.is_file():
        raise NIRInputError(f"--nir {model}: no such file")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            network = snir.from_nir(model, dt, time_unit=time_unit, spike_input=spike_input)
        except SpikenetError as error:
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise NIRInputError(message if str(model) in message else f"--nir {model}: {message}") from None
    notes.extend(str(w.message).splitlines()[0] for w in caught)
    if len(network.nir.inputs) != 1:
        raise NIRInputError(f"--nir {model}: the graph has {len(network.nir.inputs)} Input nodes "
                            f"({sorted(network.nir.inputs)}); INPUT.npz holds one 'spikes' array, for a graph with one Input")
    if not network.nir.layers:
        raise NIRInputError(f"--nir {model}: the graph has no Affine, Linear, Conv or pooling node, "
                            "so no dense twin to compare with")
    return network


@dataclass
class Simulation:
    """The summed counts of every sample and each sample's Output value summed over its steps."""

    counts: sn.ActivityCounts
    summed_outputs: dict[str, np.ndarray]  # Output node -> (samples, output size)
    spiking_outputs: dict[str, bool] = field(default_factory=dict)


def simulate_samples(network: sn.Network, inputs: InputSet, progress: bool | None = None) -> Simulation:
    """Run every sample through :func:`spikenet.nir.simulate` (one compiled network, reused).

    ``progress``: a bar on stderr over all samples (default: when they hold more than 20,000 steps)."""
    from spikenet import nir as snir

    info = network.nir
    steps_per_sample = inputs.steps + info.lead_in_steps
    total = inputs.samples * steps_per_sample
    bar = ProgressBar(total, enabled=progress if progress is not None else total > PROGRESS_STEPS)
    counts = None
    summed = {name: np.zeros((inputs.samples, int(np.prod(r.shape)))) for name, r in info.outputs.items()}
    try:
        for k in range(inputs.samples):
            run = snir.simulate(network, inputs.spikes[k], progress=False, record_spikes=False)
            counts = run.counts if counts is None else counts + run.counts
            for name, value in run.outputs.items():
                summed[name][k] = np.asarray(value, dtype=np.float64).reshape(inputs.steps, -1).sum(axis=0)
            bar.update((k + 1) * steps_per_sample)
    finally:
        bar.close()
    spiking = {name: bool(r.terms) and all(info.spiking.get(source, False) for source, _, _ in r.terms)
               and not np.any(r.constant) and all(_is_identity(matrix) for _, _, matrix in r.terms)
               for name, r in info.outputs.items()}
    return Simulation(counts, summed, spiking)


def _is_identity(matrix: Any) -> bool:
    from scipy import sparse

    matrix = sparse.csr_matrix(matrix)
    if matrix.shape[0] != matrix.shape[1]:
        return False
    difference = matrix - sparse.identity(matrix.shape[0], format="csr")
    difference.eliminate_zeros()
    return difference.nnz == 0


def accuracy(simulation: Simulation, output: str, labels: np.ndarray) -> dict[str, Any]:
    """Argmax over ``output``'s summed value per sample against the labels (ties: lowest index)."""
    values = simulation.summed_outputs[output]
    classes = values.shape[1]
    if np.any(labels >= classes):
        raise NIRInputError(f"labels go up to {int(labels.max())} but Output {output!r} has {classes} values "
                            f"(classes 0..{classes - 1})")
    predictions = np.argmax(values, axis=1)
    correct = int(np.sum(predictions == labels))
    p, n = correct / labels.size, labels.size
    what = "spike count" if simulation.spiking_outputs.get(output) else "value"
    return {"accuracy": p, "accuracy_se": math.sqrt(p * (1 - p) / n), "correct": correct, "samples": n,
            "predictions": predictions.tolist(), "labels": labels.tolist(),
            "rule": f"prediction = argmax over Output {output!r} of its {what} summed over the steps of a sample "
                    "(ties go to the lowest index)"}


# -- pricing --------------------------------------------------------------------------------------


def price(network: sn.Network, counts: sn.ActivityCounts, inferences: int, regimes: tuple[str, ...]
          ) -> tuple[dict[str, dict[str, hardware.EnergyReport]], dict[str, str], dict[str, Any]]:
    """Reports per device and regime (chips: the SNN; dense devices: the ANN twin), the chips the network
    does not fit (with why), and the twin's workload per dense device."""
    from experiments.energy_vs_dense import price_snn
    from hardware.dense import nir_twin_workload, price_workload
    from hardware.regimes import period_s

    reports, not_fitting = price_snn(counts, network, inferences, regimes)
    not_fitting = {name: _first_line(reason) for name, reason in not_fitting.items()}
    period = period_s(counts, inferences)
    twins = {}
    for name in hardware.available_chips("dense"):
        device = hardware.get_chip(name)
        workload = nir_twin_workload(network, device.limit("weight_bits") or 32, 1)
        twins[name] = workload
        reports[name] = {regime: price_workload(workload, device, 1, regime, period) for regime in regimes}
    return reports, not_fitting, twins


def _first_line(text: str) -> str:
    return str(text).splitlines()[0] if str(text) else ""


def _mean_counts(counts: sn.ActivityCounts, n: int) -> dict[str, Any]:
    return {"steps": counts.steps / n, "spikes": {k: v / n for k, v in counts.spikes.items()},
            "synaptic_events": {k: v / n for k, v in counts.synaptic_events.items()},
            "neuron_updates": {k: v / n for k, v in counts.neuron_updates.items()},
            "total_spikes": counts.total_spikes / n, "total_synaptic_events": counts.total_synaptic_events / n}


# -- output ---------------------------------------------------------------------------------------


def default_out(root: Path = Path("results")) -> Path:
    """``root/nir_energy/<UTC timestamp>/`` (a suffix if it is taken), created."""
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    base = Path(root) / EXPERIMENT
    base.mkdir(parents=True, exist_ok=True)
    for k in range(1000):
        path = base / (stamp if k == 0 else f"{stamp}-{k}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise RuntimeError(f"cannot create a new folder under {base}")  # pragma: no cover


def _copy_atomic(source: Path, target: Path) -> Path:
    if target.exists() and os.path.samefile(source, target):
        return target
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    try:
        shutil.copyfile(source, temporary)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return target


KIND_COLOURS = {"digital": "tab:blue", "analog": "tab:green", "dense": "tab:red"}


def plot_energy(summary: dict[str, Any], path: Path) -> Path:
    """Horizontal bars of energy per inference per device, log scale, one panel per regime."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    regimes = summary["regimes"]
    devices = summary["devices"]
    order = sorted(devices, key=lambda d: devices[d]["regimes"][regimes[0]]["total_j"])
    figure, axes = plt.subplots(1, len(regimes), figsize=(max(9.0, 5.2 * len(regimes)), 0.32 * len(order) + 2.2), squeeze=False,
                                sharey=True)
    for axis, regime in zip(axes[0], regimes):
        values = [devices[d]["regimes"][regime]["total_j"] for d in order]
        colours = [KIND_COLOURS.get(devices[d]["kind"], "tab:grey") for d in order]
        axis.barh(range(len(order)), values, color=colours)
        axis.set_axisbelow(True)
        axis.set_xscale("log")
        axis.set_yticks(range(len(order)))
        axis.set_yticklabels([f"{d} ({devices[d]['model']}){' *' if not devices[d]['complete'] else ''}" for d in order])
        axis.invert_yaxis()
        axis.set_xlabel("energy per inference (J, log scale; static + dynamic)")
        axis.set_title(f"{regime.replace('_', ' ')} regime")
        axis.grid(axis="x", which="major", alpha=0.4)
    legend = [Patch(color=c, label=f"{k}: {'ANN twin (same layers, dense)' if k == 'dense' else 'SNN, event-driven'}")
              for k, c in KIND_COLOURS.items() if any(devices[d]["kind"] == k for d in order)]
    footnotes = []
    if any(not devices[d]["complete"] for d in order):
        footnotes.append("* some terms unpriced: a lower bound")
    if summary["not_fitting"]:
        footnotes.append("not priced (does not fit): " + ", ".join(sorted(summary["not_fitting"])))
    figure.legend(handles=legend, loc="lower center", ncol=len(legend), fontsize="small", frameon=False,
                  title="; ".join(footnotes) or None, title_fontsize="small", bbox_to_anchor=(0.5, -0.02))
    accuracy_text = "" if summary["accuracy"] is None else f", accuracy {summary['accuracy']['accuracy']:.3f}"
    figure.suptitle(f"Energy per inference of {Path(summary['model']).name} ({summary['samples']} samples x "
                    f"{summary['steps_per_sample']} steps of {summary['dt_ms']:g} ms{accuracy_text}); "
                    f"regime{'s' if len(regimes) > 1 else ''}: {', '.join(r.replace('_', ' ') for r in regimes)}")
    figure.tight_layout(rect=(0, 0.07, 1, 1))
    try:
        return save_figure(figure, path)
    finally:
        plt.close(figure)


def format_table(summary: dict[str, Any]) -> str:
    """The printed table: the run, the accuracy, counts per inference, the dense twin, then per regime the devices."""
    lines = [f"{summary['model']}: {summary['samples']} sample{'s' if summary['samples'] != 1 else ''} x "
             f"{summary['steps_per_sample']} steps of {summary['dt_ms']:g} ms (+{summary['lead_in_steps']} lead-in step), "
             f"input {tuple(summary['input_shape'])}, time unit {summary['time_unit']!r}, spike input {summary['spike_input']!r}"]
    if summary["accuracy"] is not None:
        acc = summary["accuracy"]
        lines.append(f"accuracy {acc['correct']}/{acc['samples']} = {acc['accuracy']:.3f} +- {acc['accuracy_se']:.3f}; "
                     f"{acc['rule']}")
    per = summary["counts_per_inference"]
    lines.append(f"one inference (mean over {summary['samples']} samples): {per['total_spikes']:,.1f} spikes "
                 f"({', '.join(f'{k} {v:,.1f}' for k, v in per['spikes'].items())}), "
                 f"{per['total_synaptic_events']:,.1f} synaptic events")
    twin = summary["dense_twin"]
    lines.append(f"dense twin: {twin['macs']:,} MACs per inference ("
                 + " + ".join(f"{layer['name']} {layer['macs']:,}" for layer in twin["layers"] if layer["macs"])
                 + f"), {twin['weights']:,} weights, {twin['activations']:,} activations, {twin['kernels']} kernels")
    for regime in summary["regimes"]:
        lines.append("")
        lines.append(f"energy per inference, {regime.replace('_', ' ')} regime "
                     f"(static power on both sides; chips run the SNN, dense devices its ANN twin)")
        lines.append(f"  {'device':22s} {'kind':8s} {'model':9s} {'total (J)':>11s} {'static (J)':>11s} "
                     f"{'dynamic (J)':>11s} {'latency (s)':>11s} {'x best':>8s}")
        devices = summary["devices"]
        order = sorted(devices, key=lambda d: devices[d]["regimes"][regime]["total_j"])
        best = devices[order[0]]["regimes"][regime]["total_j"] if order else 0.0
        for name in order:
            entry = devices[name]["regimes"][regime]
            ratio = f"{entry['total_j'] / best:8.3g}" if best > 0 else "       -"
            flag = " *" if not devices[name]["complete"] else ""
            lines.append(f"  {name:22s} {devices[name]['kind']:8s} {devices[name]['model']:9s} {entry['total_j']:11.4g} "
                         f"{entry['static_j']:11.4g} {entry['dynamic_j']:11.4g} {entry['latency_s']:11.4g} {ratio}{flag}")
    if any(not d["complete"] for d in summary["devices"].values()):
        lines.append("  * some terms unpriced (a lower bound): see energy_reports.json")
    for name, reason in summary["not_fitting"].items():
        lines.append(f"not priced on {name}: {reason}")
    return "\n".join(lines)


# -- the command ----------------------------------------------------------------------------------


def run(model: Path, dt: float, input_path: Path, *, time_unit: str = "s", spike_input: str | None = None,
        regimes: tuple[str, ...] = REGIMES, out: Path | None = None, output: str | None = None,
        progress: bool | None = None, notes: list[str] | None = None, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Import, simulate every sample, price one inference everywhere, write the folder; returns the summary.

    Bad input raises :class:`NIRInputError` (naming the file or parameter) before anything is written."""
    notes = [] if notes is None else notes
    dt = check_dt(dt)
    model, input_path = Path(model), Path(input_path)
    if not model.is_file():
        raise NIRInputError(f"--nir {model}: no such file")
    if not input_path.is_file():
        raise NIRInputError(f"--input {input_path}: no such file")
    if out is not None and Path(out).exists() and not Path(out).is_dir():
        raise NIRInputError(f"--out {out}: exists and is not a folder")
    network = import_graph(model, dt, time_unit, spike_input, notes)
    info = network.nir
    (input_node, input_shape), = info.inputs.items()
    inputs = load_inputs(input_path, input_shape)
    if output is not None and output not in info.outputs:
        raise NIRInputError(f"--output {output!r} is not an Output node of the graph; Output nodes: {sorted(info.outputs)}")
    if output is None and inputs.labels is not None:
        if len(info.outputs) != 1:
            raise NIRInputError(f"--nir {model}: the graph has {len(info.outputs)} Output nodes {sorted(info.outputs)}; "
                                "name the one to read the prediction from with --output NODE")
        output = next(iter(info.outputs))
    if inputs.labels is not None:
        classes = int(np.prod(info.outputs[output].shape))
        if np.any(inputs.labels >= classes):
            raise NIRInputError(f"--input {input_path}: 'labels' go up to {int(inputs.labels.max())} but Output {output!r} "
                                f"has {classes} values (classes 0..{classes - 1})")
    simulation = simulate_samples(network, inputs, progress)
    acc = accuracy(simulation, output, inputs.labels) if inputs.labels is not None else None
    counts, n = simulation.counts, inputs.samples
    reports, not_fitting, twins = price(network, counts, n, tuple(regimes))

    out = default_out() if out is None else Path(out)
    out.mkdir(parents=True, exist_ok=True)
    copy = _copy_atomic(model, out / MODEL_COPY)
    twin = next(iter(twins.values()))
    from hardware.dense import nir_twin_layers

    layers, input_values = nir_twin_layers(network)
    devices = {}
    for name, by_regime in reports.items():
        first = next(iter(by_regime.values()))
        devices[name] = {"kind": first.kind, "model": "ANN twin" if first.kind == "dense" else "SNN",
                         "native_regime": hardware.get_chip(name).native_regime,
                         "complete": all(r.complete for r in by_regime.values()),
                         "regimes": {regime: {**r.regime_entry(), "edp_js": r.edp_js} for regime, r in by_regime.items()}}
    summary = {
        "model": str(model), "input": str(input_path), "options": options, "dt_ms": dt, "time_unit": time_unit,
        "spike_input": info.spike_input, "input_node": input_node, "input_shape": list(input_shape),
        "samples": n, "steps_per_sample": inputs.steps, "lead_in_steps": info.lead_in_steps,
        "output_node": output, "accuracy": acc, "regimes": list(regimes),
        "energy_per_inference_j": {regime: {name: d["regimes"][regime]["total_j"] for name, d in devices.items()}
                                   for regime in regimes},
        "devices": devices, "not_fitting": not_fitting,
        "counts": counts.to_dict(), "counts_per_inference": _mean_counts(counts, n),
        "layers": list(info.layers),
        "dense_twin": {"macs": sum(layer.macs for layer in layers), "weights": sum(layer.weights for layer in layers),
                       "activations": input_values + sum(layer.outputs for layer in layers), "kernels": twin.kernels_per_pass,
                       "layers": [layer.__dict__.copy() for layer in layers],
                       "workload_per_device": {name: w.__dict__.copy() for name, w in twins.items()},
                       "definition": "the graph's Affine/Linear/Scale/Conv/pool layers run as an ANN, one forward pass "
                                     "per inference; MACs = sum of network.nir.layers[i]['dense_macs'] "
                                     "(hardware.dense.nir_twin_workload)"},
        "notes": list(notes),
        "per_inference": "chips: the summed counts of all samples priced as that many inferences (the mean per sample); "
                         "dense devices: one forward pass of the twin",
        "out": str(out),
    }
    write_json(out / "nir_energy.json", summary)
    write_json(out / "energy_reports.json", {f"{name}|{regime}": r.to_dict() for name, by_regime in reports.items()
                                             for regime, r in by_regime.items()})
    record_counts(out, counts, builder=nir_network,
                  kwargs={"path": str(copy.resolve()), "dt": dt, "time_unit": time_unit, "spike_input": info.spike_input},
                  inferences=n)
    plot_energy(summary, out / "energy_per_inference.png")
    return summary
