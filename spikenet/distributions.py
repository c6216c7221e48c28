"""Random distributions for weights, delays and initial values, sampled with a numpy Generator."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spikenet.validation import SpikenetError, require_finite, require_non_negative


@dataclass(frozen=True)
class Uniform:
    """Uniform on [low, high)."""

    low: float
    high: float

    def __post_init__(self) -> None:
        require_finite("Uniform.low", self.low)
        require_finite("Uniform.high", self.high)
        if self.high < self.low:
            raise SpikenetError(f"Uniform.high must be >= low = {self.low}; got {self.high}")

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)


@dataclass(frozen=True)
class Normal:
    """Normal with the given mean and standard deviation, optionally clipped to [low, high]."""

    mean: float
    std: float
    low: float = -np.inf
    high: float = np.inf

    def __post_init__(self) -> None:
        require_finite("Normal.mean", self.mean)
        require_non_negative("Normal.std", self.std)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.clip(rng.normal(self.mean, self.std, size), self.low, self.high)


Distribution = Uniform | Normal
