"""``CompiledNetwork.run_seeds``: one vectorised run over several seeds (``jax.vmap``) gives, for
each seed, exactly what ``run(seed=...)`` gives (reference: the single runs, themselves checked
against Brian2 in test_brian2_parity / test_network_parity)."""

import numpy as np
import pytest

import spikenet as sn
from learning_rules import PairSTDP
from neurons import LIF


def _network():
    net = sn.Network(dt=0.1, seed=4)
    noise = net.poisson_source("noise", 40, 30.0)
    exc = net.population("exc", 40, LIF(v_rest=-60.0, v_threshold=-50.0, v_reset=-60.0, refractory=2.0))
    inh = net.population("inh", 10, LIF(v_rest=-60.0, v_threshold=-50.0, v_reset=-60.0, refractory=1.0))
    net.connect(noise, exc, sn.FixedProbability(0.3), synapse=sn.ConductanceExp(5.0, 0.0), weight=sn.Uniform(2.0, 6.0),
                plasticity=PairSTDP(a_plus=0.2, a_minus=0.22, w_max=8.0))
    net.connect(exc, inh, sn.FixedProbability(0.3), synapse=sn.ConductanceExp(5.0, 0.0), weight=4.0)
    net.connect(inh, exc, sn.FixedProbability(0.5), synapse=sn.ConductanceExp(10.0, -80.0), weight=8.0, delay=1.0)
    net.poisson_input(inh, n_sources=20, rate=20.0, weight=1.0, synapse=sn.ConductanceExp(5.0, 0.0))
    return net


@pytest.mark.parametrize("vectorize", [True, False])
def test_each_seed_of_a_batch_equals_its_single_run(vectorize):
    """float64: spikes, counts, final weights and recorded v of every seed are identical, for the
    vmapped batch and for the loop."""
    compiled = _network().compile(precision="float64")
    monitors = [sn.SpikeMonitor("exc"), sn.SpikeMonitor("inh"), sn.StateMonitor("exc", "v", indices=[0, 5], every=1.0),
                sn.PopulationRateMonitor("inh")]
    seeds = [0, 7, 123]
    batch = compiled.run_seeds(200.0, seeds, monitors=monitors, chunk_steps=500, progress=False, vectorize=vectorize)
    assert len(batch) == 3
    totals = set()
    for seed, together in zip(seeds, batch):
        alone = compiled.run(200.0, seed=seed, monitors=monitors, chunk_steps=500, progress=False)
        for population in ("exc", "inh"):
            np.testing.assert_array_equal(together.spikes[population][0], alone.spikes[population][0])
            np.testing.assert_array_equal(together.spikes[population][1], alone.spikes[population][1])
        assert together.counts.to_dict() == alone.counts.to_dict()
        np.testing.assert_array_equal(together.states["exc"]["v"], alone.states["exc"]["v"])
        np.testing.assert_array_equal(together.rates["inh"][1], alone.rates["inh"][1])
        for name, weights in alone.weights.items():
            np.testing.assert_array_equal(together.weights[name], weights)
        totals.add(together.counts.total_spikes)
    assert len(totals) == 3 and min(totals) > 100  # the seeds really differ, and the network is active


def test_a_batch_does_not_recompile_for_new_seeds():
    """The seed is an argument of the compiled chunk: new seeds of the same batch size reuse it."""
    compiled = _network().compile()
    first = compiled.run_seeds(50.0, [1, 2], progress=False, vectorize=True)
    second = compiled.run_seeds(50.0, [3, 4], progress=False, vectorize=True)
    assert first[0].compile_seconds > 0 and second[0].compile_seconds == 0
    assert compiled.run(50.0, seed=5, progress=False).compile_seconds > 0
    assert compiled.run(50.0, seed=6, progress=False).compile_seconds == 0


@pytest.mark.parametrize("seeds", [[], [1.5], [True], "ab"])
def test_bad_seed_lists_are_refused(seeds):
    with pytest.raises(sn.SpikenetError, match="seeds must be"):
        _network().compile().run_seeds(10.0, seeds, progress=False)
