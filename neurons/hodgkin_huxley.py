"""Hodgkin–Huxley neurons: the Traub–Miles form of Brian2's COBAHH benchmark and the 1952 squid axon."""

from __future__ import annotations

from dataclasses import dataclass, replace

import jax.numpy as jnp
import numpy as np

from neurons.lif import refractory_steps
from neurons.parameters import check_finite, check_integration, check_non_negative, check_positive
from spikenet.neuron_protocol import INTEGRATION_SCHEMES, SynapticDrive
from spikenet.validation import SpikenetError, require_non_negative, require_positive

KINETICS = ("traub_miles", "squid_1952")


def exprel(x):
    """``(exp(x) - 1) / x`` with its limit 1 at 0 (Brian2's ``exprel``), stable for small ``x``."""
    small = jnp.abs(x) < 1e-16
    safe = jnp.where(small, 1.0, x)
    return jnp.where(small, 1.0, jnp.expm1(safe) / safe)


def rates(kinetics: str, v, v_traub: float):
    """Opening and closing rates (1/ms) of the gates m, h, n at membrane potential ``v`` (mV).

    Returns ``((alpha_m, beta_m), (alpha_h, beta_h), (alpha_n, beta_n))``.
    """
    if kinetics == "traub_miles":
        u = v - v_traub
        return (
            (0.32 * 4.0 / exprel((13.0 - u) / 4.0), 0.28 * 5.0 / exprel((u - 40.0) / 5.0)),
            (0.128 * jnp.exp((17.0 - u) / 18.0), 4.0 / (1.0 + jnp.exp((40.0 - u) / 5.0))),
            (0.032 * 5.0 / exprel((15.0 - u) / 5.0), 0.5 * jnp.exp((10.0 - u) / 40.0)),
        )
    return (
        (1.0 / exprel(-(v + 40.0) / 10.0), 4.0 * jnp.exp(-(v + 65.0) / 18.0)),
        (0.07 * jnp.exp(-(v + 65.0) / 20.0), 1.0 / (1.0 + jnp.exp(-(v + 35.0) / 10.0))),
        (0.1 / exprel(-(v + 55.0) / 10.0), 0.125 * jnp.exp(-(v + 65.0) / 80.0)),
    )


_BRIAN2_RATES = {
    "traub_miles": (
        "alpha_m = 0.32*(mV**-1)*4*mV/exprel((13*mV - v + v_traub)/(4*mV))/ms : Hz\n"
        "beta_m = 0.28*(mV**-1)*5*mV/exprel((v - v_traub - 40*mV)/(5*mV))/ms : Hz\n"
        "alpha_h = 0.128*exp((17*mV - v + v_traub)/(18*mV))/ms : Hz\n"
        "beta_h = 4./(1 + exp((40*mV - v + v_traub)/(5*mV)))/ms : Hz\n"
        "alpha_n = 0.032*(mV**-1)*5*mV/exprel((15*mV - v + v_traub)/(5*mV))/ms : Hz\n"
        "beta_n = 0.5*exp((10*mV - v + v_traub)/(40*mV))/ms : Hz"
    ),
    "squid_1952": (
        "alpha_m = 1/exprel(-(v/mV + 40)/10)/ms : Hz\n"
        "beta_m = 4*exp(-(v/mV + 65)/18)/ms : Hz\n"
        "alpha_h = 0.07*exp(-(v/mV + 65)/20)/ms : Hz\n"
        "beta_h = 1/(1 + exp(-(v/mV + 35)/10))/ms : Hz\n"
        "alpha_n = 0.1/exprel(-(v/mV + 55)/10)/ms : Hz\n"
        "beta_n = 0.125*exp(-(v/mV + 65)/80)/ms : Hz"
    ),
}


@dataclass(frozen=True)
class HodgkinHuxley:
    r"""Hodgkin–Huxley neuron with sodium (m, h) and potassium (n) gates.

    .. math::

        C \frac{dv}{dt} = g_L (E_L - v) - g_{Na} m^3 h (v - E_{Na}) - g_K n^4 (v - E_K) + I(t), \qquad
        \frac{dx}{dt} = \alpha_x(v) (1 - x) - \beta_x(v) x, \quad x \in \{m, h, n\}

    ``kinetics`` picks the rate functions :math:`\alpha_x, \beta_x` (see :func:`rates`):
    ``"traub_miles"`` — Traub & Miles (1991) as in Brian2's COBAHH example, shifted by ``v_traub``;
    ``"squid_1952"`` — Hodgkin & Huxley (1952) with the resting potential shifted to −65 mV.
    A spike is counted when :math:`v > v_{spike}` outside refractoriness; there is no reset (the
    action potential is part of the dynamics). With ``refractory`` a duration, the neuron cannot
    spike again for that long (v keeps integrating: Brian2's ``refractory=3*ms`` without
    ``unless refractory``); with ``refractory=None`` it stays refractory while v > v_spike, so that
    each upward crossing of ``v_spike`` counts once. The gates start at their steady state at
    ``v_initial`` (override with ``Population.set_initial``).

    Parameters
    ----------
    kinetics : ``"traub_miles"`` or ``"squid_1952"``
        Rate functions.
    capacitance : float
        Membrane capacitance in pF (> 0).
    g_leak, g_sodium, g_potassium : float
        Maximal conductances in nS (>= 0).
    e_leak, e_sodium, e_potassium : float
        Reversal potentials in mV.
    v_traub : float
        Shift V_T of the Traub–Miles rate functions in mV (unused by ``squid_1952``).
    v_spike : float
        Spike detection level in mV.
    refractory : float or None
        Refractory period in ms (>= 0), or None for "refractory while v > v_spike".
    v_initial : float
        Initial membrane potential in mV.
    integration : ``"exponential_euler"`` or ``"euler"``
        ``exponential_euler`` (Brian2's method of the same name: each variable is linear given the
        others, and is advanced exactly with the others frozen at the start of the step) is stable
        at dt = 0.1 ms; ``euler`` is forward Euler and diverges at large dt.

    References
    ----------
    Hodgkin & Huxley, J. Physiol. 117:500-544 (1952).
    Traub & Miles, *Neuronal Networks of the Hippocampus*, Cambridge University Press (1991).
    Brette et al., "Simulation of networks of spiking neurons: a review of tools and strategies",
    J. Comput. Neurosci. 23:349-398 (2007), benchmark 3 (COBAHH).
    """

    kinetics: str = "traub_miles"
    capacitance: float = 200.0
    g_leak: float = 10.0
    e_leak: float = -60.0
    g_sodium: float = 20000.0
    e_sodium: float = 50.0
    g_potassium: float = 6000.0
    e_potassium: float = -90.0
    v_traub: float = -63.0
    v_spike: float = -20.0
    refractory: float | None = 3.0
    v_initial: float = -60.0
    integration: str = "exponential_euler"

    def __post_init__(self) -> None:
        if self.kinetics not in KINETICS:
            raise SpikenetError(f"HodgkinHuxley.kinetics must be one of {KINETICS}; got {self.kinetics!r}")
        check_positive("HodgkinHuxley", {"capacitance": "pF"}, self)
        check_non_negative("HodgkinHuxley", {"g_leak": "nS", "g_sodium": "nS", "g_potassium": "nS"}, self)
        potentials = ("e_leak", "e_sodium", "e_potassium", "v_traub", "v_spike", "v_initial")
        check_finite("HodgkinHuxley", {name: "mV" for name in potentials}, self)
        if self.refractory is not None:
            require_non_negative("HodgkinHuxley.refractory (ms)", self.refractory)
        check_integration("HodgkinHuxley", self.integration, INTEGRATION_SCHEMES)

    @classmethod
    def squid_1952(cls, area_um2: float = 1.0e4, **overrides) -> "HodgkinHuxley":
        """The 1952 squid axon (rest −65 mV) on a membrane patch of ``area_um2`` µm².

        Per cm²: C = 1 µF, g_Na = 120, g_K = 36, g_L = 0.3 mS, E_Na = 50, E_K = −77,
        E_L = −54.387 mV. With the default 10⁴ µm², C = 100 pF and 1 µA/cm² is 100 pA.
        """
        require_positive("HodgkinHuxley.squid_1952 area_um2 (µm²)", area_um2)
        per_cm2_to_nano = area_um2 * 1e-8 * 1e6  # mS/cm² -> nS and µF/cm² -> pF
        model = cls(kinetics="squid_1952", capacitance=1.0 * per_cm2_to_nano, g_leak=0.3 * per_cm2_to_nano,
                    e_leak=-54.387, g_sodium=120.0 * per_cm2_to_nano, e_sodium=50.0, g_potassium=36.0 * per_cm2_to_nano,
                    e_potassium=-77.0, v_spike=-20.0, refractory=None, v_initial=-65.0)
        return replace(model, **overrides)

    def state_units(self) -> dict[str, str]:
        return {"v": "mV", "m": "1", "h": "1", "n": "1"}

    def steady_state_gates(self, v: float) -> dict[str, float]:
        """Steady-state m, h, n at the membrane potential ``v`` (mV)."""
        values = rates(self.kinetics, np.float64(v), self.v_traub)
        return {name: float(alpha / (alpha + beta)) for name, (alpha, beta) in zip("mhn", values)}

    def initial_state(self, size: int, dt: float) -> dict[str, np.ndarray]:
        gates = self.steady_state_gates(self.v_initial)
        state = {"v": np.full(size, float(self.v_initial))}
        state.update({name: np.full(size, value) for name, value in gates.items()})
        state["refractory_countdown"] = np.zeros(size, dtype=np.int32)
        return state

    def update(self, state: dict, drive: SynapticDrive, dt: float) -> dict:
        v, m, h, n = state["v"], state["m"], state["h"], state["n"]
        g_sodium = self.g_sodium * m * m * m * h
        g_potassium = self.g_potassium * (n * n) * (n * n)
        conductance = self.g_leak + g_sodium + g_potassium + drive.conductance
        source = self.g_leak * self.e_leak + g_sodium * self.e_sodium + g_potassium * self.e_potassium + drive.current
        gates = rates(self.kinetics, v, self.v_traub)
        new = {}
        if self.integration == "euler":
            new["v"] = v + (dt / self.capacitance) * (source - conductance * v)
            for name, x, (alpha, beta) in zip("mhn", (m, h, n), gates):
                new[name] = x + dt * (alpha * (1.0 - x) - beta * x)
        else:
            v_inf = source / conductance
            new["v"] = v_inf + (v - v_inf) * jnp.exp(-(dt / self.capacitance) * conductance)
            for name, x, (alpha, beta) in zip("mhn", (m, h, n), gates):
                total = alpha + beta
                x_inf = alpha / total
                new[name] = x_inf + (x - x_inf) * jnp.exp(-dt * total)
        countdown = state["refractory_countdown"]
        if self.refractory is None:  # refractory until v (at the start of the step) is back at or below v_spike
            countdown = jnp.where(v > self.v_spike, countdown, 0)
        else:
            countdown = jnp.maximum(countdown - 1, 0)
        new["refractory_countdown"] = countdown
        return new

    def threshold(self, state: dict, dt: float) -> tuple[dict, jnp.ndarray]:
        spiked = (state["v"] > self.v_spike) & (state["refractory_countdown"] == 0)
        steps = 1 if self.refractory is None else refractory_steps(self.refractory, dt)
        countdown = jnp.where(spiked, steps, state["refractory_countdown"]).astype(state["refractory_countdown"].dtype)
        return {**state, "refractory_countdown": countdown}, spiked

    def reset(self, state: dict, spiked: jnp.ndarray) -> dict:
        return state

    def brian2_model(self, input_current: str) -> dict:
        equations = (
            "dv/dt = (g_leak*(e_leak - v) - g_sodium*m**3*h*(v - e_sodium) - g_potassium*n**4*(v - e_potassium)"
            f" + {input_current})/C_m : volt\n"
            "dm/dt = alpha_m*(1 - m) - beta_m*m : 1\n"
            "dh/dt = alpha_h*(1 - h) - beta_h*h : 1\n"
            "dn/dt = alpha_n*(1 - n) - beta_n*n : 1\n" + _BRIAN2_RATES[self.kinetics]
        )
        return {
            "equations": equations,
            "threshold": "v > v_spike",
            "reset": None,
            "refractory": "v > v_spike" if self.refractory is None else ("ms", self.refractory),
            "method": self.integration,
            "namespace": {
                "C_m": ("pF", self.capacitance), "g_leak": ("nS", self.g_leak), "e_leak": ("mV", self.e_leak),
                "g_sodium": ("nS", self.g_sodium), "e_sodium": ("mV", self.e_sodium),
                "g_potassium": ("nS", self.g_potassium), "e_potassium": ("mV", self.e_potassium),
                "v_traub": ("mV", self.v_traub), "v_spike": ("mV", self.v_spike),
            },
        }
