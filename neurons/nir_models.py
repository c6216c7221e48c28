r"""Neuron models with the continuous-time semantics of NIR's neuron nodes (groundwork for issue 14).

NIR, the Neuromorphic Intermediate Representation (Pedersen et al., *Nature Communications* 15,
8122 (2024); package ``nir`` 1.0.8, ``nir/ir/neuron.py``), defines these nodes; this module
implements each as a spikenet neuron model (:mod:`spikenet.neuron_protocol`) and does not import
``nir``:

=============  ===========================================================================  =========================
NIR 1.0.8      node fields (NIR's equations)                                                 spikenet model
=============  ===========================================================================  =========================
``LIF``        ``tau, r, v_leak, v_threshold, v_reset=0``:                                   :class:`NIRLIF`
               :math:`\tau \dot v = (v_{leak} - v) + R I`
``CubaLIF``    ``tau_syn, tau_mem, r, v_leak, v_threshold, v_reset=0, w_in=1``:              :class:`NIRCubaLIF`
               :math:`\tau_{syn} \dot I = -I + w_{in} S`,
               :math:`\tau_{mem} \dot v = (v_{leak} - v) + R I`
``IF``         ``r, v_threshold, v_reset=0``: :math:`\dot v = R I`                           :class:`NIRIF`
``LI``         ``tau, r, v_leak``: :math:`\tau \dot v = (v_{leak} - v) + R I` (no spikes)    :class:`NIRLI`
``I``          ``r``: :math:`\dot v = R I` (no spikes)                                       :class:`NIRI`
``CubaLI``     ``tau_syn, tau_mem, r, v_leak, w_in=1`` (CubaLIF without spikes)              :class:`NIRCubaLI`
=============  ===========================================================================  =========================

Spikes and reset (NIR 1.0.8): a spiking node emits :math:`z = 1` when :math:`v > v_{threshold}`
(strictly) and then sets :math:`v = v_{reset}` (reset *to a value*; ``v_reset`` defaults to 0
when a file omits it). NIR 1.0.8 has no reset by subtraction and no refractory period. Because
the NIR paper's exact reference simulation (``paper/01_lif/lif_exact_sim.py`` in
``neuromorphs/NIR``) and several exporters reset by subtraction, the spiking models here take
``reset_mode``: ``"value"`` (:math:`v \leftarrow v_{reset}`, NIR 1.0.8) or ``"subtract"``
(:math:`v \leftarrow v - (v_{threshold} - v_{reset})`, which is :math:`v - v_{threshold}` for the
default :math:`v_{reset} = 0`). The reset changes v only (a CubaLIF's current is left as it is).

Units. NIR is unitless; here time is in ms (``tau``, ``tau_syn``, ``tau_mem`` and dt), v in mV
and the input in pA, so R is in mV/pA (GΩ) for the leaky models, where :math:`R I` is a voltage,
and in mV/(pA ms) for ``IF`` and ``I``, where :math:`R I` is a rate of change. A NIR graph in
seconds (as Norse, snnTorch and the paper write them) imports with ``tau_ms = 1000 tau_s`` and,
for ``IF`` and ``I`` only, ``r_per_ms = r_per_s / 1000``.

Input. The input :math:`I` (:math:`S` for the Cuba models) is the population's drive,
``drive.current - drive.conductance * v`` (pA): external currents (``Network.current``, including
step-wise tables) and current or conductance synapses. In the Cuba models the conductance term
uses v at the start of the step, held over the step.

Integration is exact (closed form of the linear ODE over dt) for input that is constant over
the step: ``update`` applies the propagator :math:`e^{A\,dt}` of each node's linear system,
including for CubaLIF the 2x2 system's coupling term in the limit :math:`\tau_{syn} = \tau_{mem}`.
Threshold, spikes and reset then follow spikenet's (and Brian2's) schedule: integrate, detect
:math:`v > v_{threshold}` at the end of the step, deliver synapses, reset.

Spike input (how a NIR edge ``Affine(weight=w)`` onto a neuron node maps to a spikenet synapse).
A spike of source j delivered through :class:`spikenet.Delta` adds the synapse's weight to the
target variable at the end of the step in which j spiked (after thresholds, before resets).
Two readings of a NIR spike are supported; :meth:`NIRLIF.delta_weight` etc. return the weight:

* ``"dirac"`` — NIR's intended semantics (a spike is a Dirac pulse of integral 1, the
  resolution of ``paper/01_lif/debug_spike_representation``): the edge delivers
  :math:`I(t) = w\,\delta(t - t_j)`. Integrating over the pulse gives the exact jumps

  - LIF, LI: ``Delta("v")`` with weight :math:`\Delta v = R\,w / \tau`;
  - IF, I: ``Delta("v")`` with weight :math:`\Delta v = R\,w`;
  - CubaLIF, CubaLI: ``Delta("i")`` with weight :math:`\Delta I = w_{in}\,w / \tau_{syn}` (the pulse
    enters the synaptic current; v then follows continuously through the 2x2 dynamics).

  The pulse arrives at the end of the source's spike step, so the network is exact for Dirac
  input at those times (a source spike at step k is a pulse at :math:`(k + 1)\,dt`).

* ``"step"`` — the discrete-time reading of the NIR paper's LIF experiment and its exact
  reference: input spike k is a current of height w held over one step,
  :math:`I(t) = w` for :math:`t \in [k\,dt, (k + 1)\,dt)`. For the one-variable models this
  equals, at every step end, a jump delivered at :math:`k\,dt` (i.e. a SpikeSource spike at step
  :math:`k - 1`, one step earlier, because delivery waits for the end of the step) of

  - LIF, LI: :math:`\Delta v = R\,w\,(e^{dt/\tau} - 1)` (after decaying over the step it
    contributes :math:`R\,w\,(1 - e^{-dt/\tau})`, the exact response to the step);
  - IF, I: :math:`\Delta v = R\,w\,dt`.

  Thresholds then see exactly the values of the continuous solution at the step ends. A
  one-step pulse cannot be replaced by one jump of the Cuba models' two variables; feed such input
  as a step-wise current table instead (``Network.current(pop, table, dt_values=dt)``), which all
  models integrate exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax.numpy as jnp
import numpy as np

from neurons.parameters import check_finite, check_positive
from spikenet.neuron_protocol import SynapticDrive
from spikenet.validation import SpikenetError

RESET_MODES = ("value", "subtract")
SPIKE_CONVENTIONS = ("dirac", "step")
EXACT_INTEGRATION = ("exponential_euler",)


def _phi(x: Any) -> Any:
    """``(1 - exp(-x)) / x`` with its limit 1 at ``x = 0`` (stable for small |x| via expm1)."""
    x = jnp.asarray(x)
    safe = jnp.where(x == 0, 1.0, x)
    return jnp.where(x == 0, 1.0, -jnp.expm1(-safe) / safe)


def _input(drive: SynapticDrive, v: Any) -> Any:
    """NIR's input I (pA): ``drive.current - drive.conductance * v``."""
    return drive.current - drive.conductance * v


def _full(value: Any, size: int, name: str) -> np.ndarray:
    """``value`` (scalar or per-neuron array) as a float64 array of shape (size,)."""
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        return np.full(size, float(array))
    if array.shape != (size,):
        raise SpikenetError(f"{name} must be a scalar or have shape ({size},); got shape {array.shape}")
    return array.copy()


def _check_reset(model: str, v_threshold: Any, v_reset: Any, reset_mode: str) -> None:
    if reset_mode not in RESET_MODES:
        raise SpikenetError(f"{model}.reset_mode must be one of {RESET_MODES}; got {reset_mode!r}")
    if not np.all(np.asarray(v_threshold, dtype=float) > np.asarray(v_reset, dtype=float)):
        raise SpikenetError(f"{model}.v_threshold must be > v_reset = {v_reset} mV; got {v_threshold} mV")


def _check_integration(model: str, integration: str) -> None:
    if integration not in EXACT_INTEGRATION:
        raise SpikenetError(
            f"{model}.integration must be one of {EXACT_INTEGRATION} (the exact propagator); got {integration!r}")


def _check_convention(model: str, convention: str, allowed: tuple[str, ...] = SPIKE_CONVENTIONS) -> None:
    if convention not in allowed:
        raise SpikenetError(f"{model}.delta_weight: convention must be one of {allowed}; got {convention!r}")


def _require_dt(model: str, dt: float | None) -> float:
    if dt is None or not np.isfinite(dt) or dt <= 0:
        raise SpikenetError(f"{model}.delta_weight: convention 'step' needs dt > 0 (ms); got {dt!r}")
    return float(dt)


def _spike(v: Any, v_threshold: Any) -> Any:
    return v > v_threshold


def _reset_v(v: Any, spiked: Any, v_threshold: Any, v_reset: Any, reset_mode: str) -> Any:
    if reset_mode == "subtract":
        return jnp.where(spiked, v - (v_threshold - v_reset), v)
    return jnp.where(spiked, v_reset, v)


def _leaky_step(v: Any, v_leak: Any, tau: Any, r: Any, drive: SynapticDrive, dt: float) -> Any:
    r"""Exact step of :math:`\tau \dot v = v_{leak} - v + R (c - g v)` for constant c, g:
    rate :math:`\lambda = (1 + R g)/\tau`,
    :math:`v(dt) = v\,e^{-\lambda dt} + (v_{leak} + R c)\,(dt/\tau)\,\varphi(\lambda dt)`."""
    rate = (1.0 + r * drive.conductance) / tau
    return v * jnp.exp(-rate * dt) + (v_leak + r * drive.current) * (dt / tau) * _phi(rate * dt)


def _integrator_step(v: Any, r: Any, drive: SynapticDrive, dt: float) -> Any:
    r"""Exact step of :math:`\dot v = R (c - g v)`: :math:`v\,e^{-R g dt} + R c\,dt\,\varphi(R g dt)`
    (:math:`v + R c\,dt` without conductance input)."""
    rate = r * drive.conductance
    return v * jnp.exp(-rate * dt) + r * drive.current * dt * _phi(rate * dt)


def _cuba_step(state: dict, tau_syn: Any, tau_mem: Any, r: Any, v_leak: Any, w_in: Any,
               drive: SynapticDrive, dt: float) -> dict:
    r"""Exact propagator of the CubaLI(F) 2x2 system for S constant over the step:

    .. math::

        I(dt) = I_\infty + (I - I_\infty) e^{-dt/\tau_{syn}}, \quad I_\infty = w_{in} S

        v(dt) = v_\infty + (v - v_\infty) e^{-dt/\tau_{mem}} + R (I - I_\infty) K(dt),
        \quad v_\infty = v_{leak} + R I_\infty

    with :math:`K(t) = \frac{\tau_{syn}}{\tau_{syn} - \tau_{mem}} (e^{-t/\tau_{syn}} - e^{-t/\tau_{mem}})
    = \frac{t}{\tau_{mem}} e^{-t/\tau_{mem}} \varphi(t (1/\tau_{syn} - 1/\tau_{mem}))`, whose
    second form is continuous through :math:`\tau_{syn} = \tau_{mem}` (where :math:`K = (t/\tau) e^{-t/\tau}`).
    """
    v, i = state["v"], state["i"]
    i_inf = w_in * _input(drive, v)
    v_inf = v_leak + r * i_inf
    decay_syn, decay_mem = jnp.exp(-dt / tau_syn), jnp.exp(-dt / tau_mem)
    coupling = (dt / tau_mem) * decay_mem * _phi(dt * (1.0 / tau_syn - 1.0 / tau_mem))
    excess = i - i_inf
    return {**state, "v": v_inf + (v - v_inf) * decay_mem + r * excess * coupling, "i": i_inf + excess * decay_syn}


def _no_spikes(state: dict) -> tuple[dict, Any]:
    return state, jnp.zeros(jnp.shape(state["v"]), dtype=bool)


def _leaky_delta_weight(model: str, r: Any, tau: Any, weight: Any, convention: str, dt: float | None) -> Any:
    r"""Delta("v") weight (mV) of a leaky node: :math:`R w/\tau` (Dirac) or :math:`R w (e^{dt/\tau} - 1)` (one-step pulse)."""
    _check_convention(model, convention)
    if convention == "dirac":
        return np.asarray(r) * np.asarray(weight) / np.asarray(tau)
    return np.asarray(r) * np.asarray(weight) * np.expm1(_require_dt(model, dt) / np.asarray(tau))


def _integrator_delta_weight(model: str, r: Any, weight: Any, convention: str, dt: float | None) -> Any:
    """Delta("v") weight (mV) of a node without leak: :math:`R w` (Dirac) or :math:`R w dt` (one-step pulse)."""
    _check_convention(model, convention)
    if convention == "dirac":
        return np.asarray(r) * np.asarray(weight)
    return np.asarray(r) * np.asarray(weight) * _require_dt(model, dt)


@dataclass(frozen=True, eq=False)
class NIRLIF:
    r"""NIR ``LIF``: :math:`\tau \dot v = (v_{leak} - v) + R I`; spike when :math:`v > v_{threshold}`.

    Parameters (each a float or a per-neuron array of shape (size,))
    ----------------------------------------------------------------
    tau : float
        Membrane time constant in ms (> 0).
    r : float
        Resistance in mV/pA (> 0): a constant input I settles v at :math:`v_{leak} + R I`.
    v_leak, v_threshold, v_reset : float
        Leak (rest and initial), threshold and reset potentials in mV (``v_threshold > v_reset``;
        ``v_reset`` defaults to 0, as in NIR 1.0.8).
    reset_mode : ``"value"`` or ``"subtract"``
        :math:`v \leftarrow v_{reset}` (NIR 1.0.8) or :math:`v \leftarrow v - (v_{threshold} - v_{reset})`.
    integration : ``"exponential_euler"``
        The only scheme: v is integrated exactly for input constant over the step (also used
        for the decay of the population's synaptic channels).

    Spike input: ``Delta("v")`` with the weight :meth:`delta_weight` gives, for a NIR edge
    weight w, :math:`R w/\tau` (Dirac pulse) or :math:`R w (e^{dt/\tau} - 1)` (one-step current
    pulse, delivered one step early); see the module docstring.
    """

    tau: Any
    r: Any
    v_leak: Any
    v_threshold: Any
    v_reset: Any = 0.0
    reset_mode: str = "value"
    integration: str = "exponential_euler"

    def __post_init__(self) -> None:
        check_positive("NIRLIF", {"tau": "ms", "r": "mV/pA"}, self)
        check_finite("NIRLIF", {"v_leak": "mV", "v_threshold": "mV", "v_reset": "mV"}, self)
        _check_reset("NIRLIF", self.v_threshold, self.v_reset, self.reset_mode)
        _check_integration("NIRLIF", self.integration)

    def state_units(self) -> dict[str, str]:
        return {"v": "mV"}

    def initial_state(self, size: int, dt: float) -> dict[str, np.ndarray]:
        return {"v": _full(self.v_leak, size, "NIRLIF.v_leak (mV)")}

    def update(self, state: dict, drive: SynapticDrive, dt: float) -> dict:
        return {**state, "v": _leaky_step(state["v"], self.v_leak, self.tau, self.r, drive, dt)}

    def threshold(self, state: dict, dt: float) -> tuple[dict, Any]:
        return state, _spike(state["v"], self.v_threshold)

    def reset(self, state: dict, spiked: Any) -> dict:
        return {**state, "v": _reset_v(state["v"], spiked, self.v_threshold, self.v_reset, self.reset_mode)}

    def delta_weight(self, weight: Any, convention: str = "dirac", dt: float | None = None) -> Any:
        r"""``Delta("v")`` weight (mV) for a NIR edge weight ``weight``: :math:`R w/\tau` (``"dirac"``)
        or :math:`R w (e^{dt/\tau} - 1)` (``"step"``, source spike one step before the pulse)."""
        return _leaky_delta_weight("NIRLIF", self.r, self.tau, weight, convention, dt)


@dataclass(frozen=True, eq=False)
class NIRLI:
    r"""NIR ``LI`` (leaky integrator): :math:`\tau \dot v = (v_{leak} - v) + R I`; never spikes.

    Parameters: ``tau`` (ms, > 0), ``r`` (mV/pA, > 0), ``v_leak`` (mV; rest and initial value),
    each a float or per-neuron array; ``integration`` as :class:`NIRLIF`. Spike input as NIRLIF:
    ``Delta("v")`` with :math:`R w/\tau` (Dirac) or :math:`R w (e^{dt/\tau} - 1)` (one-step pulse).
    """

    tau: Any
    r: Any
    v_leak: Any
    integration: str = "exponential_euler"

    def __post_init__(self) -> None:
        check_positive("NIRLI", {"tau": "ms", "r": "mV/pA"}, self)
        check_finite("NIRLI", {"v_leak": "mV"}, self)
        _check_integration("NIRLI", self.integration)

    def state_units(self) -> dict[str, str]:
        return {"v": "mV"}

    def initial_state(self, size: int, dt: float) -> dict[str, np.ndarray]:
        return {"v": _full(self.v_leak, size, "NIRLI.v_leak (mV)")}

    def update(self, state: dict, drive: SynapticDrive, dt: float) -> dict:
        return {**state, "v": _leaky_step(state["v"], self.v_leak, self.tau, self.r, drive, dt)}

    def threshold(self, state: dict, dt: float) -> tuple[dict, Any]:
        return _no_spikes(state)

    def reset(self, state: dict, spiked: Any) -> dict:
        return state

    def delta_weight(self, weight: Any, convention: str = "dirac", dt: float | None = None) -> Any:
        r"""``Delta("v")`` weight (mV): :math:`R w/\tau` (``"dirac"``) or :math:`R w (e^{dt/\tau} - 1)` (``"step"``)."""
        return _leaky_delta_weight("NIRLI", self.r, self.tau, weight, convention, dt)


@dataclass(frozen=True, eq=False)
class NIRIF:
    r"""NIR ``IF``: :math:`\dot v = R I` (no leak); spike when :math:`v > v_{threshold}`.

    Parameters (each a float or per-neuron array)
    ----------------------------------------------
    r : float
        Input gain in mV/(pA ms) (> 0).
    v_threshold, v_reset : float
        Threshold and reset potentials in mV (``v_threshold > v_reset``; ``v_reset`` defaults to 0).
    reset_mode, integration
        As :class:`NIRLIF`. v starts at 0 mV.

    Spike input: ``Delta("v")`` with :math:`R w` (Dirac) or :math:`R w\,dt` (one-step pulse,
    delivered one step early).
    """

    r: Any
    v_threshold: Any
    v_reset: Any = 0.0
    reset_mode: str = "value"
    integration: str = "exponential_euler"

    def __post_init__(self) -> None:
        check_positive("NIRIF", {"r": "mV/(pA ms)"}, self)
        check_finite("NIRIF", {"v_threshold": "mV", "v_reset": "mV"}, self)
        _check_reset("NIRIF", self.v_threshold, self.v_reset, self.reset_mode)
        _check_integration("NIRIF", self.integration)

    def state_units(self) -> dict[str, str]:
        return {"v": "mV"}

    def initial_state(self, size: int, dt: float) -> dict[str, np.ndarray]:
        return {"v": np.zeros(size)}

    def update(self, state: dict, drive: SynapticDrive, dt: float) -> dict:
        return {**state, "v": _integrator_step(state["v"], self.r, drive, dt)}

    def threshold(self, state: dict, dt: float) -> tuple[dict, Any]:
        return state, _spike(state["v"], self.v_threshold)

    def reset(self, state: dict, spiked: Any) -> dict:
        return {**state, "v": _reset_v(state["v"], spiked, self.v_threshold, self.v_reset, self.reset_mode)}

    def delta_weight(self, weight: Any, convention: str = "dirac", dt: float | None = None) -> Any:
        r"""``Delta("v")`` weight (mV): :math:`R w` (``"dirac"``) or :math:`R w\,dt` (``"step"``)."""
        return _integrator_delta_weight("NIRIF", self.r, weight, convention, dt)


@dataclass(frozen=True, eq=False)
class NIRI:
    r"""NIR ``I`` (integrator): :math:`\dot v = R I`; never spikes.

    Parameters: ``r`` in mV/(pA ms) (> 0, float or per-neuron array); ``integration`` as
    :class:`NIRLIF`. v starts at 0 mV. Spike input: ``Delta("v")`` with :math:`R w` (Dirac) or
    :math:`R w\,dt` (one-step pulse).
    """

    r: Any
    integration: str = "exponential_euler"

    def __post_init__(self) -> None:
        check_positive("NIRI", {"r": "mV/(pA ms)"}, self)
        _check_integration("NIRI", self.integration)

    def state_units(self) -> dict[str, str]:
        return {"v": "mV"}

    def initial_state(self, size: int, dt: float) -> dict[str, np.ndarray]:
        return {"v": np.zeros(size)}

    def update(self, state: dict, drive: SynapticDrive, dt: float) -> dict:
        return {**state, "v": _integrator_step(state["v"], self.r, drive, dt)}

    def threshold(self, state: dict, dt: float) -> tuple[dict, Any]:
        return _no_spikes(state)

    def reset(self, state: dict, spiked: Any) -> dict:
        return state

    def delta_weight(self, weight: Any, convention: str = "dirac", dt: float | None = None) -> Any:
        r"""``Delta("v")`` weight (mV): :math:`R w` (``"dirac"``) or :math:`R w\,dt` (``"step"``)."""
        return _integrator_delta_weight("NIRI", self.r, weight, convention, dt)


@dataclass(frozen=True, eq=False)
class NIRCubaLIF:
    r"""NIR ``CubaLIF``: :math:`\tau_{syn} \dot I = -I + w_{in} S`,
    :math:`\tau_{mem} \dot v = (v_{leak} - v) + R I`; spike when :math:`v > v_{threshold}`.

    S is the node's input (the population's drive, pA); I (state ``"i"``, pA) the synaptic current.

    Parameters (each a float or per-neuron array of shape (size,))
    ----------------------------------------------------------------
    tau_syn, tau_mem : float
        Synaptic and membrane time constants in ms (> 0; equal values are allowed).
    r : float
        Resistance in mV/pA (> 0).
    v_leak, v_threshold, v_reset : float
        Leak (rest and initial), threshold and reset potentials in mV (``v_threshold > v_reset``,
        ``v_reset`` defaults to 0).
    w_in : float or array
        Element-wise input weight (dimensionless, any finite sign; NIR default 1).
    reset_mode, integration
        As :class:`NIRLIF`; the reset acts on v only.

    Spike input: ``Delta("i")`` with :meth:`delta_weight` = :math:`w_{in} w/\tau_{syn}` for a NIR
    edge weight w (a Dirac pulse :math:`w\,\delta(t)` in S). Integration is exact (2x2
    propagator) for S constant over the step; a conductance drive uses v at the step's start.
    """

    tau_syn: Any
    tau_mem: Any
    r: Any
    v_leak: Any
    v_threshold: Any
    v_reset: Any = 0.0
    w_in: Any = 1.0
    reset_mode: str = "value"
    integration: str = "exponential_euler"

    def __post_init__(self) -> None:
        check_positive("NIRCubaLIF", {"tau_syn": "ms", "tau_mem": "ms", "r": "mV/pA"}, self)
        check_finite("NIRCubaLIF", {"v_leak": "mV", "v_threshold": "mV", "v_reset": "mV", "w_in": "dimensionless"}, self)
        _check_reset("NIRCubaLIF", self.v_threshold, self.v_reset, self.reset_mode)
        _check_integration("NIRCubaLIF", self.integration)

    def state_units(self) -> dict[str, str]:
        return {"v": "mV", "i": "pA"}

    def initial_state(self, size: int, dt: float) -> dict[str, np.ndarray]:
        _full(self.w_in, size, "NIRCubaLIF.w_in")  # shape check
        return {"v": _full(self.v_leak, size, "NIRCubaLIF.v_leak (mV)"), "i": np.zeros(size)}

    def update(self, state: dict, drive: SynapticDrive, dt: float) -> dict:
        return _cuba_step(state, self.tau_syn, self.tau_mem, self.r, self.v_leak, self.w_in, drive, dt)

    def threshold(self, state: dict, dt: float) -> tuple[dict, Any]:
        return state, _spike(state["v"], self.v_threshold)

    def reset(self, state: dict, spiked: Any) -> dict:
        return {**state, "v": _reset_v(state["v"], spiked, self.v_threshold, self.v_reset, self.reset_mode)}

    def delta_weight(self, weight: Any, convention: str = "dirac", dt: float | None = None) -> Any:
        r"""``Delta("i")`` weight (pA) for a NIR edge weight w: :math:`w_{in} w/\tau_{syn}` (``"dirac"`` only)."""
        _check_convention("NIRCubaLIF", convention, ("dirac",))
        return np.asarray(self.w_in) * np.asarray(weight) / np.asarray(self.tau_syn)


@dataclass(frozen=True, eq=False)
class NIRCubaLI:
    r"""NIR ``CubaLI``: :math:`\tau_{syn} \dot I = -I + w_{in} S`,
    :math:`\tau_{mem} \dot v = (v_{leak} - v) + R I`; never spikes.

    Parameters as :class:`NIRCubaLIF` without ``v_threshold``, ``v_reset`` and ``reset_mode``.
    Spike input: ``Delta("i")`` with :math:`w_{in} w/\tau_{syn}` (Dirac pulse).
    """

    tau_syn: Any
    tau_mem: Any
    r: Any
    v_leak: Any
    w_in: Any = 1.0
    integration: str = "exponential_euler"

    def __post_init__(self) -> None:
        check_positive("NIRCubaLI", {"tau_syn": "ms", "tau_mem": "ms", "r": "mV/pA"}, self)
        check_finite("NIRCubaLI", {"v_leak": "mV", "w_in": "dimensionless"}, self)
        _check_integration("NIRCubaLI", self.integration)

    def state_units(self) -> dict[str, str]:
        return {"v": "mV", "i": "pA"}

    def initial_state(self, size: int, dt: float) -> dict[str, np.ndarray]:
        _full(self.w_in, size, "NIRCubaLI.w_in")
        return {"v": _full(self.v_leak, size, "NIRCubaLI.v_leak (mV)"), "i": np.zeros(size)}

    def update(self, state: dict, drive: SynapticDrive, dt: float) -> dict:
        return _cuba_step(state, self.tau_syn, self.tau_mem, self.r, self.v_leak, self.w_in, drive, dt)

    def threshold(self, state: dict, dt: float) -> tuple[dict, Any]:
        return _no_spikes(state)

    def reset(self, state: dict, spiked: Any) -> dict:
        return state

    def delta_weight(self, weight: Any, convention: str = "dirac", dt: float | None = None) -> Any:
        r"""``Delta("i")`` weight (pA): :math:`w_{in} w/\tau_{syn}` (``"dirac"`` only)."""
        _check_convention("NIRCubaLI", convention, ("dirac",))
        return np.asarray(self.w_in) * np.asarray(weight) / np.asarray(self.tau_syn)
