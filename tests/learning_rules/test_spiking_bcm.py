"""Spiking BCM on the event engine (``learning_rules.SpikingBCM``).

Reference: the BCM theory (Bienenstock, Cooper & Munro 1982; REPRODUCTION_TARGETS 4): with a
sliding threshold and several equiprobable input patterns the stable state is selective (strong
response to one pattern, weak to the others); with a threshold that does not slide (here ~0),
every active input grows and the cell responds to every pattern (expected failure)."""

import numpy as np
import pytest

import spikenet as sn
from learning_rules import SpikingBCM
from neurons import LIF

N_GROUPS, PER_GROUP, BLOCK_MS = 4, 25, 200.0


def _learn(seed: int, sliding: bool, blocks: int = 1000):
    """One LIF cell, 4 groups of 25 Poisson inputs; each 200-ms block one group fires at 40 Hz and
    the others at 2 Hz. Returns the cell's rate (Hz) per pattern over the last quarter, and the
    mean final weight per group."""
    rng = np.random.default_rng(seed)
    patterns = rng.integers(0, N_GROUPS, blocks)
    times, neurons = [], []
    for block, preferred in enumerate(patterns):
        rates = np.full(N_GROUPS * PER_GROUP, 2.0)
        rates[preferred * PER_GROUP:(preferred + 1) * PER_GROUP] = 40.0
        steps, index = np.nonzero(rng.random((int(BLOCK_MS), rates.size)) < rates / 1000.0)
        times.append(block * BLOCK_MS + steps)
        neurons.append(index)
    net = sn.Network(dt=1.0, seed=seed)
    inputs = net.population("inputs", N_GROUPS * PER_GROUP,
                            sn.SpikeSource(np.concatenate(neurons), np.concatenate(times).astype(float)))
    cell = net.population("cell", 1, LIF(tau_m=20.0, v_rest=-70.0, v_threshold=-54.0, v_reset=-70.0, refractory=2.0))
    rule = SpikingBCM(learning_rate=1e-4, tau_rate=50.0, tau_average=5000.0 if sliding else 1e9, target_rate=10.0,
                      w_max=100.0)
    projection = net.connect(inputs, cell, sn.AllToAll(), synapse=sn.CurrentExp(5.0),
                             weight=30.0 * (0.9 + 0.2 * rng.random(N_GROUPS * PER_GROUP)), plasticity=rule)
    result = net.run(blocks * BLOCK_MS, monitors=[sn.SpikeMonitor("cell")], progress=False)
    block_of_spike = (result.spikes["cell"][0] // BLOCK_MS).astype(int)
    late = blocks * 3 // 4
    spikes = np.bincount(patterns[block_of_spike[block_of_spike >= late]], minlength=N_GROUPS)
    shown = np.bincount(patterns[late:], minlength=N_GROUPS)
    weights = result.weights[projection.name].reshape(N_GROUPS, PER_GROUP).mean(axis=1)
    return spikes / shown / (BLOCK_MS / 1000.0), weights


def _selectivity(response: np.ndarray) -> float:
    """(best - mean of the others) / best: 1 = responds to one pattern only, 0 = to all equally."""
    best = response.max()
    return float((best - np.delete(response, response.argmax()).mean()) / best)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sliding_threshold_makes_the_cell_selective(seed):
    """Sliding threshold: selectivity > 0.8 and the preferred group's weights > 3x the others'."""
    response, weights = _learn(seed, sliding=True)
    assert _selectivity(response) > 0.8
    preferred = int(response.argmax())
    assert weights[preferred] > 3 * np.delete(weights, preferred).max()


def test_threshold_that_does_not_slide_is_not_selective():
    """Expected failure of the control: every group grows and the cell answers every pattern."""
    response, _ = _learn(0, sliding=False)
    assert _selectivity(response) < 0.2


@pytest.mark.parametrize("kwargs, message", [({"learning_rate": 0.0}, "learning_rate"), ({"tau_rate": -1.0}, "tau_rate"),
                                             ({"target_rate": 0.0}, "target_rate"), ({"w_max": -1.0}, "w_max")])
def test_bad_parameters_are_refused(kwargs, message):
    with pytest.raises(sn.SpikenetError, match=message):
        SpikingBCM(**kwargs)
