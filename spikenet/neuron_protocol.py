"""The small protocol a neuron model follows so that the engine can run it.

A neuron model is a frozen dataclass (its parameters) with these members. ``spikenet``
never imports a concrete model: ``neurons/`` implements them, and a user script can too
(see ``experiments/custom_neuron.py``).

Units: ms, mV, pA, nS, pF. Per step the engine calls, for every population, in Brian2's
default schedule order::

    state = model.update(state, drive, dt)          # 'groups': integrate one step of dt ms
    state, spiked = model.threshold(state, dt)      # 'thresholds': spikes, start refractoriness
    ...                                             # 'synapses': deliveries (engine)
    state = model.reset(state, spiked)              # 'resets'

``drive`` is a :class:`SynapticDrive`: the input current is ``drive.current - drive.conductance * v``
(pA), which covers external currents, current synapses and conductance synapses in a form
that exact and exponential-Euler integrators can use.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol, runtime_checkable

import numpy as np

INTEGRATION_SCHEMES = ("euler", "exponential_euler")


class SynapticDrive(NamedTuple):
    """Input to one population for one step.

    Attributes
    ----------
    current : array (pA)
        External current + current-based synapses + sum of g_c * E_c over conductance channels.
    conductance : array (nS)
        Sum of the synaptic conductances; the total input is ``current - conductance * v``.
    """

    current: Any
    conductance: Any


@runtime_checkable
class NeuronModel(Protocol):
    """What the engine needs from a neuron model."""

    integration: str
    """``"euler"`` or ``"exponential_euler"``; also used for the decay of the population's synaptic channels."""

    def state_units(self) -> dict[str, str]:
        """State variable names and their units, e.g. ``{"v": "mV"}`` (excluding bookkeeping such as refractory counters)."""

    def initial_state(self, size: int, dt: float) -> dict[str, np.ndarray]:
        """Default initial state as numpy arrays of shape (size,)."""

    def update(self, state: dict, drive: SynapticDrive, dt: float) -> dict:
        """Integrate one step of ``dt`` ms (pure, jittable)."""

    def threshold(self, state: dict, dt: float) -> tuple[dict, Any]:
        """Return (state, spiked): detect spikes and start refractoriness."""

    def reset(self, state: dict, spiked: Any) -> dict:
        """Apply the reset to the neurons that spiked."""

    # Optional: ``apply_delta(state, variable, increment) -> state`` adds delta-synapse input
    # (default: plain addition). LIF uses it to ignore input while refractory, as Brian2's
    # conditional write on ``(unless refractory)`` variables does.

    def brian2_model(self, input_current: str) -> dict:
        """Brian2 form of the model (keys ``equations``, ``threshold``, ``reset`` (may be None),
        ``refractory`` (``(unit, value)``, a condition string such as ``"v > v_spike"``, or None),
        ``method``, ``namespace`` (name -> ``(unit string, value)``, units like ``"mV/ms"``));
        ``input_current`` is the name of the synaptic/external current (amp) the equations must
        use. Optional: needed only to export to Brian2."""


def check_neuron_model(model: Any, name: str) -> None:
    """Raise a clear error if ``model`` does not follow :class:`NeuronModel`."""
    from spikenet.validation import SpikenetError

    if getattr(model, "is_source", False):
        return
    missing = [m for m in ("update", "threshold", "reset", "initial_state", "state_units") if not callable(getattr(model, m, None))]
    if missing:
        raise SpikenetError(f"population {name!r}: model {type(model).__name__} lacks {', '.join(missing)} (see spikenet.neuron_protocol)")
    if getattr(model, "integration", None) not in INTEGRATION_SCHEMES:
        raise SpikenetError(
            f"population {name!r}: model integration must be one of {INTEGRATION_SCHEMES}; got {getattr(model, 'integration', None)!r}"
        )
