"""Plasticity on the engine against an independent numpy reference (``tests/plasticity_reference.py``).

The engine's dense path calls the same pre/post learning functions as its event path, so
"event = dense" does not test the rules themselves. Here the reference is a clock-driven float64
numpy simulation written from the documented schedule (``spikenet/engine.py``,
``spikenet/plasticity.py``) and from the rules' documented equations; it shares no code with the
engine (it imports neither ``spikenet.engine`` nor ``spikenet.propagation`` nor
``spikenet.plasticity`` and never calls a rule's JAX methods — it reads only the rules' parameters).

For every shipped engine rule — PairSTDP (all-to-all additive, nearest multiplicative),
TripletSTDP (all-to-all, nearest), RewardModulatedSTDP (rule rewards + host ``modulator=`` events +
baseline), DiehlCookSTDP (on an ``AdaptiveThreshold(LIF)`` population, so the homeostatic threshold
of ``learning_rules.homeostasis`` is covered too), SpikingBCM and SpikingOja — on three small
random networks (seeded: random synapse lists with multapses, random explicit input spike trains,
static delayed current / conductance / delta projections and a recurrent one, both integration
schemes, a plastic feed-forward or a plastic recurrent projection), the engine (float64, event
path; the dense path too for two rules) must give the reference's spikes exactly and its final weights to rel 1e-9.
``EpropRule`` (on ``EpropNeuron``) does not write weights during a run: there the reference
(``simulate_eprop``) must give the engine's recurrent spikes exactly and its accumulated
``gradient`` and ``eligibility_sum`` traces to rel 1e-9 (LIF, mixed LIF/ALIF, and with
``reset_gradient``). Measured agreement: relative ~1e-15 everywhere (rounding only).

Not covered here, because they do not run on the engine: ``Oja``, ``PlainHebb``,
``GeneralizedHebbian``, ``BCM`` (rate-based, pure functions of samples), ``AdaptiveThresholdLIF``
and ``IntrinsicPlasticity`` (stand-alone simulators / rate units).
"""

from __future__ import annotations

import numpy as np
import pytest

import spikenet as sn
from learning_rules import AdaptiveThreshold, PairSTDP, RewardModulatedSTDP, SpikingBCM, SpikingOja, TripletSTDP
from learning_rules.diehl_cook import DiehlCookSTDP
from learning_rules.eprop import EpropNetwork, EpropNeuron, EpropRule
from neurons import LIF
from tests.plasticity_reference import Cells, EpropSpec, Projection, Source, Spec, reference_rule, simulate, simulate_eprop

DT = 0.1
N_STEPS = 2500  # 250 ms

RULES = {
    "pair_all_to_all_additive": PairSTDP(a_plus=0.15, a_minus=0.16, tau_plus=16.8, tau_minus=33.7, w_min=0.0, w_max=4.0),
    "pair_nearest_multiplicative": PairSTDP(a_plus=0.08, a_minus=0.09, w_min=0.0, w_max=4.0, pairing="nearest",
                                            weight_dependence="multiplicative"),
    "triplet_all_to_all": TripletSTDP(a2_plus=0.05, a3_plus=0.06, a2_minus=0.04, a3_minus=0.01, tau_x=101.0, tau_y=125.0,
                                      w_min=0.0, w_max=4.0),
    "triplet_nearest": TripletSTDP.preset("hippocampal_nearest_full", a2_plus=0.05, a3_plus=0.08, a2_minus=0.03,
                                          a3_minus=0.02, w_min=0.0, w_max=4.0),
    "reward_modulated": RewardModulatedSTDP(a_plus=0.1, a_minus=0.15, tau_eligibility=200.0, modulator_tau=40.0, tau_s=50.0,
                                            baseline_modulator=0.02, reward_times=(60.0, 150.0, 150.0),
                                            reward_amounts=(0.5, -0.3, 0.2), w_min=0.0, w_max=4.0),
    "diehl_cook_adaptive_threshold": DiehlCookSTDP(eta_pre=0.05, eta_post=0.4, w_max=4.0),
    "spiking_bcm": SpikingBCM(learning_rate=2e-5, tau_rate=50.0, tau_average=300.0, target_rate=10.0, w_min=0.0, w_max=4.0),
    "spiking_oja": SpikingOja(learning_rate=1e-4, tau_pre=20.0, tau_post=30.0),
}
# Host-driven modulator events (run(..., modulator=...)), on top of the rule's own rewards.
HOST_MODULATOR = (np.array([100.0, 150.0, 200.0]), np.array([0.4, 0.1, -0.6]))


def _random_synapses(rng, n_pre, n_post, p, multapses, no_autapses=False):
    pre, post = np.nonzero(rng.random((n_pre, n_post)) < p)
    if no_autapses:
        keep = pre != post
        pre, post = pre[keep], post[keep]
    if multapses:  # a few pairs twice
        extra = rng.choice(pre.size, size=min(3, pre.size), replace=False)
        pre, post = np.concatenate([pre, pre[extra]]), np.concatenate([post, post[extra]])
    order = np.lexsort((post, pre))  # synapse order of the engine's weights: by pre, then post (stable)
    return pre[order].astype(np.int64), post[order].astype(np.int64)


def _random_source(rng, name, size, rate_hz):
    spikes = rng.random((N_STEPS, size)) < rate_hz * DT / 1000.0
    steps, indices = np.nonzero(spikes)
    return Source(name, size, steps.astype(np.int64), indices.astype(np.int64))


def _random_spec(seed: int, rule_name: str) -> Spec:
    """Network ``seed`` (0, 1, 2) with the rule ``rule_name`` on its plastic projection."""
    rng = np.random.default_rng(1000 + seed)
    rule = RULES[rule_name]
    n_cells = int(rng.integers(4, 8))
    adaptive = (0.8, 60.0) if rule_name == "diehl_cook_adaptive_threshold" else None
    cells = Cells(n_cells, tau_m=float(rng.uniform(12.0, 25.0)), refractory=[2.0, 0.0, 1.5][seed],
                  integration=["exponential_euler", "euler", "exponential_euler"][seed],
                  current=rng.uniform(60.0, 110.0, n_cells), v0=rng.uniform(-70.0, -56.0, n_cells), adaptive=adaptive)
    a = _random_source(rng, "a", int(rng.integers(8, 14)), 40.0)
    b = _random_source(rng, "b", 5, 30.0)
    projections = []
    if seed == 0:   # plastic conductance synapses; static current synapses with 1 ms delay
        pre, post = _random_synapses(rng, a.size, n_cells, 0.6, multapses=False)
        projections.append(Projection("a->cells", "a", pre, post, rng.uniform(0.5, 3.0, pre.size), "conductance",
                                      tau=5.0, e_rev=0.0, rule=rule))
        pre, post = _random_synapses(rng, b.size, n_cells, 0.5, multapses=False)
        projections.append(Projection("b->cells", "b", pre, post, rng.uniform(50.0, 150.0, pre.size), "current",
                                      tau=3.0, delay_steps=10))
    elif seed == 1:  # plastic current synapses with multapses; static delta synapses with 0.5 ms delay
        pre, post = _random_synapses(rng, a.size, n_cells, 0.5, multapses=True)
        projections.append(Projection("a->cells", "a", pre, post, rng.uniform(0.5, 3.0, pre.size),
                                      "current", tau=4.0, rule=rule))
        pre, post = _random_synapses(rng, b.size, n_cells, 0.6, multapses=False)
        projections.append(Projection("b->cells", "b", pre, post, rng.uniform(0.5, 2.0, pre.size), "delta", delay_steps=5))
        # the plastic weights (pA, <= 4) hardly drive the cells: a static current projection from a does
        pre, post = _random_synapses(rng, a.size, n_cells, 0.4, multapses=False)
        projections.append(Projection("a->cells static", "a", pre, post, rng.uniform(40.0, 120.0, pre.size), "current",
                                      tau=6.0))
    else:  # plastic recurrent conductance projection; inputs through static conductance synapses
        pre, post = _random_synapses(rng, a.size, n_cells, 0.6, multapses=False)
        projections.append(Projection("a->cells", "a", pre, post, rng.uniform(1.0, 4.0, pre.size), "conductance",
                                      tau=5.0, e_rev=0.0))
        pre, post = _random_synapses(rng, b.size, n_cells, 0.6, multapses=False)
        projections.append(Projection("b->cells", "b", pre, post, rng.uniform(1.0, 3.0, pre.size), "conductance",
                                      tau=8.0, e_rev=-80.0, delay_steps=3))
        pre, post = _random_synapses(rng, n_cells, n_cells, 0.6, multapses=False, no_autapses=True)
        projections.append(Projection("cells->cells", "cells", pre, post, rng.uniform(0.5, 3.0, pre.size),
                                      "conductance", tau=5.0, e_rev=0.0, rule=rule))
    modulator = {}
    if isinstance(rule, RewardModulatedSTDP):
        plastic = next(p.name for p in projections if p.rule is not None)
        modulator[plastic] = (np.round(HOST_MODULATOR[0] / DT).astype(np.int64), HOST_MODULATOR[1])
    return Spec(DT, N_STEPS, cells, [a, b], projections, modulator)


def _spikenet_network(spec: Spec, engine_rules: dict) -> sn.Network:
    """The same network built with the spikenet API (``engine_rules``: projection name -> the rule object)."""
    net = sn.Network(dt=spec.dt, seed=0)
    c = spec.cells
    model = LIF(tau_m=c.tau_m, v_rest=c.v_rest, v_threshold=c.v_threshold, v_reset=c.v_reset, refractory=c.refractory,
                capacitance=c.capacitance, integration=c.integration)
    if c.adaptive is not None:
        model = AdaptiveThreshold(model, theta_plus=c.adaptive[0], tau_theta=c.adaptive[1])
    populations = {s.name: net.spike_source(s.name, s.size, s.indices, s.steps * spec.dt) for s in spec.sources}
    cells = populations["cells"] = net.population("cells", c.size, model)
    cells.set_initial(v=c.v0)
    net.current(cells, c.current)
    for p in spec.projections:
        synapse = {"current": lambda: sn.CurrentExp(p.tau), "conductance": lambda: sn.ConductanceExp(p.tau, p.e_rev),
                   "delta": lambda: sn.Delta("v")}[p.synapse]()
        net.connect(populations[p.pre_population], cells, sn.FromIndices(p.pre, p.post), synapse=synapse, weight=p.weights,
                    delay=p.delay_steps * spec.dt, name=p.name, plasticity=engine_rules.get(p.name))
    return net


def _split_rules(spec: Spec) -> tuple[Spec, dict]:
    """Replace each engine rule of the spec by its numpy reference; return the engine rules by projection."""
    engine_rules = {p.name: p.rule for p in spec.projections if p.rule is not None}
    for p in spec.projections:
        p.rule = None if p.rule is None else reference_rule(p.rule)
    return spec, engine_rules


CASES = [(rule, seed) for rule in RULES for seed in range(3)]


@pytest.mark.parametrize("rule_name, seed", CASES, ids=[f"{r}-net{s}" for r, s in CASES])
def test_engine_plasticity_equals_numpy_reference(rule_name, seed):
    """Engine (float64, event path) = independent numpy reference: identical spikes of the post
    population, final weights of the plastic projection within rel 1e-9 (synapse order)."""
    spec, engine_rules = _split_rules(_random_spec(seed, rule_name))
    reference = simulate(spec)
    net = _spikenet_network(spec, engine_rules)
    (plastic,) = [p for p in spec.projections if p.rule is not None]
    modulator = {name: (steps * DT, amounts) for name, (steps, amounts) in spec.modulator_events.items()}
    result = net.run(N_STEPS * DT, monitors=[sn.SpikeMonitor("cells")], precision="float64", progress=False,
                     modulator=modulator or None)
    times, neurons = result.spikes["cells"]
    steps = np.round(times / DT).astype(np.int64)
    order = np.lexsort((neurons, steps))
    # The protocol is meaningful: both sides of the plastic projection spike, weights move.
    pre_spikes = reference.spike_steps.size if plastic.pre_population == "cells" else \
        next(s for s in spec.sources if s.name == plastic.pre_population).steps.size
    assert reference.spike_steps.size >= 20 and pre_spikes >= 20
    initial = np.asarray(plastic.weights, float)
    assert np.max(np.abs(reference.weights[plastic.name] - initial)) > 1e-3
    np.testing.assert_array_equal(steps[order], reference.spike_steps)
    np.testing.assert_array_equal(neurons[order], reference.spike_neurons)
    np.testing.assert_allclose(result.weights[plastic.name], reference.weights[plastic.name], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("rule_name", ["triplet_all_to_all", "reward_modulated"])
def test_dense_path_equals_numpy_reference(rule_name):
    """The dense path (``engine="dense"``) against the same reference (network 2: plastic recurrent)."""
    spec, engine_rules = _split_rules(_random_spec(2, rule_name))
    reference = simulate(spec)
    net = _spikenet_network(spec, engine_rules)
    modulator = {name: (steps * DT, amounts) for name, (steps, amounts) in spec.modulator_events.items()}
    result = net.run(N_STEPS * DT, monitors=[sn.SpikeMonitor("cells")], precision="float64", engine="dense",
                     progress=False, modulator=modulator or None)
    times, neurons = result.spikes["cells"]
    order = np.lexsort((neurons, times))
    np.testing.assert_array_equal(np.round(times[order] / DT).astype(np.int64), reference.spike_steps)
    np.testing.assert_array_equal(neurons[order], reference.spike_neurons)
    np.testing.assert_allclose(result.weights["cells->cells"], reference.weights["cells->cells"], rtol=1e-9, atol=1e-12)


EPROP_NETWORKS = {  # (beta per neuron or scalar, reset_gradient)
    "lif": (0.0, False),
    "alif-mixed": ("mixed", False),
    "alif-mixed-reset-gradient": ("mixed", True),
}


def _eprop_spec(seed: int, variant: str) -> EpropSpec:
    """A random e-prop network: random synapse lists (not all-to-all), weights, input spikes, readout,
    feedback and target; the target ends 30 steps before the run (outside it the learning signal is 0)."""
    rng = np.random.default_rng(2000 + seed)
    n_in, n_rec, n_out, n_steps = 8, 7, 2, 250
    beta, reset_gradient = EPROP_NETWORKS[variant]
    if beta == "mixed":
        beta = np.where(np.arange(n_rec) < 3, 0.0, rng.uniform(0.01, 0.05, n_rec))
    else:
        beta = np.full(n_rec, float(beta))
    spikes = rng.random((n_steps, n_in)) < 0.1
    steps, indices = np.nonzero(spikes)
    pre, post = _random_synapses(rng, n_in, n_rec, 0.7, multapses=True)
    projections = [("inputs->recurrent", "inputs", pre, post, rng.normal(0.08, 0.05, pre.size))]
    pre, post = _random_synapses(rng, n_rec, n_rec, 0.5, multapses=False, no_autapses=True)
    projections.append(("recurrent->recurrent", "recurrent", pre, post, rng.normal(0.0, 0.05, pre.size)))
    target = np.stack([np.sin(np.arange(n_steps - 30) / 17.0), 0.3 * np.cos(np.arange(n_steps - 30) / 11.0)], axis=1)
    return EpropSpec(dt=1.0, n_steps=n_steps, tau_m=20.0, tau_out=25.0, tau_a=200.0, v_th=0.03, gamma=0.3, beta=beta,
                     reset_gradient=reset_gradient, n_in=n_in, n_rec=n_rec, input_steps=steps, input_indices=indices,
                     projections=projections, readout=rng.normal(0.0, 1.0, (n_out, n_rec)),
                     feedback=rng.normal(0.0, 1.0, (n_rec, n_out)), target=target)


@pytest.mark.parametrize("variant", list(EPROP_NETWORKS))
def test_eprop_rule_on_the_engine_equals_numpy_reference(variant):
    """EpropRule on EpropNeuron (engine, float64) = the numpy reference ``simulate_eprop``: identical
    recurrent spikes; the accumulated ``gradient`` and ``eligibility_sum`` synapse traces of both
    projections within rel 1e-9; weights unchanged (the rule does not write them)."""
    spec = _eprop_spec(list(EPROP_NETWORKS).index(variant), variant)
    reference = simulate_eprop(spec)
    beta = tuple(float(b) for b in spec.beta)
    network = EpropNetwork(tau_m=spec.tau_m, tau_out=spec.tau_out, tau_a=spec.tau_a, v_th=spec.v_th, gamma=spec.gamma,
                           beta=beta, dt=spec.dt, reset_gradient=spec.reset_gradient)
    rule = EpropRule(network, spec.target)
    net = sn.Network(dt=spec.dt, seed=0)
    populations = {"inputs": net.spike_source("inputs", spec.n_in, spec.input_indices, spec.input_steps * spec.dt)}
    populations["recurrent"] = net.population("recurrent", spec.n_rec, EpropNeuron(network))
    for name, pre_population, pre, post, weights in spec.projections:
        net.connect(populations[pre_population], populations["recurrent"], sn.FromIndices(pre, post),
                    synapse=sn.Delta("input"), weight=weights, plasticity=rule, name=name)
    compiled = net.compile(precision="float64")
    state = compiled.initial_state()
    for name, *_ in spec.projections:
        for k in range(spec.readout.shape[0]):
            state = compiled.with_plastic_trace(state, name, f"readout_weight_{k}", spec.readout[k], kind="post")
            state = compiled.with_plastic_trace(state, name, f"feedback_{k}", spec.feedback[:, k], kind="post")
    result = compiled.run(spec.n_steps * spec.dt, resume=state, monitors=[sn.SpikeMonitor("recurrent")], progress=False)
    times, neurons = result.spikes["recurrent"]
    order = np.lexsort((neurons, times))
    assert reference["spike_steps"].size >= 30
    np.testing.assert_array_equal(np.round(times[order] / spec.dt).astype(np.int64), reference["spike_steps"])
    np.testing.assert_array_equal(neurons[order], reference["spike_neurons"])
    for name, *_ in spec.projections:
        gradient = compiled.plastic_trace(result.final_state, name, "gradient")
        assert np.max(np.abs(reference["gradient"][name])) > 1e-3
        np.testing.assert_allclose(gradient, reference["gradient"][name], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(compiled.plastic_trace(result.final_state, name, "eligibility_sum"),
                                   reference["eligibility_sum"][name], rtol=1e-9, atol=1e-12)
        np.testing.assert_array_equal(result.weights[name], reference["weights"][name])
