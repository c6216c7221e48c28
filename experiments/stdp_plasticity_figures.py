"""Three plasticity reproductions in one script, written to a run folder
``results/stdp_plasticity_figures/<timestamp>/`` with one sub-folder (figure + JSON) each, the
counts of every simulation (``activity_counts.json``), config and log:

* ``stdp_window``: Bi & Poo (1998) protocol, one pre/post pair per synapse, Δw vs Δt against the
  configured exponentials (A+ e^{-Δt/τ+}, -A- e^{Δt/τ-}, τ+ 16.8 ms, τ- 33.7 ms);
* ``triplet_frequency``: Pfister & Gerstner (2006) triplet rule (visual-cortex minimal set) vs
  Sjöström et al. (2001): Δw vs pairing frequency for Δt = ±10 ms, with the published data;
* ``distal_reward``: Izhikevich (2007) eligibility trace: weight change vs reward delay T for one
  pairing and one dopamine pulse, against the closed form c0 D e^{-T/τc} τc τd / (τc + τd) / τs.

Usage: ``python -m experiments.stdp_plasticity_figures [--results ROOT]`` (or ``spikenet run stdp_plasticity_figures``)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from experiments.pairing import pairing_network, pairing_trains, run_pairings
from experiments.run_folder import add_results_option, network_builder, record_counts, resolved_config, run_script
from learning_rules import PairSTDP, RewardModulatedSTDP, TripletSTDP
from spikenet.io import save_figure, write_json

SJOSTROM_HZ = [0.1, 10, 20, 40, 50]
SJOSTROM_DATA = {10.0: ([-0.04, 0.14, 0.29, 0.53, 0.56], [0.05, 0.10, 0.14, 0.11, 0.26]),
                 -10.0: ([-0.29, -0.41, -0.34, 0.56, 0.75], [0.08, 0.11, 0.10, 0.32, 0.19])}
EXPERIMENT = "stdp_plasticity_figures"
WINDOW_DELTAS_MS = [float(d) for d in range(-100, 101, 5) if d != 0]
REWARD_DELAYS_MS = [200.0, 500.0, 1000.0, 2000.0, 3000.0]


def window_protocol() -> tuple[PairSTDP, list, list, float]:
    """(rule, pre trains, post trains, dt): one pre/post pair per synapse, Δt = t_post - t_pre."""
    rule = PairSTDP(a_plus=0.01, a_minus=0.01 * 16.8 / 33.7, w_min=-1.0, w_max=1.0)
    deltas = np.array(WINDOW_DELTAS_MS)
    return rule, [np.array([300.0 - d]) for d in deltas], [np.array([300.0])] * len(deltas), 0.1


def triplet_protocol() -> tuple[TripletSTDP, list, list, float]:
    """(rule, pre trains, post trains, dt): 60 pairings per (Δt, frequency) condition."""
    trains = [pairing_trains(f, delta) for delta, f in _triplet_conditions()]
    return TripletSTDP.preset("visual_cortex_all_to_all_minimal"), [t[0] for t in trains], [t[1] for t in trains], 1.0


def _triplet_conditions() -> list[tuple[float, float]]:
    return [(delta, f) for delta in (10.0, -10.0) for f in SJOSTROM_HZ]


def distal_protocol(delay_ms: float) -> tuple[RewardModulatedSTDP, list, list, float]:
    """(rule, pre trains, post trains, dt): one pairing, one dopamine pulse ``delay_ms`` later."""
    rule = RewardModulatedSTDP(a_plus=1.0, a_minus=1.0, reward_times=(110.0 + delay_ms,), reward_amounts=(0.5,),
                               w_min=-1e9, w_max=1e9)
    return rule, [np.array([100.0])], [np.array([110.0, 110.0 + delay_ms + 2500.0])], 0.1


@network_builder
def protocol_network(protocol: str, reward_delay_ms: float | None = None):
    """The pairing network of one protocol (``stdp_window``, ``triplet_frequency`` or ``distal_reward``)."""
    if protocol == "stdp_window":
        rule, pre, post, dt = window_protocol()
    elif protocol == "triplet_frequency":
        rule, pre, post, dt = triplet_protocol()
    elif protocol == "distal_reward" and reward_delay_ms is not None:
        rule, pre, post, dt = distal_protocol(float(reward_delay_ms))
    else:
        raise ValueError(f"unknown protocol {protocol!r} (reward delay {reward_delay_ms!r})")
    return pairing_network(rule, pre, post, dt)[0]


def _record(record: Path | None, label: str, result, **kwargs) -> None:
    if record is not None:
        record_counts(record, result.counts, label=label, builder=protocol_network, kwargs=kwargs)


def stdp_window(out: Path, plt, record: Path | None = None) -> dict:
    deltas = np.array(WINDOW_DELTAS_MS)
    rule, pre, post, dt = window_protocol()
    weights, result = run_pairings(rule, pre, post, dt=dt)
    _record(record, "stdp_window", result, protocol="stdp_window")
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


def triplet_frequency(out: Path, plt, record: Path | None = None) -> dict:
    conditions = _triplet_conditions()
    rule, pre, post, dt = triplet_protocol()
    weights, result = run_pairings(rule, pre, post, dt=dt)
    _record(record, "triplet_frequency", result, protocol="triplet_frequency")
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


def distal_reward(out: Path, plt, record: Path | None = None) -> dict:
    delays = np.array(REWARD_DELAYS_MS)
    measured = []
    for delay in REWARD_DELAYS_MS:
        rule, pre, post, dt = distal_protocol(delay)
        weights, result = run_pairings(rule, pre, post, dt=dt)
        _record(record, f"distal_reward_T{delay:g}ms", result, protocol="distal_reward", reward_delay_ms=delay)
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


def run(out: Path) -> dict:
    """The three reproductions, each in its sub-folder of ``out``; counts in ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    window = stdp_window(out, plt, record=out)
    triplet = triplet_frequency(out, plt, record=out)
    reward = distal_reward(out, plt, record=out)
    plt.close("all")
    print(f"STDP window: max |Δw - closed form| = {window['max_abs_error_vs_closed_form']:.2e}")
    print("triplet Δw (+10 ms):", [round(float(triplet[f'+10ms_{f}Hz']), 4) for f in SJOSTROM_HZ])
    print("triplet Δw (-10 ms):", [round(float(triplet[f'-10ms_{f}Hz']), 4) for f in SJOSTROM_HZ])
    print("distal reward Δs:", [round(v, 3) for v in reward["delta_s"]], "closed form:", np.round(reward["closed_form"], 3).tolist())
    return {"stdp_window": window, "triplet_frequency": triplet, "distal_reward": reward}


def build_parser(prog: str | None = None, description: str = "STDP window, triplet frequency dependence, distal reward"
                 ) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    return add_results_option(parser)


CONFIGS = {
    "stdp_window": {"delta_t_ms": WINDOW_DELTAS_MS, "dt_ms": 0.1, "tau_plus_ms": 16.8, "tau_minus_ms": 33.7, "a_plus": 0.01},
    "triplet_frequency": {"rule": "TripletSTDP visual_cortex_all_to_all_minimal", "dt_ms": 1.0, "delta_t_ms": [10.0, -10.0],
                          "frequencies_hz": SJOSTROM_HZ, "pairings": 60},
    "distal_reward": {"reward_delays_ms": REWARD_DELAYS_MS, "dt_ms": 0.1, "reward_amount": 0.5},
}


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    args = build_parser(prog).parse_args(argv)
    config = resolved_config(args, **CONFIGS)
    return run_script(EXPERIMENT, args.results, config, {"network_and_simulation": 0},
                      lambda folder: run(folder.path))


def main_single(name: str, argv: list[str] | None, prog: str | None, description: str) -> int:
    """``experiments.stdp_window`` / ``experiments.triplet_frequency``: one of the reproductions in its
    own run folder ``results/<name>/<timestamp>/``."""
    functions = {"stdp_window": stdp_window, "triplet_frequency": triplet_frequency}
    args = build_parser(prog, description).parse_args(argv)

    def body(folder) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        summary = functions[name](folder.path, plt, record=folder.path)
        plt.close("all")
        for key, value in summary.items():
            if np.ndim(value) == 0:
                print(f"{key}: {float(value):.4g}")

    return run_script(name, args.results, resolved_config(args, **CONFIGS[name]), {"network_and_simulation": 0}, body)


if __name__ == "__main__":
    raise SystemExit(main())
