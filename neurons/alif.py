"""Adaptive leaky integrate-and-fire neuron (threshold adaptation, as in e-prop's ALIF)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np

from neurons.lif import refractory_steps
from neurons.parameters import check_above, check_finite, check_integration, check_non_negative, check_positive
from spikenet.neuron_protocol import INTEGRATION_SCHEMES, SynapticDrive
from spikenet.validation import SpikenetError

RESET_MODES = ("to_reset", "subtract_threshold")


@dataclass(frozen=True)
class ALIF:
    r"""Leaky integrate-and-fire neuron with a spike-triggered adaptive threshold.

    .. math::

        C \frac{dv}{dt} = g_L (v_{rest} - v) + I(t), \qquad g_L = C / \tau_m, \qquad
        \tau_a \frac{da}{dt} = -a

    The neuron spikes when :math:`v > v_{threshold} + \beta a` (strictly); then
    :math:`a \leftarrow a + 1`, :math:`v \leftarrow v_{reset}` (``reset_mode="to_reset"``) or
    :math:`v \leftarrow v - (v_{threshold} - v_{rest})` (``"subtract_threshold"``, e-prop's reset),
    and :math:`v` is clamped for ``refractory`` ms (the adaptation variable keeps decaying). This is the ALIF neuron of
    e-prop (Bellec et al. 2020) in continuous time; with ``beta = 0`` it is :class:`neurons.LIF`.

    Parameters
    ----------
    tau_m : float
        Membrane time constant in ms (> 0).
    tau_adaptation : float
        Time constant of the threshold adaptation in ms (> 0); e-prop uses hundreds of ms to seconds.
    beta : float
        Threshold increase per unit of adaptation in mV (>= 0): each spike raises the threshold by ``beta``.
    v_rest, v_threshold, v_reset : float
        Resting, baseline threshold and reset potentials in mV (``v_threshold > v_reset``).
    refractory : float
        Absolute refractory period in ms (>= 0).
    capacitance : float
        Membrane capacitance in pF (> 0).
    reset_mode : ``"to_reset"`` or ``"subtract_threshold"``
        Set v to ``v_reset``, or subtract the baseline threshold distance ``v_threshold - v_rest``
        from v (reset by subtraction, as in e-prop; ``v_reset`` is then unused).
    integration : ``"exponential_euler"`` or ``"euler"``
        ``exponential_euler`` is exact for input constant over a step (v and a decay exactly);
        ``euler`` is forward Euler, for parity with Brian2 runs that use ``method='euler'``.

    References
    ----------
    Bellec, Scherr, Subramoney, Hajek, Salaj, Legenstein & Maass, "A solution to the learning
    dilemma for recurrent networks of spiking neurons", Nat. Commun. 11:3625 (2020), Methods (ALIF).
    """

    tau_m: float = 20.0
    tau_adaptation: float = 200.0
    beta: float = 1.7
    v_rest: float = -60.0
    v_threshold: float = -50.0
    v_reset: float = -60.0
    refractory: float = 2.0
    capacitance: float = 200.0
    reset_mode: str = "to_reset"
    integration: str = "exponential_euler"

    def __post_init__(self) -> None:
        check_positive("ALIF", {"tau_m": "ms", "tau_adaptation": "ms", "capacitance": "pF"}, self)
        check_non_negative("ALIF", {"refractory": "ms", "beta": "mV"}, self)
        check_finite("ALIF", {"v_rest": "mV", "v_threshold": "mV", "v_reset": "mV"}, self)
        check_above("ALIF", "v_threshold", self.v_threshold, "v_reset", self.v_reset)
        check_integration("ALIF", self.integration, INTEGRATION_SCHEMES)
        if self.reset_mode not in RESET_MODES:
            raise SpikenetError(f"ALIF.reset_mode must be one of {RESET_MODES}; got {self.reset_mode!r}")

    @property
    def g_leak(self) -> float:
        """Leak conductance in nS."""
        return self.capacitance / self.tau_m

    def state_units(self) -> dict[str, str]:
        return {"v": "mV", "a": "1"}

    def initial_state(self, size: int, dt: float) -> dict[str, np.ndarray]:
        return {"v": np.full(size, float(self.v_rest)), "a": np.zeros(size),
                "refractory_countdown": np.zeros(size, dtype=np.int32)}

    def update(self, state: dict, drive: SynapticDrive, dt: float) -> dict:
        v, a = state["v"], state["a"]
        countdown = jnp.maximum(state["refractory_countdown"] - 1, 0)
        total_conductance = self.g_leak + drive.conductance
        if self.integration == "euler":
            v_new = v + (dt / self.capacitance) * (self.g_leak * self.v_rest + drive.current - total_conductance * v)
            a_new = a * (1.0 - dt / self.tau_adaptation)
        else:
            v_inf = (self.g_leak * self.v_rest + drive.current) / total_conductance
            v_new = v_inf + (v - v_inf) * jnp.exp(-(dt / self.capacitance) * total_conductance)
            a_new = a * math.exp(-dt / self.tau_adaptation)
        return {"v": jnp.where(countdown == 0, v_new, v), "a": a_new, "refractory_countdown": countdown}

    def threshold(self, state: dict, dt: float) -> tuple[dict, jnp.ndarray]:
        spiked = (state["v"] > self.v_threshold + self.beta * state["a"]) & (state["refractory_countdown"] == 0)
        countdown = jnp.where(spiked, refractory_steps(self.refractory, dt), state["refractory_countdown"])
        return {**state, "refractory_countdown": countdown.astype(state["refractory_countdown"].dtype)}, spiked

    def apply_delta(self, state: dict, variable: str, increment: jnp.ndarray) -> dict:
        """Add a delta-synapse increment; v ignores input while refractory (Brian2's ``unless refractory``)."""
        gated = jnp.where(state["refractory_countdown"] == 0, increment, 0.0) if variable == "v" else increment
        return {**state, variable: state[variable] + gated}

    def reset(self, state: dict, spiked: jnp.ndarray) -> dict:
        v = state["v"]
        after = self.v_reset if self.reset_mode == "to_reset" else v - (self.v_threshold - self.v_rest)
        return {**state, "v": jnp.where(spiked, after, v), "a": jnp.where(spiked, state["a"] + 1.0, state["a"])}

    def brian2_model(self, input_current: str) -> dict:
        return {
            "equations": (
                f"dv/dt = (g_leak*(v_rest - v) + {input_current})/C_m : volt (unless refractory)\n"
                "da/dt = -a/tau_adaptation : 1"
            ),
            "threshold": "v > v_threshold + beta*a",
            "reset": ("v = v_reset" if self.reset_mode == "to_reset" else "v -= v_threshold - v_rest") + "\na += 1",
            "refractory": ("ms", self.refractory),
            "method": self.integration,
            "namespace": {
                "g_leak": ("nS", self.g_leak), "v_rest": ("mV", self.v_rest), "v_threshold": ("mV", self.v_threshold),
                "v_reset": ("mV", self.v_reset), "C_m": ("pF", self.capacitance), "beta": ("mV", self.beta),
                "tau_adaptation": ("ms", self.tau_adaptation),
            },
        }
