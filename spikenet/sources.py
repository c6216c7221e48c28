"""Spike sources: populations whose spikes are given, not integrated.

They emit in the threshold phase of a step, like Brian2's ``PoissonGroup`` and
``SpikeGeneratorGroup``, so a spike at step k with zero delay reaches its targets in step k.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from spikenet.validation import SpikenetError, require_finite, require_non_negative, steps_on_grid


@dataclass(frozen=True, eq=False)
class PoissonSource:
    """Independent Poisson spike trains, one per neuron.

    Each step a neuron spikes with probability ``rate * dt`` (rate in Hz, dt in ms / 1000),
    as Brian2's ``PoissonGroup`` does.

    Parameters
    ----------
    rates : float or array of shape (size,)
        Firing rates in Hz (>= 0, and rate * dt <= 1).
    """

    rates: np.ndarray | float

    is_source = True

    def __post_init__(self) -> None:
        require_non_negative("PoissonSource.rates (Hz)", self.rates)

    def rates_array(self, size: int) -> np.ndarray:
        rates = np.broadcast_to(np.asarray(self.rates, dtype=np.float64), (size,)) if np.ndim(self.rates) == 0 else np.asarray(self.rates, dtype=np.float64)
        if rates.shape != (size,):
            raise SpikenetError(f"PoissonSource.rates must be a scalar or have shape ({size},); got shape {rates.shape}")
        return rates

    def validate(self, size: int, dt: float) -> None:
        rates = self.rates_array(size)
        if np.any(rates * dt / 1000.0 > 1.0):
            raise SpikenetError(
                f"PoissonSource.rates must be <= 1/dt = {1000.0 / dt:g} Hz; got {rates.max():g} Hz"
            )


@dataclass(frozen=True, eq=False)
class SpikeSource:
    """Spikes at explicit times (Brian2's ``SpikeGeneratorGroup``).

    Parameters
    ----------
    indices : int array
        Neuron index of each spike, in [0, size).
    times : float array
        Spike times in ms (>= 0), each a multiple of dt; at most one spike per neuron and step.
    """

    indices: np.ndarray
    times: np.ndarray
    _steps: dict = field(default_factory=dict, repr=False, compare=False)

    is_source = True

    @classmethod
    def empty(cls) -> "SpikeSource":
        """A source with no spikes of its own, driven from the host by ``run(..., input_spikes=...)``."""
        return cls(np.zeros(0, np.int64), np.zeros(0))

    def validate(self, size: int, dt: float) -> None:
        indices = np.asarray(self.indices)
        times = np.asarray(self.times, dtype=np.float64)
        if indices.ndim != 1 or times.ndim != 1 or indices.shape != times.shape:
            raise SpikenetError(
                f"SpikeSource.indices and .times must be 1-D arrays of equal length; got shapes {indices.shape} and {times.shape}"
            )
        require_finite("SpikeSource.times (ms)", times)
        require_non_negative("SpikeSource.times (ms)", times)
        if indices.size and not np.issubdtype(indices.dtype, np.integer):
            raise SpikenetError("SpikeSource.indices must be integers")
        if indices.size and (indices.min() < 0 or indices.max() >= size):
            raise SpikenetError(f"SpikeSource.indices must be in [0, {size - 1}]; got [{indices.min()}, {indices.max()}]")
        steps = steps_on_grid("SpikeSource.times", times, dt).astype(np.int64)
        keys = steps * size + indices
        if np.unique(keys).size != keys.size:
            raise SpikenetError("SpikeSource has two spikes of one neuron in the same step; at most one is allowed")

    def steps(self, dt: float) -> np.ndarray:
        """Spike step indices (int64)."""
        return np.round(np.asarray(self.times, dtype=np.float64) / dt).astype(np.int64)

    def raster(self, size: int, dt: float, first_step: int, n_steps: int) -> np.ndarray:
        """Boolean raster (n_steps, size) of the spikes in [first_step, first_step + n_steps)."""
        steps = self.steps(dt)
        indices = np.asarray(self.indices, dtype=np.int64)
        inside = (steps >= first_step) & (steps < first_step + n_steps)
        raster = np.zeros((n_steps, size), dtype=bool)
        raster[steps[inside] - first_step, indices[inside]] = True
        return raster
