"""Every neuron model gives identical spikes on the event engine and the dense reference path.

Property test (hypothesis) on small random networks: two populations of random models,
random connectivity through delta, current and conductance synapses with delays, random
constant drive. Reference: the dense path (``spikes @ W`` every step) of the same engine.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import spikenet as sn
from neurons import ALIF, LIF, AdEx, HodgkinHuxley, Izhikevich

# model, drive range (pA), current-synapse weight (pA), conductance-synapse weight (nS), delta weight (mV)
MODELS = {
    "lif": (LIF(refractory=2.0), (150.0, 400.0), 60.0, 2.0, 2.0),
    "alif": (ALIF(), (150.0, 400.0), 60.0, 2.0, 2.0),
    "izhikevich": (Izhikevich.preset("CH"), (2.0, 15.0), 4.0, 0.05, 2.0),
    "adex": (AdEx.preset("adapting"), (200.0, 600.0), 60.0, 2.0, 2.0),
    "hodgkin_huxley": (HodgkinHuxley(), (0.0, 600.0), 100.0, 5.0, 2.0),
}


def build(seed: int, kinds: tuple[str, str], sizes: tuple[int, int], probability: float, delay: float) -> sn.Network:
    rng = np.random.default_rng(seed)
    network = sn.Network(dt=0.1, seed=seed)
    populations = []
    for k, (kind, size) in enumerate(zip(kinds, sizes)):
        model, (low, high), *_ = MODELS[kind]
        population = network.population(f"p{k}", size, model)
        network.current(population, rng.uniform(low, high, size))
        populations.append(population)
    for i, pre in enumerate(populations):
        for j, post in enumerate(populations):
            _, _, w_current, w_conductance, w_delta = MODELS[kinds[j]]
            synapse, weight = [
                (sn.Delta(), w_delta),
                (sn.CurrentExp(tau=3.0), w_current),
                (sn.ConductanceExp(tau=5.0, e_rev=0.0), w_conductance),
            ][(seed + 2 * i + j) % 3]  # the four pairs use all three synapse types
            network.connect(pre, post, sn.FixedProbability(probability), synapse=synapse,
                            weight=sn.Uniform(0.2 * weight, weight), delay=delay)
    return network


@settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**16),
    kinds=st.tuples(st.sampled_from(sorted(MODELS)), st.sampled_from(sorted(MODELS))),
    sizes=st.tuples(st.integers(2, 12), st.integers(2, 12)),
    probability=st.sampled_from([0.2, 0.5, 1.0]),
    delay=st.sampled_from([0.0, 0.1, 1.5]),
)
def test_event_and_dense_paths_give_identical_spikes(seed, kinds, sizes, probability, delay):
    """Same spikes (times and indices, float64) from both engines for every model kind."""
    network = build(seed, kinds, sizes, probability, delay)
    monitors = [sn.SpikeMonitor("p0"), sn.SpikeMonitor("p1")]
    event = network.run(60.0, monitors=monitors, precision="float64", engine="event", progress=False)
    dense = network.run(60.0, monitors=monitors, precision="float64", engine="dense", progress=False)
    for name in ("p0", "p1"):
        np.testing.assert_array_equal(event.spikes[name][0], dense.spikes[name][0])
        np.testing.assert_array_equal(event.spikes[name][1], dense.spikes[name][1])
    assert sum(len(event.spikes[name][0]) for name in ("p0", "p1")) > 0


def test_every_model_kind_runs_on_both_paths():
    """Each model kind receiving delta, current and conductance synapses gives the same spikes on both engines."""
    for index, kind in enumerate(sorted(MODELS)):
        network = build(index, (kind, kind), (5, 5), 0.5, 0.1)
        monitors = [sn.SpikeMonitor("p0"), sn.SpikeMonitor("p1")]
        event = network.run(30.0, monitors=monitors, precision="float64", engine="event", progress=False)
        dense = network.run(30.0, monitors=monitors, precision="float64", engine="dense", progress=False)
        for name in ("p0", "p1"):
            np.testing.assert_array_equal(event.spikes[name][0], dense.spikes[name][0])
            np.testing.assert_array_equal(event.spikes[name][1], dense.spikes[name][1])
