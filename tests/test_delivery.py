"""Delivery strategies: the per-spike loop (CPU default) and compacted rows in capacity tiers
(accelerator default) give identical spikes and counts on CPU, over random networks and bursts in
which every neuron fires — including bursts past the largest tier (the loop fallback).

Reference: the loop strategy, itself checked against Brian2 (test_brian2_parity,
test_network_parity); the two share only the rows, not the delivery code."""

import jax.numpy as jnp
import numpy as np
import pytest

import spikenet as sn
from spikenet.engine import CompactedRows
from neurons import LIF


def _random_network(seed: int):
    rng = np.random.default_rng(seed)
    net = sn.Network(dt=0.1, seed=seed)
    n_source = int(rng.integers(20, 120))
    # A burst: every source neuron fires at 1 ms and 2.5 ms, plus random spikes.
    times = np.concatenate([np.full(n_source, 1.0), np.full(n_source, 2.5), rng.integers(30, 200, 300) * 0.1])
    indices = np.concatenate([np.arange(n_source), np.arange(n_source), rng.integers(0, n_source, 300)])
    keep = np.unique(np.round(times / 0.1).astype(int) * n_source + indices, return_index=True)[1]
    source = net.spike_source("source", n_source, indices[keep], times[keep])
    populations = [net.population(f"p{k}", int(rng.integers(10, 150)),
                                  LIF(v_threshold=-55.0, refractory=float(rng.choice([0.0, 1.0])))) for k in range(2)]
    synapses = [sn.Delta("v"), sn.CurrentExp(float(rng.uniform(2, 8))), sn.ConductanceExp(5.0, 0.0)]
    for pre in [source] + populations:
        for post in populations:
            for _ in range(int(rng.integers(1, 3))):
                synapse = synapses[int(rng.integers(0, 3))]
                weight = {sn.Delta: 6.0, sn.CurrentExp: 300.0, sn.ConductanceExp: 15.0}[type(synapse)]
                net.connect(pre, post, sn.FixedProbability(float(rng.uniform(0.05, 0.5))), synapse=synapse,
                            weight=sn.Uniform(0.2 * weight, weight), delay=float(rng.choice([0.0, 0.0, 0.3, 1.0])))
    return net


def _run(net, delivery, precision):
    compiled = net.compile(precision=precision, delivery=delivery)
    names = list(net.populations)
    return compiled.run(30.0, monitors=[sn.SpikeMonitor(n) for n in names], progress=False), names


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("delivery", ["compacted", CompactedRows(tiers=(2, 8))])
def test_compacted_rows_equal_the_spike_loop(seed, delivery):
    precision = "float64" if seed % 2 else "float32"
    net = _random_network(seed)
    loop, names = _run(net, "loop", precision)
    compacted, _ = _run(net, delivery, precision)
    for name in names:
        np.testing.assert_array_equal(loop.spikes[name][0], compacted.spikes[name][0])
        np.testing.assert_array_equal(loop.spikes[name][1], compacted.spikes[name][1])
    assert loop.counts.to_dict() == compacted.counts.to_dict()
    assert loop.counts.spikes["source"] >= 2 * net.populations["source"].size  # the bursts happened
    assert sum(loop.counts.synaptic_events.values()) > 0


def test_bad_delivery_is_refused():
    net = _random_network(0)
    with pytest.raises(sn.SpikenetError, match="delivery must be one of"):
        net.compile(delivery="gpu")
    with pytest.raises(sn.SpikenetError, match="tiers"):
        CompactedRows(tiers=(8, 2))


@pytest.mark.parametrize("n_neurons, density", [(100, 0.3), (4096, 0.01), (4097, 0.01), (40_000, 0.002), (40_000, 0.0),
                                                (300_000, 0.0005)])
def test_select_finds_every_spike_in_order(n_neurons, density):
    """The rank/select search (binary below 128 words, two-level blocks above) against numpy:
    the r-th spike's neuron is flatnonzero(spikes)[r]; ranks past the last give the padding row."""
    from spikenet.propagation import _ranks, _select, pack_spikes

    rng = np.random.default_rng(n_neurons)
    spikes = rng.random(n_neurons) < density
    spikes[-1] = density > 0  # the last neuron (last word, partly padding) spikes too
    words = pack_spikes(jnp.asarray(spikes))
    word_counts, cumulative, total = _ranks(words)
    expected = np.flatnonzero(spikes)
    assert int(total) == expected.size
    ranks = jnp.arange(expected.size + 3, dtype=jnp.int32)
    found = np.asarray(_select(words, word_counts, cumulative, ranks, n_neurons))
    np.testing.assert_array_equal(found[:expected.size], expected)
    assert np.all(found[expected.size:] == n_neurons)
