"""Leaky integrate-and-fire neuron with absolute refractory period."""

from __future__ import annotations

import math
from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np

from spikenet.neuron_protocol import INTEGRATION_SCHEMES, SynapticDrive
from spikenet.validation import SpikenetError, require_finite, require_non_negative, require_positive


def refractory_steps(refractory_ms: float, dt_ms: float) -> int:
    """Whole steps of refractoriness, as Brian2's ``timestep(refractory, dt)`` counts them."""
    return int(math.floor(refractory_ms / dt_ms + 1e-3))


@dataclass(frozen=True)
class LIF:
    r"""Leaky integrate-and-fire neuron, current- or conductance-driven.

    .. math::

        C \frac{dv}{dt} = g_L (v_{rest} - v) + I(t), \qquad g_L = C / \tau_m

    where :math:`I(t) = I_{ext} + \sum_c I_c + \sum_c g_c (E_c - v)` collects external currents,
    current synapses and conductance synapses (see :mod:`spikenet.synapses`).
    When :math:`v > v_{threshold}` (strictly) the neuron spikes, :math:`v \leftarrow v_{reset}`,
    and :math:`v` is clamped (not integrated) for ``refractory`` ms — Brian2's
    ``(unless refractory)``: the neuron may spike again at the first step whose time since the
    spike is at least the refractory period.

    Parameters
    ----------
    tau_m : float
        Membrane time constant in ms (> 0).
    v_rest, v_threshold, v_reset : float
        Resting, threshold and reset potentials in mV (``v_threshold > v_reset``).
    refractory : float
        Absolute refractory period in ms (>= 0).
    capacitance : float
        Membrane capacitance in pF (> 0); sets the leak conductance ``C / tau_m`` in nS and so
        the scale of synaptic weights: with the default 200 pF and 20 ms, g_L = 10 nS.
    integration : ``"exponential_euler"`` or ``"euler"``
        ``exponential_euler`` integrates v exactly for input that is constant over the step
        (exact for constant currents); ``euler`` is forward Euler, for parity with Brian2 runs
        that use ``method='euler'``. Also used for the population's synaptic channels.

    References
    ----------
    Lapicque (1907); Gerstner, Kistler, Naud & Paninski, *Neuronal Dynamics* (2014), ch. 1.3.
    """

    tau_m: float = 20.0
    v_rest: float = -60.0
    v_threshold: float = -50.0
    v_reset: float = -60.0
    refractory: float = 0.0
    capacitance: float = 200.0
    integration: str = "exponential_euler"

    def __post_init__(self) -> None:
        require_positive("LIF.tau_m (ms)", self.tau_m)
        require_positive("LIF.capacitance (pF)", self.capacitance)
        require_non_negative("LIF.refractory (ms)", self.refractory)
        for name in ("v_rest", "v_threshold", "v_reset"):
            require_finite(f"LIF.{name} (mV)", getattr(self, name))
        if not self.v_threshold > self.v_reset:
            raise SpikenetError(
                f"LIF.v_threshold must be > v_reset = {self.v_reset} mV; got {self.v_threshold} mV"
            )
        if self.integration not in INTEGRATION_SCHEMES:
            raise SpikenetError(f"LIF.integration must be one of {INTEGRATION_SCHEMES}; got {self.integration!r}")

    @property
    def g_leak(self) -> float:
        """Leak conductance in nS."""
        return self.capacitance / self.tau_m

    def state_units(self) -> dict[str, str]:
        return {"v": "mV"}

    def initial_state(self, size: int, dt: float) -> dict[str, np.ndarray]:
        return {"v": np.full(size, self.v_rest), "refractory_countdown": np.zeros(size, dtype=np.int32)}

    def update(self, state: dict, drive: SynapticDrive, dt: float) -> dict:
        v = state["v"]
        countdown = jnp.maximum(state["refractory_countdown"] - 1, 0)
        active = countdown == 0
        total_conductance = self.g_leak + drive.conductance
        if self.integration == "euler":
            dv = (dt / self.capacitance) * (self.g_leak * self.v_rest + drive.current - total_conductance * v)
            v_new = v + dv
        else:
            v_inf = (self.g_leak * self.v_rest + drive.current) / total_conductance
            v_new = v_inf + (v - v_inf) * jnp.exp(-(dt / self.capacitance) * total_conductance)
        return {"v": jnp.where(active, v_new, v), "refractory_countdown": countdown}

    def threshold(self, state: dict, dt: float) -> tuple[dict, jnp.ndarray]:
        spiked = (state["v"] > self.v_threshold) & (state["refractory_countdown"] == 0)
        countdown = jnp.where(spiked, refractory_steps(self.refractory, dt), state["refractory_countdown"])
        return {**state, "refractory_countdown": countdown.astype(state["refractory_countdown"].dtype)}, spiked

    def apply_delta(self, state: dict, variable: str, increment: jnp.ndarray) -> dict:
        """Add a delta-synapse increment; like Brian2's conditional write on ``(unless refractory)``
        variables, v ignores input while the neuron is refractory (including its spike step)."""
        gated = jnp.where(state["refractory_countdown"] == 0, increment, 0.0) if variable == "v" else increment
        return {**state, variable: state[variable] + gated}

    def reset(self, state: dict, spiked: jnp.ndarray) -> dict:
        return {**state, "v": jnp.where(spiked, self.v_reset, state["v"])}

    def brian2_model(self, input_current: str) -> dict:
        return {
            "equations": f"dv/dt = (g_leak*(v_rest - v) + {input_current})/C_m : volt (unless refractory)",
            "threshold": "v > v_threshold",
            "reset": "v = v_reset",
            "refractory": ("ms", self.refractory),
            "method": self.integration,
            "namespace": {
                "g_leak": ("nS", self.g_leak),
                "v_rest": ("mV", self.v_rest),
                "v_threshold": ("mV", self.v_threshold),
                "v_reset": ("mV", self.v_reset),
                "C_m": ("pF", self.capacitance),
            },
        }
