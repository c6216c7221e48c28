"""The main job: a Diehl & Cook (2015) STDP network on digits vs a dense ANN, in accuracy and in
energy per inference on every chip preset and on the dense GPU/CPU baselines.

Default data: scikit-learn's bundled 8x8 digits (no download), upsampled to 28x28 and scaled to
0-255 so that the MNIST-tuned constants apply (REPRODUCTION_TARGETS 6b); ``--mnist-dir`` reads
MNIST from IDX files. Steps:

1. train the spiking network (:mod:`experiments.diehl_cook`) unsupervised, 10 passes by default
   (D&C make 3 passes of MNIST's 60 000 images for N_e = 400, REPRODUCTION_TARGETS 6a, "verify";
   on 1347 images 3 passes are 45 times fewer presentations and theta is still rising: the
   number was chosen among 3-10 on a validation split of the training images, see
   :mod:`experiments.diehl_cook` for the table and ``python -m experiments.diehl_cook`` to
   redo it);
2. freeze weights and thresholds, label neurons on the training set, measure test accuracy;
3. train the dense baseline: an MLP 784 -> N_e -> 10 (as many input synapses as the SNN), and a
   logistic regression for reference (scikit-learn);
4. price one inference (one 350 ms presentation, re-presentations included) of the SNN on every
   chip preset from the counted test activity (:func:`hardware.estimate`), and the MLP and the
   SNN's clock-driven dense simulation on every dense device (:mod:`hardware.dense`);
5. re-run the test set with the weights each analog crossbar would apply (quantised
   conductances, programming/read noise, drift; :func:`hardware.perturb_network_weights`) and
   with each digital chip's weight precision (:func:`hardware.quantise_weights`) to get the
   accuracy each platform would give.

Measured here (sklearn digits, 2 cores): N_e = 400, 10 passes (the default): test accuracy 0.900
(seed 0) and 0.900 (seed 1) with the Diehl & Cook read-out, 0.920 / 0.911 with proportion
weighting; validation accuracy (last 20 % of the training split) 0.959 / 0.948. With the
earlier default of 3 passes: test 0.887 / 0.896 (proportion weighting 0.904 / 0.911); one pass
0.813; N_e = 100, one pass: 0.831 (reference numpy port: 0.858 / 0.811). Default run (seed 1)
6 min 53 s (8-11 min while other jobs shared the 2 cores); ``--quick`` 1 min 6 s.

Writes a run folder ``results/energy_vs_dense/<timestamp>/``: ``summary.json``, ``table.json``
and ``table.md`` (accuracy, energy per inference per term, latency, EDP), ``accuracy_vs_energy.png``,
``breakdown.png``, ``counts.json`` (ActivityCounts of the test presentations), ``energy_reports.json``,
``weights.npz``, ``repricing.json`` (for ``spikenet energy RUN_DIR --chip NAME``), config, versions, log.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import hardware
import spikenet as sn
from experiments import diehl_cook as dc
from experiments.digits import DataError, DigitData, load_mnist, load_sklearn_digits
from experiments.run_folder import REPRICING_FILE, RunFolder, _atomic_text
from hardware.dense import DenseWorkload, price_workload
from hardware.plots import plot_energy_breakdown
from spikenet.progress import ProgressBar

EXPERIMENT = "energy_vs_dense"
QUICK = {"n_excitatory": 100, "n_train": 500, "n_test": 200, "epochs": 1}
DEFAULT_EPOCHS = 10


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help=f"small sizes for a run under 2 minutes: {QUICK} (explicit options override)")
    parser.add_argument("--n-excitatory", type=int, default=None, help="excitatory neurons (default 400, quick 100)")
    parser.add_argument("--n-train", type=int, default=None, help="training examples (default: all)")
    parser.add_argument("--n-test", type=int, default=None, help="test examples (default: all)")
    parser.add_argument("--seed", type=int, default=0, help="seed of weights, input spikes and the dense baseline")
    parser.add_argument("--epochs", type=int, default=None,
                        help="passes over the training set (default 10, chosen on a validation split, see "
                             "experiments.diehl_cook; quick 1)")
    parser.add_argument("--dt", type=float, default=0.5, help="time step (ms)")
    parser.add_argument("--input-scale", type=float, default=0.25,
                        help="input rate per unit of intensity (Hz; D&C: 0.25, i.e. 63.75 Hz at 255)")
    parser.add_argument("--integration", choices=["euler", "exponential_euler"], default="exponential_euler",
                        help="membrane and conductance integration (see experiments.diehl_cook)")
    parser.add_argument("--mnist-dir", type=Path, default=None, help="folder with the four MNIST IDX files")
    parser.add_argument("--no-analog-accuracy", action="store_true",
                        help="skip the test-set re-runs with analog crossbar / digital weight-precision weights")
    parser.add_argument("--results", type=Path, default=Path("results"), help="results root")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser


def _bar(enabled: bool, n_examples: int, steps_per_example: int):
    bar = ProgressBar(n_examples * steps_per_example, enabled=enabled)
    return bar, (lambda done: bar.update(done * steps_per_example))


def train_dense(data: DigitData, hidden: int, seed: int) -> dict[str, Any]:
    """MLP (inputs -> ``hidden`` ReLU -> 10) and standardised logistic regression on the same pixels."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x_train, x_test = data.train_images / 255.0, data.test_images / 255.0
    mlp = MLPClassifier(hidden_layer_sizes=(hidden,), max_iter=300, random_state=seed).fit(x_train, data.train_labels)
    logistic = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000)).fit(x_train, data.train_labels)
    return {"mlp": mlp, "mlp_accuracy": float(mlp.score(x_test, data.test_labels)),
            "logistic_accuracy": float(logistic.score(x_test, data.test_labels))}


def mlp_workload(n_input: int, hidden: int, n_classes: int, weight_bits: int) -> DenseWorkload:
    """One forward pass of the MLP: MACs = weights; weights read once, activations read and written once."""
    macs = n_input * hidden + hidden * n_classes
    return DenseWorkload(f"MLP {n_input}-{hidden}-{n_classes}", macs, macs * weight_bits / 8.0,
                         2 * (n_input + hidden + n_classes) * weight_bits / 8.0, 1)


def report_row(platform: str, model: str, report: hardware.EnergyReport, accuracy: float | None, note: str) -> dict:
    """One table row: accuracy, energy per inference per term, latency, EDP."""
    return {"platform": platform, "model": model, "kind": report.kind, "accuracy": accuracy, "accuracy_note": note,
            "energy_per_inference_j": report.per_inference_j,
            "terms_j": {name: term.energy_j / report.inferences for name, term in report.terms.items()},
            "latency_s": report.latency_s, "edp_js": report.edp_js, "complete": report.complete,
            "unpriced": list(report.unpriced)}


def price_snn(counts: sn.ActivityCounts, network: sn.Network, inferences: int) -> tuple[dict, dict]:
    """Every non-dense preset's estimate (reports) and the presets the network does not fit (errors)."""
    reports, errors = {}, {}
    for name in hardware.available_chips():
        chip = hardware.get_chip(name)
        if chip.kind == "dense":
            continue
        try:
            reports[name] = hardware.estimate(counts, network, chip, inferences=inferences)
        except hardware.HardwareModelError as error:
            errors[name] = str(error)
    return reports, errors


def price_dense(counts: sn.ActivityCounts, network: sn.Network, inferences: int, hidden: int) -> dict:
    """Per dense device: the MLP's forward pass and the SNN's clock-driven dense simulation."""
    out = {}
    n_input = network.populations["inputs"].size
    for name in hardware.available_chips("dense"):
        device = hardware.get_chip(name)
        bits = device.limit("weight_bits") or 32
        out[f"{name}:mlp"] = price_workload(mlp_workload(n_input, hidden, 10, bits), device, 1)
        out[f"{name}:snn_clock_driven"] = hardware.dense_baseline(counts, network, device, inferences).clock_driven
    return out


def analog_accuracies(network: sn.Network, source: dc.PresentationSource, data: DigitData, labels: np.ndarray,
                      config: dc.DiehlCookConfig, progress: bool, log) -> dict[str, dict]:
    """Test accuracy with each analog chip's perturbed weights (labels from the ideal network; same input spikes)."""
    out = {}
    for name in hardware.available_chips("analog"):
        chip = hardware.get_chip(name)
        perturbed = hardware.perturb_network_weights(network, chip, seed=config.seed)
        clone = hardware.with_weights(network, perturbed)
        bar, update = _bar(progress, len(data.test_images), int(round(config.present_ms / config.dt)))
        responses, _ = dc.evaluate(clone, source, data.test_images, config, seed_offset=0, progress=update)
        bar.close()
        accuracy = float(np.mean(dc.predict(responses, labels) == data.test_labels))
        out[name] = {"accuracy": accuracy,
                     "weight_relative_rms_error": {k: v.stats["relative_rms_error"] for k, v in perturbed.items()}}
        log(f"analog {name}: test accuracy {accuracy:.3f}")
    return out


def quantised_accuracies(network: sn.Network, source: dc.PresentationSource, data: DigitData, labels: np.ndarray,
                         config: dc.DiehlCookConfig, chips: list[str], progress: bool, log) -> dict[str, dict]:
    """Test accuracy with each digital chip's weight precision (one re-run per distinct bit width)."""
    by_bits: dict[int, dict] = {}
    out = {}
    for name in chips:
        bits = hardware.get_chip(name).limit("weight_bits")
        if not bits:
            continue
        if bits not in by_bits:
            quantised = {p.name: hardware.quantise_weights(p.weights, bits) for p in network.projections}
            clone = hardware.with_weights(network, {k: v[0] for k, v in quantised.items()})
            bar, update = _bar(progress, len(data.test_images), int(round(config.present_ms / config.dt)))
            responses, _ = dc.evaluate(clone, source, data.test_images, config, seed_offset=0, progress=update)
            bar.close()
            by_bits[bits] = {"accuracy": float(np.mean(dc.predict(responses, labels) == data.test_labels)),
                             "weight_bits": bits,
                             "weight_relative_rms_error": {k: v[1].relative_rms_error for k, v in quantised.items()}}
            log(f"{bits}-bit weights: test accuracy {by_bits[bits]['accuracy']:.3f}")
        out[name] = by_bits[bits]
    return out


def repricing_network(run_dir: Path) -> tuple[sn.Network, sn.ActivityCounts, int]:
    """Rebuild a saved run's frozen network and load its counts (for ``spikenet energy``)."""
    import json

    info = json.loads((run_dir / REPRICING_FILE).read_text())
    saved = np.load(run_dir / info["weights"])
    known = set(dc.DiehlCookConfig.__dataclass_fields__)
    config = dc.DiehlCookConfig(**{k: v for k, v in info["config"].items() if k in known})
    network, _ = dc.frozen_network(int(info["n_input"]), config, saved["input_weights"], saved["theta"])
    counts = sn.ActivityCounts.from_dict(json.loads((run_dir / info["counts"]).read_text()))
    return network, counts, int(info["inferences"])


def check_args(args: argparse.Namespace) -> str | None:
    """A description of what is wrong with the options, or None."""
    for name in ("n_excitatory", "n_train", "n_test"):
        value = getattr(args, name)
        if value is not None and value < (2 if name == "n_excitatory" else 1):
            return f"--{name.replace('_', '-')} must be >= {2 if name == 'n_excitatory' else 1}; got {value}"
    if args.epochs is not None and args.epochs < 1:
        return f"--epochs must be >= 1; got {args.epochs}"
    if not args.input_scale > 0:
        return f"--input-scale must be > 0 Hz; got {args.input_scale}"
    if not args.dt > 0:
        return f"--dt must be > 0 ms; got {args.dt}"
    return None


def train_and_test_snn(data: DigitData, config: dc.DiehlCookConfig, epochs: int, progress: bool,
                       folder: RunFolder) -> dict[str, Any]:
    """Train, label on the training set, test; writes weights, responses, counts and the repricing file."""
    log, start = folder.log, time.time()
    steps = int(round(config.present_ms / config.dt))
    folder.set_stage("train")
    bar, update = _bar(progress, epochs * len(data.train_images), steps)
    weights, theta, _ = dc.train(data.train_images, config, progress=update, epochs=epochs)
    bar.close()
    n_input = data.train_images.shape[1]
    folder.write_npz("weights.npz", input_weights=weights, theta=theta)
    log(f"trained in {time.time() - start:.1f} s; theta mean {theta.mean():.2f} mV, max {theta.max():.2f} mV")

    folder.set_stage("label")
    network, source = dc.frozen_network(n_input, config, weights, theta)
    bar, update = _bar(progress, len(data.train_images), steps)
    train_responses, _ = dc.evaluate(network, source, data.train_images, config, seed_offset=10**5, progress=update)
    bar.close()
    labels = dc.assign_labels(train_responses, data.train_labels)
    train_accuracy = float(np.mean(dc.predict(train_responses, labels) == data.train_labels))

    folder.set_stage("test")
    bar, update = _bar(progress, len(data.test_images), steps)
    test_responses, counts = dc.evaluate(network, source, data.test_images, config, seed_offset=0, progress=update)
    bar.close()
    predictions = dc.predict(test_responses, labels)
    accuracy = float(np.mean(predictions == data.test_labels))
    proportions = dc.proportion_weights(train_responses, data.train_labels)
    proportion_accuracy = float(np.mean(dc.predict_proportion(test_responses, proportions) == data.test_labels))
    folder.write_json("counts.json", counts.to_dict())
    folder.write_npz("responses.npz", train=train_responses, test=test_responses, neuron_labels=labels,
                     test_predictions=predictions)
    folder.write_json(REPRICING_FILE, {"builder": "experiments.energy_vs_dense:repricing_network",
                                       "counts": "counts.json", "weights": "weights.npz", "n_input": n_input,
                                       "inferences": len(data.test_images), "config": config.__dict__})
    log(f"SNN: test accuracy {accuracy:.3f} (proportion-weighting read-out {proportion_accuracy:.3f}), "
        f"train (labelling set) {train_accuracy:.3f}; {test_responses.sum(axis=1).mean():.1f} exc spikes / test image; "
        f"neurons per label {dc.describe(labels)}; {time.time() - start:.1f} s so far")
    return {"network": network, "source": source, "labels": labels, "counts": counts, "accuracy": accuracy,
            "summary": {"snn_test_accuracy": accuracy, "snn_train_accuracy": train_accuracy,
                        "snn_test_accuracy_proportion_readout": proportion_accuracy,
                        "exc_spikes_per_test_image": float(test_responses.sum(axis=1).mean()),
                        "neurons_per_label": dc.describe(labels), "theta_mean_mv": float(theta.mean()),
                        "theta_max_mv": float(theta.max())}}


def run(args: argparse.Namespace) -> dict[str, Any]:
    """The whole experiment; returns ``summary.json``'s content."""
    sizes = {k: getattr(args, k) for k in QUICK}
    if args.quick:
        sizes = {k: QUICK[k] if v is None else v for k, v in sizes.items()}
    n_exc = sizes["n_excitatory"] or 400
    args.epochs = sizes["epochs"] or DEFAULT_EPOCHS
    problem = check_args(args)
    if problem:
        raise ValueError(problem)
    data = load_mnist(args.mnist_dir) if args.mnist_dir else load_sklearn_digits()
    data = data.subset(sizes["n_train"], sizes["n_test"])
    config = dc.DiehlCookConfig(n_excitatory=n_exc, dt=args.dt, seed=args.seed, integration=args.integration,
                                input_scale=args.input_scale)
    progress = not args.no_progress
    resolved = {**vars(args), "results": str(args.results), "mnist_dir": str(args.mnist_dir) if args.mnist_dir else None,
                "n_excitatory": n_exc, "n_train": len(data.train_images), "n_test": len(data.test_images),
                "data": data.source, "network": config.__dict__}
    with RunFolder(args.results, EXPERIMENT, resolved, {"network_and_inputs": args.seed, "dense": args.seed,
                                                        "analog_noise": args.seed}) as folder:
        log = folder.log
        log(f"run folder {folder.path}; data {data.source}: {len(data.train_images)} train / {len(data.test_images)} test; "
            f"N_e = {n_exc}")
        start = time.time()
        snn = train_and_test_snn(data, config, args.epochs, progress, folder)
        network, source, labels, counts = snn["network"], snn["source"], snn["labels"], snn["counts"]
        snn_accuracy, inferences, n_input = snn["accuracy"], len(data.test_images), data.train_images.shape[1]

        folder.set_stage("dense baseline")
        dense = train_dense(data, n_exc, args.seed)
        log(f"dense MLP {n_input}-{n_exc}-10: test accuracy {dense['mlp_accuracy']:.3f}; "
            f"logistic regression {dense['logistic_accuracy']:.3f}")

        folder.set_stage("pricing")
        snn_reports, not_fitting = price_snn(counts, network, inferences)
        dense_reports = price_dense(counts, network, inferences, n_exc)
        analog, quantised = {}, {}
        if not args.no_analog_accuracy:
            folder.set_stage("chip accuracy")
            analog = analog_accuracies(network, source, data, labels, config, progress, log)
            digital = [n for n, r in snn_reports.items() if r.kind == "digital"]
            quantised = quantised_accuracies(network, source, data, labels, config, digital, progress, log)
        rows = []
        for name, report in snn_reports.items():
            if name in analog:
                rows.append(report_row(name, "SNN (Diehl & Cook)", report, analog[name]["accuracy"],
                                       "test accuracy with the crossbar's perturbed weights"))
            elif name in quantised:
                rows.append(report_row(name, "SNN (Diehl & Cook)", report, quantised[name]["accuracy"],
                                       f"test accuracy with {quantised[name]['weight_bits']}-bit weights"))
            else:
                rows.append(report_row(name, "SNN (Diehl & Cook)", report, snn_accuracy,
                                       "float weights (no weight precision limit, or re-runs skipped)"))
        for name, report in dense_reports.items():
            is_mlp = name.endswith(":mlp")
            rows.append(report_row(name, f"dense MLP {n_input}-{n_exc}-10" if is_mlp else "SNN, clock-driven dense",
                                   report, dense["mlp_accuracy"] if is_mlp else snn_accuracy, "float weights"))
        summary = {
            "experiment": EXPERIMENT, "data": data.source, "n_excitatory": n_exc, "n_train": len(data.train_images),
            "n_test": inferences, **snn["summary"], "epochs": args.epochs,
            "dense_test_accuracy": dense["mlp_accuracy"], "logistic_regression_test_accuracy": dense["logistic_accuracy"],
            "analog_test_accuracy": {k: v["accuracy"] for k, v in analog.items()},
            "quantised_test_accuracy": {k: v["accuracy"] for k, v in quantised.items()},
            "energy_per_inference_j": {row["platform"]: row["energy_per_inference_j"] for row in rows},
            "not_fitting": not_fitting, "wall_time_s": time.time() - start,
            "inference": f"one {config.present_ms:g} ms presentation (re-presentations included), dt {config.dt} ms",
        }
        folder.write_json("table.json", {"rows": rows, "not_fitting": not_fitting, "analog": analog,
                                         "quantised": quantised})
        folder.write_json("energy_reports.json", {k: r.to_dict() for k, r in {**snn_reports, **dense_reports}.items()})
        _write_text(folder.path / "table.md", markdown_table(rows, not_fitting))
        plot_accuracy_vs_energy(rows, folder.file("accuracy_vs_energy.png"),
                                title=f"Digits: accuracy vs energy per inference (SNN N_e = {n_exc})")
        plot_energy_breakdown(list(snn_reports.values()) + [r for k, r in dense_reports.items() if k.endswith(":mlp")],
                              folder.file("breakdown.png"),
                              title=f"Energy per inference: SNN (N_e = {n_exc}) on chips vs dense MLP")
        summary["wall_time_s"] = time.time() - start
        folder.write_json("summary.json", summary)
        log(markdown_table(rows, not_fitting), echo=False)
        log(f"done in {summary['wall_time_s']:.1f} s; results in {folder.path}")
        summary["run_dir"] = str(folder.path)
    return summary


def _write_text(path: Path, text: str) -> None:
    _atomic_text(path, text)


def plot_accuracy_vs_energy(rows: list[dict], path: Path, title: str) -> None:
    """Scatter of test accuracy against energy per inference (log x), one labelled point per platform
    (the SNN's clock-driven dense simulation is in the table, not here)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hardware.plots import save_figure

    colours = {"digital": "steelblue", "analog": "mediumpurple", "dense": "0.4"}
    figure, axes = plt.subplots(figsize=(9, 6))
    shown = sorted((r for r in rows if "clock-driven" not in r["model"]), key=lambda r: r["energy_per_inference_j"])
    for k, row in enumerate(shown):
        point = (row["energy_per_inference_j"], 100 * row["accuracy"])
        axes.scatter(*point, color=colours.get(row["kind"], "k"), marker="s" if "MLP" in row["model"] else "o")
        axes.annotate(row["platform"].replace(":mlp", ""), point, fontsize=7, rotation=30,
                      xytext=(2, 4 + 9 * (k % 3)), textcoords="offset points")
    axes.set_xscale("log")
    axes.set_xlabel("energy per inference (J, log scale)")
    axes.set_ylabel("test accuracy (%)")
    for label, colour, marker in (("SNN on digital chip", "steelblue", "o"), ("SNN on analog crossbar", "mediumpurple", "o"),
                                  ("dense MLP on GPU/CPU", "0.4", "s")):
        axes.scatter([], [], color=colour, marker=marker, label=label)
    axes.legend(fontsize=8, loc="center left")
    axes.margins(x=0.15, y=0.12)
    axes.set_title(title)
    axes.grid(True, which="both", alpha=0.3)
    save_figure(figure, path)


def markdown_table(rows: list[dict], not_fitting: dict[str, str]) -> str:
    """The table as Markdown (energy in µJ, latency in ms, EDP in µJ·s; the three largest terms)."""
    lines = ["| platform | model | accuracy | energy / inference (µJ) | largest terms (µJ) | latency (ms) | EDP (µJ·s) |",
             "|---|---|---|---|---|---|---|"]
    for row in sorted(rows, key=lambda r: r["energy_per_inference_j"]):
        terms = sorted(row["terms_j"].items(), key=lambda kv: -kv[1])[:3]
        text = ", ".join(f"{k} {v * 1e6:.3g}" for k, v in terms)
        accuracy = "" if row["accuracy"] is None else f"{row['accuracy']:.3f}"
        lines.append(f"| {row['platform']} | {row['model']} | {accuracy} | {row['energy_per_inference_j'] * 1e6:.4g} | "
                     f"{text} | {row['latency_s'] * 1e3:.4g} | {row['edp_js'] * 1e6:.4g} |")
    for name, error in not_fitting.items():
        lines.append(f"| {name} | SNN | — | does not fit: {error.splitlines()[0][:120]} | | | |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    problem = check_args(args)
    if problem:
        parser.error(problem)
    try:
        summary = run(args)
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: the run folder holds complete files and status.json says where it stopped", file=sys.stderr)
        return 1
    print(f"SNN {summary['snn_test_accuracy']:.3f}, dense MLP {summary['dense_test_accuracy']:.3f}; "
          f"wrote {summary['run_dir']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
