"""What a run returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from spikenet.counts import ActivityCounts


@dataclass
class Result:
    """What a run returns.

    Attributes
    ----------
    spikes : dict
        Population name -> (times in ms, neuron indices) for each :class:`SpikeMonitor`.
    states : dict
        Population name -> {"t": times in ms, variable: array (samples, neurons)} per :class:`StateMonitor`.
    rates : dict
        Population name -> (times in ms, rate in Hz per step) per :class:`PopulationRateMonitor`.
    counts : ActivityCounts
        Exact spikes, neuron updates, synaptic events of the run.
    weights : dict
        Projection name -> final weights (synapse order) of every plastic projection.
    final_state : NetworkState
        The state at the end (pass the Result to ``run(..., resume=result)`` to continue).
    parameters : dict or None
        The ``parameters=`` overrides of this run (one sweep point for ``run_sweep``).
    compile_seconds, run_seconds : float
        Wall-clock time spent compiling and simulating.
    """

    spikes: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    states: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    rates: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    counts: ActivityCounts | None = None
    weights: dict[str, np.ndarray] = field(default_factory=dict)
    final_state: Any = None
    end_step: int = 0
    compile_seconds: float = 0.0
    run_seconds: float = 0.0
    parameters: dict | None = None
