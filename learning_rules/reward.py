"""Three-factor learning: STDP written into an eligibility trace, turned into weight change by a
neuromodulator (reward / dopamine)."""

from __future__ import annotations

from dataclasses import dataclass, field

import jax.numpy as jnp
import numpy as np

from spikenet.validation import SpikenetError, require_finite, require_non_negative, require_positive


@dataclass(frozen=True)
class RewardModulatedSTDP:
    r"""Dopamine-modulated STDP with a synaptic eligibility trace (Izhikevich 2007).

    Pre trace :math:`x` (:math:`\tau_+`), post trace :math:`y` (:math:`\tau_-`), eligibility
    :math:`c_{ij}` per synapse (:math:`\tau_c`) and a global modulator :math:`d` (:math:`\tau_d`):

    .. math::

        \text{pre spike: } c \mathrel{-}= A_- y,\ x \mathrel{+}= 1; \quad
        \text{post spike: } c \mathrel{+}= A_+ x,\ y \mathrel{+}= 1; \quad
        \frac{dw}{dt} = \frac{(d + d_0)\, c}{\tau_s},\ w \in [w_{min}, w_{max}]

    and :math:`d` jumps by the given amounts at the reward times. The weight integrates the
    product every step (the only per-synapse, non-event work; counted as plasticity updates).

    Parameters
    ----------
    a_plus, a_minus : eligibility increments (Izhikevich 2007: 1.0 and 1.5 per unit trace).
    tau_plus, tau_minus : trace time constants in ms (20 ms).
    tau_eligibility : eligibility time constant tau_c in ms (1000 ms).
    modulator_tau : dopamine time constant tau_d in ms (200 ms).
    tau_s : weight-integration time scale in ms (1 ms: dw/dt = c d / tau_s).
    baseline_modulator : tonic dopamine d_0 added to d (Izhikevich's 0.002 per 10 ms).
    reward_times, reward_amounts : reward schedule (ms; jump of d).
    w_min, w_max : weight bounds.

    References
    ----------
    Izhikevich, Cereb. Cortex 17:2443 (2007); Frémaux & Gerstner, Front. Neural Circuits 9:85 (2016).
    """

    a_plus: float = 1.0
    a_minus: float = 1.5
    tau_plus: float = 20.0
    tau_minus: float = 20.0
    tau_eligibility: float = 1000.0
    modulator_tau: float = 200.0
    tau_s: float = 1.0
    baseline_modulator: float = 0.0
    reward_times: tuple = ()
    reward_amounts: tuple = ()
    w_min: float = 0.0
    w_max: float = 4.0
    pre_traces: dict = field(init=False, repr=False, compare=False)
    post_traces: dict = field(init=False, repr=False, compare=False)
    synapse_traces: dict = field(init=False, repr=False, compare=False)
    modulator_events: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        require_non_negative("RewardModulatedSTDP.a_plus", self.a_plus)
        require_non_negative("RewardModulatedSTDP.a_minus", self.a_minus)
        for name in ("tau_plus", "tau_minus", "tau_eligibility", "modulator_tau", "tau_s"):
            require_positive(f"RewardModulatedSTDP.{name} (ms)", getattr(self, name))
        require_finite("RewardModulatedSTDP.baseline_modulator", self.baseline_modulator)
        if not self.w_max > self.w_min:
            raise SpikenetError(f"RewardModulatedSTDP.w_max must be > w_min = {self.w_min}; got {self.w_max}")
        times = np.asarray(self.reward_times, dtype=float)
        amounts = np.asarray(self.reward_amounts, dtype=float)
        if times.shape != amounts.shape:
            raise SpikenetError("RewardModulatedSTDP.reward_times and reward_amounts must have the same length")
        require_finite("RewardModulatedSTDP.reward_amounts", amounts)
        require_non_negative("RewardModulatedSTDP.reward_times (ms)", times)
        object.__setattr__(self, "pre_traces", {"x": self.tau_plus})
        object.__setattr__(self, "post_traces", {"y": self.tau_minus})
        object.__setattr__(self, "synapse_traces", {"eligibility": self.tau_eligibility})
        object.__setattr__(self, "modulator_events", (times, amounts))

    def brian2_synapse(self, target: str, weight_unit: str) -> dict:
        """Brian2 form, in the engine's order within a step: the eligibility ``c`` (per synapse) and
        the modulator ``d`` (shared) decay at the start of the step, where ``d`` also takes the
        step's jumps (the TimedArray ``modulator_jump`` that :func:`spikenet.brian2_export.to_brian2`
        builds from ``reward_times`` and the run's ``modulator`` events); the pathways update ``c``
        and the event-driven traces; the weight integrates ``(d + d0) c / tau_s`` over the step after
        the synapses slot (Brian2's own clock-driven ``dw/dt`` would run in the groups slot, before
        the step's eligibility increments)."""
        return {
            "model": (f"w : {weight_unit}\nc : {weight_unit}\nd : 1 (shared)\n"
                      "dx/dt = -x / tau_plus : 1 (event-driven)\ndy/dt = -y / tau_minus : 1 (event-driven)"),
            "on_pre": f"{target}_post += w\nc = c - a_minus * y\nx = x + 1",
            "on_post": "c = c + a_plus * x\ny = y + 1",
            "run_regularly": [("d = d * exp(-dt / tau_d) + modulator_jump(t)", "start", 0),
                              ("c = c * exp(-dt / tau_c)", "start", 1),
                              ("w = clip(w + (dt / tau_s) * (d + d_0) * c, w_min, w_max)", "after_synapses", 0)],
            "modulator": "modulator_jump",
            "namespace": {"tau_plus": ("ms", self.tau_plus), "tau_minus": ("ms", self.tau_minus),
                          "tau_c": ("ms", self.tau_eligibility), "tau_d": ("ms", self.modulator_tau),
                          "tau_s": ("ms", self.tau_s), "d_0": ("1", self.baseline_modulator),
                          "a_plus": ("weight", self.a_plus), "a_minus": ("weight", self.a_minus),
                          "w_min": ("weight", self.w_min), "w_max": ("weight", self.w_max)},
        }

    def on_pre(self, weight, pre, post, synapse):
        return weight, {"x": pre["x"] + 1.0}, {"eligibility": synapse["eligibility"] - self.a_minus * post["y"]}

    def on_post(self, weight, pre, post, synapse):
        return weight, {"y": post["y"] + 1.0}, {"eligibility": synapse["eligibility"] + self.a_plus * pre["x"]}

    def on_step(self, weight, synapse, modulator, dt):
        change = (dt / self.tau_s) * (modulator + self.baseline_modulator) * synapse["eligibility"]
        return jnp.clip(weight + change, self.w_min, self.w_max), synapse
