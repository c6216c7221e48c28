"""Adaptive exponential integrate-and-fire neuron (Brette & Gerstner 2005) with the Naud et al. (2008) presets."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from neurons.parameters import check_above, check_finite, check_integration, check_non_negative, check_positive
from spikenet.neuron_protocol import SynapticDrive
from spikenet.validation import SpikenetError


class AdExPreset(NamedTuple):
    """Parameters of one Naud et al. (2008) firing pattern and the step current (pA) that shows it."""

    parameters: dict[str, float]
    current: float


def _naud(c, g, e_l, v_t, delta, a, tau, b, v_r, i) -> AdExPreset:
    values = dict(capacitance=c, g_leak=g, e_leak=e_l, v_t=v_t, delta_t=delta, a=a, tau_w=tau, b=b, v_reset=v_r)
    return AdExPreset({name: float(value) for name, value in values.items()}, float(i))


# Naud, Marcille, Clopath & Gerstner (2008), Table 1, as in Brian2's example
# examples/frompapers/Naud_et_al_2008_adex_firing_patterns.py.
# Columns: C (pF), g_L (nS), E_L (mV), V_T (mV), Delta_T (mV), a (nS), tau_w (ms), b (pA), V_r (mV), I (pA).
NAUD_2008_PRESETS: dict[str, AdExPreset] = {
    "tonic": _naud(200, 10, -70, -50, 2, 2, 30, 0, -58, 500),
    "adapting": _naud(200, 12, -70, -50, 2, 2, 300, 60, -58, 500),
    "initial_burst": _naud(130, 18, -58, -50, 2, 4, 150, 120, -50, 400),
    "regular_bursting": _naud(200, 10, -58, -50, 2, 2, 120, 100, -46, 210),
    "delayed_accelerating": _naud(200, 12, -70, -50, 2, -10, 300, 0, -58, 300),
    "delayed_regular_bursting": _naud(100, 10, -65, -50, 2, -10, 90, 30, -47, 110),
    "transient": _naud(100, 10, -65, -50, 2, 10, 90, 100, -47, 180),
    "irregular": _naud(100, 12, -60, -50, 2, -11, 130, 30, -48, 160),
}


@dataclass(frozen=True)
class AdEx:
    r"""Adaptive exponential integrate-and-fire neuron.

    .. math::

        C \frac{dv}{dt} = -g_L (v - E_L) + g_L \Delta_T e^{(v - V_T)/\Delta_T} - w + I(t), \qquad
        \tau_w \frac{dw}{dt} = a (v - E_L) - w

    When :math:`v > v_{peak}` the neuron spikes: :math:`v \leftarrow V_r`, :math:`w \leftarrow w + b`.
    The initial state is :math:`v = E_L`, :math:`w = 0`.

    Parameters
    ----------
    capacitance : float
        Membrane capacitance C in pF (> 0).
    g_leak : float
        Leak conductance g_L in nS (> 0).
    e_leak : float
        Leak reversal potential E_L in mV.
    v_t : float
        Threshold slope factor's centre (rheobase threshold) V_T in mV.
    delta_t : float
        Slope factor Δ_T in mV (> 0; Δ_T → 0 is the LIF limit, not supported here).
    a : float
        Subthreshold adaptation coupling in nS (either sign: negative values give delayed patterns).
    tau_w : float
        Adaptation time constant in ms (> 0).
    b : float
        Spike-triggered adaptation increment in pA (>= 0).
    v_reset : float
        Reset potential V_r in mV (< ``v_peak``).
    v_peak : float
        Spike cut-off in mV (0 mV as in Naud et al. 2008 and Brian2's example).
    integration : ``"euler"``
        Forward Euler with v and w advanced from the values at the start of the step (Brian2's
        ``method='euler'``); the exponential term has no exponential-Euler form.

    References
    ----------
    Brette & Gerstner, "Adaptive exponential integrate-and-fire model as an effective description of
    neuronal activity", J. Neurophysiol. 94:3637-3642 (2005).
    Naud, Marcille, Clopath & Gerstner, "Firing patterns in the adaptive exponential integrate-and-fire
    model", Biol. Cybern. 99:335-347 (2008), Table 1.
    """

    capacitance: float = 281.0
    g_leak: float = 30.0
    e_leak: float = -70.6
    v_t: float = -50.4
    delta_t: float = 2.0
    a: float = 4.0
    tau_w: float = 144.0
    b: float = 80.5
    v_reset: float = -70.6
    v_peak: float = 0.0
    integration: str = "euler"

    def __post_init__(self) -> None:
        check_positive("AdEx", {"capacitance": "pF", "g_leak": "nS", "delta_t": "mV", "tau_w": "ms"}, self)
        check_non_negative("AdEx", {"b": "pA"}, self)
        check_finite("AdEx", {"e_leak": "mV", "v_t": "mV", "a": "nS", "v_reset": "mV", "v_peak": "mV"}, self)
        check_above("AdEx", "v_peak", self.v_peak, "v_reset", self.v_reset)
        check_integration("AdEx", self.integration, ("euler",))

    @classmethod
    def preset(cls, pattern: str, **overrides: float) -> "AdEx":
        """The Naud et al. (2008) parameters of ``pattern`` (see :data:`NAUD_2008_PRESETS`); its
        step current is ``NAUD_2008_PRESETS[pattern].current`` (pA)."""
        if pattern not in NAUD_2008_PRESETS:
            raise SpikenetError(f"unknown AdEx pattern {pattern!r}; known: {sorted(NAUD_2008_PRESETS)}")
        return replace(cls(**NAUD_2008_PRESETS[pattern].parameters), **overrides)

    def state_units(self) -> dict[str, str]:
        return {"v": "mV", "w": "pA"}

    def initial_state(self, size: int, dt: float) -> dict[str, np.ndarray]:
        return {"v": np.full(size, float(self.e_leak)), "w": np.zeros(size)}

    def update(self, state: dict, drive: SynapticDrive, dt: float) -> dict:
        v, w = state["v"], state["w"]
        spike_current = self.g_leak * self.delta_t * jnp.exp((v - self.v_t) / self.delta_t)
        membrane = -self.g_leak * (v - self.e_leak) + spike_current - w + drive.current - drive.conductance * v
        return {"v": v + (dt / self.capacitance) * membrane, "w": w + (dt / self.tau_w) * (self.a * (v - self.e_leak) - w)}

    def threshold(self, state: dict, dt: float) -> tuple[dict, jnp.ndarray]:
        return state, state["v"] > self.v_peak

    def reset(self, state: dict, spiked: jnp.ndarray) -> dict:
        return {"v": jnp.where(spiked, self.v_reset, state["v"]), "w": jnp.where(spiked, state["w"] + self.b, state["w"])}

    def brian2_model(self, input_current: str) -> dict:
        return {
            "equations": (
                f"dv/dt = (g_leak*(e_leak - v) + g_leak*delta_t*exp((v - v_t)/delta_t) - w + {input_current})/C_m : volt\n"
                "dw/dt = (a*(v - e_leak) - w)/tau_w : amp"
            ),
            "threshold": "v > v_peak",
            "reset": "v = v_reset\nw += b",
            "refractory": None,
            "method": "euler",
            "namespace": {
                "C_m": ("pF", self.capacitance), "g_leak": ("nS", self.g_leak), "e_leak": ("mV", self.e_leak),
                "v_t": ("mV", self.v_t), "delta_t": ("mV", self.delta_t), "a": ("nS", self.a), "tau_w": ("ms", self.tau_w),
                "b": ("pA", self.b), "v_reset": ("mV", self.v_reset), "v_peak": ("mV", self.v_peak),
            },
        }
