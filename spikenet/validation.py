"""Checks that turn bad input into clear errors before any simulation starts.

Every check names the parameter, the value it got and the allowed range.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


class SpikenetError(ValueError):
    """Raised for invalid network descriptions, parameters or files."""


class SimulationError(RuntimeError):
    """Raised when a running simulation hits an unrecoverable state (NaN, divergence)."""


def require_finite(name: str, value: Any) -> None:
    """Raise if ``value`` (scalar or array) holds NaN or infinity."""
    array = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(array)):
        bad = array[~np.isfinite(array)].ravel()[0].item()
        raise SpikenetError(f"{name} must be finite; got {bad!r}")


def require_positive(name: str, value: Any, unit: str = "") -> None:
    """Raise unless every element of ``value`` is finite and > 0."""
    require_finite(name, value)
    array = np.asarray(value, dtype=float)
    if np.any(array <= 0):
        bad = array[array <= 0].ravel()[0].item()
        raise SpikenetError(f"{name} must be > 0 {unit}".rstrip() + f"; got {bad!r}")


def require_non_negative(name: str, value: Any, unit: str = "") -> None:
    """Raise unless every element of ``value`` is finite and >= 0."""
    require_finite(name, value)
    array = np.asarray(value, dtype=float)
    if np.any(array < 0):
        bad = array[array < 0].ravel()[0].item()
        raise SpikenetError(f"{name} must be >= 0 {unit}".rstrip() + f"; got {bad!r}")


def require_in_range(name: str, value: Any, low: float, high: float) -> None:
    """Raise unless every element of ``value`` lies in the closed interval [low, high]."""
    require_finite(name, value)
    array = np.asarray(value, dtype=float)
    outside = (array < low) | (array > high)
    if np.any(outside):
        bad = array[outside].ravel()[0].item()
        raise SpikenetError(f"{name} must be in [{low}, {high}]; got {bad!r}")


def require_positive_int(name: str, value: Any) -> int:
    """Return ``value`` as an int, raising unless it is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise SpikenetError(f"{name} must be a positive integer; got {value!r}")
    if value < 1:
        raise SpikenetError(f"{name} must be a positive integer (>= 1); got {value!r}")
    return int(value)


def steps_from_duration(name: str, duration_ms: float, dt_ms: float, allow_zero: bool = True) -> int:
    """Convert a duration in ms to a whole number of steps of ``dt_ms``.

    Raises unless the duration is a multiple of dt (to a relative tolerance of 1e-9).
    """
    require_finite(name, duration_ms)
    if duration_ms < 0:
        raise SpikenetError(f"{name} must be >= 0 ms; got {duration_ms!r}")
    steps_float = duration_ms / dt_ms
    steps = int(round(steps_float))
    if not math.isclose(steps_float, steps, rel_tol=1e-9, abs_tol=1e-6):
        raise SpikenetError(
            f"{name} must be a multiple of dt = {dt_ms} ms; got {duration_ms!r} ms "
            f"({steps_float:.6g} steps)"
        )
    if steps == 0 and not allow_zero:
        raise SpikenetError(f"{name} must be at least one step (dt = {dt_ms} ms); got {duration_ms!r} ms")
    return steps


def steps_on_grid(name: str, times_ms: Any, dt_ms: float, plural: bool = True) -> Any:
    """Step indices (int64 array) of times in ms that must lie on the dt grid (relative and
    absolute tolerance 1e-9 ms); raises naming ``name`` and the first off-grid value."""
    import numpy as np

    times_ms = np.asarray(times_ms, dtype=np.float64)
    steps = np.round(times_ms / dt_ms)
    off_grid = ~np.isclose(steps * dt_ms, times_ms, rtol=1e-9, atol=1e-9)
    if off_grid.any():
        what = "multiples" if plural else "a multiple"
        raise SpikenetError(f"{name} must be {what} of dt = {dt_ms} ms; got {float(times_ms[off_grid][0])!r} ms")
    return steps
