"""Monitors: what a run records besides its activity counts.

Memory is bounded per chunk of steps: spikes are recorded as packed bits (N/8 bytes per
step) and unpacked on the host between chunks; state monitors sample every ``every`` ms (or
``every_steps`` steps). What a run returns still grows with its length: :func:`monitor_bytes`
estimates it and :func:`check_monitors_memory` refuses a run whose records would not fit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from spikenet.validation import (SpikenetError, check_memory, format_bytes, require_positive_int,
                                 steps_from_duration)


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


def _every_in_steps(every: Any, every_steps: Any, dt: float) -> int:
    """The sampling interval in steps of ``dt`` from ``every`` (ms) or ``every_steps`` (default 1 step)."""
    if every is not None and every_steps is not None:
        raise SpikenetError(f"StateMonitor: give every (ms) or every_steps (steps), not both; "
                            f"got every={every!r}, every_steps={every_steps!r}")
    if every_steps is not None:
        return require_positive_int("StateMonitor.every_steps", every_steps)
    if every is None:
        return 1
    allowed = f"a duration in ms: a positive multiple of dt = {dt} ms"
    if isinstance(every, (bool, np.bool_)) or not isinstance(every, (int, float, np.integer, np.floating)):
        raise SpikenetError(f"StateMonitor.every must be {allowed}; got {every!r} ({type(every).__name__})")
    if not math.isfinite(every) or every <= 0:
        raise SpikenetError(f"StateMonitor.every must be {allowed}; got {every!r} ms")
    return steps_from_duration("StateMonitor.every", float(every), dt, allow_zero=False)


@dataclass(eq=False)
class StateMonitor:
    """Record state variables of a population every ``every`` ms (at the start of the step, as
    Brian2's StateMonitor does).

    Parameters
    ----------
    population : Population or str
    variables : str or sequence of str
        State variable names (:meth:`Population.state_names`).
    indices : sequence of int, optional
        Neurons to record (default: all).
    every : float, optional
        Sampling interval in ms: a positive multiple of the network's dt (default: every step).
    every_steps : int, optional
        Sampling interval in steps of dt, instead of ``every`` (give one or the other).

    :meth:`resolve` returns a copy whose ``every`` is the interval as a whole number of steps
    (and ``every_ms`` the interval in ms), which is what the engine reads.
    """

    population: Any
    variables: Sequence[str]
    indices: Sequence[int] | None = None
    every: float | None = None
    every_steps: int | None = None

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
        # A resolved monitor keeps what was asked for, so resolving it again (on any dt) gives the same.
        every, every_steps = getattr(self, "_requested", (self.every, self.every_steps))
        steps = _every_in_steps(every, every_steps, network.dt)
        indices = _check_indices(self.indices, population.size, "StateMonitor")
        if indices is None:
            indices = np.arange(population.size)
        resolved = StateMonitor(name, variables, indices, every=None, every_steps=steps)
        resolved.every = steps  # steps, as the engine reads it
        resolved.every_ms = steps * network.dt
        resolved._requested = (every, every_steps)
        return resolved

    @property
    def is_resolved(self) -> bool:
        """Whether this is the result of :meth:`resolve` (``every`` then counts steps)."""
        return hasattr(self, "_requested")


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


def describe_monitor(monitor: Any) -> str:
    """A short description naming a monitor, e.g. ``StateMonitor on 'exc' (v, 200000 neurons, every 0.1 ms)``."""
    name = _population_name(monitor.population)
    if isinstance(monitor, StateMonitor) and monitor.is_resolved:
        variables = ", ".join(monitor.variables)
        return (f"StateMonitor on {name!r} ({variables}, {len(monitor.indices)} neuron"
                f"{'s' if len(monitor.indices) != 1 else ''}, every {monitor.every_ms:g} ms)")
    return f"{type(monitor).__name__} on {name!r}"


def monitor_bytes(resolved_monitor: Any, n_steps: int, itemsize: int) -> int:
    """Bytes of the arrays a resolved monitor returns for a run of ``n_steps`` steps, values
    stored with ``itemsize`` bytes (4 for float32, 8 for float64).

    - :class:`StateMonitor`: ``ceil(n_steps / every)`` samples x neurons x variables x
      ``itemsize``, plus the sample times (float64);
    - :class:`PopulationRateMonitor`: one value per step, plus the times (float64);
    - :class:`SpikeMonitor`: 0 (its size follows the activity, unknown before the run; on the
      device spikes are packed bits bounded per chunk).

    The figure is the returned result only; a run that assembles it from per-chunk pieces holds
    up to twice as much for a moment.
    """
    if isinstance(n_steps, (bool, np.bool_)) or not isinstance(n_steps, (int, np.integer)) or n_steps < 0:
        raise SpikenetError(f"monitor_bytes: n_steps must be an integer >= 0; got {n_steps!r}")
    itemsize = require_positive_int("monitor_bytes itemsize", itemsize)
    n_steps = int(n_steps)
    if isinstance(resolved_monitor, StateMonitor):
        if not resolved_monitor.is_resolved:
            raise SpikenetError("monitor_bytes needs a resolved StateMonitor (monitor.resolve(network)): "
                                "its every is in ms until then")
        samples = -(-n_steps // int(resolved_monitor.every))
        values = samples * len(resolved_monitor.indices) * len(resolved_monitor.variables) * itemsize
        return int(values + samples * 8)
    if isinstance(resolved_monitor, PopulationRateMonitor):
        return int(n_steps * (itemsize + 8))
    if isinstance(resolved_monitor, SpikeMonitor):
        return 0
    raise SpikenetError(f"unknown monitor type {type(resolved_monitor).__name__}")


def check_monitors_memory(resolved_monitors: Sequence[Any], n_steps: int, dt: float, itemsize: int,
                          runs: int = 1) -> int:
    """Refuse (:class:`SpikenetError`) a run whose monitors' records (:func:`monitor_bytes`, times
    ``runs`` for a batch of seeds) would exceed the available memory
    (:func:`spikenet.validation.check_memory`); the message names the monitor that needs the most
    and the figure. Returns the bytes needed."""
    sizes = [(monitor_bytes(m, n_steps, itemsize) * int(runs), m) for m in resolved_monitors]
    total = sum(size for size, _ in sizes)
    if total == 0:
        return 0
    sizes.sort(key=lambda item: -item[0])
    biggest_size, biggest = sizes[0]
    what = describe_monitor(biggest)
    others = [m for size, m in sizes[1:] if size]
    if others:
        what = (f"{what} ({format_bytes(biggest_size)}) with {len(others)} other monitor"
                f"{'s' if len(others) > 1 else ''} ({format_bytes(total - biggest_size)})")
    duration = f"for {n_steps * dt:g} ms" + (f" x {runs} seeds" if runs != 1 else "")
    check_memory(total, what, duration,
                 advice="record fewer neurons or variables, sample less often (StateMonitor.every) or run shorter pieces "
                        "(resume=)")
    return total
