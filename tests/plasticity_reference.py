"""A clock-driven numpy reference of a plastic spiking network, written independently of the engine.

What it is
----------
A float64 simulation, one step of ``dt`` at a time, of a small network made of

* explicit spike sources (neuron indices and the *step* of each spike),
* one population ``cells`` of leaky integrate-and-fire neurons (optionally with the homeostatic
  adaptive threshold of Diehl & Cook), with a constant injected current,
* projections onto ``cells`` (from a source or from ``cells`` itself) with an explicit synapse list
  ``pre[k] -> post[k]``, a weight per synapse, a delay in steps, exponential current or conductance
  synapses or delta synapses onto ``v``, and at most one plasticity rule each (delay 0).

It follows the schedule documented in the module docstrings of ``spikenet/engine.py`` and
``spikenet/plasticity.py`` (Brian2's default ``groups, thresholds, synapses, resets``):

0. the rule's neuron and synapse traces decay by exactly ``exp(-dt / tau)``; the modulator decays by
   ``exp(-dt / modulator_tau)`` and jumps by this step's events;
1. groups: every LIF neuron integrates one step from the channels at the start of the step (exactly
   for ``exponential_euler``, forward Euler for ``euler``), unless refractory; the channels decay;
2. thresholds: ``v > v_threshold (+ theta)`` outside the refractory period; sources emit;
3. synapses: every spike is delivered with the weight from *before* the step's updates (zero delay:
   into the channel this step; delay d: in the step d later), then the rule's pre-synaptic update
   for every pre-synaptic spike, then its post-synaptic update for every post-synaptic spike (which
   so sees this step's pre-synaptic trace increments), then the per-step update of neuromodulated
   rules; delta increments of ``v`` are ignored by refractory neurons;
4. resets.

The plasticity rules are re-implemented here in numpy from the equations in their docstrings
(:class:`learning_rules.PairSTDP`, :class:`~learning_rules.TripletSTDP`,
:class:`~learning_rules.RewardModulatedSTDP`, :class:`~learning_rules.diehl_cook.DiehlCookSTDP`,
:class:`~learning_rules.SpikingBCM`, :class:`~learning_rules.SpikingOja`), reading only their
parameters; the LIF neuron from the equations of :class:`neurons.LIF` and the adaptive threshold
from :class:`learning_rules.AdaptiveThreshold`'s docstring. :func:`simulate_eprop` does the same for
e-prop on the engine (``learning_rules.eprop.EpropNeuron`` + ``EpropRule``, from their docstrings).

It shares no code with the engine: nothing here imports ``spikenet.engine``,
``spikenet.propagation``, ``spikenet.plasticity`` or ``spikenet.network``, nor calls a rule's or a
neuron model's JAX methods. The network is given as plain numpy data (:class:`Spec`); the tests
build the spikenet network from the same data. Traces and the adaptive threshold decay by one
multiplication per step (the engine decays some of them in closed form over several steps), so the
two agree to rounding (relative ~1e-13 over thousands of steps), not bit for bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np


# -- the network, as plain data ------------------------------------------------------------------

@dataclass
class Source:
    """Explicit spike trains: neuron ``indices[k]`` spikes in step ``steps[k]``."""

    name: str
    size: int
    steps: np.ndarray
    indices: np.ndarray


@dataclass
class Cells:
    """The LIF population ``cells`` (parameters as :class:`neurons.LIF`; ms, mV, pF, pA)."""

    size: int
    tau_m: float = 20.0
    v_rest: float = -65.0
    v_threshold: float = -55.0
    v_reset: float = -70.0
    refractory: float = 2.0
    capacitance: float = 200.0
    integration: str = "exponential_euler"
    current: Any = 0.0                    # constant injected current (pA), scalar or (size,)
    v0: Any = None                        # initial v (mV); default v_rest
    adaptive: tuple | None = None         # (theta_plus mV, tau_theta ms) for the adaptive threshold


@dataclass
class Projection:
    """``pre[k] -> post[k]`` onto ``cells``; ``synapse`` is ``"current"`` (pA, tau), ``"conductance"``
    (nS, tau, e_rev) or ``"delta"`` (mV onto v); ``rule`` a reference rule of this module or None."""

    name: str
    pre_population: str
    pre: np.ndarray
    post: np.ndarray
    weights: np.ndarray
    synapse: str
    tau: float = 0.0
    e_rev: float = 0.0
    delay_steps: int = 0
    rule: Any = None


@dataclass
class Spec:
    dt: float
    n_steps: int
    cells: Cells
    sources: list
    projections: list
    modulator_events: dict = field(default_factory=dict)  # projection name -> (steps, amounts), host-driven


@dataclass
class Outcome:
    spike_steps: np.ndarray     # spikes of ``cells``, sorted by (step, neuron)
    spike_neurons: np.ndarray
    weights: dict               # projection name -> final weights (the spec's synapse order)
    traces: dict                # projection name -> {"pre": ..., "post": ..., "synapse": ...} at the end
    modulator: dict             # projection name -> modulator at the end


# -- the plasticity rules, from their documented equations ---------------------------------------
#
# Each rule declares its traces (name -> tau ms) and four pure numpy functions on per-synapse
# arrays (only the synapses concerned are passed) and on the spiking neurons' trace values:
#   pre_weights(w, pre, post, syn) -> (w, syn)    at a pre spike, traces before its own increment
#   pre_jump(pre) -> pre                          the pre-synaptic neuron's traces after its spike
#   post_weights(w, pre, post, syn) -> (w, syn)   at a post spike (pre traces include this step's)
#   post_jump(post) -> post
#   every_step(w, syn, modulator, dt) -> (w, syn) (neuromodulated rules only; None otherwise)


def _jumped(value: np.ndarray, nearest: bool) -> np.ndarray:
    """+1 per spike (all-to-all pairing) or set to 1 (nearest-spike pairing)."""
    return np.ones_like(value) if nearest else value + 1.0


class PairSTDPReference:
    """Pair STDP: pre spike ``w -= A- y f-(w)``, ``x += 1``; post spike ``w += A+ x f+(w)``, ``y += 1``;
    clip to [w_min, w_max]; multiplicative: f+ = w_max - w, f- = w - w_min; nearest: traces set to 1."""

    every_step = None

    def __init__(self, a_plus, a_minus, tau_plus, tau_minus, w_min, w_max, pairing, weight_dependence):
        self.a_plus, self.a_minus, self.w_min, self.w_max = a_plus, a_minus, w_min, w_max
        self.nearest = pairing == "nearest"
        self.multiplicative = weight_dependence == "multiplicative"
        self.pre_taus, self.post_taus, self.synapse_taus = {"x": tau_plus}, {"y": tau_minus}, {}

    def pre_weights(self, w, pre, post, syn):
        f = (w - self.w_min) if self.multiplicative else 1.0
        return np.clip(w - self.a_minus * post["y"] * f, self.w_min, self.w_max), syn

    def pre_jump(self, pre):
        return {"x": _jumped(pre["x"], self.nearest)}

    def post_weights(self, w, pre, post, syn):
        f = (self.w_max - w) if self.multiplicative else 1.0
        return np.clip(w + self.a_plus * pre["x"] * f, self.w_min, self.w_max), syn

    def post_jump(self, post):
        return {"y": _jumped(post["y"], self.nearest)}


class TripletSTDPReference:
    """Pfister & Gerstner triplet STDP: pre spike ``w -= o1 (A2- + A3- r2(t-))``; post spike
    ``w += r1 (A2+ + A3+ o2(t-))``, triplet factor before the spike's own increment; hard bounds."""

    every_step = None

    def __init__(self, a2_plus, a3_plus, a2_minus, a3_minus, tau_x, tau_y, tau_plus, tau_minus, w_min, w_max, pairing):
        self.a2p, self.a3p, self.a2m, self.a3m = a2_plus, a3_plus, a2_minus, a3_minus
        self.w_min, self.w_max, self.nearest = w_min, w_max, pairing == "nearest"
        self.pre_taus = {"r1": tau_plus, "r2": tau_x}
        self.post_taus = {"o1": tau_minus, "o2": tau_y}
        self.synapse_taus = {}

    def pre_weights(self, w, pre, post, syn):
        return np.clip(w - post["o1"] * (self.a2m + self.a3m * pre["r2"]), self.w_min, self.w_max), syn

    def pre_jump(self, pre):
        return {k: _jumped(v, self.nearest) for k, v in pre.items()}

    def post_weights(self, w, pre, post, syn):
        return np.clip(w + pre["r1"] * (self.a2p + self.a3p * post["o2"]), self.w_min, self.w_max), syn

    def post_jump(self, post):
        return {k: _jumped(v, self.nearest) for k, v in post.items()}


class RewardModulatedSTDPReference:
    """Izhikevich (2007): pre spike ``c -= A- y``, ``x += 1``; post spike ``c += A+ x``, ``y += 1``;
    every step ``w = clip(w + dt/tau_s (d + d0) c)``; c decays with tau_c, d with tau_d and jumps by
    the reward amounts at the reward times (and by host-driven events)."""

    def __init__(self, a_plus, a_minus, tau_plus, tau_minus, tau_eligibility, modulator_tau, tau_s, baseline_modulator,
                 reward_times, reward_amounts, w_min, w_max):
        self.a_plus, self.a_minus, self.tau_s, self.d0 = a_plus, a_minus, tau_s, baseline_modulator
        self.w_min, self.w_max, self.modulator_tau = w_min, w_max, modulator_tau
        self.reward_times, self.reward_amounts = np.asarray(reward_times, float), np.asarray(reward_amounts, float)
        self.pre_taus, self.post_taus, self.synapse_taus = {"x": tau_plus}, {"y": tau_minus}, {"c": tau_eligibility}

    def pre_weights(self, w, pre, post, syn):
        return w, {"c": syn["c"] - self.a_minus * post["y"]}

    def pre_jump(self, pre):
        return {"x": pre["x"] + 1.0}

    def post_weights(self, w, pre, post, syn):
        return w, {"c": syn["c"] + self.a_plus * pre["x"]}

    def post_jump(self, post):
        return {"y": post["y"] + 1.0}

    def every_step(self, w, syn, modulator, dt):
        return np.clip(w + dt / self.tau_s * (modulator + self.d0) * syn["c"], self.w_min, self.w_max), syn


class DiehlCookReference:
    """Diehl & Cook (2015) code's rule: pre spike ``w -= eta_pre x_post1``, ``x_pre = 1``; post spike
    ``w += eta_post x_pre x_post2(t-)``, ``x_post1 = x_post2 = 1``; w in [0, w_max]."""

    every_step = None

    def __init__(self, eta_pre, eta_post, tau_pre, tau_post1, tau_post2, w_max):
        self.eta_pre, self.eta_post, self.w_max = eta_pre, eta_post, w_max
        self.pre_taus, self.post_taus = {"x_pre": tau_pre}, {"x_post1": tau_post1, "x_post2": tau_post2}
        self.synapse_taus = {}

    def pre_weights(self, w, pre, post, syn):
        return np.clip(w - self.eta_pre * post["x_post1"], 0.0, self.w_max), syn

    def pre_jump(self, pre):
        return {"x_pre": np.ones_like(pre["x_pre"])}

    def post_weights(self, w, pre, post, syn):
        return np.clip(w + self.eta_post * pre["x_pre"] * post["x_post2"], 0.0, self.w_max), syn

    def post_jump(self, post):
        return {k: np.ones_like(v) for k, v in post.items()}


class SpikingBCMReference:
    """Spiking BCM: post traces fast (tau_rate) and slow (tau_average), +1 per post spike; at a pre
    spike ``w += eta rho (rho - theta)``, ``rho = 1000 fast / tau_rate`` Hz,
    ``theta = (1000 slow / tau_average)^2 / rho0``; clip to [w_min, w_max]."""

    every_step = None

    def __init__(self, learning_rate, tau_rate, tau_average, target_rate, w_min, w_max):
        self.eta, self.tau_rate, self.tau_average, self.rho0 = learning_rate, tau_rate, tau_average, target_rate
        self.w_min, self.w_max = w_min, w_max
        self.pre_taus, self.post_taus, self.synapse_taus = {}, {"fast": tau_rate, "slow": tau_average}, {}

    def pre_weights(self, w, pre, post, syn):
        rho = 1000.0 * post["fast"] / self.tau_rate
        theta = (1000.0 * post["slow"] / self.tau_average) ** 2 / self.rho0
        return np.clip(w + self.eta * rho * (rho - theta), self.w_min, self.w_max), syn

    def pre_jump(self, pre):
        return pre

    def post_weights(self, w, pre, post, syn):
        return w, syn

    def post_jump(self, post):
        return {k: v + 1.0 for k, v in post.items()}


class SpikingOjaReference:
    """Spiking Oja: pre trace a (+1, tau_pre), post trace b (+1, tau_post); at a post spike
    ``w += eta (1000 a / tau_pre - (1000 b(t-) / tau_post) w)``; no bounds."""

    every_step = None

    def __init__(self, learning_rate, tau_pre, tau_post):
        self.eta, self.tau_pre, self.tau_post = learning_rate, tau_pre, tau_post
        self.pre_taus, self.post_taus, self.synapse_taus = {"a": tau_pre}, {"b": tau_post}, {}

    def pre_weights(self, w, pre, post, syn):
        return w, syn

    def pre_jump(self, pre):
        return {"a": pre["a"] + 1.0}

    def post_weights(self, w, pre, post, syn):
        x = 1000.0 * pre["a"] / self.tau_pre
        y = 1000.0 * post["b"] / self.tau_post
        return w + self.eta * (x - y * w), syn

    def post_jump(self, post):
        return {"b": post["b"] + 1.0}


def reference_rule(rule: Any) -> Any:
    """The numpy reference of a shipped engine rule, built from the rule's *parameters* only."""
    kind = type(rule).__name__
    p = rule.__dict__
    if kind == "PairSTDP":
        return PairSTDPReference(p["a_plus"], p["a_minus"], p["tau_plus"], p["tau_minus"], p["w_min"], p["w_max"],
                                 p["pairing"], p["weight_dependence"])
    if kind == "TripletSTDP":
        return TripletSTDPReference(p["a2_plus"], p["a3_plus"], p["a2_minus"], p["a3_minus"], p["tau_x"], p["tau_y"],
                                    p["tau_plus"], p["tau_minus"], p["w_min"], p["w_max"], p["pairing"])
    if kind == "RewardModulatedSTDP":
        return RewardModulatedSTDPReference(p["a_plus"], p["a_minus"], p["tau_plus"], p["tau_minus"], p["tau_eligibility"],
                                            p["modulator_tau"], p["tau_s"], p["baseline_modulator"], p["reward_times"],
                                            p["reward_amounts"], p["w_min"], p["w_max"])
    if kind == "DiehlCookSTDP":
        return DiehlCookReference(p["eta_pre"], p["eta_post"], p["tau_pre"], p["tau_post1"], p["tau_post2"], p["w_max"])
    if kind == "SpikingBCM":
        return SpikingBCMReference(p["learning_rate"], p["tau_rate"], p["tau_average"], p["target_rate"], p["w_min"], p["w_max"])
    if kind == "SpikingOja":
        return SpikingOjaReference(p["learning_rate"], p["tau_pre"], p["tau_post"])
    raise ValueError(f"no numpy reference for {kind}")


# -- the simulation --------------------------------------------------------------------------------

def _refractory_steps(refractory_ms: float, dt: float) -> int:
    """Steps a neuron stays refractory after a spike: Brian2 counts whole steps, floor(ref/dt)
    (with a 1e-3-step tolerance for ref a multiple of dt in floating point)."""
    return int(math.floor(refractory_ms / dt + 1e-3))


def simulate(spec: Spec) -> Outcome:
    """Run ``spec`` step by step in float64 (see the module docstring for the schedule)."""
    dt, cells, n = spec.dt, spec.cells, spec.cells.size
    g_leak = cells.capacitance / cells.tau_m
    euler = cells.integration == "euler"
    refractory = _refractory_steps(cells.refractory, dt)
    current = np.broadcast_to(np.asarray(cells.current, float), (n,)).copy()
    v = np.full(n, cells.v_rest) if cells.v0 is None else np.asarray(cells.v0, float).copy()
    last_spike = np.full(n, -10**9, np.int64)
    theta = np.zeros(n)
    theta_plus, theta_decay = (cells.adaptive[0], math.exp(-dt / cells.adaptive[1])) if cells.adaptive else (0.0, 1.0)

    # Spike rasters of the sources (steps x neurons).
    rasters = {}
    for source in spec.sources:
        raster = np.zeros((spec.n_steps, source.size), bool)
        inside = np.asarray(source.steps) < spec.n_steps
        raster[np.asarray(source.steps)[inside], np.asarray(source.indices)[inside]] = True
        rasters[source.name] = raster

    # One channel per distinct synapse model (projections with equal models share it, like Brian2's ge).
    channel_of = {}
    channels = {}
    for p in spec.projections:
        if p.synapse != "delta":
            key = (p.synapse, float(p.tau), float(p.e_rev) if p.synapse == "conductance" else None)
            channel_of[p.name] = key
            channels.setdefault(key, np.zeros(n))
    decay = {key: (1.0 - dt / key[1]) if euler else math.exp(-dt / key[1]) for key in channels}
    max_delay = max((p.delay_steps for p in spec.projections), default=0)
    # pending[s % slots][target] = what arrives in step s: target is a channel key or "delta".
    slots = max_delay + 1
    pending = [dict() for _ in range(slots)]

    weights = {p.name: np.asarray(p.weights, float).copy() for p in spec.projections}
    plastic = [p for p in spec.projections if p.rule is not None]
    sizes = {s.name: s.size for s in spec.sources}
    sizes["cells"] = n
    traces = {}
    modulator = {}
    jumps = {}
    for p in plastic:
        rule = p.rule
        traces[p.name] = {"pre": {k: np.zeros(sizes[p.pre_population]) for k in rule.pre_taus},
                          "post": {k: np.zeros(n) for k in rule.post_taus},
                          "synapse": {k: np.zeros(len(p.pre)) for k in rule.synapse_taus}}
        modulator[p.name] = 0.0
        jump = np.zeros(spec.n_steps)
        if rule.every_step is not None:
            steps = np.round(rule.reward_times / dt).astype(np.int64)
            for s, a in zip(steps, rule.reward_amounts):
                if s < spec.n_steps:
                    jump[s] += a
            if p.name in spec.modulator_events:
                for s, a in zip(*spec.modulator_events[p.name]):
                    jump[int(s)] += a
        jumps[p.name] = jump

    spike_steps, spike_neurons = [], []
    for t in range(spec.n_steps):
        # 0. traces and modulators decay exactly over the step; modulators take this step's jumps.
        for p in plastic:
            rule, tr = p.rule, traces[p.name]
            for kind, taus in (("pre", rule.pre_taus), ("post", rule.post_taus), ("synapse", rule.synapse_taus)):
                for k, tau in taus.items():
                    tr[kind][k] = tr[kind][k] * math.exp(-dt / tau)
            if rule.every_step is not None:
                modulator[p.name] = modulator[p.name] * math.exp(-dt / rule.modulator_tau) + jumps[p.name][t]

        # 1. groups: the membrane integrates with the channels at the start of the step.
        active = (t - last_spike) >= refractory
        total_current = current.copy()
        total_conductance = np.zeros(n)
        for key, g in channels.items():
            if key[0] == "conductance":
                total_conductance += g
                total_current += g * key[2]
            else:
                total_current += g
        if euler:
            v_new = v + dt / cells.capacitance * (g_leak * (cells.v_rest - v) + total_current - total_conductance * v)
        else:
            g_total = g_leak + total_conductance
            v_inf = (g_leak * cells.v_rest + total_current) / g_total
            v_new = v_inf + (v - v_inf) * np.exp(-dt * g_total / cells.capacitance)
        v = np.where(active, v_new, v)
        for key in channels:
            channels[key] = channels[key] * decay[key]

        # 2. thresholds.
        theta = theta * theta_decay
        spiked = {"cells": active & (v > cells.v_threshold + theta)}
        theta = np.where(spiked["cells"], theta + theta_plus, theta)
        last_spike = np.where(spiked["cells"], t, last_spike)
        for name, raster in rasters.items():
            spiked[name] = raster[t]
        spike_steps.extend([t] * int(spiked["cells"].sum()))
        spike_neurons.extend(np.flatnonzero(spiked["cells"]).tolist())

        # 3. synapses: deliveries with the weights from before this step's updates ...
        for p in spec.projections:
            fired = spiked[p.pre_population][p.pre]
            if not fired.any():
                continue
            arriving = pending[(t + p.delay_steps) % slots]
            target = channel_of.get(p.name, "delta")
            buffer = arriving.setdefault(target, np.zeros(n))
            np.add.at(buffer, p.post[fired], weights[p.name][fired])
        arrived = pending[t % slots]
        pending[t % slots] = {}
        for key, values in arrived.items():
            if key != "delta":
                channels[key] = channels[key] + values
        # ... then the pre-synaptic pathway of every plastic projection ...
        for p in plastic:
            rule, tr, w = p.rule, traces[p.name], weights[p.name]
            pre_spiked = spiked[p.pre_population]
            hit = pre_spiked[p.pre]
            if hit.any():
                pre = {k: v_[p.pre[hit]] for k, v_ in tr["pre"].items()}
                post = {k: v_[p.post[hit]] for k, v_ in tr["post"].items()}
                syn = {k: v_[hit] for k, v_ in tr["synapse"].items()}
                w[hit], syn = rule.pre_weights(w[hit], pre, post, syn)
                for k, values in syn.items():
                    tr["synapse"][k][hit] = values
            if pre_spiked.any() and tr["pre"]:
                new = rule.pre_jump({k: v_[pre_spiked] for k, v_ in tr["pre"].items()})
                for k, values in new.items():
                    tr["pre"][k][pre_spiked] = values
        # ... then the post-synaptic pathway (after every pre-synaptic update of the step), then on_step.
        for p in plastic:
            rule, tr, w = p.rule, traces[p.name], weights[p.name]
            post_spiked = spiked["cells"]
            hit = post_spiked[p.post]
            if hit.any():
                pre = {k: v_[p.pre[hit]] for k, v_ in tr["pre"].items()}
                post = {k: v_[p.post[hit]] for k, v_ in tr["post"].items()}
                syn = {k: v_[hit] for k, v_ in tr["synapse"].items()}
                w[hit], syn = rule.post_weights(w[hit], pre, post, syn)
                for k, values in syn.items():
                    tr["synapse"][k][hit] = values
            if post_spiked.any() and tr["post"]:
                new = rule.post_jump({k: v_[post_spiked] for k, v_ in tr["post"].items()})
                for k, values in new.items():
                    tr["post"][k][post_spiked] = values
            if rule.every_step is not None:
                weights[p.name], tr["synapse"] = rule.every_step(w, dict(tr["synapse"]), modulator[p.name], dt)
        # Delta synapses onto v: ignored by refractory neurons (also in their spike step).
        if "delta" in arrived:
            refractory_now = (t - last_spike) < refractory
            v = v + np.where(refractory_now, 0.0, arrived["delta"])

        # 4. resets.
        v = np.where(spiked["cells"], cells.v_reset, v)

    return Outcome(np.asarray(spike_steps, np.int64), np.asarray(spike_neurons, np.int64), weights, traces, modulator)


# -- e-prop on the engine (EpropNeuron + EpropRule) ------------------------------------------------

@dataclass
class EpropSpec:
    """An e-prop network as the engine runs it: a spike source ``inputs`` (n_in) and a population
    ``recurrent`` (n_rec) of e-prop LIF/ALIF neurons, Delta("input") projections (``(name, pre
    population, pre, post, weights)``, zero delay) all carrying the e-prop rule; per-post-neuron
    readout weights (n_out, n_rec) and feedback (n_rec, n_out); target (T, n_out) by engine step."""

    dt: float
    n_steps: int
    tau_m: float
    tau_out: float
    tau_a: float
    v_th: float
    gamma: float
    beta: np.ndarray
    reset_gradient: bool
    n_in: int
    n_rec: int
    input_steps: np.ndarray
    input_indices: np.ndarray
    projections: list
    readout: np.ndarray
    feedback: np.ndarray
    target: np.ndarray


def simulate_eprop(spec: EpropSpec) -> dict:
    """Step-by-step float64 reference of e-prop on the engine, from the equations in the docstrings of
    ``learning_rules.eprop.EpropNeuron`` / ``EpropRule`` and the engine's schedule (pre trace read
    as it stood at the end of the previous step; v, a after this step's threshold; readout of this
    step's filtered spikes). Returns the recurrent spikes (steps, neurons) and, per projection, the
    accumulated ``gradient`` and ``eligibility_sum`` (synapse order) and the final weights."""
    dt, n_rec = spec.dt, spec.n_rec
    alpha, rho, kappa = math.exp(-dt / spec.tau_m), math.exp(-dt / spec.tau_a), math.exp(-dt / spec.tau_out)
    beta = np.broadcast_to(np.asarray(spec.beta, float), (n_rec,))
    adaptive = bool(np.any(beta > 0))
    keep_previous = adaptive or spec.reset_gradient
    raster = np.zeros((spec.n_steps, spec.n_in), bool)
    raster[spec.input_steps, spec.input_indices] = True
    v, a, z, drive = np.zeros(n_rec), np.zeros(n_rec), np.zeros(n_rec), np.zeros(n_rec)
    state = {}
    for name, pre_population, pre, post, weights in spec.projections:
        size = spec.n_in if pre_population == "inputs" else n_rec
        zeros = np.zeros(len(pre))
        state[name] = {"filtered": np.zeros(size), "readout_filtered": np.zeros(n_rec), "reset": zeros.copy(),
                       "adaptation": zeros.copy(), "previous": zeros.copy(), "filtered_eligibility": zeros.copy(),
                       "gradient": zeros.copy(), "eligibility_sum": zeros.copy()}
    spike_steps, spike_neurons = [], []
    for t in range(spec.n_steps):
        # Trace decays at the start of the step (the pre trace before it is what reached v this step).
        previous_filtered = {}
        for name, *_ in spec.projections:
            s = state[name]
            previous_filtered[name] = s["filtered"]
            s["filtered"] = s["filtered"] * alpha
            s["readout_filtered"] = s["readout_filtered"] * kappa
            s["filtered_eligibility"] = s["filtered_eligibility"] * kappa
            s["reset"] = s["reset"] * alpha
            s["adaptation"] = s["adaptation"] * rho
        # groups: reset by subtraction and adaptation from the previous step's spike; input consumed.
        v = alpha * v + (1 - alpha) * drive - spec.v_th * z
        a = rho * a + z
        drive = np.zeros(n_rec)
        # thresholds
        spiked = (v - spec.v_th - beta * a) / spec.v_th > 0
        z = spiked.astype(float)
        spike_steps.extend([t] * int(spiked.sum()))
        spike_neurons.extend(np.flatnonzero(spiked).tolist())
        fired = {"inputs": raster[t], "recurrent": spiked}
        # synapses: deliveries into "input" (read by the next update), then the rule.
        for name, pre_population, pre, post, weights in spec.projections:
            hit = fired[pre_population][pre]
            np.add.at(drive, post[hit], weights[hit])
        psi = spec.gamma / spec.v_th * np.maximum(0.0, 1.0 - np.abs((v - spec.v_th - beta * a) / spec.v_th))
        for name, pre_population, pre, post, weights in spec.projections:
            s = state[name]
            s["filtered"] = s["filtered"] + (1 - alpha) * fired[pre_population]
            s["readout_filtered"] = s["readout_filtered"] + (1 - kappa) * z
            if 0 <= t < spec.target.shape[0]:
                error = spec.readout @ s["readout_filtered"] - spec.target[t]
            else:
                error = np.zeros(spec.target.shape[1])
            learning_signal = spec.feedback @ error
            epsilon_v = previous_filtered[name][pre]
            if spec.reset_gradient:
                s["reset"] = s["reset"] - spec.v_th * s["previous"]
                epsilon_v = epsilon_v + s["reset"]
            if adaptive:
                s["adaptation"] = s["adaptation"] + s["previous"]
                eligibility = psi[post] * (epsilon_v - beta[post] * s["adaptation"])
            else:
                eligibility = psi[post] * epsilon_v
            if keep_previous:
                s["previous"] = eligibility
            s["filtered_eligibility"] = s["filtered_eligibility"] + (1 - kappa) * eligibility
            s["gradient"] = s["gradient"] + learning_signal[post] * s["filtered_eligibility"]
            s["eligibility_sum"] = s["eligibility_sum"] + eligibility
        # resets: none (the reset by subtraction is in the next update).
    return {"spike_steps": np.asarray(spike_steps, np.int64), "spike_neurons": np.asarray(spike_neurons, np.int64),
            "gradient": {name: state[name]["gradient"] for name, *_ in spec.projections},
            "eligibility_sum": {name: state[name]["eligibility_sum"] for name, *_ in spec.projections},
            "weights": {name: np.asarray(w, float) for name, _, _, _, w in spec.projections}}
