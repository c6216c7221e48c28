"""Quantise weights to a chip's precision and report how much they changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from hardware.coefficients import HardwareModelError


@dataclass(frozen=True)
class QuantisationReport:
    """The change made by quantising one projection's weights.

    Attributes
    ----------
    bits : int
        Signed weight precision (one sign bit).
    step : float
        Quantisation step, in the projection's weight unit (mV, pA or nS).
    max_abs_error, rms_error : float
        Largest and root-mean-square absolute change, in the weight unit.
    relative_rms_error : float
        ``rms_error / rms(weights)`` (0 when all weights are 0).
    distinct_levels : int
        Distinct quantised values actually used.
    """

    bits: int
    step: float
    max_abs_error: float
    rms_error: float
    relative_rms_error: float
    distinct_levels: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def quantise_weights(weights: np.ndarray, bits: int) -> tuple[np.ndarray, QuantisationReport]:
    """Symmetric uniform quantisation to ``bits`` signed bits, scaled to the largest |weight|.

    ``w_q = round(w / step) * step`` with ``step = max|w| / (2**(bits-1) - 1)`` (for ``bits = 1``:
    ``step = max|w|``, i.e. binary weights {0, ±max}).

    Parameters
    ----------
    weights : numpy.ndarray
        Weights in any unit.
    bits : int
        Signed precision, >= 1.

    Returns
    -------
    (numpy.ndarray, QuantisationReport)
    """
    if bits < 1:
        raise HardwareModelError(f"weight precision must be >= 1 bit; got {bits}")
    weights = np.asarray(weights, dtype=np.float64)
    largest = float(np.max(np.abs(weights))) if weights.size else 0.0
    if largest == 0.0:
        return weights.copy(), QuantisationReport(bits, 0.0, 0.0, 0.0, 0.0, 1 if weights.size else 0)
    levels = max(2 ** (bits - 1) - 1, 1)
    step = largest / levels
    quantised = np.round(weights / step) * step
    error = quantised - weights
    rms = float(np.sqrt(np.mean(error ** 2)))
    rms_weights = float(np.sqrt(np.mean(weights ** 2)))
    report = QuantisationReport(bits, step, float(np.max(np.abs(error))), rms, rms / rms_weights,
                                int(np.unique(quantised).size))
    return quantised, report


def quantise_network_weights(network: Any, bits: int) -> dict[str, QuantisationReport]:
    """Quantisation report of every projection of ``network`` (its weights are left unchanged)."""
    return {p.name: quantise_weights(p.weights, bits)[1] for p in network.projections}
