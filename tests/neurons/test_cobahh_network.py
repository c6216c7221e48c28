"""A COBAHH network (Brette et al. 2007, benchmark 3) gives Brian2's spikes on the same connectivity.

Reference: Brian2 2.9.0 (numpy runtime, float64) running the network exported by
``spikenet.brian2_export.to_brian2`` — same synapses, weights and initial state.
"""

from __future__ import annotations

import numpy as np

import spikenet as sn
from benchmarks.cobahh import cobahh_network
from spikenet.brian2_export import to_brian2


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
