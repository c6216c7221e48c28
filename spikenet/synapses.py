"""Post-synaptic models: what a delivered spike does to the target neuron.

Units: time in ms, voltage in mV, current in pA, conductance in nS.

A synapse model owns one *channel* per post-synaptic neuron. All projections onto a
population that use an equal synapse model share its channel, as Brian2's ``ge`` is shared
by every excitatory pathway. Per step the channel contributes to the neuron's input, then
decays; spikes delivered in the step add the synaptic weight to the channel afterwards
(Brian2's default schedule: ``groups`` before ``synapses``).

=====================  ==============  ==========================================
model                  weight unit     channel dynamics
=====================  ==============  ==========================================
``Delta(target)``      unit of target  ``target += w`` at delivery (no state)
``CurrentExp(tau)``    pA              ``dI/dt = -I/tau``; input current ``I``
``ConductanceExp``     nS              ``dg/dt = -g/tau``; input ``g (e_rev - v)``
``CurrentAlpha(tau)``  pA (peak)       ``I(t) = w (t/tau) e^{1 - t/tau}`` per spike
``ConductanceAlpha``   nS (peak)       ``g(t) = w (t/tau) e^{1 - t/tau}``; input ``g (e_rev - v)``
=====================  ==============  ==========================================

Alpha synapses are the linear pair ``dx/dt = -x/tau``, ``dI/dt = (e x - I)/tau`` with
deliveries adding the weight to ``x`` (the ``..._rise`` state); the response peaks at the
weight, ``tau`` ms after the spike.
"""

from __future__ import annotations

from dataclasses import dataclass

from spikenet.validation import require_finite, require_positive


@dataclass(frozen=True)
class Delta:
    """Instantaneous jump of a post-synaptic state variable (default the membrane potential).

    Parameters
    ----------
    target : str
        Name of the post-synaptic neuron's state variable that a delivered spike adds its
        weight to (``"v"``: the weight is a voltage jump in mV).
    """

    target: str = "v"

    kind = "delta"
    weight_unit = "unit of the target variable (mV for v)"

    def brian2_on_pre(self, channel: str) -> str:
        return f"{self.target}_post += w"


@dataclass(frozen=True)
class CurrentExp:
    """Exponentially decaying synaptic current (instantaneous rise).

    ``dI/dt = -I / tau``; a delivered spike adds its weight (pA) to ``I``; the neuron receives
    the current ``I`` (pA).

    Parameters
    ----------
    tau : float
        Decay time constant in ms (> 0).
    """

    tau: float

    kind = "current"
    weight_unit = "pA"

    def __post_init__(self) -> None:
        require_positive("CurrentExp.tau (ms)", self.tau)


@dataclass(frozen=True)
class ConductanceExp:
    """Exponentially decaying synaptic conductance (instantaneous rise).

    ``dg/dt = -g / tau``; a delivered spike adds its weight (nS) to ``g``; the neuron receives
    the current ``g (e_rev - v)`` (pA with g in nS and voltages in mV).

    Parameters
    ----------
    tau : float
        Decay time constant in ms (> 0).
    e_rev : float
        Reversal potential in mV.
    """

    tau: float
    e_rev: float

    kind = "conductance"
    weight_unit = "nS"

    def __post_init__(self) -> None:
        require_positive("ConductanceExp.tau (ms)", self.tau)
        require_finite("ConductanceExp.e_rev (mV)", self.e_rev)


@dataclass(frozen=True)
class CurrentAlpha:
    """Alpha-shaped synaptic current: a spike at t0 adds ``w (t'/tau) exp(1 - t'/tau)`` pA,
    t' = t - t0 (peak ``w`` at t' = tau).

    Parameters
    ----------
    tau : float
        Time to peak in ms (> 0).
    """

    tau: float

    kind = "current"
    weight_unit = "pA"

    def __post_init__(self) -> None:
        require_positive("CurrentAlpha.tau (ms)", self.tau)


@dataclass(frozen=True)
class ConductanceAlpha:
    """Alpha-shaped synaptic conductance (peak ``w`` nS at ``tau`` ms after the spike) with
    reversal potential ``e_rev`` (mV)."""

    tau: float
    e_rev: float

    kind = "conductance"
    weight_unit = "nS"

    def __post_init__(self) -> None:
        require_positive("ConductanceAlpha.tau (ms)", self.tau)
        require_finite("ConductanceAlpha.e_rev (mV)", self.e_rev)


ALPHA_SYNAPSES = (CurrentAlpha, ConductanceAlpha)
CONDUCTANCE_SYNAPSES = (ConductanceExp, ConductanceAlpha)
SynapseModel = Delta | CurrentExp | ConductanceExp | CurrentAlpha | ConductanceAlpha
