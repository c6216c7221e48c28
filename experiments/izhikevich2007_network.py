"""Izhikevich (2007) Fig. 1 on the event engine: the daspnet.m network learns one rewarded synapse.

The network of daspnet.m (ModelDB 84167; REPRODUCTION_TARGETS 3b(iii)):

* 800 regular-spiking (a = 0.02, d = 8) + 200 fast-spiking (a = 0.1, d = 2) Izhikevich neurons
  (b = 0.2, c = -65 mV), v(0) = -65 mV, u(0) = 0.2 v(0), in one population ``neurons``
  (indices 0-799 excitatory, 800-999 inhibitory), written in this script as
  :class:`DaspnetNeuron`: daspnet's integration (two 0.5-ms half steps for v, then
  u += a (b v - u); v >= 30 mV -> v = c, u += d) with I = 13 (U - 0.5) + the synaptic input of the
  step, U uniform from a counter-based key (the model's seed, a step counter in the state).
* 100 synapses per neuron drawn as daspnet draws them: excitatory neuron -> any of the 1000,
  inhibitory -> any of the 800 excitatory, uniformly with replacement (autapses and repeated
  pairs allowed). s = 1 (excitatory) / -1 (inhibitory) as delta jumps of the next step's input
  I: a delivered spike adds s to the state variable ``I_syn``, which the next update adds to
  the thalamic input and clears (daspnet: I = thalamic + the sum of s of the arriving spikes).
* Conduction delay: daspnet's D = 1 ms is the engine's delay 0. In daspnet a neuron whose v
  crossed 30 mV in the update of iteration t is detected at the start of iteration t + 1, and
  its s is added to the I of that same iteration t + 1, i.e. used by the very next update. The
  engine (``spikenet/engine.py``: update, threshold, delivery, reset in each step) detects the
  crossing in the step of the update itself, delivers a zero-delay spike into ``I_syn`` after
  that update, and the next step's update uses it: the same "next update" -- the input arrives
  one 1-ms update after the crossing in both. Spike times differ only by their label: daspnet
  stamps the detection iteration, the engine the step of the crossing update, one step earlier,
  for every neuron alike (intervals such as t(n2) - t(n1) are the same). The engine refuses
  plastic projections with delays, so the plastic excitatory projection must have delay 0 --
  which is exactly D = 1 here; the static inhibitory one uses delay 0 as well.
* Plasticity on every excitatory synapse (including excitatory -> inhibitory, as daspnet's
  ``s(1:Ne,:)``): :class:`learning_rules.RewardModulatedSTDP` with daspnet's constants
  (:func:`experiments.distal_reward.daspnet_rule`: A+ = 0.1, A- = 0.15 per unit trace, traces
  x0.95 per ms, eligibility x0.99 per 10 ms, dopamine x0.995 per ms, s += (0.002 + DA) c per
  10 ms, s in [0, 4]). Inhibitory synapses are static.
* The rewarded synapse: n1 = neuron 0, its first synapse onto an excitatory neuron n2 != n1
  (daspnet: ``n1 = 1, syn = 1``), starting at s = 0. Every spike of n2 that comes 0 < t - t1 < 20
  ms after the last spike of n1 (daspnet's ``interval = 20``; its ``n2f(end) > n1f(end)`` only
  excludes a spike of n1 in the same ms) schedules DA += 0.5 at t + 1000 + ceil(2000 U) ms. The
  rewards are computed on the host from the spikes of each 1-s run and given to the later runs
  with ``run(..., resume=previous, modulator={"exc": (times, amounts)})``: the loop is closed.

What differs from daspnet.m, and why:

* The rule's eligibility kernel, in daspnet's spike-detection times (Delta = t_post - t_pre):
  daspnet gives +0.1 x 0.95^(Delta-1) for Delta >= 1 and -0.15 x 0.95^(-Delta) for Delta <= 0;
  the engine's rule (pre pathway before post pathway in a step; traces decay at the start of a
  step) gives +0.1 x 0.95^Delta for Delta >= 0 and -0.15 x 0.95^(-Delta) for Delta < 0. So a
  causal pair one step apart earns 0.095 instead of 0.1, and a pre and post spike in the same
  step earn +0.1 instead of -0.15. Traces add (all-to-all pairing) where daspnet sets them to
  0.1 at a spike (the last spike only). ``--pairing daspnet`` runs :class:`DaspnetPairingSTDP`
  instead, which gives daspnet's kernel exactly (same constants; tested against daspnet's
  literal bookkeeping).
* The weight integrates (0.002 + DA) c / 10 ms every 1-ms step instead of jumping every 10 ms.
* Random numbers (connectivity, thalamic noise, reward delays) come from numpy / JAX, not
  MATLAB's generator: the run is a different sample of the same model, so the trajectory of
  s(n1 -> n2) is compared with REPRODUCTION_TARGETS' ranges, not step by step.
* Several rewards due in the same ms add 0.5 once, as daspnet's ``any(rew == t)`` does.

Expected (REPRODUCTION_TARGETS 3b(iii), numpy port of daspnet.m, seed 0, 3600 s): mean rate
1.24-1.35 Hz; s(n1 -> n2) first >= 3.9 at 540 s; 330 rewards by 3600 s; excitatory weights at
3600 s: median 0.43, 3.8 % above 3.8. Check: s(n1 -> n2) >= 3.9 within 1200 s (and >= 3.5 at
3600 s when run that long), median excitatory weight < 0.7, < 10 % of excitatory weights > 3.8,
mean rate in [1.0, 1.7] Hz. With ``--no-reward`` (control): s(n1 -> n2) should not exceed the
90th percentile of the other excitatory weights.

Measured here (seed 0, 3600 s, n2 = 625; one seed per pairing, so times are one sample each):

quantity                          engine pairing     daspnet pairing    reference (numpy, seed 0)
s(n1 -> n2) first >= 3.9          1078 s             1339 s             540 s
s(n1 -> n2) at 3600 s             3.98               3.99               4.0
rewards by 1200 s / 3600 s        48 / 286           36 / 243           (50 by 660 s) / 330
mean rate over the run            1.36 Hz            1.27 Hz            1.24-1.35 Hz
exc. weights at 3600 s:
  mean / median                   1.06 / 0.58        0.84 / 0.40        0.90 / 0.43
  < 0.2 / > 3 / > 3.8             32 / 11 / 5.4 %    38 / 7.8 / 3.9 %   36.6 / 9.2 / 3.8 %
wall time per simulated second    0.26 s             0.21 s

(CPU, 2 shared cores, float64.) The default run passes every check; with daspnet's pairing the
weight distribution and rate land on the reference's, but s(n1 -> n2) first reaches 3.9 at
1339 s, after the 1200-s bound, in this one sample.

Writes ``results/izhikevich2007_network/<timestamp>/`` with ``izhikevich2007_network.json``
(s(n1 -> n2), rewards, rate and weight statistics every 60 s; checks), ``...npz`` (s(n1 -> n2)
and the rate every second, reward times, final weights), ``...png`` and the activity counts.

Usage: ``python -m experiments.izhikevich2007_network [--duration S] [--seed N] [--no-reward]
[--pairing engine|daspnet]``

References
----------
Izhikevich, "Solving the distal reward problem through linkage of STDP and dopamine signaling",
Cereb. Cortex 17:2443-2452 (2007), Fig. 1; daspnet.m, ModelDB 84167.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import spikenet as sn
from experiments.distal_reward import daspnet_rule
from experiments.run_folder import add_results_option, network_builder, record_counts, resolved_config, run_script
from learning_rules import RewardModulatedSTDP
from spikenet.progress import ProgressBar

EXPERIMENT = "izhikevich2007_network"
N_EXCITATORY = 800
N_INHIBITORY = 200
N_NEURONS = N_EXCITATORY + N_INHIBITORY
SYNAPSES_PER_NEURON = 100
DT_MS = 1.0
CHUNK_MS = 1000.0              # rewards come >= 1001 ms after their spike: always in a later run
THALAMIC_AMPLITUDE = 13.0      # I = 13 (U - 0.5) per ms
EXCITATORY_WEIGHT = 1.0
INHIBITORY_WEIGHT = -1.0
W_MAX = 4.0
REWARD_INTERVAL_MS = 20.0      # daspnet's ``interval``
REWARD_AMOUNT = 0.5
REWARD_DELAY_MS = 1000.0       # + 1..2000 ms uniformly
CHECKPOINT_MS = 60_000.0
POPULATION = "neurons"
PLASTIC = "exc"
STATIC = "inh"
FRESH_TAU_MS = 1e-3           # a trace that is 1 in the step of its spike and exactly 0 afterwards
HISTOGRAM_BINS = np.linspace(0.0, W_MAX, 21)   # 20 bins of 0.2 mV, as REPRODUCTION_TARGETS' histogram


@dataclass(frozen=True)
class DaspnetNeuron:
    """daspnet.m's neurons: Izhikevich cells, the first ``n_excitatory`` regular spiking (a = 0.02,
    d = 8), the rest fast spiking (a = 0.1, d = 2), with daspnet's integration and thalamic noise.

    Per step (dt = 1 ms): I = amplitude (U - 0.5) + I_syn (+ any engine drive), U uniform in
    [0, 1) from ``jax.random.fold_in(PRNGKey(seed), counter)``; v += 0.5 (0.04 v^2 + 5 v + 140 - u + I)
    twice; u += a (b v - u) with the new v; I_syn is cleared (it holds the delta inputs delivered
    after the previous update). v >= v_peak -> spike; reset v = c, u += d.
    """

    n_excitatory: int = N_EXCITATORY
    seed: int = 0
    thalamic_amplitude: float = THALAMIC_AMPLITUDE
    a_excitatory: float = 0.02
    a_inhibitory: float = 0.1
    b: float = 0.2
    c: float = -65.0
    d_excitatory: float = 8.0
    d_inhibitory: float = 2.0
    v_peak: float = 30.0
    v_initial: float = -65.0
    integration: str = "euler"

    def state_units(self) -> dict[str, str]:
        return {"v": "mV", "u": "mV/ms", "I_syn": "mV/ms"}

    def initial_state(self, size: int, dt: float) -> dict[str, np.ndarray]:
        if dt != 1.0:
            raise sn.SpikenetError(f"DaspnetNeuron integrates daspnet.m's 1-ms step; dt must be 1 ms, got {dt}")
        return {"v": np.full(size, self.v_initial), "u": np.full(size, self.b * self.v_initial),
                "I_syn": np.zeros(size), "counter": np.zeros(size, np.int32)}

    def _per_class(self, size: int, excitatory: float, inhibitory: float) -> jnp.ndarray:
        return jnp.where(jnp.arange(size) < self.n_excitatory, excitatory, inhibitory)

    def update(self, state: dict, drive: sn.SynapticDrive, dt: float) -> dict:
        v, u = state["v"], state["u"]
        key = jax.random.fold_in(jax.random.PRNGKey(self.seed), state["counter"][0])
        uniform = jax.random.uniform(key, v.shape, v.dtype)
        current = self.thalamic_amplitude * (uniform - 0.5) + state["I_syn"] + drive.current - drive.conductance * v
        v = v + 0.5 * ((0.04 * v + 5.0) * v + 140.0 - u + current)
        v = v + 0.5 * ((0.04 * v + 5.0) * v + 140.0 - u + current)
        u = u + self._per_class(v.shape[0], self.a_excitatory, self.a_inhibitory) * (self.b * v - u)
        return {"v": v, "u": u, "I_syn": jnp.zeros_like(v), "counter": state["counter"] + 1}

    def threshold(self, state: dict, dt: float):
        return state, state["v"] >= self.v_peak

    def reset(self, state: dict, spiked) -> dict:
        d = self._per_class(state["v"].shape[0], self.d_excitatory, self.d_inhibitory)
        return {**state, "v": jnp.where(spiked, self.c, state["v"]), "u": jnp.where(spiked, state["u"] + d, state["u"])}


@dataclass(frozen=True)
class DaspnetPairingSTDP(RewardModulatedSTDP):
    """:class:`RewardModulatedSTDP` with daspnet.m's pairing, for ``--pairing daspnet``.

    daspnet sets a neuron's trace to 0.1 at its spike (x0.95 per ms after), and in its spike
    detection times (Delta = t_post - t_pre) gives the eligibility +0.1 x 0.95^(Delta - 1) for
    Delta >= 1 (a post spike reads the pre trace of the previous ms) and -0.15 x 0.95^(-Delta) for
    Delta <= 0 (a pre spike reads the post trace of the next ms). The engine runs the pre pathway
    of a step before its post pathway, so the shared rule pairs a same-step pre and post spike as
    potentiation and reads the pre trace one step later. Here: traces are set (x = 1, y = 1 at a
    spike, A+ and A- as in :func:`daspnet_rule`), ``x_before`` keeps the pre trace from before a
    spike of this step and ``fresh`` (time constant 1e-3 ms: exactly 0 one step later) marks it,
    so that ``on_post`` potentiates with the earlier spikes only (x e^{dt/tau+}) and turns a same-step
    pair into daspnet's -A- (taking back the -A- y that ``on_pre`` subtracted with the old y).
    """

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "pre_traces", {"x": self.tau_plus, "x_before": self.tau_plus, "fresh": FRESH_TAU_MS})
        object.__setattr__(self, "post_traces", {"y": self.tau_minus})

    def on_pre(self, weight, pre, post, synapse):
        eligibility = synapse["eligibility"] - self.a_minus * post["y"]
        return weight, {"x": jnp.ones_like(pre["x"]), "x_before": pre["x"], "fresh": jnp.ones_like(pre["x"])}, \
            {"eligibility": eligibility}

    def on_post(self, weight, pre, post, synapse):
        fresh = pre["fresh"]
        earlier = fresh * pre["x_before"] + (1.0 - fresh) * pre["x"]
        change = self.a_plus * earlier * math.exp(DT_MS / self.tau_plus) + fresh * self.a_minus * (post["y"] - 1.0)
        return weight, {"y": jnp.ones_like(post["y"])}, {"eligibility": synapse["eligibility"] + change}


def daspnet_pairing_rule() -> DaspnetPairingSTDP:
    """:func:`daspnet_rule`'s constants with daspnet's pairing (see :class:`DaspnetPairingSTDP`)."""
    return DaspnetPairingSTDP(**{f.name: getattr(daspnet_rule(), f.name) for f in dataclasses.fields(RewardModulatedSTDP)
                                 if f.init})


RULES = {"engine": daspnet_rule, "daspnet": daspnet_pairing_rule}


@dataclass(frozen=True)
class Wiring:
    """daspnet's connectivity: ``targets[i]`` are the 100 targets of neuron i (row order = daspnet's
    synapse order); the rewarded synapse is ``(n1, column)`` with target ``n2``."""

    targets: np.ndarray
    n1: int
    column: int
    n2: int

    def excitatory(self) -> tuple[np.ndarray, np.ndarray]:
        pre = np.repeat(np.arange(N_EXCITATORY), SYNAPSES_PER_NEURON)
        return pre, self.targets[:N_EXCITATORY].reshape(-1)

    def inhibitory(self) -> tuple[np.ndarray, np.ndarray]:
        pre = np.repeat(np.arange(N_EXCITATORY, N_NEURONS), SYNAPSES_PER_NEURON)
        return pre, self.targets[N_EXCITATORY:].reshape(-1)

    def rewarded_index(self) -> int:
        """Position of the rewarded synapse in the plastic projection's synapse (CSR) order: the
        stable sort by (pre, post) that :class:`spikenet.FromIndices` applies."""
        pre, post = self.excitatory()
        order = np.lexsort((post, pre))
        return int(np.flatnonzero(order == self.n1 * SYNAPSES_PER_NEURON + self.column)[0])


def daspnet_wiring(seed: int) -> Wiring:
    """``post = ceil([N rand(Ne, M); Ne rand(Ni, M)])`` (0-based here); n1 = 0 and its first synapse
    onto an excitatory neuron other than itself."""
    rng = np.random.default_rng([seed, 84167])
    targets = np.concatenate([rng.integers(0, N_NEURONS, (N_EXCITATORY, SYNAPSES_PER_NEURON)),
                              rng.integers(0, N_EXCITATORY, (N_INHIBITORY, SYNAPSES_PER_NEURON))])
    n1 = 0
    column = int(np.flatnonzero((targets[n1] < N_EXCITATORY) & (targets[n1] != n1))[0])
    return Wiring(targets, n1, column, int(targets[n1, column]))


@network_builder
def network(seed: int = 0, pairing: str = "engine") -> sn.Network:
    """The daspnet network of ``seed`` (for ``spikenet energy`` to rebuild a saved run)."""
    return build_network(seed, RULES[pairing]())[0]


def build_network(seed: int, rule: Any = None) -> tuple[sn.Network, Wiring]:
    """One population of 1000 daspnet neurons, the plastic excitatory projection ``exc`` (s(n1 -> n2)
    = 0, the others 1) and the static inhibitory projection ``inh`` (-1)."""
    wiring = daspnet_wiring(seed)
    net = sn.Network(dt=DT_MS, seed=seed)
    neurons = net.population(POPULATION, N_NEURONS, DaspnetNeuron(seed=seed))
    pre, post = wiring.excitatory()
    weights = np.full(pre.size, EXCITATORY_WEIGHT)
    weights[wiring.n1 * SYNAPSES_PER_NEURON + wiring.column] = 0.0
    net.connect(neurons, neurons, sn.FromIndices(pre, post), synapse=sn.Delta("I_syn"), weight=weights, delay=0.0,
                plasticity=rule if rule is not None else daspnet_rule(), name=PLASTIC)
    pre, post = wiring.inhibitory()
    net.connect(neurons, neurons, sn.FromIndices(pre, post), synapse=sn.Delta("I_syn"), weight=INHIBITORY_WEIGHT,
                delay=0.0, name=STATIC)
    return net, wiring


def contingent_rewards(n1_times: np.ndarray, n2_times: np.ndarray, memory: dict, rng: np.random.Generator) -> np.ndarray:
    """daspnet's reward rule on one run's spikes: every spike of n2 at t with 0 < t - (last spike of
    n1 up to t) < 20 ms schedules a reward at t + 1000 + ceil(2000 U) ms (1..2000 ms, uniformly).
    ``memory["n1"]`` carries the last n1 spike across runs. A spike of n1 in the same ms as n2's
    counts as the last one (daspnet records n1's spike before testing n2's), so it earns nothing."""
    events = sorted([(float(t), 0) for t in n1_times] + [(float(t), 1) for t in n2_times])
    rewards = []
    for time_ms, kind in events:
        if kind == 0:
            memory["n1"] = time_ms
            continue
        since = time_ms - memory.get("n1", -math.inf)
        if 0.0 < since < REWARD_INTERVAL_MS:
            rewards.append(time_ms + REWARD_DELAY_MS + 1.0 + math.floor(2000.0 * rng.random()))
    return np.asarray(rewards, dtype=float)


def weight_stats(weights: np.ndarray) -> dict[str, float]:
    """Mean, median, fraction < 0.2 and > 3.8 of the excitatory weights."""
    weights = np.asarray(weights, dtype=float)
    return {"mean": float(weights.mean()), "median": float(np.median(weights)),
            "fraction_below_0_2": float(np.mean(weights < 0.2)), "fraction_above_3_8": float(np.mean(weights > 3.8)),
            "fraction_above_3": float(np.mean(weights > 3.0))}


def simulate(seed: int = 0, duration_ms: float = 3_600_000.0, reward: bool = True, progress: bool = True,
             pairing: str = "engine", log=print) -> dict[str, Any]:
    """The closed loop, 1 s per run; returns the trajectory, rewards, rates and weight statistics.
    ``pairing``: "engine" (:func:`daspnet_rule`) or "daspnet" (:class:`DaspnetPairingSTDP`)."""
    if not duration_ms >= CHUNK_MS or duration_ms % CHUNK_MS:
        raise ValueError(f"duration_ms must be a positive multiple of {CHUNK_MS:g} ms; got {duration_ms!r}")
    if pairing not in RULES:
        raise ValueError(f"pairing must be one of {sorted(RULES)}; got {pairing!r}")
    net, wiring = build_network(seed, RULES[pairing]())
    compiled = net.compile(precision="float64")
    index = wiring.rewarded_index()
    rng = np.random.default_rng([seed, 2007])
    n_chunks = int(round(duration_ms / CHUNK_MS))
    pending = np.zeros(0)
    memory: dict[str, float] = {}
    state = None
    counts = None
    reward_times: list[float] = []     # scheduled (daspnet's ``rew``)
    delivered: list[float] = []        # distinct ms in which DA += 0.5
    s_per_second = np.zeros(n_chunks + 1)
    spikes_per_second = np.zeros((n_chunks, 2), np.int64)   # excitatory, inhibitory
    checkpoints = []
    first_at_3_9 = None
    compile_seconds = 0.0
    monitor = [sn.SpikeMonitor(POPULATION)]
    started = time.perf_counter()
    bar = ProgressBar(n_chunks, enabled=progress)
    for chunk in range(n_chunks):
        start = chunk * CHUNK_MS
        inside = pending < start + CHUNK_MS
        due, pending = np.unique(pending[inside]), pending[~inside]
        delivered += due.tolist()
        modulator = {PLASTIC: (due, np.full(due.size, REWARD_AMOUNT))} if due.size else None
        result = compiled.run(CHUNK_MS, seed=seed, monitors=monitor, progress=False, resume=state, modulator=modulator)
        state = result
        compile_seconds += result.compile_seconds
        counts = result.counts if counts is None else counts + result.counts
        times, neurons = result.spikes[POPULATION]
        spikes_per_second[chunk] = (np.sum(neurons < N_EXCITATORY), np.sum(neurons >= N_EXCITATORY))
        new = contingent_rewards(times[neurons == wiring.n1], times[neurons == wiring.n2], memory, rng)
        reward_times += new.tolist()
        if reward:
            pending = np.sort(np.concatenate([pending, new[new < duration_ms]]))
        weights = result.weights[PLASTIC]
        s_per_second[chunk + 1] = weights[index]
        end = start + CHUNK_MS
        if first_at_3_9 is None and weights[index] >= 3.9:
            first_at_3_9 = end
        if end % CHECKPOINT_MS == 0 or chunk == n_chunks - 1:
            window = spikes_per_second[max(0, chunk + 1 - int(CHECKPOINT_MS / CHUNK_MS)):chunk + 1]
            checkpoint = {"t_ms": end, "s_n1_n2": float(weights[index]), "rewards": len(reward_times),
                          "rate_hz": float(window.sum() / (N_NEURONS * window.shape[0])),
                          "weights": weight_stats(np.delete(weights, index)),
                          "wall_s": time.perf_counter() - started}
            checkpoints.append(checkpoint)
            log(f"t = {end / 1000:6.0f} s: s(n1->n2) = {checkpoint['s_n1_n2']:.3f}, {checkpoint['rewards']} rewards, "
                f"rate {checkpoint['rate_hz']:.2f} Hz, exc weights mean {checkpoint['weights']['mean']:.3f} "
                f"median {checkpoint['weights']['median']:.3f} >3.8: {100 * checkpoint['weights']['fraction_above_3_8']:.1f} %"
                f" ({checkpoint['wall_s']:.0f} s wall)")
        bar.update(chunk + 1)
    bar.close()
    wall = time.perf_counter() - started
    final = np.asarray(state.weights[PLASTIC], dtype=float)
    others = np.delete(final, index)
    seconds = duration_ms / 1000.0
    return {
        "seed": seed, "reward": reward, "pairing": pairing, "duration_ms": duration_ms,
        "n1": wiring.n1, "n2": wiring.n2, "rewarded_synapse_column": wiring.column, "rewarded_synapse_index": index,
        "s_n1_n2_final": float(final[index]), "first_s_at_3_9_ms": first_at_3_9,
        "rewards_scheduled": len(reward_times), "rewards_delivered": len(delivered),
        "mean_rate_hz": float(spikes_per_second.sum() / (N_NEURONS * seconds)),
        "excitatory_rate_hz": float(spikes_per_second[:, 0].sum() / (N_EXCITATORY * seconds)),
        "inhibitory_rate_hz": float(spikes_per_second[:, 1].sum() / (N_INHIBITORY * seconds)),
        "weights_final": weight_stats(others),
        "weights_histogram_0_2_mV": np.histogram(others, HISTOGRAM_BINS)[0].tolist(),
        "s_n1_n2_percentile_among_others": float(np.mean(others < final[index]) * 100.0),
        "others_90th_percentile": float(np.percentile(others, 90)),
        "checkpoints": checkpoints,
        "wall_seconds": wall, "wall_seconds_per_simulated_second": wall / seconds,
        "compile_seconds": compile_seconds,
        "counts": counts.to_dict(),
        # arrays (the NPZ): not in the JSON
        "_s_per_second": s_per_second, "_spikes_per_second": spikes_per_second, "_final_weights": final,
        "_reward_times": np.asarray(reward_times), "_delivered": np.asarray(delivered),
        "_last_second": (times, neurons),
    }


def check(run: dict[str, Any]) -> dict[str, bool]:
    """REPRODUCTION_TARGETS 3b(iii)'s criteria (the ones the run's duration allows)."""
    weights = run["weights_final"]
    checks = {}
    if run["reward"]:
        if run["duration_ms"] >= 1_200_000.0:
            first = run["first_s_at_3_9_ms"]
            checks["s_n1_n2_reaches_3_9_within_1200_s"] = first is not None and first <= 1_200_000.0
        if run["duration_ms"] >= 3_600_000.0:
            at_3600 = next(c["s_n1_n2"] for c in run["checkpoints"] if c["t_ms"] == 3_600_000.0)
            checks["s_n1_n2_at_least_3_5_at_3600_s"] = at_3600 >= 3.5
    else:
        checks["control_s_n1_n2_not_above_90th_percentile"] = run["s_n1_n2_final"] <= run["others_90th_percentile"]
    checks["median_excitatory_weight_below_0_7"] = weights["median"] < 0.7
    checks["under_10_percent_excitatory_weights_above_3_8"] = weights["fraction_above_3_8"] < 0.10
    checks["mean_rate_in_1_0_to_1_7_hz"] = 1.0 <= run["mean_rate_hz"] <= 1.7
    return checks


def plot(run: dict[str, Any], path: Path) -> None:
    """s(n1 -> n2) against time with the rewards; the final excitatory weights; the last second's raster."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from spikenet.io import save_figure

    figure = plt.figure(figsize=(12, 8))
    grid = figure.add_gridspec(2, 2, height_ratios=(1.0, 1.1))
    raster = figure.add_subplot(grid[0, :])
    times, neurons = run["_last_second"]
    excitatory = neurons < N_EXCITATORY
    offset = run["duration_ms"] - CHUNK_MS
    raster.plot(times[excitatory] - offset, neurons[excitatory], ".", ms=1.5, color="tab:red", label="excitatory")
    raster.plot(times[~excitatory] - offset, neurons[~excitatory], ".", ms=1.5, color="tab:blue", label="inhibitory")
    raster.set(xlabel=f"time after {offset / 1000:.0f} s (ms)", ylabel="neuron", xlim=(0, CHUNK_MS), ylim=(0, N_NEURONS),
               title=f"Izhikevich (2007) Fig. 1 network on spikenet (seed {run['seed']}, {run['pairing']} pairing, "
                     f"{'rewarded' if run['reward'] else 'no reward: control'}): the last second, "
                     f"mean rate over the run {run['mean_rate_hz']:.2f} Hz")
    raster.legend(loc="upper right", fontsize=8, markerscale=5)
    left = figure.add_subplot(grid[1, 0])
    seconds = np.arange(run["_s_per_second"].size)
    left.plot(seconds, run["_s_per_second"], color="tab:red", lw=1.2, label=f"s(n1 -> n2), n1 = {run['n1']}, n2 = {run['n2']}")
    rewards = run["_delivered"]
    if rewards.size:
        left.plot(rewards / 1000.0, np.full(rewards.size, -0.08), "|", color="k", ms=5,
                  label=f"rewards delivered ({rewards.size})")
    left.axhline(3.9, color="grey", ls=":", lw=1, label="3.9 (target: reached within 1200 s)")
    left.axvline(1200, color="grey", ls="--", lw=0.8)
    left.set(xlabel="time (s)", ylabel="synaptic strength (mV)", ylim=(-0.2, 4.2),
             title="The rewarded synapse")
    left.legend(fontsize=8, loc="lower right")
    right = figure.add_subplot(grid[1, 1])
    others = np.delete(run["_final_weights"], run["rewarded_synapse_index"])
    right.hist(others, bins=np.linspace(0.0, W_MAX, 41), color="tab:grey")
    right.axvline(run["s_n1_n2_final"], color="tab:red", lw=2, label=f"s(n1 -> n2) = {run['s_n1_n2_final']:.2f}")
    stats = run["weights_final"]
    right.set(xlabel="synaptic strength (mV)", ylabel="excitatory synapses", yscale="log",
              title=f"Excitatory weights at {run['duration_ms'] / 1000:.0f} s: median {stats['median']:.2f}, "
                    f"{100 * stats['fraction_above_3_8']:.1f} % > 3.8")
    right.legend(fontsize=8)
    figure.tight_layout()
    save_figure(figure, path)
    plt.close(figure)


def run(seed: int = 0, duration_ms: float = 3_600_000.0, reward: bool = True, out: Path | None = None,
        progress: bool = True, pairing: str = "engine", log=print) -> dict[str, Any]:
    """Simulate, check, and write the JSON, NPZ, PNG and activity counts into ``out``."""
    result = simulate(seed, duration_ms, reward, progress, pairing, log=log)
    result["checks"] = check(result)
    result["reference"] = ("REPRODUCTION_TARGETS 3b(iii) (numpy port of daspnet.m); Izhikevich, Cereb. Cortex "
                           "17:2443 (2007), Fig. 1")
    first = result["first_s_at_3_9_ms"]
    log(f"s(n1->n2) = {result['s_n1_n2_final']:.3f} (>= 3.9 first at {'never' if first is None else f'{first / 1000:.0f} s'}), "
        f"{result['rewards_scheduled']} rewards, mean rate {result['mean_rate_hz']:.3f} Hz "
        f"(exc {result['excitatory_rate_hz']:.3f}, inh {result['inhibitory_rate_hz']:.3f}); "
        f"{result['wall_seconds_per_simulated_second']:.3f} s wall per simulated s")
    if out is not None:
        from spikenet.io import write_json, write_npz

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        write_json(out / f"{EXPERIMENT}.json", {"experiment": EXPERIMENT,
                                                **{k: v for k, v in result.items() if not k.startswith("_")}})
        times, neurons = result["_last_second"]
        write_npz(out / f"{EXPERIMENT}.npz", s_n1_n2_per_second=result["_s_per_second"],
                  spikes_per_second_exc_inh=result["_spikes_per_second"], final_excitatory_weights=result["_final_weights"],
                  rewarded_synapse_index=np.asarray(result["rewarded_synapse_index"]),
                  reward_times_scheduled_ms=result["_reward_times"], reward_times_delivered_ms=result["_delivered"],
                  last_second_spike_times_ms=times, last_second_spike_neurons=neurons)
        record_counts(out, sn.ActivityCounts.from_dict(result["counts"]), builder=network,
                      kwargs={"seed": seed, "pairing": pairing})
        plot(result, out / f"{EXPERIMENT}.png")
    return result


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=3600.0, help="simulated time in s, whole seconds (default 3600)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the connectivity, thalamic noise and reward delays")
    parser.add_argument("--no-reward", action="store_true", help="control: rewards are computed but never delivered")
    parser.add_argument("--pairing", choices=sorted(RULES), default="engine",
                        help="engine: learning_rules.RewardModulatedSTDP with daspnet's constants (default); daspnet: "
                             "that rule with daspnet's exact pairing (set traces, same-ms pairs depress)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_results_option(parser)
    args = parser.parse_args(argv)
    if not args.duration >= 1.0 or args.duration != int(args.duration):
        parser.error(f"--duration must be a positive whole number of seconds; got {args.duration}")
    config = resolved_config(args, dt_ms=DT_MS, chunk_ms=CHUNK_MS, n_excitatory=N_EXCITATORY,
                             n_inhibitory=N_INHIBITORY, synapses_per_neuron=SYNAPSES_PER_NEURON)

    def body(folder) -> None:
        result = run(args.seed, args.duration * 1000.0, not args.no_reward, folder.path, progress=not args.no_progress,
                     pairing=args.pairing)
        print("checks:", ", ".join(f"{k}: {'pass' if v else 'FAIL'}" for k, v in result["checks"].items()))

    return run_script(EXPERIMENT, args.results, config, {"network_noise_rewards": args.seed}, body)


if __name__ == "__main__":
    raise SystemExit(main())
