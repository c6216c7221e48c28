"""A plasticity rule written from scratch in this script and run event-driven on the engine,
without touching the engine: a symmetric "coincidence" rule that
potentiates a synapse in proportion to how recently the *other* side spiked, with soft bounds.

Run: ``python -m experiments.custom_rule``
"""

from dataclasses import dataclass, field

import jax.numpy as jnp
import numpy as np

import spikenet as sn
from neurons import LIF


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


def main() -> int:
    net = sn.Network(dt=0.1, seed=0)
    inputs = net.poisson_source("inputs", 50, np.linspace(2.0, 40.0, 50))  # Hz: input 49 fires most
    neuron = net.population("neuron", 1, LIF(tau_m=20.0, v_rest=-65.0, v_threshold=-50.0, v_reset=-65.0, refractory=2.0))
    net.current(neuron, 290.0)  # pA: just below threshold, so the neuron fires with its inputs
    projection = net.connect(inputs, neuron, sn.AllToAll(), synapse=sn.CurrentExp(tau=5.0), weight=1.0,
                             plasticity=SymmetricCoincidence())
    result = net.run(5000.0, seed=0)
    weights = result.weights[projection.name]
    print(f"post-synaptic spikes: {result.counts.spikes['neuron']}, plasticity updates: "
          f"{result.counts.plasticity_updates[projection.name]:,}")
    print(f"mean weight of the 10 slowest inputs {weights[:10].mean():.3f}, of the 10 fastest {weights[-10:].mean():.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
