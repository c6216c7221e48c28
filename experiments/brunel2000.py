"""Brunel (2000) sparse E-I network: the four dynamical states SR, SI-fast, AI and SI-slow, from the
relative inhibition g and the external drive nu_ext / nu_thr, classified from single-neuron rates
and ISI CV and from the population-rate spectrum. Writes a run folder ``results/brunel2000/<timestamp>/``
(figure, ``states.json``, ``activity_counts.json`` of the four panels, config, seeds, log).

Model (Brunel, J. Comput. Neurosci. 8:183, 2000, Fig. 8; Brian2's ``examples/frompapers/Brunel_2000.py``):
N_E = 10 000, N_I = 2 500, each neuron receives C_E = 1 000 excitatory and C_I = 250 inhibitory
synapses (fixed in-degree), LIF tau 20 ms, theta 20 mV, V_r 10 mV, refractory 2 ms, delta synapses
J = 0.1 mV (exc) and -g J (inh), delay 1.5 ms; external drive C_E Poisson inputs of weight J at
nu_ext (``Network.poisson_input``), nu_thr = theta / (J C_E tau) = 10 Hz; dt 0.1 ms, v(0) = 0,
1.2 s simulated, statistics over 0.2-1.2 s.

Classification (heuristics, not from the paper; the thresholds were set after looking at a first
full-size run, so they describe these runs rather than validate them): SR if the mean ISI CV < 0.3;
SI-slow if the population rate (1-ms bins) fluctuates strongly (SD / mean > 1) with its spectral
peak below 50 Hz; SI-fast if it fluctuates (SD / mean > 0.8) with a peak at or above 80 Hz;
otherwise AI. First full-size run (seed 1): A 312 Hz, CV 0.00 (SR); B 60 Hz, CV 0.89, SD/mean 0.99,
peak 169 Hz (SI-fast); C 37 Hz, CV 0.40, SD/mean 0.52, peak 108 Hz (AI); D 5 Hz, CV 0.49,
SD/mean 2.3, peak 16 Hz (SI-slow).

Usage: ``python -m experiments.brunel2000 [--scale S] [--seed S] [--results ROOT]`` (``--scale 0.2`` for a
quick run: N and in-degrees scaled, J scaled by 1/scale to keep the mean drive).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import spikenet as sn
from experiments.networks import isi_cv
from experiments.run_folder import add_results_option, network_builder, record_counts, resolved_config, run_script
from neurons import LIF
from spikenet.io import save_figure, write_json

EXPERIMENT = "brunel2000"
DURATION_MS = 1200.0
PANELS = {"A": (3.0, 2.0, "SR"), "B": (6.0, 4.0, "SI-fast"), "C": (5.0, 2.0, "AI"), "D": (4.5, 0.9, "SI-slow")}


@network_builder
def build(g: float, drive_ratio: float, scale: float = 1.0, seed: int = 1) -> sn.Network:
    """The network of one panel: relative inhibition ``g`` and drive nu_ext / nu_thr."""
    n_exc, n_inh = int(10_000 * scale), int(2_500 * scale)
    c_exc, c_inh = int(1_000 * scale), int(250 * scale)
    weight = 0.1 / scale  # mV: keeps J C_E (the mean drive per unit rate) fixed when scaling down
    nu_thr = 20.0 / (weight * c_exc * 20.0) * 1000.0  # Hz
    net = sn.Network(dt=0.1, seed=seed)
    model = LIF(tau_m=20.0, v_rest=0.0, v_threshold=20.0, v_reset=10.0, refractory=2.0)
    exc = net.population("exc", n_exc, model)
    inh = net.population("inh", n_inh, model)
    for post in (exc, inh):
        net.connect(exc, post, sn.FixedInDegree(c_exc), synapse=sn.Delta(), weight=weight, delay=1.5)
        net.connect(inh, post, sn.FixedInDegree(c_inh), synapse=sn.Delta(), weight=-g * weight, delay=1.5)
        net.poisson_input(post, n_sources=c_exc, rate=drive_ratio * nu_thr, weight=weight)
    return net


def statistics(result: sn.Result, net: sn.Network, start_ms: float = 200.0) -> dict:
    times = np.concatenate([result.spikes["exc"][0], result.spikes["inh"][0]])
    indices = np.concatenate([result.spikes["exc"][1], result.spikes["inh"][1] + net.populations["exc"].size])
    keep = times >= start_ms
    times, indices = times[keep], indices[keep]
    n = sum(p.size for p in net.populations.values())
    duration_s = (result.end_step * net.dt - start_ms) / 1000.0
    cv = isi_cv(times, indices, n)
    bins = np.arange(start_ms, result.end_step * net.dt + 1e-9, 1.0)
    population_rate = np.histogram(times, bins=bins)[0] / n / 1e-3  # Hz in 1-ms bins
    spectrum = np.abs(np.fft.rfft(population_rate - population_rate.mean())) ** 2
    frequencies = np.fft.rfftfreq(population_rate.size, d=1e-3)
    peak = float(frequencies[1:][np.argmax(spectrum[1:])]) if population_rate.size > 2 else 0.0
    fluctuation = float(population_rate.std() / population_rate.mean()) if population_rate.mean() > 0 else float("inf")
    mean_cv = float(np.mean(cv)) if cv.size else 0.0
    if mean_cv < 0.3:
        state = "SR"
    elif fluctuation > 1.0 and peak < 50.0:
        state = "SI-slow"
    elif fluctuation > 0.8 and peak >= 80.0:
        state = "SI-fast"
    else:
        state = "AI"
    return {"mean_rate_hz": times.size / n / duration_s, "mean_isi_cv": mean_cv, "relative_fluctuation": fluctuation,
            "spectral_peak_hz": peak, "state": state, "population_rate_hz": population_rate}


def run(scale: float = 1.0, out: Path | None = None, seed: int = 1) -> dict:
    """Simulate the four panels; with ``out``, write ``states.png``, ``states.json`` and the counts there."""
    summaries, results = {}, {}
    for panel, (g, drive_ratio, expected) in PANELS.items():
        net = build(g, drive_ratio, scale, seed)
        result = net.run(DURATION_MS, seed=seed, monitors=[sn.SpikeMonitor("exc"), sn.SpikeMonitor("inh")],
                         progress=False)
        if out is not None:
            record_counts(Path(out), result.counts, label=panel, builder=build,
                          kwargs={"g": g, "drive_ratio": drive_ratio, "scale": scale, "seed": seed})
        stats = statistics(result, net)
        results[panel] = (net, result, stats)
        summaries[panel] = {"g": g, "nu_ext_over_nu_thr": drive_ratio, "published_state": expected,
                            **{k: v for k, v in stats.items() if k != "population_rate_hz"},
                            "synaptic_events": result.counts.total_synaptic_events,
                            "simulation_s": result.run_seconds}
        print(f"panel {panel} (g {g}, nu_ext/nu_thr {drive_ratio}): {stats['state']:8s} (published {expected}); "
              f"rate {stats['mean_rate_hz']:.1f} Hz, CV {stats['mean_isi_cv']:.2f}, fluctuation "
              f"{stats['relative_fluctuation']:.2f}, peak {stats['spectral_peak_hz']:.0f} Hz", flush=True)
    if out is not None:
        _figure(results, Path(out) / "states.png")
        write_json(out / "states.json", {"scale": scale, "seed": seed, "panels": summaries})
    return summaries


def _figure(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(2, 4, figsize=(15, 6), gridspec_kw={"height_ratios": [2, 1]}, sharex=True)
    for column, (panel, (net, result, stats)) in enumerate(results.items()):
        g, drive_ratio, expected = PANELS[panel]
        times, indices = result.spikes["exc"]
        shown = (indices < 50) & (times >= 1000.0)
        axes[0, column].plot(times[shown], indices[shown], "|", ms=3, color="black")
        axes[0, column].set_title(f"{panel}: g = {g}, nu_ext/nu_thr = {drive_ratio}\n"
                                  f"classified {stats['state']} (published {expected})", fontsize=9)
        axes[0, column].set_ylabel("neuron (50 exc)")
        rate = stats["population_rate_hz"]
        axes[1, column].plot(200.0 + np.arange(rate.size), rate, color="tab:blue", lw=0.7)
        axes[1, column].set_xlim(1000.0, 1200.0)
        axes[1, column].set_xlabel("time (ms)")
        axes[1, column].set_ylabel("population rate (Hz)")
    figure.suptitle("Brunel (2000) network states")
    save_figure(figure, path)
    plt.close(figure)


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Brunel (2000) states SR, SI-fast, AI, SI-slow")
    parser.add_argument("--scale", type=float, default=1.0, help="network size factor (default 1: 12,500 neurons)")
    parser.add_argument("--seed", type=int, default=1, help="seed of connectivity and simulation")
    return add_results_option(parser)


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if not 0.01 <= args.scale <= 1.0:
        parser.error(f"--scale must be in [0.01, 1]; got {args.scale}")
    config = resolved_config(args, duration_ms=DURATION_MS, dt_ms=0.1, statistics_from_ms=200.0,
                             panels={k: {"g": g, "nu_ext_over_nu_thr": r, "published_state": e}
                                     for k, (g, r, e) in PANELS.items()})
    return run_script(EXPERIMENT, args.results, config, {"network_and_simulation": args.seed},
                      lambda folder: run(args.scale, folder.path, args.seed))


if __name__ == "__main__":
    raise SystemExit(main())
