"""Energy vs activity: one fixed network swept over input rates, priced on every chip preset and
on the dense baseline; the crossover rate where the SNN on a chip stops beating the dense net.

Network: 200 Poisson inputs -> 250 LIF neurons (fixed in-degree 50, exponential current
synapses, weights uniform in [10, 30] pA), dt = 1 ms (a 1 ms neuromorphic tick); one inference
= one presentation of ``--duration`` ms. Each input rate is run with spikenet's event engine and
the counted events are priced with :func:`hardware.estimate` on every preset and with
:func:`hardware.dense_baseline` (equivalent ANN and clock-driven dense step) on every dense device,
both in the real-time regime (:mod:`hardware.regimes`).

Writes a run folder ``results/energy_vs_activity/<timestamp>/``: ``table.json`` (every estimate, terms, citations,
crossovers), ``crossover.png`` (dynamic energy per inference vs mean firing rate) and
``breakdown.png`` (stacked energy bars per chip vs the dense baselines at one rate). At that rate
the network is re-run with the weights each chip would apply (analog device noise and
quantised conductances, or digital weight precision) to report output fidelity beside energy.
``activity_counts.json`` holds the counts of every rate's run (``spikenet energy`` re-prices them),
beside the config, seeds, package versions and log.

Usage: ``python -m experiments.energy_vs_activity [--quick] [--results ROOT] [--reference DEVICE]``
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

import hardware
import spikenet as sn
from experiments.run_folder import add_results_option, network_builder, record_counts, resolved_config, run_script
from hardware.plots import crossover_rate, plot_energy_breakdown, plot_energy_vs_rate
from neurons import LIF
from spikenet.io import write_json

N_INPUT, N_LIF, IN_DEGREE = 200, 250, 50
DEFAULT_RATES = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0)
QUICK_RATES = (2.0, 20.0, 200.0)
EXPERIMENT = "energy_vs_activity"


@network_builder
def build_network(input_rate_hz: float, seed: int = 0) -> sn.Network:
    """The fixed network, driven at ``input_rate_hz`` (same connectivity and weights for every rate)."""
    network = sn.Network(dt=1.0, seed=seed)
    inputs = network.poisson_source("inputs", N_INPUT, input_rate_hz)
    lif = network.population("lif", N_LIF, LIF(tau_m=20.0, v_rest=-60.0, v_threshold=-50.0, v_reset=-60.0,
                                                refractory=2.0, capacitance=200.0))
    network.connect(inputs, lif, sn.FixedInDegree(IN_DEGREE), synapse=sn.CurrentExp(tau=5.0),
                    weight=sn.Uniform(10.0, 30.0))
    return network


def price_run(network: sn.Network, counts: sn.ActivityCounts) -> dict[str, Any]:
    """Every preset's estimate of one run (errors such as 'does not fit' are recorded, not raised)."""
    out: dict[str, Any] = {}
    for name in hardware.available_chips():
        chip = hardware.get_chip(name)
        try:
            if chip.kind == "dense":
                baseline = hardware.dense_baseline(counts, network, chip, regime="real_time")
                out[name] = {"ann": baseline.ann, "clock_driven": baseline.clock_driven, "ops": baseline.ops}
            else:
                out[name] = {"report": hardware.estimate(counts, network, chip, regime="real_time"),
                             "chip_only": hardware.estimate(counts, network, chip, regime="real_time",
                                                            include_management=False)}
        except hardware.HardwareModelError as error:
            out[name] = {"error": str(error)}
    return out


def spike_counts_per_neuron(network: sn.Network, seed: int, duration_ms: float) -> np.ndarray:
    result = network.run(duration_ms, seed=seed, monitors=[sn.SpikeMonitor("lif")], progress=False)
    return np.bincount(result.spikes["lif"][1], minlength=N_LIF)


def fidelity(reference: np.ndarray, perturbed: np.ndarray) -> dict[str, float]:
    """How far the chip's output spike counts are from the ideal run's (same input spikes)."""
    total = reference.sum()
    correlation = float(np.corrcoef(reference, perturbed)[0, 1]) if reference.std() and perturbed.std() else float("nan")
    return {"relative_rate_change": float((perturbed.sum() - total) / total) if total else float("nan"),
            "count_correlation": correlation,
            "rms_count_error": float(np.sqrt(np.mean((perturbed - reference) ** 2)))}


def chip_fidelity(rate: float, seed: int, duration_ms: float, chips: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Re-run the network with the weights each chip would apply: analog devices (quantised
    conductances, programming noise, 1 h drift with compensation, read noise) or digital weight
    precision; the input spike trains are the same (same seed)."""
    network = build_network(rate, seed)
    ideal = spike_counts_per_neuron(network, seed, duration_ms)
    out: dict[str, Any] = {}
    for name in chips or hardware.available_chips():
        chip = hardware.get_chip(name)
        if chip.kind == "analog":
            perturbed = hardware.perturb_network_weights(network, chip, seed=seed)
            weights = {k: v.weights for k, v in perturbed.items()}
            error = {k: v.stats["relative_rms_error"] for k, v in perturbed.items()}
        elif chip.kind == "digital" and chip.limit("weight_bits"):
            quantised = {p.name: hardware.quantise_weights(p.weights, chip.limit("weight_bits")) for p in network.projections}
            weights = {k: v[0] for k, v in quantised.items()}
            error = {k: v[1].relative_rms_error for k, v in quantised.items()}
        else:
            continue
        counts = spike_counts_per_neuron(hardware.with_weights(network, weights), seed, duration_ms)
        out[name] = {"weight_relative_rms_error": error, **fidelity(ideal, counts)}
    return out


def run(rates: tuple[float, ...] = DEFAULT_RATES, duration_ms: float = 100.0, seed: int = 0,
        out: Path | None = None, reference: str = "h100",
        breakdown_rate: float = 20.0, fidelity_chips: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Sweep, price and, with ``out``, write the table, figures and counts there; returns the table."""
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
    rows = []
    priced_runs = []
    for rate in rates:
        network = build_network(rate, seed)
        result = network.run(duration_ms, seed=seed, progress=False)
        counts = result.counts
        if out is not None:
            record_counts(out, counts, label=f"input_{rate:g}Hz", builder=build_network,
                          kwargs={"input_rate_hz": rate, "seed": seed})
        total_neurons = sum(counts.population_sizes.values())
        mean_rate = counts.total_spikes / (total_neurons * counts.duration_ms / 1000.0)
        priced = price_run(network, counts)
        priced_runs.append(priced)
        row: dict[str, Any] = {"input_rate_hz": rate, "mean_rate_hz": mean_rate,
                               "lif_rate_hz": counts.mean_rate_hz("lif"), "counts": counts.to_dict(), "chips": {}}
        for name, entry in priced.items():
            if "error" in entry:
                row["chips"][name] = {"error": entry["error"]}
            elif "ann" in entry:
                row["chips"][name] = {"ann": entry["ann"].to_dict(), "clock_driven": entry["clock_driven"].to_dict(),
                                      "neurobench_ops": entry["ops"]}
            else:
                row["chips"][name] = {"estimate": entry["report"].to_dict(),
                                      "dynamic_chip_only_per_inference_j": entry["chip_only"].dynamic_per_inference_j}
        rows.append(row)
        print(f"input {rate:6.1f} Hz: LIF {row['lif_rate_hz']:6.1f} Hz, {counts.total_synaptic_events:,} synaptic events")

    mean_rates = [row["mean_rate_hz"] for row in rows]
    chip_names = [n for n in hardware.available_chips() if hardware.get_chip(n).kind != "dense"
                  and all("error" not in p[n] for p in priced_runs)]
    dense_names = hardware.available_chips("dense")
    chip_energy = {n: [p[n]["chip_only"].dynamic_per_inference_j for p in priced_runs] for n in chip_names}
    dense_energy = {}
    for n in dense_names:
        dense_energy[f"{n} ANN"] = [p[n]["ann"].dynamic_per_inference_j for p in priced_runs]
        dense_energy[f"{n} clock-driven"] = [p[n]["clock_driven"].dynamic_per_inference_j for p in priced_runs]
    crossovers = {chip: {dense: crossover_rate(mean_rates, energy, dense_energy[dense]) for dense in dense_energy}
                  for chip, energy in chip_energy.items()}
    fidelity_rate = rates[int(np.argmin(np.abs(np.asarray(rates) - breakdown_rate)))]
    table = {
        "fidelity_input_rate_hz": fidelity_rate,
        "fidelity": chip_fidelity(fidelity_rate, seed, duration_ms, fidelity_chips),
        "experiment": "energy vs activity", "network": f"{N_INPUT} Poisson -> {N_LIF} LIF, in-degree {IN_DEGREE}, dt 1 ms",
        "duration_ms_per_inference": duration_ms, "seed": seed,
        "energy_plotted": "dynamic energy per inference: static leakage and management-core power excluded; "
                          "real-time regime on both sides (chips tick 1 ms per ms; dense devices get one input per "
                          "inference period)",
        "crossover_hz": crossovers,
        "crossover_note": "mean firing rate (Hz) at which the chip's dynamic energy reaches the dense baseline's; "
                          "null: no crossing in the swept range (cheaper throughout, or dearer from the start)",
        "not_fitting": {n: rows[0]["chips"][n]["error"] for n in rows[0]["chips"] if "error" in rows[0]["chips"][n]},
        "rows": rows,
    }
    if out is None:
        return table
    write_json(out / "table.json", table)
    reference_label = f"{reference} ANN"
    shown = {k: v for k, v in dense_energy.items() if k.endswith(" ANN") or k == f"{reference} clock-driven"}
    plot_energy_vs_rate(mean_rates, chip_energy, shown, out / "crossover.png", reference=reference_label,
                        title=f"{N_INPUT} Poisson -> {N_LIF} LIF: dynamic energy per inference, real-time regime on both sides; "
                              f"x = crossover vs {reference_label}")
    index = int(np.argmin(np.abs(np.asarray(rates) - breakdown_rate)))
    chosen = priced_runs[index]
    reports = [chosen[n]["report"] for n in chip_names]
    reports += [chosen[n]["ann"] for n in dense_names]
    plot_energy_breakdown(reports, out / "breakdown.png",
                          title=f"input {rates[index]:g} Hz: energy per inference, real-time regime, static power on "
                                "both sides (dense: equivalent ANN)")
    return table


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="three rates, 50 ms per inference")
    parser.add_argument("--duration", type=float, default=None, help="ms per inference (default 100, quick 50)")
    parser.add_argument("--seed", type=int, default=0, help="seed of connectivity, weights, input spikes and analog noise")
    parser.add_argument("--reference", default="h100", help="dense device for the crossover marks")
    parser.add_argument("--breakdown-rate", type=float, default=20.0,
                        help="input rate (Hz) of the breakdown figure and the chip-fidelity re-runs (nearest swept rate)")
    return add_results_option(parser)


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if args.reference not in hardware.available_chips("dense"):
        parser.error(f"--reference must be one of {hardware.available_chips('dense')}")
    if args.duration is not None and not args.duration > 0:
        parser.error(f"--duration must be > 0 ms; got {args.duration}")
    rates = QUICK_RATES if args.quick else DEFAULT_RATES
    duration = args.duration or (50.0 if args.quick else 100.0)
    config = resolved_config(args, rates_hz=list(rates), duration=duration, dt_ms=1.0, n_input=N_INPUT, n_lif=N_LIF,
                             in_degree=IN_DEGREE)

    def body(folder) -> None:
        table = run(rates, duration, args.seed, folder.path, args.reference, args.breakdown_rate)
        print(f"crossover rates (Hz) vs {args.reference} ANN:",
              {chip: c[f"{args.reference} ANN"] for chip, c in table["crossover_hz"].items()})

    return run_script(EXPERIMENT, args.results, config, {"network_inputs_and_analog_noise": args.seed}, body)


if __name__ == "__main__":
    raise SystemExit(main())
