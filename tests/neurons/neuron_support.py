"""Helpers for the neuron-model tests: run a model in Brian2 from its ``brian2_model()`` description,
run the same protocol on spikenet, and spike-train statistics that classify firing patterns
(REPRODUCTION_TARGETS §1b, §1c).

Brian2 runs on its numpy target (no compile). ``spikenet.brian2_export`` does not yet accept
unit expressions such as ``"1/ms"`` or a refractory condition string, so this runner is kept.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def brian2_quantity(unit_name: str, value: float) -> Any:
    """``value`` in the Brian2 unit written as ``unit_name`` (e.g. ``"nS"``, ``"1/ms"``, ``"mV/ms"``, ``"1"``)."""
    import brian2

    unit = eval(unit_name, {name: getattr(brian2, name) for name in dir(brian2) if not name.startswith("_")})
    return value * unit


def run_brian2(model: Any, currents_pA: np.ndarray, duration_ms: float, dt_ms: float,
               initial: dict[str, tuple[str, np.ndarray]] | None = None) -> list[np.ndarray]:
    """Simulate ``len(currents_pA)`` neurons of ``model``, neuron k with the constant current
    ``currents_pA[k]`` (pA) from t = 0, and return each neuron's spike times in ms (float64)."""
    import brian2 as b2

    b2.prefs.codegen.target = "numpy"
    b2.start_scope()
    b2.defaultclock.dt = dt_ms * b2.ms
    description = model.brian2_model("I_in")
    namespace = {name: brian2_quantity(unit, value) for name, (unit, value) in description["namespace"].items()}
    refractory = description["refractory"]
    if isinstance(refractory, tuple):
        refractory = brian2_quantity(*refractory)
    elif refractory is None:
        refractory = False
    equations = description["equations"] + "\nI_in : amp (constant)"
    group = b2.NeuronGroup(len(currents_pA), equations, threshold=description["threshold"], reset=description["reset"],
                           refractory=refractory, method=description["method"], namespace=namespace)
    group.I_in = np.asarray(currents_pA, dtype=float) * b2.pA
    state = model.initial_state(len(currents_pA), dt_ms)
    for name, unit in model.state_units().items():
        values = state[name] if not initial or name not in initial else initial[name]
        setattr(group, name, brian2_quantity(unit, np.asarray(values, dtype=float)))
    monitor = b2.SpikeMonitor(group)
    network = b2.Network(group, monitor)
    network.run(duration_ms * b2.ms, namespace=namespace)
    trains = monitor.spike_trains()
    return [np.asarray(trains[k] / b2.ms, dtype=np.float64) for k in range(len(currents_pA))]


def run_spikenet(model: Any, currents_pA: np.ndarray, duration_ms: float, dt_ms: float,
                 engine: str = "event") -> list[np.ndarray]:
    """The same protocol on the spikenet engine (float64); returns each neuron's spike times in ms."""
    import spikenet as sn

    network = sn.Network(dt=dt_ms)
    population = network.population("neurons", len(currents_pA), model)
    network.current(population, np.asarray(currents_pA, dtype=float))
    result = network.run(duration_ms, monitors=[sn.SpikeMonitor(population)], precision="float64", engine=engine,
                         progress=False)
    times, indices = result.spikes["neurons"]
    return [times[indices == k] for k in range(len(currents_pA))]




def interspike_intervals(times_ms: np.ndarray) -> np.ndarray:
    """Intervals between consecutive spikes in ms."""
    return np.diff(np.asarray(times_ms, dtype=float))


def adaptation_index(times_ms: np.ndarray) -> float:
    """Naud et al. (2008) adaptation index: mean of (ISI_{k+1} - ISI_k) / (ISI_{k+1} + ISI_k)."""
    isi = interspike_intervals(times_ms)
    return float(np.mean((isi[1:] - isi[:-1]) / (isi[1:] + isi[:-1])))


def coefficient_of_variation(intervals: np.ndarray) -> float:
    """Standard deviation over mean of the intervals."""
    return float(np.std(intervals) / np.mean(intervals))


def steady_rate_hz(times_ms: np.ndarray, after_ms: float = 0.0) -> float:
    """1 / mean ISI (Hz) of the spikes at or after ``after_ms``; 0 with fewer than two spikes."""
    times = np.asarray(times_ms, dtype=float)
    times = times[times >= after_ms]
    return 0.0 if len(times) < 2 else 1000.0 / float(np.mean(np.diff(times)))
