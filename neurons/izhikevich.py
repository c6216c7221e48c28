"""Izhikevich (2003) simple spiking model with the published firing-class presets."""

from __future__ import annotations

from dataclasses import dataclass, replace

import jax.numpy as jnp
import numpy as np

from neurons.parameters import check_above, check_finite, check_integration, check_non_negative, check_positive
from spikenet.neuron_protocol import SynapticDrive
from spikenet.validation import SpikenetError

# Izhikevich (2003), Fig. 2: (a, b, c, d) per firing class.
IZHIKEVICH_2003_PRESETS: dict[str, tuple[float, float, float, float]] = {
    "RS": (0.02, 0.2, -65.0, 8.0),     # regular spiking
    "IB": (0.02, 0.2, -55.0, 4.0),     # intrinsically bursting
    "CH": (0.02, 0.2, -50.0, 2.0),     # chattering
    "FS": (0.1, 0.2, -65.0, 2.0),      # fast spiking
    "LTS": (0.02, 0.25, -65.0, 2.0),   # low-threshold spiking
    "TC": (0.02, 0.25, -65.0, 0.05),   # thalamo-cortical
    "RZ": (0.1, 0.26, -65.0, 2.0),     # resonator
}


@dataclass(frozen=True)
class Izhikevich:
    r"""Izhikevich's two-variable spiking model.

    .. math::

        \frac{dv}{dt} = 0.04 v^2 + 5 v + 140 - u + I(t)/C, \qquad \frac{du}{dt} = a (b v - u)

    with :math:`v` in mV, :math:`u` in mV/ms and time in ms; the numbers 0.04 (1/(mV ms)),
    5 (1/ms) and 140 (mV/ms) are the published constants. When :math:`v \ge v_{peak}` the neuron
    spikes: :math:`v \leftarrow c`, :math:`u \leftarrow u + d`. The paper's input ``I`` is
    dimensionless; here the input current (pA) is divided by ``capacitance`` (pF), so with the
    default 1 pF a current of 10 pA is the paper's ``I = 10``.

    Parameters
    ----------
    a : float
        Recovery rate in 1/ms (> 0).
    b : float
        Sensitivity of the recovery variable to v, in 1/ms (finite).
    c : float
        Reset potential in mV (< ``v_peak``).
    d : float
        Recovery jump at a spike, in mV/ms (>= 0).
    v_peak : float
        Spike cut-off in mV (the paper uses 30 mV).
    v_initial : float
        Initial potential in mV; the initial recovery variable is ``b * v_initial``.
    capacitance : float
        Scale in pF converting the input current (pA) to the paper's units (> 0).
    integration : ``"euler"``
        Forward Euler with both variables advanced from the values at the start of the step
        (Brian2's ``method='euler'``). The quadratic term has no exponential-Euler form; note that
        Izhikevich's own MATLAB code uses two 0.5-ms half steps for v, which gives other spike times.

    References
    ----------
    Izhikevich, "Simple model of spiking neurons", IEEE Trans. Neural Netw. 14:1569-1572 (2003), Fig. 2.

    Examples
    --------
    >>> rs = Izhikevich.preset("RS")
    """

    a: float = 0.02
    b: float = 0.2
    c: float = -65.0
    d: float = 8.0
    v_peak: float = 30.0
    v_initial: float = -65.0
    capacitance: float = 1.0
    integration: str = "euler"

    def __post_init__(self) -> None:
        check_positive("Izhikevich", {"a": "1/ms", "capacitance": "pF"}, self)
        check_non_negative("Izhikevich", {"d": "mV/ms"}, self)
        check_finite("Izhikevich", {"b": "1/ms", "c": "mV", "v_peak": "mV", "v_initial": "mV"}, self)
        check_above("Izhikevich", "v_peak", self.v_peak, "c (reset)", self.c)
        check_integration("Izhikevich", self.integration, ("euler",))

    @classmethod
    def preset(cls, name: str, **overrides: float) -> "Izhikevich":
        """The (a, b, c, d) of firing class ``name`` (RS, IB, CH, FS, LTS, TC, RZ) from Izhikevich (2003)."""
        if name not in IZHIKEVICH_2003_PRESETS:
            raise SpikenetError(f"unknown Izhikevich preset {name!r}; known: {sorted(IZHIKEVICH_2003_PRESETS)}")
        a, b, c, d = IZHIKEVICH_2003_PRESETS[name]
        return replace(cls(a=a, b=b, c=c, d=d), **overrides)

    def state_units(self) -> dict[str, str]:
        return {"v": "mV", "u": "mV/ms"}

    def initial_state(self, size: int, dt: float) -> dict[str, np.ndarray]:
        return {"v": np.full(size, float(self.v_initial)), "u": np.full(size, float(self.b * self.v_initial))}

    def update(self, state: dict, drive: SynapticDrive, dt: float) -> dict:
        v, u = state["v"], state["u"]
        current = (drive.current - drive.conductance * v) / self.capacitance
        dv = 0.04 * v * v + 5.0 * v + 140.0 - u + current
        du = self.a * (self.b * v - u)
        return {"v": v + dt * dv, "u": u + dt * du}

    def threshold(self, state: dict, dt: float) -> tuple[dict, jnp.ndarray]:
        return state, state["v"] >= self.v_peak

    def reset(self, state: dict, spiked: jnp.ndarray) -> dict:
        return {"v": jnp.where(spiked, self.c, state["v"]), "u": jnp.where(spiked, state["u"] + self.d, state["u"])}

    def brian2_model(self, input_current: str) -> dict:
        return {
            "equations": (
                f"dv/dt = (0.04/ms/mV)*v**2 + (5/ms)*v + 140*mV/ms - u + {input_current}/C_m : volt\n"
                "du/dt = a*(b*v - u) : volt/second"
            ),
            "threshold": "v >= v_peak",
            "reset": "v = c\nu += d",
            "refractory": None,
            "method": "euler",
            "namespace": {
                "a": ("1/ms", self.a), "b": ("1/ms", self.b), "c": ("mV", self.c), "d": ("mV/ms", self.d),
                "v_peak": ("mV", self.v_peak), "C_m": ("pF", self.capacitance),
            },
        }
