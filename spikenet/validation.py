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
    array = np.asarray(value)
    if array.dtype.kind in "biu":  # (integers are finite)
        return
    if array.dtype.kind != "f":
        array = np.asarray(value, dtype=float)
    # min and max propagate NaN and reach any infinity: two reductions, no temporary array
    if array.size and not (np.isfinite(array.min()) and np.isfinite(array.max())):
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


def delay_steps_on_grid(name: str, delays_ms: np.ndarray, dt_ms: float, block: int = 2**20) -> np.ndarray:
    """Delays in ms (finite, >= 0, multiples of dt as :func:`steps_on_grid` checks them) as steps
    in the smallest unsigned type that holds them (one byte below 256 steps). Block by block
    (``block`` delays at a time): no float64 temporary of the whole array."""
    delays_ms = np.asarray(delays_ms)
    if delays_ms.dtype.kind not in "f":
        delays_ms = delays_ms.astype(np.float64)
    require_finite(name, delays_ms)
    if delays_ms.size and delays_ms.min() < 0:
        raise SpikenetError(f"{name} must be >= 0 ms; got {float(delays_ms.min())!r} ms")
    longest = round(float(delays_ms.max(initial=0.0)) / dt_ms)
    if longest >= 2**31:
        raise SpikenetError(f"{name} is too long: {longest:.0f} steps")
    steps = np.empty(delays_ms.shape, np.min_scalar_type(int(longest)))
    for start in range(0, delays_ms.size, block):
        steps[start:start + block] = steps_on_grid(name, delays_ms[start:start + block], dt_ms, plural=False)
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


# -- seeds -------------------------------------------------------------------------------

SEED_MAX = 2**32 - 1
"""Largest seed accepted: ``jax.random.PRNGKey`` keeps only the low 32 bits of a seed outside
float64 mode (2**32 would give the key of seed 0, -1 that of 2**32 - 1) and
``numpy.random.default_rng`` refuses negative seeds, so [0, 2**32 - 1] is the range both take
without wrapping or truncating."""


def check_seed(name: str, value: Any) -> int:
    """Return ``value`` as an int, raising unless it is an integer in [0, 2**32 - 1].

    Accepts Python ints and numpy integers; refuses bools, floats (even 1.0: a seed is not
    rounded), strings, None and integers outside the range, naming ``name``.
    """
    allowed = (f"an integer in [0, 2**32 - 1 = {SEED_MAX}] (the seeds numpy.random.default_rng and "
               "jax.random.PRNGKey both take without wrapping)")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise SpikenetError(f"{name} must be {allowed}; got {value!r} ({type(value).__name__})")
    if not 0 <= int(value) <= SEED_MAX:
        raise SpikenetError(f"{name} must be {allowed}; got {int(value)!r}")
    return int(value)


# -- memory ------------------------------------------------------------------------------

MEMORY_LIMIT_ENV = "SPIKENET_MEMORY_LIMIT_BYTES"
"""Environment variable that, when set to a whole number of bytes, replaces the measured
available memory in :func:`check_memory` (for tests, or to allow more than MemAvailable)."""


def format_bytes(n_bytes: float) -> str:
    """``n_bytes`` in binary units with one decimal: ``'74.5 GiB'``, ``'512 B'``."""
    value = float(n_bytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(value) < 1024.0 or unit == "PiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024.0
    raise AssertionError("unreachable")  # pragma: no cover


def _cgroup_headroom() -> int | None:
    """Bytes left under this process's cgroup memory limit (v2, then v1); None if unlimited or unknown."""
    candidates = (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                  ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"))
    for limit_path, usage_path in candidates:
        try:
            with open(limit_path) as stream:
                limit_text = stream.read().strip()
            if limit_text == "max":
                return None
            limit = int(limit_text)
            with open(usage_path) as stream:
                usage = int(stream.read().strip())
        except (OSError, ValueError):
            continue
        if limit >= 2**60:  # cgroup v1 writes "no limit" as a huge number
            return None
        return max(limit - usage, 0)
    return None


def available_memory_bytes() -> int | None:
    """Memory this process may still allocate, in bytes: ``$SPIKENET_MEMORY_LIMIT_BYTES`` if set;
    else MemAvailable of /proc/meminfo (or free pages x page size from ``os.sysconf``), lowered to
    the room left under a cgroup memory limit if there is one; None if it cannot be measured."""
    import os

    override = os.environ.get(MEMORY_LIMIT_ENV, "").strip()
    if override:
        try:
            limit = int(override)
        except ValueError:
            limit = -1
        if limit < 0:
            raise SpikenetError(f"environment variable {MEMORY_LIMIT_ENV} must be a whole number of bytes >= 0; "
                                f"got {override!r}")
        return limit
    available = None
    try:
        with open("/proc/meminfo") as stream:
            for line in stream:
                if line.startswith("MemAvailable:"):
                    fields = line.split()
                    available = int(fields[1]) * (1024 if len(fields) < 3 or fields[2].lower() == "kb" else 1)
                    break
    except (OSError, ValueError, IndexError):
        available = None
    if available is None:
        try:
            available = int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_AVPHYS_PAGES"))
        except (ValueError, OSError, AttributeError):
            available = None
    headroom = _cgroup_headroom()
    if headroom is not None:
        available = headroom if available is None else min(available, headroom)
    return available


def check_memory(needed_bytes: int, what: str, detail: str = "", advice: str = "") -> None:
    """Raise :class:`SpikenetError` if ``needed_bytes`` exceeds the available memory
    (:func:`available_memory_bytes`); does nothing if that cannot be measured.

    The message reads ``"{what} would need {size}{ detail}; {available} available[; advice]"``,
    e.g. ``StateMonitor on 'exc' (v, 200000 neurons, every 0.1 ms) would need 74.5 GiB for
    10000 ms; 20.1 GiB available``: ``what`` names the object responsible, ``detail`` what the
    figure covers, ``advice`` what to change.
    """
    needed = int(needed_bytes)
    available = available_memory_bytes()
    if available is None or needed <= available:
        return
    message = f"{what} would need {format_bytes(needed)}" + (f" {detail}" if detail else "")
    message += f"; {format_bytes(available)} available"
    import os

    if os.environ.get(MEMORY_LIMIT_ENV, "").strip():
        message += f" (set by {MEMORY_LIMIT_ENV})"
    if advice:
        message += f"; {advice}"
    raise SpikenetError(message)


def return_freed_memory() -> None:
    """Collect garbage and hand the C heap's free pages back to the system (glibc ``malloc_trim``).
    numpy arrays under glibc's dynamic mmap threshold (up to 32 MB) live on the heap, whose freed
    middle is otherwise kept resident: a shard's released synapse arrays would stay in the
    process's memory while the next shard is built (measured: about 1 GB of the full microcircuit's
    first shard)."""
    import ctypes
    import gc

    gc.collect()  # (the engine's layouts hold reference cycles)
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim
        pass
