"""A COBAHH network (Brette et al. 2007, benchmark 3) gives Brian2's spikes on the same connectivity.

Reference: Brian2 2.9.0 (numpy runtime, float64) running the network exported by
``spikenet.brian2_export.to_brian2`` — same synapses, weights and initial state.
"""

from __future__ import annotations

import numpy as np

import spikenet as sn
from benchmarks.cobahh import initial_values
from neurons import HodgkinHuxley
from spikenet.brian2_export import to_brian2


def cobahh_network(n_neurons: int, seed: int) -> sn.Network:
    """COBAHH with Brian2's example parameters (6 nS / 67 nS, tau 5 / 10 ms, p = 2 %), ``n_neurons`` neurons."""
    network = sn.Network(dt=0.1, seed=seed)
    n_exc = int(0.8 * n_neurons)
    exc = network.population("exc", n_exc, HodgkinHuxley())
    inh = network.population("inh", n_neurons - n_exc, HodgkinHuxley())
    excitatory, inhibitory = sn.ConductanceExp(tau=5.0, e_rev=0.0), sn.ConductanceExp(tau=10.0, e_rev=-80.0)
    for pre, synapse, weight in ((exc, excitatory, 6.0), (inh, inhibitory, 67.0)):
        for post in (exc, inh):
            network.connect(pre, post, sn.FixedProbability(0.02), synapse=synapse, weight=weight)
    start = initial_values(n_neurons, seed)
    for population, part in ((exc, slice(0, n_exc)), (inh, slice(n_exc, n_neurons))):
        population.set_initial(v=start["v"][part], m=0.0, h=0.0, n=0.0, g_syn0=start["g_exc"][part],
                               g_syn1=start["g_inh"][part])
    return network


def _sorted_spikes(times: np.ndarray, indices: np.ndarray) -> np.ndarray:
    steps = np.round(np.asarray(times) / 0.1).astype(np.int64)
    order = np.lexsort((indices, steps))
    return np.stack([steps[order], np.asarray(indices)[order]])


def test_cobahh_spikes_identical_to_brian2(brian2_numpy):
    """400 neurons, 50 ms, float64: every spike (step and neuron) equals Brian2's."""
    network = cobahh_network(400, seed=1)
    ours = network.run(50.0, monitors=[sn.SpikeMonitor("exc"), sn.SpikeMonitor("inh")], precision="float64", progress=False)
    exported = to_brian2(network, spike_monitors=["exc", "inh"])
    exported.run(50.0)
    total = 0
    for name in ("exc", "inh"):
        mine = _sorted_spikes(*ours.spikes[name])
        theirs = _sorted_spikes(*exported.spikes(name))
        np.testing.assert_array_equal(mine, theirs)
        total += mine.shape[1]
    assert total > 100
