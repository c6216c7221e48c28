"""Spike-timing-dependent plasticity: pair-based and triplet rules, run event-driven.

Weights are in the projection's synapse unit (nS, pA or mV); traces are dimensionless and
jump by 1 (all-to-all pairing: every earlier spike counts) or are set to 1 (nearest-spike
pairing: only the latest spike counts).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import jax.numpy as jnp

from spikenet.validation import SpikenetError, require_finite, require_non_negative, require_positive

PAIRINGS = ("all_to_all", "nearest")
WEIGHT_DEPENDENCES = ("additive", "multiplicative")


def _jump(trace, pairing: str):
    return trace + 1.0 if pairing == "all_to_all" else jnp.ones_like(trace)


def _check_common(name: str, pairing: str, w_min: float, w_max: float) -> None:
    if pairing not in PAIRINGS:
        raise SpikenetError(f"{name}.pairing must be one of {PAIRINGS}; got {pairing!r}")
    require_finite(f"{name}.w_min", w_min)
    require_finite(f"{name}.w_max", w_max)
    if not w_max > w_min:
        raise SpikenetError(f"{name}.w_max must be > w_min = {w_min}; got {w_max}")


@dataclass(frozen=True)
class PairSTDP:
    r"""Pair-based STDP with exponential window.

    Traces :math:`x` (pre, :math:`\tau_+`) and :math:`y` (post, :math:`\tau_-`). At a pre-synaptic
    spike :math:`w \leftarrow w - A_- \, y \, f_-(w)`, then :math:`x \leftarrow x + 1` (all-to-all)
    or :math:`x \leftarrow 1` (nearest); at a post-synaptic spike :math:`w \leftarrow w + A_+ \, x
    \, f_+(w)`, then :math:`y \leftarrow y + 1` (or 1). For one pair with
    :math:`\Delta t = t_{post} - t_{pre}`: :math:`\Delta w = A_+ e^{-\Delta t/\tau_+}` if
    :math:`\Delta t > 0`, :math:`-A_- e^{\Delta t/\tau_-}` if :math:`\Delta t < 0`; a coincident pair
    (same step) counts as pre-before-post, as in Brian2.

    Weight dependence: ``additive`` (:math:`f_\pm = 1`, hard bounds by clipping to
    [w_min, w_max]) or ``multiplicative`` (soft bounds, :math:`f_+ = w_{max} - w`,
    :math:`f_- = w - w_{min}`; van Rossum, Bi & Turrigiano 2000).

    Parameters
    ----------
    a_plus, a_minus : float
        Potentiation and depression amplitudes (weight units; per unit of (w_max - w) when multiplicative), >= 0.
    tau_plus, tau_minus : float
        Time constants of the pre and post traces in ms (> 0). Bi & Poo fit: 16.8 and 33.7 ms.
    w_min, w_max : float
        Weight bounds.
    pairing : ``"all_to_all"`` or ``"nearest"``.
    weight_dependence : ``"additive"`` or ``"multiplicative"``.

    References
    ----------
    Bi & Poo, J. Neurosci. 18:10464 (1998); Song, Miller & Abbott, Nat. Neurosci. 3:919 (2000);
    Morrison, Diesmann & Gerstner, Biol. Cybern. 98:459 (2008) (pairing schemes).
    """

    a_plus: float = 0.01
    a_minus: float = 0.0105
    tau_plus: float = 16.8
    tau_minus: float = 33.7
    w_min: float = 0.0
    w_max: float = 1.0
    pairing: str = "all_to_all"
    weight_dependence: str = "additive"
    pre_traces: dict = field(init=False, repr=False, compare=False)
    post_traces: dict = field(init=False, repr=False, compare=False)
    synapse_traces: dict = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        require_non_negative("PairSTDP.a_plus", self.a_plus)
        require_non_negative("PairSTDP.a_minus", self.a_minus)
        require_positive("PairSTDP.tau_plus (ms)", self.tau_plus)
        require_positive("PairSTDP.tau_minus (ms)", self.tau_minus)
        _check_common("PairSTDP", self.pairing, self.w_min, self.w_max)
        if self.weight_dependence not in WEIGHT_DEPENDENCES:
            raise SpikenetError(f"PairSTDP.weight_dependence must be one of {WEIGHT_DEPENDENCES}; got {self.weight_dependence!r}")
        object.__setattr__(self, "pre_traces", {"x": self.tau_plus})
        object.__setattr__(self, "post_traces", {"y": self.tau_minus})
        object.__setattr__(self, "synapse_traces", {})

    def brian2_synapse(self, target: str, weight_unit: str) -> dict:
        """Brian2 form (per-synapse event-driven traces, which equal the per-neuron traces here)."""
        jump = "+ 1" if self.pairing == "all_to_all" else "* 0 + 1"
        minus = "(w - w_min)" if self.weight_dependence == "multiplicative" else "1"
        plus = "(w_max - w)" if self.weight_dependence == "multiplicative" else "1"
        return {
            "model": f"w : {weight_unit}\ndx/dt = -x / tau_plus : 1 (event-driven)\ndy/dt = -y / tau_minus : 1 (event-driven)",
            "on_pre": f"{target}_post += w\nw = clip(w - a_minus * y * {minus}, w_min, w_max)\nx = x {jump}",
            "on_post": f"w = clip(w + a_plus * x * {plus}, w_min, w_max)\ny = y {jump}",
            "namespace": {"tau_plus": ("ms", self.tau_plus), "tau_minus": ("ms", self.tau_minus),
                          "a_plus": ("weight", self.a_plus), "a_minus": ("weight", self.a_minus),
                          "w_min": ("weight", self.w_min), "w_max": ("weight", self.w_max)},
        }

    def on_pre(self, weight, pre, post, synapse):
        factor = (weight - self.w_min) if self.weight_dependence == "multiplicative" else 1.0
        weight = jnp.clip(weight - self.a_minus * post["y"] * factor, self.w_min, self.w_max)
        return weight, {"x": _jump(pre["x"], self.pairing)}, {}

    def on_post(self, weight, pre, post, synapse):
        factor = (self.w_max - weight) if self.weight_dependence == "multiplicative" else 1.0
        weight = jnp.clip(weight + self.a_plus * pre["x"] * factor, self.w_min, self.w_max)
        return weight, {"y": _jump(post["y"], self.pairing)}, {}


@dataclass(frozen=True)
class TripletSTDP:
    r"""Triplet STDP (Pfister & Gerstner 2006, eqs. 3-4).

    Pre traces :math:`r_1` (:math:`\tau_+`), :math:`r_2` (:math:`\tau_x`); post traces
    :math:`o_1` (:math:`\tau_-`), :math:`o_2` (:math:`\tau_y`). At a pre spike:
    :math:`w \leftarrow w - o_1 [A_2^- + A_3^- r_2(t-\epsilon)]`; at a post spike:
    :math:`w \leftarrow w + r_1 [A_2^+ + A_3^+ o_2(t-\epsilon)]` — the triplet factor uses the
    trace *before* the spike's own increment; then the spiking side's traces jump (+1, or set
    to 1 for nearest-spike). Additive, hard bounds [w_min, w_max].

    Use :meth:`preset` for the published parameter sets.

    References
    ----------
    Pfister & Gerstner, J. Neurosci. 26:9673 (2006), Tables 3-4; Sjöström, Turrigiano & Nelson,
    Neuron 32:1149 (2001).
    """

    a2_plus: float
    a3_plus: float
    a2_minus: float
    a3_minus: float
    tau_x: float
    tau_y: float
    tau_plus: float = 16.8
    tau_minus: float = 33.7
    w_min: float = -1e9
    w_max: float = 1e9
    pairing: str = "all_to_all"
    pre_traces: dict = field(init=False, repr=False, compare=False)
    post_traces: dict = field(init=False, repr=False, compare=False)
    synapse_traces: dict = field(init=False, repr=False, compare=False, default_factory=dict)

    # Pfister & Gerstner (2006), Table 3 (visual cortex, Sjöström 2001 data) and Table 4
    # (hippocampal), tau_+ = 16.8 ms, tau_- = 33.7 ms. For minimal sets without the
    # corresponding triplet term the unused time constant is irrelevant (set to tau_+/tau_-).
    PRESETS = {
        "visual_cortex_all_to_all_minimal": dict(a2_plus=0.0, a3_plus=6.5e-3, a2_minus=7.1e-3, a3_minus=0.0, tau_x=16.8, tau_y=114.0),
        "visual_cortex_all_to_all_full": dict(a2_plus=5e-10, a3_plus=6.2e-3, a2_minus=7e-3, a3_minus=2.3e-4, tau_x=101.0, tau_y=125.0),
        "hippocampal_all_to_all_minimal": dict(a2_plus=5.3e-3, a3_plus=8.0e-3, a2_minus=3.5e-3, a3_minus=0.0, tau_x=16.8, tau_y=40.0),
        "hippocampal_all_to_all_full": dict(a2_plus=6.1e-3, a3_plus=6.7e-3, a2_minus=1.6e-3, a3_minus=1.4e-3, tau_x=946.0, tau_y=27.0),
        "hippocampal_nearest_full": dict(a2_plus=4.6e-3, a3_plus=9.1e-3, a2_minus=3e-3, a3_minus=7.5e-9, tau_x=575.0, tau_y=47.0,
                                         pairing="nearest"),
    }

    @classmethod
    def preset(cls, name: str, **overrides) -> "TripletSTDP":
        """A published parameter set by name (see ``TripletSTDP.PRESETS``)."""
        if name not in cls.PRESETS:
            raise SpikenetError(f"unknown TripletSTDP preset {name!r}; available: {sorted(cls.PRESETS)}")
        return cls(**{**cls.PRESETS[name], **overrides})

    def __post_init__(self) -> None:
        for name in ("a2_plus", "a3_plus", "a2_minus", "a3_minus"):
            require_non_negative(f"TripletSTDP.{name}", getattr(self, name))
        for name in ("tau_x", "tau_y", "tau_plus", "tau_minus"):
            require_positive(f"TripletSTDP.{name} (ms)", getattr(self, name))
        _check_common("TripletSTDP", self.pairing, self.w_min, self.w_max)
        object.__setattr__(self, "pre_traces", {"r1": self.tau_plus, "r2": self.tau_x})
        object.__setattr__(self, "post_traces", {"o1": self.tau_minus, "o2": self.tau_y})
        object.__setattr__(self, "synapse_traces", {})

    def brian2_synapse(self, target: str, weight_unit: str) -> dict:
        """Brian2 form: per-synapse event-driven traces (equal to the per-neuron traces here); the
        weight update of each pathway reads the spiking side's triplet trace before its increment."""
        jump = "+ 1" if self.pairing == "all_to_all" else "* 0 + 1"
        return {
            "model": (f"w : {weight_unit}\n"
                      "dr1/dt = -r1 / tau_plus : 1 (event-driven)\ndr2/dt = -r2 / tau_x : 1 (event-driven)\n"
                      "do1/dt = -o1 / tau_minus : 1 (event-driven)\ndo2/dt = -o2 / tau_y : 1 (event-driven)"),
            "on_pre": (f"{target}_post += w\nw = clip(w - o1 * (a2_minus + a3_minus * r2), w_min, w_max)\n"
                       f"r1 = r1 {jump}\nr2 = r2 {jump}"),
            "on_post": f"w = clip(w + r1 * (a2_plus + a3_plus * o2), w_min, w_max)\no1 = o1 {jump}\no2 = o2 {jump}",
            "namespace": {"tau_plus": ("ms", self.tau_plus), "tau_minus": ("ms", self.tau_minus),
                          "tau_x": ("ms", self.tau_x), "tau_y": ("ms", self.tau_y),
                          "a2_plus": ("weight", self.a2_plus), "a3_plus": ("weight", self.a3_plus),
                          "a2_minus": ("weight", self.a2_minus), "a3_minus": ("weight", self.a3_minus),
                          "w_min": ("weight", self.w_min), "w_max": ("weight", self.w_max)},
        }

    def on_pre(self, weight, pre, post, synapse):
        weight = weight - post["o1"] * (self.a2_minus + self.a3_minus * pre["r2"])
        weight = jnp.clip(weight, self.w_min, self.w_max)
        return weight, {"r1": _jump(pre["r1"], self.pairing), "r2": _jump(pre["r2"], self.pairing)}, {}

    def on_post(self, weight, pre, post, synapse):
        weight = weight + pre["r1"] * (self.a2_plus + self.a3_plus * post["o2"])
        weight = jnp.clip(weight, self.w_min, self.w_max)
        return weight, {"o1": _jump(post["o1"], self.pairing), "o2": _jump(post["o2"], self.pairing)}, {}
