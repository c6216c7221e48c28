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


def _held(drive: SynapticDrive, state: dict) -> SynapticDrive:
    """The drive plus the held input ``s`` (pA): spikes delivered through ``Delta("s")`` at the end
    of the previous step act as a current over this step (the "step" reading of a NIR spike)."""
    return SynapticDrive(drive.current + state["s"], drive.conductance)


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
        return {"v": "mV", "s": "pA"}

    def initial_state(self, size: int, dt: float) -> dict[str, np.ndarray]:
        return {"v": _full(self.v_leak, size, "NIRLIF.v_leak (mV)"), "s": np.zeros(size)}

    def update(self, state: dict, drive: SynapticDrive, dt: float) -> dict:
        return {**state, "v": _leaky_step(state["v"], self.v_leak, self.tau, self.r, _held(drive, state), dt), "s": jnp.zeros_like(state["s"])}

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
        return {"v": "mV", "s": "pA"}

    def initial_state(self, size: int, dt: float) -> dict[str, np.ndarray]:
        return {"v": _full(self.v_leak, size, "NIRLI.v_leak (mV)"), "s": np.zeros(size)}

    def update(self, state: dict, drive: SynapticDrive, dt: float) -> dict:
        return {**state, "v": _leaky_step(state["v"], self.v_leak, self.tau, self.r, _held(drive, state), dt), "s": jnp.zeros_like(state["s"])}

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
        return {"v": "mV", "s": "pA"}

    def initial_state(self, size: int, dt: float) -> dict[str, np.ndarray]:
        return {"v": np.zeros(size), "s": np.zeros(size)}

    def update(self, state: dict, drive: SynapticDrive, dt: float) -> dict:
        return {**state, "v": _integrator_step(state["v"], self.r, _held(drive, state), dt), "s": jnp.zeros_like(state["s"])}

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
        return {"v": "mV", "s": "pA"}

    def initial_state(self, size: int, dt: float) -> dict[str, np.ndarray]:
        return {"v": np.zeros(size), "s": np.zeros(size)}

    def update(self, state: dict, drive: SynapticDrive, dt: float) -> dict:
        return {**state, "v": _integrator_step(state["v"], self.r, _held(drive, state), dt), "s": jnp.zeros_like(state["s"])}

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
        return {"v": "mV", "i": "pA", "s": "pA"}

    def initial_state(self, size: int, dt: float) -> dict[str, np.ndarray]:
        _full(self.w_in, size, "NIRCubaLIF.w_in")  # shape check
        return {"v": _full(self.v_leak, size, "NIRCubaLIF.v_leak (mV)"), "i": np.zeros(size), "s": np.zeros(size)}

    def update(self, state: dict, drive: SynapticDrive, dt: float) -> dict:
        new = _cuba_step(state, self.tau_syn, self.tau_mem, self.r, self.v_leak, self.w_in, _held(drive, state), dt)
        return {**new, "s": jnp.zeros_like(state["s"])}

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
        return {"v": "mV", "i": "pA", "s": "pA"}

    def initial_state(self, size: int, dt: float) -> dict[str, np.ndarray]:
        _full(self.w_in, size, "NIRCubaLI.w_in")
        return {"v": _full(self.v_leak, size, "NIRCubaLI.v_leak (mV)"), "i": np.zeros(size), "s": np.zeros(size)}

    def update(self, state: dict, drive: SynapticDrive, dt: float) -> dict:
        new = _cuba_step(state, self.tau_syn, self.tau_mem, self.r, self.v_leak, self.w_in, _held(drive, state), dt)
        return {**new, "s": jnp.zeros_like(state["s"])}

    def threshold(self, state: dict, dt: float) -> tuple[dict, Any]:
        return _no_spikes(state)

    def reset(self, state: dict, spiked: Any) -> dict:
        return state

    def delta_weight(self, weight: Any, convention: str = "dirac", dt: float | None = None) -> Any:
        r"""``Delta("i")`` weight (pA): :math:`w_{in} w/\tau_{syn}` (``"dirac"`` only)."""
        _check_convention("NIRCubaLI", convention, ("dirac",))
        return np.asarray(self.w_in) * np.asarray(weight) / np.asarray(self.tau_syn)


@dataclass(frozen=True, eq=False)
class NIRThreshold:
    r"""NIR ``Threshold``: :math:`z = 1` when the input :math:`x > v_{threshold}` (a stateless Heaviside).

    The input x of a step is the population's drive plus the held input ``s`` (spikes delivered
    through ``Delta("s")`` at the end of the previous step); state ``"v"`` records it (pA).

    Parameters: ``v_threshold`` (pA, float or per-neuron array).
    """

    v_threshold: Any
    integration: str = "exponential_euler"

    def __post_init__(self) -> None:
        check_finite("NIRThreshold", {"v_threshold": "pA"}, self)
        _check_integration("NIRThreshold", self.integration)

    def state_units(self) -> dict[str, str]:
        return {"v": "pA", "s": "pA"}

    def initial_state(self, size: int, dt: float) -> dict[str, np.ndarray]:
        return {"v": np.zeros(size), "s": np.zeros(size)}

    def update(self, state: dict, drive: SynapticDrive, dt: float) -> dict:
        held = _held(drive, state)
        return {**state, "v": held.current - held.conductance * state["v"], "s": jnp.zeros_like(state["s"])}

    def threshold(self, state: dict, dt: float) -> tuple[dict, Any]:
        return state, _spike(state["v"], self.v_threshold)

    def reset(self, state: dict, spiked: Any) -> dict:
        return state


# -- NIR node <-> model conversions (registered with spikenet.nir_registry) -----------------------


def _node_param(node: Any, field_name: str, context: Any) -> Any:
    """A NIR parameter as a float (one value for all neurons) or a float64 array of shape (size,)."""
    value = getattr(node, field_name, None)
    if value is None:
        raise SpikenetError(f"NIR node {context.node!r} ({type(node).__name__}) has no field {field_name!r}")
    array = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(array)):
        raise SpikenetError(f"NIR node {context.node!r} ({type(node).__name__}): field {field_name!r} has non-finite values")
    if array.size == context.size:
        return array.reshape(context.size) if context.size > 1 else float(array.ravel()[0])
    if array.size == 1:
        return float(array.ravel()[0])
    raise SpikenetError(f"NIR node {context.node!r} ({type(node).__name__}): field {field_name!r} has shape {array.shape} "
                        f"({array.size} values) but the node has {context.size} neurons")


def _model_param(value: Any, context: Any, scale: float = 1.0) -> np.ndarray:
    """A model parameter as a float64 array of the node's shape (NIR stores one value per neuron)."""
    array = np.broadcast_to(np.asarray(value, dtype=np.float64) * scale, (context.size,))
    return np.array(array.reshape(context.shape if context.shape else (context.size,)))


def _reset_of(node: Any, context: Any) -> str:
    mode = (getattr(node, "metadata", None) or {}).get("reset_mode", context.reset_mode)
    mode = mode.decode() if isinstance(mode, bytes) else str(mode)
    if mode not in RESET_MODES:
        raise SpikenetError(f"NIR node {context.node!r}: metadata reset_mode must be one of {RESET_MODES}; got {mode!r}")
    return mode


def _built(context: Any, make: Any) -> Any:
    try:
        return make()
    except SpikenetError as error:
        raise SpikenetError(f"NIR node {context.node!r}: {error}") from None


def _lif_from(node: Any, c: Any) -> NIRLIF:
    return _built(c, lambda: NIRLIF(tau=np.multiply(_node_param(node, "tau", c), c.ms_per_unit), r=_node_param(node, "r", c),
                                    v_leak=_node_param(node, "v_leak", c), v_threshold=_node_param(node, "v_threshold", c),
                                    v_reset=_node_param(node, "v_reset", c), reset_mode=_reset_of(node, c)))


def _lif_to(model: NIRLIF, c: Any) -> Any:
    import nir

    return nir.LIF(tau=_model_param(model.tau, c, 1.0 / c.ms_per_unit), r=_model_param(model.r, c),
                   v_leak=_model_param(model.v_leak, c), v_threshold=_model_param(model.v_threshold, c),
                   v_reset=_model_param(model.v_reset, c), metadata={"reset_mode": model.reset_mode})


def _li_from(node: Any, c: Any) -> NIRLI:
    return _built(c, lambda: NIRLI(tau=np.multiply(_node_param(node, "tau", c), c.ms_per_unit), r=_node_param(node, "r", c),
                                   v_leak=_node_param(node, "v_leak", c)))


def _li_to(model: NIRLI, c: Any) -> Any:
    import nir

    return nir.LI(tau=_model_param(model.tau, c, 1.0 / c.ms_per_unit), r=_model_param(model.r, c), v_leak=_model_param(model.v_leak, c))


def _if_from(node: Any, c: Any) -> NIRIF:
    return _built(c, lambda: NIRIF(r=np.divide(_node_param(node, "r", c), c.ms_per_unit), v_threshold=_node_param(node, "v_threshold", c),
                                   v_reset=_node_param(node, "v_reset", c), reset_mode=_reset_of(node, c)))


def _if_to(model: NIRIF, c: Any) -> Any:
    import nir

    return nir.IF(r=_model_param(model.r, c, c.ms_per_unit), v_threshold=_model_param(model.v_threshold, c),
                  v_reset=_model_param(model.v_reset, c), metadata={"reset_mode": model.reset_mode})


def _i_from(node: Any, c: Any) -> NIRI:
    return _built(c, lambda: NIRI(r=np.divide(_node_param(node, "r", c), c.ms_per_unit)))


def _i_to(model: NIRI, c: Any) -> Any:
    import nir

    return nir.I(r=_model_param(model.r, c, c.ms_per_unit))


def _cuba_lif_from(node: Any, c: Any) -> NIRCubaLIF:
    return _built(c, lambda: NIRCubaLIF(
        tau_syn=np.multiply(_node_param(node, "tau_syn", c), c.ms_per_unit), tau_mem=np.multiply(_node_param(node, "tau_mem", c), c.ms_per_unit),
        r=_node_param(node, "r", c), v_leak=_node_param(node, "v_leak", c), v_threshold=_node_param(node, "v_threshold", c),
        v_reset=_node_param(node, "v_reset", c), w_in=_node_param(node, "w_in", c), reset_mode=_reset_of(node, c)))


def _cuba_lif_to(model: NIRCubaLIF, c: Any) -> Any:
    import nir

    return nir.CubaLIF(tau_syn=_model_param(model.tau_syn, c, 1.0 / c.ms_per_unit), tau_mem=_model_param(model.tau_mem, c, 1.0 / c.ms_per_unit),
                       r=_model_param(model.r, c), v_leak=_model_param(model.v_leak, c), v_threshold=_model_param(model.v_threshold, c),
                       v_reset=_model_param(model.v_reset, c), w_in=_model_param(model.w_in, c), metadata={"reset_mode": model.reset_mode})


def _cuba_li_from(node: Any, c: Any) -> NIRCubaLI:
    return _built(c, lambda: NIRCubaLI(
        tau_syn=np.multiply(_node_param(node, "tau_syn", c), c.ms_per_unit), tau_mem=np.multiply(_node_param(node, "tau_mem", c), c.ms_per_unit),
        r=_node_param(node, "r", c), v_leak=_node_param(node, "v_leak", c), w_in=_node_param(node, "w_in", c)))


def _cuba_li_to(model: NIRCubaLI, c: Any) -> Any:
    import nir

    return nir.CubaLI(tau_syn=_model_param(model.tau_syn, c, 1.0 / c.ms_per_unit), tau_mem=_model_param(model.tau_mem, c, 1.0 / c.ms_per_unit),
                      r=_model_param(model.r, c), v_leak=_model_param(model.v_leak, c), w_in=_model_param(model.w_in, c))


def _threshold_from(node: Any, c: Any) -> NIRThreshold:
    return _built(c, lambda: NIRThreshold(v_threshold=_node_param(node, "threshold", c)))


def _threshold_to(model: NIRThreshold, c: Any) -> Any:
    import nir

    return nir.Threshold(threshold=_model_param(model.v_threshold, c))


def _dirac(model: Any, ms_per_unit: float) -> Any:
    """Jump per unit NIR edge weight under the Dirac reading: a pulse of integral 1 graph time unit
    is ``ms_per_unit`` in ms (see :meth:`NIRLIF.delta_weight`)."""
    return model.delta_weight(ms_per_unit, "dirac")


def register_nir_nodes() -> None:
    """Register these models with :mod:`spikenet.nir_registry` (the ``spikenet.nir`` entry point)."""
    from spikenet.nir_registry import NeuronNodeConversion, register_neuron_node

    for nir_type, model_type, from_node, to_node, spiking, target in (
        ("LIF", NIRLIF, _lif_from, _lif_to, True, "v"),
        ("LI", NIRLI, _li_from, _li_to, False, "v"),
        ("IF", NIRIF, _if_from, _if_to, True, "v"),
        ("I", NIRI, _i_from, _i_to, False, "v"),
        ("CubaLIF", NIRCubaLIF, _cuba_lif_from, _cuba_lif_to, True, "i"),
        ("CubaLI", NIRCubaLI, _cuba_li_from, _cuba_li_to, False, "i"),
        ("Threshold", NIRThreshold, _threshold_from, _threshold_to, True, None),
    ):
        register_neuron_node(NeuronNodeConversion(nir_type, model_type, from_node, to_node, spiking, target,
                                                  _dirac if target is not None else None))


register_nir_nodes()
