"""A plasticity rule written from scratch in this script and run event-driven on the engine,
without touching the engine: a symmetric "coincidence" rule that
potentiates a synapse in proportion to how recently the *other* side spiked, with soft bounds.

Run: ``python -m experiments.custom_rule [--duration MS] [--results ROOT]``; writes a run folder
``results/custom_rule/<timestamp>/`` (``summary.json``, final weights, ``activity_counts.json``, config, log).
"""

import argparse
from dataclasses import dataclass, field
from pathlib import Path

import jax.numpy as jnp
import numpy as np

import spikenet as sn
from experiments.run_folder import add_results_option, network_builder, record_counts, resolved_config, run_script
from neurons import LIF
from spikenet.io import write_json, write_npz

EXPERIMENT = "custom_rule"


@dataclass(frozen=True)
class SymmetricCoincidence:
    """dw = eta (w_max - w) * (trace of the other side) at every spike; traces decay with tau (ms)."""

    eta: float = 0.002
    tau: float = 10.0
    w_max: float = 5.0
    pre_traces: dict = field(default_factory=lambda: {"pre": 10.0})
    post_traces: dict = field(default_factory=lambda: {"post": 10.0})
    synapse_traces: dict = field(default_factory=dict)

    def on_pre(self, weight, pre, post, synapse):
        return weight + self.eta * (self.w_max - weight) * post["post"], {"pre": pre["pre"] + 1.0}, {}

    def on_post(self, weight, pre, post, synapse):
        return weight + self.eta * (self.w_max - weight) * pre["pre"], {"post": post["post"] + 1.0}, {}


@network_builder
def build(seed: int = 0) -> sn.Network:
    """50 Poisson inputs (2-40 Hz) onto one LIF neuron through the rule above."""
    net = sn.Network(dt=0.1, seed=seed)
    inputs = net.poisson_source("inputs", 50, np.linspace(2.0, 40.0, 50))  # Hz: input 49 fires most
    neuron = net.population("neuron", 1, LIF(tau_m=20.0, v_rest=-65.0, v_threshold=-50.0, v_reset=-65.0, refractory=2.0))
    net.current(neuron, 290.0)  # pA: just below threshold, so the neuron fires with its inputs
    net.connect(inputs, neuron, sn.AllToAll(), synapse=sn.CurrentExp(tau=5.0), weight=1.0,
                plasticity=SymmetricCoincidence())
    return net


def run(duration_ms: float = 5000.0, seed: int = 0, out: Path | None = None) -> dict:
    """Simulate; with ``out``, write ``summary.json``, ``weights.npz`` and the counts there."""
    net = build(seed)
    (projection,) = net.projections
    result = net.run(duration_ms, seed=seed)
    weights = result.weights[projection.name]
    summary = {"duration_ms": duration_ms, "seed": seed, "post_spikes": result.counts.spikes["neuron"],
               "plasticity_updates": result.counts.plasticity_updates[projection.name],
               "mean_weight_10_slowest_inputs": float(weights[:10].mean()),
               "mean_weight_10_fastest_inputs": float(weights[-10:].mean())}
    print(f"post-synaptic spikes: {summary['post_spikes']}, plasticity updates: {summary['plasticity_updates']:,}")
    print(f"mean weight of the 10 slowest inputs {summary['mean_weight_10_slowest_inputs']:.3f}, "
          f"of the 10 fastest {summary['mean_weight_10_fastest_inputs']:.3f}")
    if out is not None:
        record_counts(Path(out), result.counts, builder=build, kwargs={"seed": seed})
        write_npz(Path(out) / "weights.npz", final=weights)
        write_json(Path(out) / "summary.json", summary)
    return summary


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5000.0, help="ms (default 5000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the input spikes")
    return add_results_option(parser)


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if not args.duration > 0:
        parser.error(f"--duration must be > 0 ms; got {args.duration}")
    config = resolved_config(args, dt_ms=0.1, rule=repr(SymmetricCoincidence()))
    return run_script(EXPERIMENT, args.results, config, {"network_and_simulation": args.seed},
                      lambda folder: run(args.duration, args.seed, folder.path))


if __name__ == "__main__":
    raise SystemExit(main())
