"""Monitors: what a run records besides its activity counts.

Memory is bounded per chunk of steps: spikes are recorded as packed bits (N/8 bytes per
step) and unpacked on the host between chunks; state monitors sample every ``every`` steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from spikenet.validation import SpikenetError, require_positive_int


def _population_name(population: Any) -> str:
    return population if isinstance(population, str) else population.name


def _check_indices(indices: Any, size: int, owner: str) -> np.ndarray | None:
    if indices is None:
        return None
    array = np.atleast_1d(np.asarray(indices))
    if array.ndim != 1 or (array.size and not np.issubdtype(array.dtype, np.integer)):
        raise SpikenetError(f"{owner}.indices must be a 1-D array of integers; got {indices!r}")
    if array.size and (array.min() < 0 or array.max() >= size):
        raise SpikenetError(f"{owner}.indices must be in [0, {size - 1}]; got values in [{array.min()}, {array.max()}]")
    return array.astype(np.int64)


@dataclass(eq=False)
class SpikeMonitor:
    """Record spike times (ms) and neuron indices of a population, optionally of a subset."""

    population: Any
    indices: Sequence[int] | None = None

    def resolve(self, network: Any) -> "SpikeMonitor":
        name = _population_name(self.population)
        if name not in network.populations:
            raise SpikenetError(f"SpikeMonitor on unknown population {name!r}; known: {sorted(network.populations)}")
        size = network.populations[name].size
        return SpikeMonitor(name, _check_indices(self.indices, size, "SpikeMonitor"))


@dataclass(eq=False)
class StateMonitor:
    """Record state variables of a population every ``every`` steps (at the start of the step,
    as Brian2's StateMonitor does)."""

    population: Any
    variables: Sequence[str]
    indices: Sequence[int] | None = None
    every: int = 1

    def resolve(self, network: Any) -> "StateMonitor":
        name = _population_name(self.population)
        if name not in network.populations:
            raise SpikenetError(f"StateMonitor on unknown population {name!r}; known: {sorted(network.populations)}")
        population = network.populations[name]
        if population.is_source:
            raise SpikenetError(f"StateMonitor: population {name!r} is a spike source and has no state")
        variables = [self.variables] if isinstance(self.variables, str) else list(self.variables)
        known = population.state_names()
        for variable in variables:
            if variable not in known:
                raise SpikenetError(f"StateMonitor: population {name!r} has no variable {variable!r}; known: {sorted(known)}")
        every = require_positive_int("StateMonitor.every", self.every)
        indices = _check_indices(self.indices, population.size, "StateMonitor")
        if indices is None:
            indices = np.arange(population.size)
        return StateMonitor(name, variables, indices, every)


@dataclass(eq=False)
class PopulationRateMonitor:
    """Record the population rate (Hz) in every step."""

    population: Any

    def resolve(self, network: Any) -> "PopulationRateMonitor":
        name = _population_name(self.population)
        if name not in network.populations:
            raise SpikenetError(f"PopulationRateMonitor on unknown population {name!r}; known: {sorted(network.populations)}")
        return PopulationRateMonitor(name)


Monitor = SpikeMonitor | StateMonitor | PopulationRateMonitor
