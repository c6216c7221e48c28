"""Brian2 parity of the exported plasticity rules: TripletSTDP and RewardModulatedSTDP.

The same small network — explicit random input spike trains, LIF neurons with a constant current,
a plastic conductance projection (feed-forward or recurrent) and a static delayed current
projection — is run by spikenet (float64, event engine) and, exported by
``spikenet.brian2_export.to_brian2`` with the rule's ``brian2_synapse`` form, by Brian2 2.9.0 (numpy
runtime, float64). Spikes must be identical and final weights equal to rel 1e-9.

Brian2 keeps event-driven traces per synapse and decays them in closed form between events; the
engine keeps them per neuron and decays them by one multiplication per step: the same numbers up to
rounding. RewardModulatedSTDP's per-step part runs in Brian2 as ``run_regularly`` operations placed
in the engine's order (eligibility and modulator decay at the start of the step, the modulator
jumps there too, the weight integrates after the synapses slot), so the comparison is exact up to
rounding as well (measured: relative differences up to ~1e-14).
"""

import numpy as np
import pytest

import spikenet as sn
from learning_rules import PairSTDP, RewardModulatedSTDP, TripletSTDP
from neurons import LIF
from spikenet.brian2_export import to_brian2

DT = 0.1
DURATION = 200.0
HOST_MODULATOR = (np.array([50.0, 120.0, 120.0]), np.array([0.4, 0.1, -0.5]))


def _random_trains(rng, size, rate_hz):
    steps, indices = np.nonzero(rng.random((int(DURATION / DT), size)) < rate_hz * DT / 1000.0)
    return indices, steps * DT


def _network(seed: int, rule, recurrent: bool) -> tuple[sn.Network, str]:
    rng = np.random.default_rng(seed)
    net = sn.Network(dt=DT, seed=seed)
    n_cells = 6
    cells = net.population("cells", n_cells, LIF(tau_m=18.0, v_rest=-65.0, v_threshold=-55.0, v_reset=-70.0,
                                                  refractory=2.0))
    cells.set_initial(v=rng.uniform(-70.0, -56.0, n_cells))
    net.current(cells, rng.uniform(60.0, 110.0, n_cells))
    a = net.spike_source("a", 10, *_random_trains(rng, 10, 40.0))
    b = net.spike_source("b", 5, *_random_trains(rng, 5, 30.0))
    pre, post = np.nonzero(rng.random((10, n_cells)) < 0.6)
    net.connect(a, cells, sn.FromIndices(pre, post), synapse=sn.ConductanceExp(5.0, 0.0),
                weight=rng.uniform(0.5, 3.0, pre.size), plasticity=None if recurrent else rule, name="a->cells")
    pre, post = np.nonzero(rng.random((5, n_cells)) < 0.5)
    net.connect(b, cells, sn.FromIndices(pre, post), synapse=sn.CurrentExp(3.0), weight=rng.uniform(50.0, 150.0, pre.size),
                delay=1.0, name="b->cells")
    if recurrent:
        pre, post = np.nonzero((rng.random((n_cells, n_cells)) < 0.6) & ~np.eye(n_cells, dtype=bool))
        net.connect(cells, cells, sn.FromIndices(pre, post), synapse=sn.ConductanceExp(5.0, 0.0),
                    weight=rng.uniform(0.5, 3.0, pre.size), plasticity=rule, name="cells->cells")
    return net, "cells->cells" if recurrent else "a->cells"


def _compare(b2, rule, seed, recurrent, modulator=None):
    net, plastic = _network(seed, rule, recurrent)
    modulator = {plastic: modulator} if modulator is not None else None
    ours = net.run(DURATION, monitors=[sn.SpikeMonitor("cells")], precision="float64", progress=False, modulator=modulator)
    exported = to_brian2(net, spike_monitors=["cells"], modulator=modulator)
    exported.run(DURATION)
    times, neurons = exported.spikes("cells")
    our_times, our_neurons = ours.spikes["cells"]
    assert times.size >= 30
    np.testing.assert_array_equal(np.round(our_times / DT).astype(int), np.round(times / DT).astype(int))
    np.testing.assert_array_equal(our_neurons, neurons)
    initial = next(p for p in net.projections if p.name == plastic).weights
    brian_weights = np.asarray(exported.synapses[plastic].w[:] / b2.nS)
    assert np.max(np.abs(brian_weights - initial)) > 1e-2, "the protocol must change the weights"
    np.testing.assert_allclose(ours.weights[plastic], brian_weights, rtol=1e-9, atol=1e-12)


TRIPLETS = {
    "all_to_all": TripletSTDP(a2_plus=0.05, a3_plus=0.06, a2_minus=0.04, a3_minus=0.01, tau_x=101.0, tau_y=125.0,
                              w_min=0.0, w_max=4.0),
    "nearest": TripletSTDP.preset("hippocampal_nearest_full", a2_plus=0.05, a3_plus=0.08, a2_minus=0.03, a3_minus=0.02,
                                  w_min=0.0, w_max=4.0),
}


@pytest.mark.parametrize("pairing", list(TRIPLETS))
@pytest.mark.parametrize("recurrent", [False, True], ids=["feedforward", "recurrent"])
def test_triplet_stdp_weights_and_spikes_equal_brian2(brian2_numpy, pairing, recurrent):
    """TripletSTDP exported to Brian2 (event-driven r1, r2, o1, o2): identical spikes, final weights rel 1e-9."""
    _compare(brian2_numpy, TRIPLETS[pairing], seed=11, recurrent=recurrent)


@pytest.mark.parametrize("recurrent", [False, True], ids=["feedforward", "recurrent"])
def test_reward_modulated_stdp_weights_and_spikes_equal_brian2(brian2_numpy, recurrent):
    """RewardModulatedSTDP exported to Brian2 (eligibility c per synapse, shared modulator d with the
    rule's rewards, host-driven ``modulator=`` events and a baseline): identical spikes, final
    weights rel 1e-9."""
    rule = RewardModulatedSTDP(a_plus=0.1, a_minus=0.15, tau_eligibility=200.0, modulator_tau=40.0, tau_s=20.0,
                               baseline_modulator=0.02, reward_times=(60.0, 150.0, 150.0), reward_amounts=(0.5, -0.3, 0.2),
                               w_min=0.0, w_max=4.0)
    _compare(brian2_numpy, rule, seed=12, recurrent=recurrent, modulator=HOST_MODULATOR)


def test_modulator_events_for_a_rule_without_modulator_are_refused(brian2_numpy):
    """``to_brian2(..., modulator=...)`` names only projections whose rule has a modulator."""
    net, plastic = _network(3, PairSTDP(), recurrent=False)
    with pytest.raises(sn.SpikenetError, match="not plastic projections whose rule has a modulator"):
        to_brian2(net, modulator={plastic: HOST_MODULATOR})
