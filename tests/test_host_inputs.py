"""Driving a run from the host: ``run(..., input_spikes=, modulator=, resume=state)`` and
``CompiledNetwork.with_plastic_weights``. References: the closed form of Izhikevich (2007) for a
distal reward (REPRODUCTION_TARGETS 3b(i)), the LIF's analytic decay, and the engine's scheduled
sources (themselves checked against Brian2 in test_brian2_parity)."""

import math

import numpy as np
import pytest

import spikenet as sn
from learning_rules import PairSTDP, RewardModulatedSTDP
from neurons import LIF

# REPRODUCTION_TARGETS 3b(i): Δs = c0 D e^{-T/τc} τc τd / (τc + τd) / τs.
ANALYTIC = {1000.0: 18.5942, 3000.0: 2.5164}


def _reward_network():
    net = sn.Network(dt=0.1)
    pre = net.population("pre", 1, sn.SpikeSource.empty())
    driver = net.population("driver", 1, sn.SpikeSource.empty())
    post = net.population("post", 1, LIF(v_rest=-70.0, v_threshold=-50.0, v_reset=-70.0, refractory=0.0))
    net.connect(driver, post, sn.OneToOne(), synapse=sn.Delta(), weight=1000.0)
    rule = RewardModulatedSTDP(a_plus=1.0, a_minus=1.0, tau_plus=20.0, tau_minus=20.0, tau_eligibility=1000.0,
                               modulator_tau=200.0, tau_s=1.0, w_min=-1e9, w_max=1e9)
    projection = net.connect(pre, post, sn.OneToOne(), synapse=sn.CurrentExp(tau=1.0), weight=0.0, plasticity=rule)
    return net, projection


@pytest.mark.parametrize("delay_ms", [1000.0, 3000.0])
def test_reward_given_by_the_host_in_a_later_run_matches_the_closed_form(delay_ms):
    """Pre spike at 100 ms and post spike at 110 ms given as ``input_spikes`` in a first run; the
    dopamine pulse (D = 0.5) given as ``modulator`` in a second run that resumes the first:
    the weight change equals the analytic credit to rel 1e-3 (as the scheduled version does)."""
    net, projection = _reward_network()
    compiled = net.compile(precision="float64")
    reward = 110.0 + delay_ms
    first = compiled.run(reward - 100.0, input_spikes={"pre": ([100.0], [0]), "driver": ([109.9], [0])},
                         monitors=[sn.SpikeMonitor("post")], progress=False)
    np.testing.assert_allclose(first.spikes["post"][0], [110.0], atol=1e-9)
    second = compiled.run(2600.0, resume=first, modulator={projection.name: ([reward], [0.5])}, progress=False)
    weight = float(second.weights[projection.name][0])
    assert abs(weight - ANALYTIC[delay_ms]) < 1e-3 * ANALYTIC[delay_ms]
    # Without the reward the weight does not move (tonic modulator 0).
    unrewarded = compiled.run(2600.0, resume=first, progress=False)
    assert unrewarded.weights[projection.name][0] == 0.0


def test_input_spikes_in_pieces_equal_a_scheduled_source():
    """A source fed from the host in three runs gives exactly the spikes of the same network whose
    source has the whole schedule (same connectivity, plasticity and Poisson seed)."""
    rng = np.random.default_rng(3)
    n_in, duration = 50, 300.0
    times = np.round(rng.uniform(0, duration, 600) / 0.1) * 0.1
    indices = rng.integers(0, n_in, 600)
    keys = np.unique(np.round(times / 0.1).astype(int) * n_in + indices)
    times, indices = (keys // n_in) * 0.1, keys % n_in

    def build(source):
        net = sn.Network(dt=0.1, seed=2)
        inputs = net.population("inputs", n_in, source)
        noise = net.population("noise", 20, sn.PoissonSource(rates=20.0))
        exc = net.population("exc", 30, LIF(v_rest=-60.0, v_threshold=-50.0, v_reset=-60.0, refractory=2.0))
        net.connect(inputs, exc, sn.FixedProbability(0.3), synapse=sn.CurrentExp(tau=5.0), weight=40.0,
                    plasticity=PairSTDP(a_plus=0.5, a_minus=0.6, w_max=80.0))
        net.connect(noise, exc, sn.FixedProbability(0.2), synapse=sn.Delta(), weight=2.0)
        return net

    scheduled = build(sn.SpikeSource(indices, times)).run(duration, seed=5, monitors=[sn.SpikeMonitor("exc")],
                                                          progress=False)
    compiled = build(sn.SpikeSource.empty()).compile()
    state, pieces = None, []
    for start in (0.0, 100.0, 200.0):
        inside = (times >= start) & (times < start + 100.0)
        result = compiled.run(100.0, seed=5, resume=state, monitors=[sn.SpikeMonitor("exc")], progress=False,
                              input_spikes={"inputs": (times[inside], indices[inside])})
        pieces.append(result.spikes["exc"])
        state = result
    assert scheduled.counts.spikes["exc"] > 20
    np.testing.assert_array_equal(np.concatenate([t for t, _ in pieces]), scheduled.spikes["exc"][0])
    np.testing.assert_array_equal(np.concatenate([i for _, i in pieces]), scheduled.spikes["exc"][1])
    assert list(state.weights) == list(scheduled.weights)
    for name, weights in scheduled.weights.items():
        np.testing.assert_array_equal(state.weights[name], weights)


def test_with_plastic_weights_sets_the_weights_a_spike_delivers():
    """Weights written into a state are read back unchanged and are what a spike adds to v
    (Delta synapse; v then decays as v_rest + w e^{-t/τm}, the LIF's analytic solution)."""
    net = sn.Network(dt=0.1)
    pre = net.population("pre", 2, sn.SpikeSource.empty())
    post = net.population("post", 2, LIF(tau_m=20.0, v_rest=-70.0, v_threshold=0.0, v_reset=-70.0))
    projection = net.connect(pre, post, sn.OneToOne(), synapse=sn.Delta(), weight=0.5,
                             plasticity=PairSTDP(a_plus=0.0, a_minus=0.0, w_max=10.0))
    compiled = net.compile(precision="float64")
    state = compiled.with_plastic_weights(compiled.initial_state(), projection.name, [3.0, 7.0])
    np.testing.assert_array_equal(compiled.plastic_weights(state, projection.name), [3.0, 7.0])
    result = compiled.run(10.0, resume=state, input_spikes={"pre": ([1.0, 1.0], [0, 1])},
                          monitors=[sn.StateMonitor("post", "v")], progress=False)
    t = result.states["post"]["t"]
    v = result.states["post"]["v"]
    after = t >= 1.2  # delivered after step 1.0 ms's update: v jumps at the start of step 1.1 ms
    expected = -70.0 + np.array([3.0, 7.0])[None, :] * np.exp(-(t[after, None] - 1.1) / 20.0)
    np.testing.assert_allclose(v[after], expected, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(result.weights[projection.name], [3.0, 7.0])


def _small():
    net = sn.Network(dt=0.1)
    pre = net.population("pre", 3, sn.SpikeSource([0], [1.0]))
    post = net.population("post", 2, LIF())
    plain = net.connect(pre, post, sn.AllToAll(), synapse=sn.Delta(), weight=1.0,
                        plasticity=PairSTDP())
    return net, plain


@pytest.mark.parametrize("kwargs, message", [
    ({"input_spikes": {"post": ([1.0], [0])}}, "not a SpikeSource population"),
    ({"input_spikes": {"pre": ([20.0], [0])}}, "window [0, 10) ms"),
    ({"input_spikes": {"pre": ([1.05], [0])}}, "multiples of dt"),
    ({"input_spikes": {"pre": ([2.0], [3])}}, "indices must be in [0, 2]"),
    ({"input_spikes": {"pre": ([1.0], [0])}}, "two spikes of one neuron"),
    ({"input_spikes": {"pre": ([2.0, 2.0], [1, 1])}}, "two spikes of one neuron"),
    ({"input_spikes": {"pre": [1.0]}}, "pair (times in ms, neuron indices)"),
    ({"modulator": {"pre->post": ([1.0], [0.5])}}, "not a plastic projection whose rule has on_step"),
])
def test_bad_host_inputs_are_refused_before_running(kwargs, message):
    net, _ = _small()
    with pytest.raises(sn.SpikenetError) as error:
        net.run(10.0, progress=False, **kwargs)
    assert message in str(error.value)


def test_bad_plastic_weights_are_refused():
    net, projection = _small()
    compiled = net.compile()
    state = compiled.initial_state()
    with pytest.raises(sn.SpikenetError, match=r"shape \(6,\)"):
        compiled.with_plastic_weights(state, projection.name, np.ones(5))
    with pytest.raises(sn.SpikenetError, match="finite"):
        compiled.with_plastic_weights(state, projection.name, np.full(6, math.nan))
    with pytest.raises(sn.SpikenetError, match="no plasticity rule"):
        compiled.with_plastic_weights(state, "nope", np.ones(6))
