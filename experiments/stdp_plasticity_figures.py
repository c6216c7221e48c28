"""Three plasticity reproductions in one script, each with its figure in ``results/<name>/``:

* ``stdp_window``: Bi & Poo (1998) protocol, one pre/post pair per synapse, Δw vs Δt against the
  configured exponentials (A+ e^{-Δt/τ+}, -A- e^{Δt/τ-}, τ+ 16.8 ms, τ- 33.7 ms);
* ``triplet_frequency``: Pfister & Gerstner (2006) triplet rule (visual-cortex minimal set) vs
  Sjöström et al. (2001): Δw vs pairing frequency for Δt = ±10 ms, with the published data;
* ``distal_reward``: Izhikevich (2007) eligibility trace: weight change vs reward delay T for one
  pairing and one dopamine pulse, against the closed form c0 D e^{-T/τc} τc τd / (τc + τd) / τs.

Usage: ``python -m experiments.stdp_plasticity_figures [--out results]`` (or ``spikenet run stdp_plasticity_figures``)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from experiments.pairing import pairing_trains, run_pairings
from learning_rules import PairSTDP, RewardModulatedSTDP, TripletSTDP
from spikenet.io import save_figure, write_json

SJOSTROM_HZ = [0.1, 10, 20, 40, 50]
SJOSTROM_DATA = {10.0: ([-0.04, 0.14, 0.29, 0.53, 0.56], [0.05, 0.10, 0.14, 0.11, 0.26]),
                 -10.0: ([-0.29, -0.41, -0.34, 0.56, 0.75], [0.08, 0.11, 0.10, 0.32, 0.19])}


def stdp_window(out: Path, plt) -> dict:
    deltas = np.array([d for d in range(-100, 101, 5) if d != 0], dtype=float)
    rule = PairSTDP(a_plus=0.01, a_minus=0.01 * 16.8 / 33.7, w_min=-1.0, w_max=1.0)
    weights, _ = run_pairings(rule, [np.array([300.0 - d]) for d in deltas], [np.array([300.0])] * len(deltas), dt=0.1)
    expected = np.where(deltas > 0, 0.01 * np.exp(-deltas / 16.8), -rule.a_minus * np.exp(deltas / 33.7))
    figure, axis = plt.subplots(figsize=(6, 4))
    fine = np.linspace(-100, 100, 801)
    axis.plot(fine, np.where(fine > 0, 0.01 * np.exp(-fine / 16.8), -rule.a_minus * np.exp(fine / 33.7)), color="grey",
              label="configured exponentials")
    axis.plot(deltas, weights, "o", color="tab:blue", label="simulated (one pair per synapse)")
    axis.axhline(0, color="black", lw=0.5)
    axis.set_xlabel("Δt = t_post - t_pre (ms)")
    axis.set_ylabel("Δw (weight units)")
    axis.set_title("Pair STDP window (Bi & Poo 1998 protocol)")
    axis.legend()
    save_figure(figure, out / "stdp_window" / "window.png")
    summary = {"delta_t_ms": deltas, "delta_w": weights, "max_abs_error_vs_closed_form": float(np.abs(weights - expected).max())}
    write_json(out / "stdp_window" / "window.json", summary)
    return summary


def triplet_frequency(out: Path, plt) -> dict:
    rule = TripletSTDP.preset("visual_cortex_all_to_all_minimal")
    conditions = [(delta, f) for delta in (10.0, -10.0) for f in SJOSTROM_HZ]
    trains = [pairing_trains(f, delta) for delta, f in conditions]
    weights, _ = run_pairings(rule, [t[0] for t in trains], [t[1] for t in trains], dt=1.0)
    changes = {(d, f): w for (d, f), w in zip(conditions, weights)}
    figure, axis = plt.subplots(figsize=(6, 4))
    for delta, colour in ((10.0, "tab:red"), (-10.0, "tab:blue")):
        means, sems = SJOSTROM_DATA[delta]
        axis.errorbar(SJOSTROM_HZ, means, yerr=sems, fmt="o", color=colour, alpha=0.6, label=f"Sjöström 2001, Δt = {delta:+.0f} ms")
        axis.plot(SJOSTROM_HZ, [changes[(delta, f)] for f in SJOSTROM_HZ], "-s", color=colour, label=f"triplet rule, Δt = {delta:+.0f} ms")
    axis.axhline(0, color="black", lw=0.5)
    axis.set_xlabel("pairing frequency (Hz)")
    axis.set_ylabel("Δw / w after 60 pairings")
    axis.set_title("Triplet STDP vs frequency (Pfister & Gerstner 2006)")
    axis.legend(fontsize=7)
    save_figure(figure, out / "triplet_frequency" / "frequency.png")
    summary = {f"{d:+.0f}ms_{f}Hz": w for (d, f), w in changes.items()}
    write_json(out / "triplet_frequency" / "frequency.json", summary)
    return summary


def distal_reward(out: Path, plt) -> dict:
    delays = np.array([200.0, 500.0, 1000.0, 2000.0, 3000.0])
    measured = []
    for delay in delays:
        rule = RewardModulatedSTDP(a_plus=1.0, a_minus=1.0, reward_times=(110.0 + delay,), reward_amounts=(0.5,),
                                   w_min=-1e9, w_max=1e9)
        weights, _ = run_pairings(rule, [np.array([100.0])], [np.array([110.0, 110.0 + delay + 2500.0])], dt=0.1)
        measured.append(float(weights[0]))
    c0 = np.exp(-10.0 / 20.0)
    closed_form = c0 * 0.5 * np.exp(-delays / 1000.0) * 1000.0 * 200.0 / 1200.0
    figure, axis = plt.subplots(figsize=(6, 4))
    axis.plot(delays / 1000, closed_form, color="grey", label="closed form")
    axis.plot(delays / 1000, measured, "o", color="tab:green", label="simulated")
    axis.set_xlabel("reward delay T (s)")
    axis.set_ylabel("weight change Δs")
    axis.set_title("Distal reward through an eligibility trace (Izhikevich 2007)")
    axis.legend()
    save_figure(figure, out / "distal_reward" / "credit.png")
    summary = {"delay_ms": delays, "delta_s": measured, "closed_form": closed_form}
    write_json(out / "distal_reward" / "credit.json", summary)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="STDP window, triplet frequency dependence, distal reward")
    parser.add_argument("--out", type=Path, default=Path("results"))
    args = parser.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    window = stdp_window(args.out, plt)
    triplet = triplet_frequency(args.out, plt)
    reward = distal_reward(args.out, plt)
    print(f"STDP window: max |Δw - closed form| = {window['max_abs_error_vs_closed_form']:.2e}")
    print("triplet Δw (+10 ms):", [round(float(triplet[f'+10ms_{f}Hz']), 4) for f in SJOSTROM_HZ])
    print("triplet Δw (-10 ms):", [round(float(triplet[f'-10ms_{f}Hz']), 4) for f in SJOSTROM_HZ])
    print("distal reward Δs:", [round(v, 3) for v in reward["delta_s"]], "closed form:", np.round(reward["closed_form"], 3).tolist())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
