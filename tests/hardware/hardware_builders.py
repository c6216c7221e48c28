"""Shared builders for the hardware tests: small networks and hand-made activity counts."""

from __future__ import annotations

import copy

import numpy as np

import spikenet as sn
from hardware.presets_digital import LOIHI, c
from neurons import LIF


def make_counts(network: sn.Network, steps: int, spikes: dict[str, int], events: dict[str, int],
                updates: dict[str, int] | None = None) -> sn.ActivityCounts:
    """ActivityCounts for ``network`` with the given totals (neuron updates default to size x steps)."""
    counts = sn.ActivityCounts(dt=network.dt, steps=steps)
    for name, population in network.populations.items():
        counts.population_sizes[name] = population.size
        counts.spikes[name] = spikes.get(name, 0)
        default = 0 if population.is_source else population.size * steps
        counts.neuron_updates[name] = default if updates is None else updates.get(name, default)
    for projection in network.projections:
        counts.synaptic_events[projection.name] = events.get(projection.name, 0)
        counts.delayed_events[projection.name] = 0
        counts.plasticity_updates[projection.name] = 0
        counts.synapse_counts[projection.name] = projection.n_synapses
        counts.projection_endpoints[projection.name] = (projection.pre.name, projection.post.name)
    return counts


def feedforward(sizes: list[int], dt: float = 1.0) -> sn.Network:
    """A source layer then LIF layers, all-to-all between consecutive layers (names l0, l1, ...)."""
    network = sn.Network(dt=dt)
    layers = [network.poisson_source("l0", sizes[0], 10.0)]
    for k, size in enumerate(sizes[1:], start=1):
        layers.append(network.population(f"l{k}", size, LIF()))
        network.connect(layers[-2], layers[-1], sn.AllToAll(), weight=0.5)
    return network


def custom_chip_data(**limits: int) -> dict:
    """Loihi's per-term energies with the given structural limits (counts, grade D test fixtures)."""
    data = copy.deepcopy(LOIHI)
    data["name"] = "test_chip"
    data["limits"] = {k: c(v, "bit" if k == "weight_bits" else "count", "test", "assumed", "test fixture", "D")
                      for k, v in limits.items()}
    return data


