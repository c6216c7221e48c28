"""Song, Miller & Abbott (2000): competitive Hebbian learning through STDP makes the weight
distribution bimodal. 1000 Poisson inputs (15 Hz) onto one conductance-based neuron with
additive all-to-all STDP (depression slightly dominant); writes a run folder
``results/song_abbott_2000/<timestamp>/`` (figure, summary, ``activity_counts.json``, config, log).

Protocol and reference: Brian2's ``examples/synapses/STDP.py`` (REPRODUCTION_TARGETS 2c).
Usage: ``python -m experiments.song_abbott_2000 [--duration MS] [--seed S] [--results ROOT]``
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import spikenet as sn
from experiments.run_folder import add_results_option, network_builder, record_counts, resolved_config, run_script
from learning_rules import PairSTDP
from neurons import LIF
from spikenet.io import save_figure, write_json

EXPERIMENT = "song_abbott_2000"

G_LEAK = 10.0  # nS: C = 100 pF, tau_m = 10 ms; Brian2's dimensionless g_max = 0.01 becomes 0.1 nS
G_MAX = 0.01 * G_LEAK


def build(seed: int = 1, n_inputs: int = 1000, rate_hz: float = 15.0) -> tuple[sn.Network, sn.Projection]:
    """The network of Brian2's STDP example in spikenet units."""
    net = sn.Network(dt=0.1, seed=seed)
    inputs = net.poisson_source("inputs", n_inputs, rate_hz)
    neuron = net.population("neuron", 1, LIF(tau_m=10.0, capacitance=100.0, v_rest=-74.0, v_threshold=-54.0,
                                              v_reset=-60.0, refractory=0.0, integration="euler"))
    rule = PairSTDP(a_plus=0.01 * G_MAX, a_minus=1.05 * 0.01 * G_MAX, tau_plus=20.0, tau_minus=20.0, w_min=0.0, w_max=G_MAX)
    projection = net.connect(inputs, neuron, sn.AllToAll(), synapse=sn.ConductanceExp(tau=5.0, e_rev=0.0),
                             weight=sn.Uniform(0.0, G_MAX), plasticity=rule)
    return net, projection


@network_builder
def network(seed: int = 1, n_inputs: int = 1000, rate_hz: float = 15.0) -> sn.Network:
    """The simulated network (rebuilt by ``spikenet energy``)."""
    return build(seed, n_inputs, rate_hz)[0]


def run(duration_ms: float = 100_000.0, seed: int = 1, out: Path | None = None, progress: bool = True) -> dict:
    """Simulate; with ``out``, write ``weights.png``, ``summary.json`` and the counts there."""
    net, projection = build(seed)
    initial = projection.weights.copy()
    result = net.run(duration_ms, seed=seed, monitors=[sn.SpikeMonitor("neuron")], progress=progress)
    final = result.weights[projection.name] / G_MAX
    times, _ = result.spikes["neuron"]
    first = np.sum(times < 10_000.0) / 10.0
    last = np.sum(times >= duration_ms - 10_000.0) / 10.0
    summary = {
        "duration_ms": duration_ms, "seed": seed,
        "fraction_below_0.1_gmax": float(np.mean(final < 0.1)), "fraction_above_0.9_gmax": float(np.mean(final > 0.9)),
        "fraction_between_0.2_and_0.8_gmax": float(np.mean((final > 0.2) & (final < 0.8))),
        "mean_weight_over_gmax": float(final.mean()),
        "histogram_20_bins": np.histogram(final, bins=20, range=(0, 1))[0].tolist(),
        "post_rate_first_10s_hz": float(first), "post_rate_last_10s_hz": float(last),
        "plasticity_updates": result.counts.plasticity_updates[projection.name],
        "simulation_s": result.run_seconds,
    }
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        record_counts(out, result.counts, builder=network, kwargs={"seed": seed})
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
        left.hist(initial / G_MAX, bins=20, range=(0, 1), alpha=0.5, label="initial")
        left.hist(final, bins=20, range=(0, 1), alpha=0.7, label=f"after {duration_ms / 1000:.0f} s")
        left.set_xlabel("weight / g_max")
        left.set_ylabel("synapses")
        left.set_title("STDP makes the weight distribution bimodal")
        left.legend()
        bins = np.arange(0, duration_ms + 1, 1000.0)
        right.plot(bins[:-1] / 1000, np.histogram(times, bins=bins)[0], color="tab:red")
        right.set_xlabel("time (s)")
        right.set_ylabel("post-synaptic rate (Hz, 1-s bins)")
        right.set_title("the output rate settles")
        save_figure(figure, out / "weights.png")
        plt.close(figure)
        write_json(out / "summary.json", summary)
    return summary


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Song, Miller & Abbott (2000) STDP competition")
    parser.add_argument("--duration", type=float, default=100_000.0, help="ms (default 100 s; the paper's regime: 500 s)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the initial weights and the input spikes")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return add_results_option(parser)


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if not args.duration > 0:
        parser.error(f"--duration must be > 0 ms; got {args.duration}")
    config = resolved_config(args, dt_ms=0.1, n_inputs=1000, input_rate_hz=15.0, g_max_nS=G_MAX)

    def body(folder) -> None:
        summary = run(args.duration, args.seed, folder.path, progress=not args.no_progress)
        print({k: v for k, v in summary.items() if k != "histogram_20_bins"})

    return run_script(EXPERIMENT, args.results, config, {"weights_and_inputs": args.seed}, body)


if __name__ == "__main__":
    raise SystemExit(main())
