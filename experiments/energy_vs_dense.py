"""The main job: a Diehl & Cook (2015) STDP network on digits vs a dense ANN, in accuracy and in
energy per inference on every chip preset and on the dense GPU/CPU baselines.

Default data: scikit-learn's bundled 8x8 digits (no download), upsampled to 28x28 and scaled to
0-255 so that the MNIST-tuned constants apply (REPRODUCTION_TARGETS 6b); ``--mnist-dir`` reads
MNIST from IDX files. Steps:

1. train the spiking network (:mod:`experiments.diehl_cook`) unsupervised, 10 passes by default
   (D&C make 3 passes of MNIST's 60 000 images for N_e = 400, REPRODUCTION_TARGETS 6a, "verify";
   on 1347 images 3 passes are 45 times fewer presentations and theta is still rising: the
   number was chosen among 3-15 on a validation split of the training images, see
   :mod:`experiments.diehl_cook` for the table and ``python -m experiments.diehl_cook`` to
   redo it);
2. freeze weights and thresholds, label neurons on the training set, measure test accuracy;
3. train the dense baseline: an MLP 784 -> N_e -> 10 (as many input synapses as the SNN), and a
   logistic regression for reference (scikit-learn);
4. price one inference (one 350 ms presentation, re-presentations included) of the SNN on every
   chip preset from the counted test activity (:func:`hardware.estimate`), and the MLP and the
   SNN's clock-driven dense simulation on every dense device (:mod:`hardware.dense`), each in the
   three regimes of :mod:`hardware.regimes` (latency, throughput, real time) with the static and
   dynamic parts apart;
5. re-run the test set with the weights each analog crossbar would apply (quantised
   conductances, programming/read noise, drift; :func:`hardware.perturb_network_weights`) and
   with each digital chip's weight precision (:func:`hardware.quantise_weights`) to get the
   accuracy each platform would give;
6. the accuracy-energy trade-off: the test set re-run with presentations of 25-350 ms (labels
   from the full-length labelling run), each priced on :data:`TRADEOFF_CHIPS`; and for every chip,
   regime and dense device the break-even activity (synaptic events per synapse per inference)
   at which the SNN on the chip costs what the MLP costs (:func:`break_even_activity`).

Measured here (sklearn digits, 2 cores, seed 0, the default; docs/main_job/): N_e = 400, 10 passes:
test accuracy 0.918 +- 0.013 with the proportion-weighting read-out (the default, chosen on the
validation split), 0.898 with the Diehl & Cook read-out; dense MLP 0.980. Default run 5 min 45 s;
``--quick`` about 1 min 40 s. (Before theta decayed in closed form, float32 theta decayed 1.3-2.3x too
fast and the figures were 0.900 / 0.920 for the two read-outs.)

Writes a run folder ``results/energy_vs_dense/<timestamp>/``: ``summary.json`` (accuracies with
their standard errors; ``regimes: {regime: {platform: {total_j, static_j, dynamic_j, latency_s}}}``;
``tradeoff``; ``break_even_activity``), ``table.json`` and ``table.md`` (per platform and regime:
energy per inference, static + dynamic, latency; the trade-off and break-even tables),
``accuracy_vs_energy.png``, ``tradeoff.png``, ``breakdown.png``, ``counts.json`` (ActivityCounts
of the test presentations), ``energy_reports.json`` (every report, keyed ``platform|regime``),
``weights.npz``, ``repricing.json`` (for ``spikenet energy RUN_DIR --chip NAME``), config, versions, log.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

import hardware
import spikenet as sn
from experiments import diehl_cook as dc
from experiments.digits import DataError, DigitData, load_mnist, load_sklearn_digits
from experiments.run_folder import REPRICING_FILE, RunFolder, _atomic_text, interrupt_exit_code, stop_on_signals
from hardware.dense import mlp_workload, price_workload
from hardware.regimes import period_s
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
    parser.add_argument("--readout", choices=READOUTS, default=DEFAULT_READOUT,
                        help="class decision from the responses: proportion weighting (chosen on the validation split) "
                             "or the Diehl & Cook read-out; both accuracies are reported")
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


REGIMES = hardware.REGIMES
SWEEP_LENGTHS_MS = (25.0, 50.0, 100.0, 150.0, 250.0, 350.0)
QUICK_SWEEP_LENGTHS_MS = (50.0, 150.0, 350.0)
TRADEOFF_CHIPS = ("loihi", "spinnaker1", "spinnaker2", "hermes_pcm")  # TrueNorth and ODIN: the network does not fit
TRADEOFF_DENSE = ("h100", "jetson_tx1", "xeon_e5_2630_x2")


def report_row(platform: str, model: str, reports: dict[str, hardware.EnergyReport], accuracy: float | None,
               accuracy_se: float | None, note: str, native: str) -> dict:
    """One table row: accuracy and, per regime, energy per inference (total, static, dynamic), terms, latency, EDP.

    The row's top-level ``energy_per_inference_j``, ``terms_j``, ``latency_s`` and ``edp_js`` are those of
    the latency regime (batch 1, each input processed as it arrives)."""
    first = reports["latency"]
    return {"platform": platform, "model": model, "kind": first.kind, "accuracy": accuracy, "accuracy_se": accuracy_se,
            "accuracy_note": note, "native_regime": native,
            "energy_per_inference_j": first.per_inference_j,
            "terms_j": {name: term.energy_j / first.inferences for name, term in first.terms.items()},
            "latency_s": first.latency_s, "edp_js": first.edp_js, "complete": first.complete,
            "unpriced": list(first.unpriced),
            "regimes": {regime: {**report.regime_entry(), "edp_js": report.edp_js} for regime, report in reports.items()}}


def price_snn(counts: sn.ActivityCounts, network: sn.Network, inferences: int,
              regimes: tuple[str, ...] = REGIMES) -> tuple[dict[str, dict[str, hardware.EnergyReport]], dict[str, str]]:
    """Every chip preset's estimate per regime (reports[chip][regime]) and the presets the network does not fit."""
    reports, errors = {}, {}
    for name in hardware.available_chips():
        chip = hardware.get_chip(name)
        if chip.kind == "dense":
            continue
        try:
            mapping = (hardware.map_crossbars(network, chip) if chip.kind == "analog"
                       else hardware.map_network(network, chip))
        except hardware.HardwareModelError as error:
            errors[name] = f"does not fit: {error}"
            continue
        try:
            reports[name] = {regime: hardware.estimate(counts, mapping, chip, inferences=inferences, regime=regime)
                             for regime in regimes}
        except hardware.HardwareModelError as error:  # e.g. no timing model for one regime
            errors[name] = f"not priced in every regime: {error}"
    return reports, errors


def price_dense(counts: sn.ActivityCounts, network: sn.Network, inferences: int, hidden: int,
                regimes: tuple[str, ...] = REGIMES) -> dict[str, dict[str, hardware.EnergyReport]]:
    """Per dense device and regime: the MLP's forward pass and the SNN's clock-driven dense simulation.

    In the real-time regime both are handed one input per inference period of the SNN (its simulated
    time per test image), the same period the chips tick through."""
    out: dict[str, dict[str, hardware.EnergyReport]] = {}
    n_input = network.populations["inputs"].size
    period = period_s(counts, inferences)
    for name in hardware.available_chips("dense"):
        device = hardware.get_chip(name)
        bits = device.limit("weight_bits") or 32
        out[f"{name}:mlp"] = {regime: price_workload(mlp_workload([n_input, hidden, 10], bits), device, 1, regime, period)
                              for regime in regimes}
        out[f"{name}:snn_clock_driven"] = {
            regime: hardware.dense_baseline(counts, network, device, inferences, regime=regime).clock_driven
            for regime in regimes}
    return out


def scaled_counts(counts: sn.ActivityCounts, factor: float) -> sn.ActivityCounts:
    """The counts with every spike, synaptic event and driven update multiplied by ``factor`` (neuron updates kept)."""
    scaled = sn.ActivityCounts.from_dict(counts.to_dict())
    for key in scaled.spikes:
        scaled.spikes[key] = int(round(counts.spikes[key] * factor))
    for name, (pre, _) in counts.projection_endpoints.items():
        # events follow their pre population's spikes exactly (never more events than spikes x out-degree)
        ratio = scaled.spikes[pre] / counts.spikes[pre] if counts.spikes.get(pre) else 0.0
        scaled.synaptic_events[name] = int(counts.synaptic_events[name] * ratio)
        if name in scaled.delayed_events:
            scaled.delayed_events[name] = min(int(counts.delayed_events[name] * ratio), scaled.synaptic_events[name])
    if scaled.neuron_updates_driven is not None:
        for key in scaled.neuron_updates_driven:
            scaled.neuron_updates_driven[key] = min(int(round(scaled.neuron_updates_driven[key] * factor)),
                                                    scaled.neuron_updates[key])
    return scaled


def break_even_activity(counts: sn.ActivityCounts, mapping: Any, regime: str, inferences: int,
                        dense_j: float) -> dict[str, Any]:
    """Activity (synaptic events per synapse per inference) at which the network, placed on a chip by ``mapping``
    (:func:`hardware.map_network` or :func:`hardware.map_crossbars`), costs ``dense_j`` per inference.

    Spikes, synaptic events and driven updates are scaled together from the measured counts (the same
    network, neuron updates unchanged), and the factor found by bisection on a log scale. Returns the
    measured activity, the break-even activity (None when even zero activity costs more than the dense
    device: static power, management power and the neuron updates of every step alone exceed it; ``inf``
    when even every neuron spiking in every step costs less) and the factor."""
    synapses = sum(p.n_synapses for p in mapping.network.projections)
    measured = counts.total_synaptic_events / synapses / inferences
    model = mapping.chip

    def energy(factor: float) -> float:
        return hardware.estimate(scaled_counts(counts, factor), mapping, model, inferences=inferences,
                                 regime=regime).per_inference_j

    # the largest factor keeping every population at most one spike per neuron per step
    high = min((counts.population_sizes[p] * counts.steps / n for p, n in counts.spikes.items() if n), default=1e6)
    low = min(1e-6, high / 2)
    if energy(0.0) >= dense_j:
        return {"measured": measured, "break_even": None, "factor": None}
    if energy(high) <= dense_j:  # cheaper even when every neuron spikes every step
        return {"measured": measured, "break_even": float("inf"), "factor": float("inf")}
    for _ in range(60):
        middle = float(np.sqrt(low * high))
        if energy(middle) < dense_j:
            low = middle
        else:
            high = middle
    factor = float(np.sqrt(low * high))
    return {"measured": measured, "break_even": measured * factor, "factor": factor}


READOUTS = ("proportion", "diehl_cook")
DEFAULT_READOUT = "proportion"


def make_readout(kind: str, train_responses: np.ndarray, train_labels: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """The class decision from responses, fitted on the labelling run: ``diehl_cook`` (each neuron labelled with the
    class it answers most; the class whose neurons respond most wins, Diehl & Cook 2015) or ``proportion`` (each
    neuron votes for every class in proportion to its mean response to it). The default, ``proportion``, was chosen
    on the validation split: it scored at least as well as the Diehl & Cook read-out at 10 passes for both seeds
    (0.952 / 0.952 vs 0.941 / 0.952, docs/diehl_cook_validation)."""
    if kind not in READOUTS:
        raise ValueError(f"read-out must be one of {READOUTS}; got {kind!r}")
    if kind == "diehl_cook":
        neuron_labels = dc.assign_labels(train_responses, train_labels)
        return lambda responses: dc.predict(responses, neuron_labels)
    proportions = dc.proportion_weights(train_responses, train_labels)
    return lambda responses: dc.predict_proportion(responses, proportions)


def analog_accuracies(network: sn.Network, source: dc.PresentationSource, data: DigitData,
                      readout: Callable[[np.ndarray], np.ndarray], config: dc.DiehlCookConfig, progress: bool,
                      log) -> dict[str, dict]:
    """Test accuracy with each analog chip's perturbed weights (labels from the ideal network; same input spikes)."""
    out = {}
    for name in hardware.available_chips("analog"):
        chip = hardware.get_chip(name)
        perturbed = hardware.perturb_network_weights(network, chip, seed=config.seed)
        clone = hardware.with_weights(network, perturbed)
        bar, update = _bar(progress, len(data.test_images), int(round(config.present_ms / config.dt)))
        responses, _ = dc.evaluate(clone, source, data.test_images, config, seed_offset=0, progress=update)
        bar.close()
        accuracy = float(np.mean(readout(responses) == data.test_labels))
        out[name] = {"accuracy": accuracy,
                     "weight_relative_rms_error": {k: v.stats["relative_rms_error"] for k, v in perturbed.items()}}
        log(f"analog {name}: test accuracy {accuracy:.3f}")
    return out


def quantised_accuracies(network: sn.Network, source: dc.PresentationSource, data: DigitData,
                         readout: Callable[[np.ndarray], np.ndarray], config: dc.DiehlCookConfig, chips: list[str],
                         progress: bool, log) -> dict[str, dict]:
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
            by_bits[bits] = {"accuracy": float(np.mean(readout(responses) == data.test_labels)),
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
    counts_file = run_dir / info["counts"]
    counts = sn.ActivityCounts.from_dict(json.loads(counts_file.read_text()), origin=str(counts_file))
    return network, counts, int(info["inferences"])


REGIME_DEFINITIONS = {
    "latency": "batch 1, each input processed as soon as it arrives, as fast as the device allows (chips: barrier + "
               "busiest core's work per step; dense: roofline with launch and framework floors); static power over "
               "that time",
    "throughput": "as many inferences per second as the device sustains (dense: best batch by roofline; chips: copies of "
                  "the network on the cores of the chips it occupies); static power shared by the inferences in flight",
    "real_time": "sensor-paced: one input per inference period of the SNN (its simulated time per image); chips tick "
                 "one dt per dt of wall time; every device is powered for the whole period",
}


def standard_error(accuracy: float, n: int) -> float:
    """Binomial standard error of an accuracy measured on ``n`` test images: sqrt(p (1 - p) / n)."""
    return float(np.sqrt(accuracy * (1.0 - accuracy) / n)) if n else float("nan")


def accuracy_energy_tradeoff(network: sn.Network, source: dc.PresentationSource, data: DigitData, labels: np.ndarray,
                             readout: Callable[[np.ndarray], np.ndarray], config: dc.DiehlCookConfig,
                             lengths_ms: tuple[float, ...], hidden: int, progress: bool, log) -> list[dict[str, Any]]:
    """Per presentation length: test accuracy (and its standard error) and energy per inference per platform.

    The frozen network is re-run on the test set for each length (:func:`experiments.diehl_cook.
    evaluate_presentation_lengths`, neuron labels from the full-length labelling run), and each run's counts are
    priced on the chips of :data:`TRADEOFF_CHIPS` in the latency and throughput regimes; the dense MLP on
    :data:`TRADEOFF_DENSE` does not depend on the length (its accuracy and energy are one point)."""
    steps = int(round(max(lengths_ms) / config.dt))
    bar, update = _bar(progress, len(lengths_ms) * len(data.test_images), steps)
    rows = dc.evaluate_presentation_lengths(network, source, data.test_images, labels, data.test_labels, config,
                                            lengths_ms=lengths_ms, progress=update)
    bar.close()
    n = len(data.test_images)
    out = []
    for row in rows:
        accuracy = float(np.mean(readout(row["responses"]) == data.test_labels))
        entry = {"present_ms": row["present_ms"], "accuracy": accuracy, "accuracy_se": standard_error(accuracy, n),
                 "exc_spikes_per_image": row["exc_spikes_per_image"],
                 "presentations_per_image": row["presentations_per_image"], "energy_j": {}, "counts": row["counts"]}
        for regime in ("latency", "throughput"):
            entry["energy_j"][regime] = {}
            for chip in TRADEOFF_CHIPS:
                try:
                    entry["energy_j"][regime][chip] = hardware.estimate(row["counts"], network, chip, inferences=n,
                                                                        regime=regime).per_inference_j
                except hardware.HardwareModelError as error:
                    entry["energy_j"][regime][chip] = None
                    log(f"trade-off: {chip} not priced: {str(error).splitlines()[0]}")
        log(f"trade-off: {row['present_ms']:g} ms: accuracy {entry['accuracy']:.3f} +- {entry['accuracy_se']:.3f}")
        out.append(entry)
    return out


def break_even_table(counts: sn.ActivityCounts, network: sn.Network, inferences: int,
                     snn_reports: dict[str, dict[str, hardware.EnergyReport]],
                     dense_reports: dict[str, dict[str, hardware.EnergyReport]]) -> dict[str, Any]:
    """For each chip, regime and dense device: the activity at which the chip's SNN costs what the dense MLP costs."""
    table: dict[str, Any] = {}
    for chip in snn_reports:
        model = hardware.get_chip(chip)
        if model.scope == "all-in":
            continue  # an all-in figure does not follow activity
        mapping = hardware.map_crossbars(network, model) if model.kind == "analog" else hardware.map_network(network, model)
        table[chip] = {}
        for regime in ("latency", "throughput", "real_time"):
            table[chip][regime] = {}
            for name, reports in dense_reports.items():
                if not name.endswith(":mlp"):
                    continue
                device = name.split(":")[0]
                table[chip][regime][device] = break_even_activity(counts, mapping, regime, inferences,
                                                                  reports[regime].per_inference_j)
    return table


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
                       folder: RunFolder, readout_kind: str = DEFAULT_READOUT) -> dict[str, Any]:
    """Train, label on the training set, test; writes weights, responses, counts and the repricing file.

    ``readout_kind`` (:func:`make_readout`) decides the headline accuracy (``snn_test_accuracy``); both
    read-outs are reported."""
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
    readout = make_readout(readout_kind, train_responses, data.train_labels)
    predictions = readout(test_responses)
    accuracy = float(np.mean(predictions == data.test_labels))
    dc_accuracy = float(np.mean(dc.predict(test_responses, labels) == data.test_labels))
    proportions = dc.proportion_weights(train_responses, data.train_labels)
    proportion_accuracy = float(np.mean(dc.predict_proportion(test_responses, proportions) == data.test_labels))
    folder.write_json("counts.json", counts.to_dict())
    folder.write_npz("responses.npz", train=train_responses, test=test_responses, neuron_labels=labels,
                     test_predictions=predictions)
    folder.write_json(REPRICING_FILE, {"builder": "experiments.energy_vs_dense:repricing_network",
                                       "counts": "counts.json", "weights": "weights.npz", "n_input": n_input,
                                       "inferences": len(data.test_images), "config": config.__dict__})
    log(f"SNN: test accuracy {accuracy:.3f} with the {readout_kind} read-out (Diehl & Cook read-out {dc_accuracy:.3f}, "
        f"proportion weighting {proportion_accuracy:.3f}), "
        f"train (labelling set) {train_accuracy:.3f}; {test_responses.sum(axis=1).mean():.1f} exc spikes / test image; "
        f"neurons per label {dc.describe(labels)}; {time.time() - start:.1f} s so far")
    return {"network": network, "source": source, "labels": labels, "counts": counts, "accuracy": accuracy,
            "readout": readout,
            "summary": {"snn_test_accuracy": accuracy, "snn_readout": readout_kind,
                        "snn_train_accuracy": train_accuracy,
                        "snn_test_accuracy_diehl_cook_readout": dc_accuracy,
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
    # SIGINT/SIGTERM stop the run between two presentations (engine runs), never inside one.
    with stop_on_signals(), RunFolder(args.results, EXPERIMENT, resolved,
                                      {"network_and_inputs": args.seed, "dense": args.seed,
                                       "analog_noise": args.seed}) as folder:
        log = folder.log
        log(f"run folder {folder.path}; data {data.source}: {len(data.train_images)} train / {len(data.test_images)} test; "
            f"N_e = {n_exc}")
        start = time.time()
        snn = train_and_test_snn(data, config, args.epochs, progress, folder, args.readout)
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
            analog = analog_accuracies(network, source, data, snn["readout"], config, progress, log)
            digital = [n for n, r in snn_reports.items() if r["latency"].kind == "digital"]
            quantised = quantised_accuracies(network, source, data, snn["readout"], config, digital, progress, log)
        snn_se = standard_error(snn_accuracy, inferences)
        mlp_se = standard_error(dense["mlp_accuracy"], inferences)
        rows = []
        for name, reports in snn_reports.items():
            native = hardware.get_chip(name).native_regime
            if name in analog:
                accuracy, note = analog[name]["accuracy"], "test accuracy with the crossbar's perturbed weights"
            elif name in quantised:
                accuracy = quantised[name]["accuracy"]
                note = f"test accuracy with {quantised[name]['weight_bits']}-bit weights"
            else:
                accuracy, note = snn_accuracy, "float weights (no weight precision limit, or re-runs skipped)"
            rows.append(report_row(name, "SNN (Diehl & Cook)", reports, accuracy, standard_error(accuracy, inferences),
                                   note, native))
        for name, reports in dense_reports.items():
            is_mlp = name.endswith(":mlp")
            rows.append(report_row(name, f"dense MLP {n_input}-{n_exc}-10" if is_mlp else "SNN, clock-driven dense",
                                   reports, dense["mlp_accuracy"] if is_mlp else snn_accuracy,
                                   mlp_se if is_mlp else snn_se, "float weights", "latency"))
        regimes = {regime: {row["platform"]: {k: row["regimes"][regime][k] for k in
                                               ("total_j", "static_j", "dynamic_j", "latency_s")}
                            for row in rows} for regime in REGIMES}

        folder.set_stage("trade-off")
        lengths = QUICK_SWEEP_LENGTHS_MS if args.quick else SWEEP_LENGTHS_MS
        tradeoff = accuracy_energy_tradeoff(network, source, data, labels, snn["readout"], config, lengths, n_exc,
                                            progress, log)
        break_even = break_even_table(counts, network, inferences, snn_reports, dense_reports)
        summary = {
            "experiment": EXPERIMENT, "data": data.source, "n_excitatory": n_exc, "n_train": len(data.train_images),
            "n_test": inferences, **snn["summary"], "snn_test_accuracy_se": snn_se, "epochs": args.epochs,
            "dense_test_accuracy": dense["mlp_accuracy"], "dense_test_accuracy_se": mlp_se,
            "logistic_regression_test_accuracy": dense["logistic_accuracy"],
            "analog_test_accuracy": {k: v["accuracy"] for k, v in analog.items()},
            "quantised_test_accuracy": {k: v["accuracy"] for k, v in quantised.items()},
            "regimes": regimes,
            "regime_definitions": REGIME_DEFINITIONS,
            "native_regimes": {row["platform"]: row["native_regime"] for row in rows},
            "energy_per_inference_j": {row["platform"]: row["energy_per_inference_j"] for row in rows},
            "energy_per_inference_regime": "latency",
            "tradeoff": [{k: v for k, v in entry.items() if k != "counts"} for entry in tradeoff],
            "break_even_activity": break_even,
            "not_fitting": not_fitting, "wall_time_s": time.time() - start,
            "inference": f"one {config.present_ms:g} ms presentation (re-presentations included), dt {config.dt} ms",
        }
        folder.write_json("table.json", {"rows": rows, "not_fitting": not_fitting, "analog": analog,
                                         "quantised": quantised})
        folder.write_json("energy_reports.json", {f"{k}|{regime}": r.to_dict()
                                                  for k, by_regime in {**snn_reports, **dense_reports}.items()
                                                  for regime, r in by_regime.items()})
        _write_text(folder.path / "table.md", markdown_table(rows, not_fitting, tradeoff, break_even))
        plot_accuracy_vs_energy(rows, folder.file("accuracy_vs_energy.png"),
                                title=f"Digits, one inference: accuracy vs energy (SNN N_e = {n_exc}, latency regime)")
        plot_tradeoff(tradeoff, rows, folder.file("tradeoff.png"), n_exc)
        plot_energy_breakdown([r["latency"] for r in snn_reports.values()] +
                              [r["latency"] for k, r in dense_reports.items() if k.endswith(":mlp")],
                              folder.file("breakdown.png"),
                              title=f"Energy per inference, latency regime: SNN (N_e = {n_exc}) on chips vs dense MLP")
        summary["wall_time_s"] = time.time() - start
        folder.write_json("summary.json", summary)
        log(markdown_table(rows, not_fitting, tradeoff, break_even), echo=False)
        log(f"done in {summary['wall_time_s']:.1f} s; results in {folder.path}")
        summary["run_dir"] = str(folder.path)
    return summary


def _write_text(path: Path, text: str) -> None:
    _atomic_text(path, text)


def _fmt_activity(value: Any) -> str:
    if value is None:
        return "never (costs more at zero activity)"
    if value == float("inf"):
        return "always cheaper"
    return f"{value:.3g}"


def plot_accuracy_vs_energy(rows: list[dict], path: Path, title: str) -> None:
    """Test accuracy (with its standard error) against energy per inference in the latency regime: one marker per
    platform, named in the legend (no labels on the points, so nothing overlaps); the SNN's clock-driven dense
    simulation is in the table, not here."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hardware.plots import save_figure

    shown = sorted((r for r in rows if "clock-driven" not in r["model"]), key=lambda r: r["energy_per_inference_j"])
    markers = {"digital": "o", "analog": "D", "dense": "s"}
    colours = plt.get_cmap("tab20")(np.linspace(0, 1, max(len(shown), 2)))
    figure, axes = plt.subplots(figsize=(11, 6))
    for k, row in enumerate(shown):
        axes.errorbar(row["energy_per_inference_j"], 100 * row["accuracy"], yerr=100 * (row["accuracy_se"] or 0),
                      fmt=markers.get(row["kind"], "o"), color=colours[k], ms=7, capsize=3,
                      label=f"{row['platform'].replace(':mlp', '')} ({'SNN' if row['kind'] != 'dense' else 'MLP'})")
    axes.set_xscale("log")
    axes.set_xlabel("energy per inference, static + dynamic (J, log scale)")
    axes.set_ylabel("test accuracy (%), ± 1 standard error")
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                title="platform (o digital chip, ◆ analog, ■ dense)", title_fontsize=8)
    axes.set_title(title, fontsize=10)
    axes.grid(True, which="both", alpha=0.3)
    figure.tight_layout()
    save_figure(figure, path)


def plot_tradeoff(tradeoff: list[dict], rows: list[dict], path: Path, hidden: int) -> None:
    """Accuracy against energy per inference as the presentation length varies, per chip, in the latency (solid)
    and throughput (dashed) regimes, with the dense MLP on each device as single points; one figure, a legend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hardware.plots import save_figure

    figure, axes = plt.subplots(figsize=(11, 6))
    colours = dict(zip(TRADEOFF_CHIPS, ("tab:blue", "tab:orange", "tab:green", "tab:purple")))
    accuracy = np.array([100 * e["accuracy"] for e in tradeoff])
    error = np.array([100 * e["accuracy_se"] for e in tradeoff])
    for chip in TRADEOFF_CHIPS:
        for regime, style in (("latency", "-"), ("throughput", "--")):
            energy = np.array([e["energy_j"][regime].get(chip) or np.nan for e in tradeoff], float)
            if np.all(np.isnan(energy)):
                continue
            axes.errorbar(energy, accuracy, yerr=error, fmt="o" + style, color=colours[chip], ms=4, capsize=2, lw=1.2,
                          label=f"SNN on {chip}, {regime}")
    dense_markers = dict(zip(TRADEOFF_DENSE, ("s", "^", "v")))
    by_platform = {r["platform"]: r for r in rows}
    for device in TRADEOFF_DENSE:
        row = by_platform.get(f"{device}:mlp")
        if row is None:
            continue
        for regime, fill in (("latency", "k"), ("throughput", "none")):
            axes.errorbar(row["regimes"][regime]["total_j"], 100 * row["accuracy"], yerr=100 * row["accuracy_se"],
                          fmt=dense_markers[device], mfc=fill, mec="k", ecolor="k", ms=8, capsize=2,
                          label=f"MLP 784-{hidden}-10 on {device}, {regime}")
    axes.set_xscale("log")
    axes.set_xlabel("energy per inference, static + dynamic (J, log scale); along each SNN line the presentation "
                    "gets longer from left to right")
    axes.set_ylabel("test accuracy (%), ± 1 standard error")
    axes.set_title(f"Accuracy-energy trade-off: SNN presentation length {tradeoff[0]['present_ms']:g}-"
                   f"{tradeoff[-1]['present_ms']:g} ms vs dense MLP", fontsize=10)
    axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    axes.grid(True, which="both", alpha=0.3)
    figure.tight_layout()
    save_figure(figure, path)


def markdown_table(rows: list[dict], not_fitting: dict[str, str], tradeoff: list[dict] | None = None,
                   break_even: dict[str, Any] | None = None) -> str:
    """The tables as Markdown: per platform and regime, energy per inference (static + dynamic, µJ) and latency;
    the presentation-length trade-off; the break-even activity against the dense MLP."""
    lines = ["Energy per inference in µJ as total (static + dynamic); latency in ms. Regimes: "
             + "; ".join(f"**{k}**: {v}" for k, v in REGIME_DEFINITIONS.items()), "",
             "| platform | model | accuracy | native regime | latency: total (static + dynamic) | latency (ms) | "
             "throughput: total (static + dynamic) | real time: total (static + dynamic) |",
             "|---|---|---|---|---|---|---|---|"]

    def cell(entry: dict) -> str:
        return f"{entry['total_j'] * 1e6:.4g} ({entry['static_j'] * 1e6:.3g} + {entry['dynamic_j'] * 1e6:.3g})"

    for row in sorted(rows, key=lambda r: r["energy_per_inference_j"]):
        accuracy = "" if row["accuracy"] is None else f"{row['accuracy']:.3f} ± {row['accuracy_se']:.3f}"
        r = row["regimes"]
        lines.append(f"| {row['platform']} | {row['model']} | {accuracy} | {row['native_regime']} | {cell(r['latency'])} | "
                     f"{r['latency']['latency_s'] * 1e3:.4g} | {cell(r['throughput'])} | {cell(r['real_time'])} |")
    for name, error in not_fitting.items():
        lines.append(f"| {name} | SNN | — | | {error.splitlines()[0][:140]} | | | |")
    if tradeoff:
        chips = list(TRADEOFF_CHIPS)
        lines += ["", "Trade-off (test set re-run per presentation length; energy per inference in µJ, latency regime):", "",
                  "| presentation (ms) | accuracy | " + " | ".join(chips) + " |", "|---|---|" + "---|" * len(chips)]
        for e in tradeoff:
            values = [e["energy_j"]["latency"].get(c) for c in chips]
            lines.append(f"| {e['present_ms']:g} | {e['accuracy']:.3f} ± {e['accuracy_se']:.3f} | "
                         + " | ".join("—" if v is None else f"{v * 1e6:.4g}" for v in values) + " |")
    if break_even:
        devices = sorted({d for by_regime in break_even.values() for per in by_regime.values() for d in per})
        lines += ["", "Break-even activity (synaptic events per synapse per inference, spikes scaled with them) at which "
                  "the SNN on the chip costs what the dense MLP costs on each device, in the same regime; the measured "
                  "activity in brackets. 'never': the chip costs more even at zero activity (static power, management, "
                  "neuron updates of every step); 'always cheaper': cheaper even if every neuron spiked in every step.",
                  "",
                  "| chip | regime | " + " | ".join(devices) + " |", "|---|---|" + "---|" * len(devices)]
        for chip, by_regime in break_even.items():
            for regime, per in by_regime.items():
                measured = next(iter(per.values()))["measured"] if per else float("nan")
                lines.append(f"| {chip} ({measured:.3g}) | {regime} | "
                             + " | ".join(_fmt_activity(per[d]["break_even"]) if d in per else "" for d in devices) + " |")
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
    except KeyboardInterrupt as error:
        print("interrupted: the run folder holds complete files and status.json says where it stopped", file=sys.stderr)
        return interrupt_exit_code(error)  # 130 after SIGINT, 143 after SIGTERM
    print(f"SNN {summary['snn_test_accuracy']:.3f}, dense MLP {summary['dense_test_accuracy']:.3f}; "
          f"wrote {summary['run_dir']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
