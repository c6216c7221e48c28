"""Energy figures: per-chip breakdown against the dense baseline, and energy vs firing rate with
the crossover rate where the SNN on a chip stops beating the dense network.

All functions use matplotlib's Agg backend and write files atomically (temp file + os.replace).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np

from hardware.report import EnergyReport

CATEGORY_ORDER = ("synaptic", "memory", "neuron", "routing", "learning", "adc_dac", "compute", "all-in",
                  "clock", "management", "static")
CATEGORY_COLOUR = {"synaptic": "tab:blue", "memory": "tab:cyan", "neuron": "tab:orange", "routing": "tab:olive",
                   "learning": "tab:pink", "adc_dac": "tab:purple", "compute": "tab:green", "all-in": "tab:red",
                   "clock": "gold", "management": "tab:brown", "static": "0.6"}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(figure, path: str | os.PathLike) -> str:
    """Save ``figure`` atomically (temp file + os.replace, via :func:`spikenet.io.save_figure`) and close it."""
    from spikenet.io import save_figure as save_atomically

    try:
        save_atomically(figure, path)
    finally:
        _pyplot().close(figure)
    return os.fspath(path)


def crossover_rate(rates: Sequence[float], snn_energy: Sequence[float], dense_energy: float | Sequence[float]) -> float | None:
    """First rate (Hz) at which the SNN energy reaches the dense energy, interpolated in log-log.

    Parameters
    ----------
    rates : sequence of float
        Increasing firing rates in Hz (> 0).
    snn_energy, dense_energy : sequences of float (J), or a constant for the dense energy

    Returns
    -------
    float or None
        None if the SNN is cheaper over the whole range, or already dearer at the lowest rate.
    """
    rates = np.asarray(rates, float)
    snn = np.asarray(snn_energy, float)
    dense = np.broadcast_to(np.asarray(dense_energy, float), snn.shape)
    below = snn < dense
    if not below[0]:
        return None
    for k in range(1, len(rates)):
        if not below[k]:
            x0, x1 = np.log(rates[k - 1]), np.log(rates[k])
            d0 = np.log(snn[k - 1]) - np.log(dense[k - 1])
            d1 = np.log(snn[k]) - np.log(dense[k])
            fraction = d0 / (d0 - d1) if d0 != d1 else 0.0
            return float(np.exp(x0 + fraction * (x1 - x0)))
    return None


def plot_energy_breakdown(reports: Sequence[EnergyReport], path: str | os.PathLike, title: str = "",
                          per_inference: bool = True) -> str:
    """Left: total energy per chip/device (log scale). Right: stacked shares of each category.

    Parameters
    ----------
    reports : sequence of EnergyReport
        Chips and dense devices, in display order.
    path : str
        PNG file to write.
    """
    plt = _pyplot()
    names = [r.chip for r in reports]
    totals = np.array([r.per_inference_j if per_inference else r.total_j for r in reports])
    categories = [c for c in CATEGORY_ORDER if any(c in r.breakdown() for r in reports)]
    categories += sorted({c for r in reports for c in r.breakdown()} - set(categories))
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 0.45 * len(reports) + 2.5), sharey=True)
    y = np.arange(len(reports))
    colours = ["steelblue" if r.kind == "digital" else "mediumpurple" if r.kind == "analog" else "0.55" for r in reports]
    left.barh(y, np.maximum(totals, 1e-30), color=colours)
    left.set_xscale("log")
    left.set_yticks(y, names, fontsize=8)
    left.invert_yaxis()
    left.set_xlabel(f"energy per {'inference' if per_inference else 'run'} (J, log scale)")
    from matplotlib.patches import Patch
    kinds = [("digital", "steelblue", "SNN on a digital chip"), ("analog", "mediumpurple", "SNN on an analog crossbar"),
             ("dense", "0.55", "dense GPU/CPU")]
    left.legend(handles=[Patch(color=colour, label=label) for kind, colour, label in kinds
                         if any(r.kind == kind for r in reports)], fontsize=7, loc="lower right")
    for k, report in enumerate(reports):
        if not report.complete:
            left.text(totals[k], k, "  lower bound", va="center", fontsize=7)
    start = np.zeros(len(reports))
    for category in categories:
        shares = np.array([r.breakdown().get(category, 0.0) / r.total_j if r.total_j else 0.0 for r in reports])
        right.barh(y, shares, left=start, color=CATEGORY_COLOUR.get(category, "k"), label=category)
        start += shares
    right.set_xlim(0, 1)
    right.set_xlabel("share of energy")
    right.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if title:
        figure.suptitle(title)
    return save_figure(figure, path)


def plot_energy_vs_rate(rates: Sequence[float], chip_energies: Mapping[str, Sequence[float]],
                        dense_energies: Mapping[str, float | Sequence[float]], path: str | os.PathLike,
                        reference: str | None = None, title: str = "", ylabel: str = "energy per inference (J)") -> str:
    """Energy vs mean firing rate for each chip, dense baselines as dashed lines, crossovers marked.

    Parameters
    ----------
    rates : sequence of float
        Mean firing rates in Hz (x axis, log scale).
    chip_energies : dict of chip name -> energies (J), one per rate
    dense_energies : dict of device label -> energy (J), constant or one per rate
    reference : str, optional
        The dense baseline the crossovers are computed against (default: the first).
    """
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(8.5, 5.5))
    rates = np.asarray(rates, float)
    for label, energy in dense_energies.items():
        axes.plot(rates, np.broadcast_to(np.asarray(energy, float), rates.shape), "--", color="0.4", lw=1)
        axes.annotate(label, (rates[-1], float(np.broadcast_to(np.asarray(energy, float), rates.shape)[-1])),
                      fontsize=7, color="0.3", ha="right", va="bottom")
    reference = reference or next(iter(dense_energies), None)
    for name, energy in chip_energies.items():
        line, = axes.plot(rates, energy, "o-", ms=3, label=name)
        if reference is not None:
            crossing = crossover_rate(rates, energy, dense_energies[reference])
            if crossing is not None:
                level = np.interp(np.log(crossing), np.log(rates), np.log(np.asarray(energy, float)))
                axes.plot([crossing], [np.exp(level)], "x", color=line.get_color(), ms=10, mew=2)
                axes.axvline(crossing, color=line.get_color(), ls=":", lw=1)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("mean firing rate (Hz)")
    axes.set_ylabel(ylabel)
    axes.set_title(title or f"crossover (x) against {reference}")
    axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    axes.grid(True, which="both", alpha=0.2)
    return save_figure(figure, path)
