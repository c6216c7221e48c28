"""Delivery strategies: the native C++ kernel (CPU default), the per-spike JAX loop and compacted
rows in capacity tiers (accelerator default) give identical spikes and counts on CPU, over random
networks and bursts in which every neuron fires — including bursts past the largest tier (the loop
fallback) — and delays through the ring.

Reference: the loop strategy, itself checked against Brian2 (test_brian2_parity,
test_network_parity); the three share only the rows, not the delivery code."""

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
@pytest.mark.parametrize("delivery", ["native", "compacted", CompactedRows(tiers=(2, 8))])
def test_native_and_compacted_rows_equal_the_spike_loop(seed, delivery):
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


def test_native_kernel_equals_the_loop_directly():
    """The kernel alone against :func:`deliver_events` (the loop) on one step's tables: int32 and
    int64 targets, float32 and float64, with and without the delay ring's shift and wrap, rows of
    random lengths padded after their synapses (the layout of :func:`build_rows`, which the kernel
    relies on), several event counters, and under vmap (run_seeds); bit-identical sums."""
    import jax

    from spikenet.engine.native import deliver_native
    from spikenet.propagation import deliver_events, pack_spikes

    rng = np.random.default_rng(5)
    n_pre, width, size, slots = 333, 9, 50, 3
    wrap = slots * size
    for float_type, int_type in ((np.float32, np.int32), (np.float64, np.int64), (np.float32, np.int64), (np.float64, np.int32)):
        for shifted in (False, True):
            targets = rng.integers(0, wrap if shifted else size, (n_pre + 1, width)).astype(int_type)
            lengths = rng.integers(0, width + 1, n_pre + 1)  # a row's synapses fill its first slots (build_rows)
            targets[np.arange(width) >= lengths[:, None]] = 2 * wrap if shifted else size   # padding after them
            targets[n_pre] = 2 * wrap if shifted else size
            weights = rng.normal(size=(n_pre + 1, width)).astype(float_type)
            degrees = rng.integers(0, 5, (3, n_pre + 1)).astype(np.int32)
            spikes = rng.random((4, n_pre)) < 0.3
            spikes[0, -1] = True
            words = np.asarray(jax.vmap(pack_spikes)(jnp.asarray(spikes)))
            buffer = rng.normal(size=(4, wrap if shifted else size)).astype(float_type)
            shift = np.asarray([0, size, 2 * size, size], np.int32) if shifted else None

            def both(function):
                def one(b, w, s):
                    return function(b, w, jnp.asarray(targets), jnp.asarray(weights), jnp.asarray(degrees),
                                    shift=s if shifted else None, wrap=wrap if shifted else None)
                return jax.jit(jax.vmap(one, in_axes=(0, 0, 0 if shifted else None)))(buffer, words, shift)

            with jax.enable_x64(True):
                (expected, expected_events), (found, found_events) = both(deliver_events), both(deliver_native)
            assert found.dtype == float_type
            np.testing.assert_array_equal(np.asarray(found), np.asarray(expected))
            np.testing.assert_array_equal(np.asarray(found_events), np.asarray(expected_events))
            assert np.any(np.asarray(found) != np.asarray(buffer))


def test_built_rows_put_padding_after_the_synapses():
    """The kernel stops at a row's first padding entry: every row :func:`build_rows` makes (several
    lists, some rows empty) holds its synapses in its first slots and only padding after them."""
    from spikenet.propagation import build_rows

    rng = np.random.default_rng(3)
    n_pre, sentinel = 60, 10**6
    pre_lists = [np.sort(rng.integers(0, n_pre, n)) for n in (150, 0, 80)]
    target_lists = [rng.integers(0, 1000, pre.size) for pre in pre_lists]
    targets, _ = build_rows(n_pre, pre_lists, target_lists, [], sentinel, min_width=12)
    degrees = sum(np.bincount(pre, minlength=n_pre + 1) for pre in pre_lists)
    assert np.all((targets != sentinel) == (np.arange(targets.shape[1]) < degrees[:, None]))
    assert degrees[:n_pre].min() == 0  # some row is empty


def test_native_take_slot_equals_indexing():
    """The ring's slot taken in place by the kernel: numpy's ``ring[slot]`` then ``ring[slot] = 0``
    (float32 and float64, under jit and vmap)."""
    import jax

    from spikenet.engine.native import take_slot

    rng = np.random.default_rng(7)
    for float_type in (np.float32, np.float64):
        rings = rng.normal(size=(3, 5 * 11)).astype(float_type)
        slots = np.array([0, 4, 2], np.int32)
        with jax.enable_x64(True):
            ring, taken = jax.jit(jax.vmap(lambda r, s: take_slot(r, s, 11)))(rings, slots)
        expected = rings.reshape(3, 5, 11).copy()
        np.testing.assert_array_equal(np.asarray(taken), expected[np.arange(3), slots])
        expected[np.arange(3), slots] = 0
        np.testing.assert_array_equal(np.asarray(ring), expected.reshape(3, -1))
        assert ring.dtype == float_type


def test_without_the_native_kernel_the_default_is_the_loop(monkeypatch, tmp_path):
    """SPIKENET_NATIVE=0 (or no compiler): the default is the JAX loop; asking for 'native' is
    refused with the reason."""
    from spikenet.engine import native

    monkeypatch.setattr(native, "_state", {})
    monkeypatch.setenv("SPIKENET_NATIVE", "0")
    net = _random_network(1)
    assert net.compile().delivery.name == "loop"
    with pytest.raises(sn.SpikenetError, match="delivery='native' is not available: disabled by SPIKENET_NATIVE=0"):
        net.compile(delivery="native")
    monkeypatch.setattr(native, "_state", {})
    monkeypatch.delenv("SPIKENET_NATIVE")
    monkeypatch.setenv("CXX", "no-such-compiler-here")
    monkeypatch.setenv("SPIKENET_CACHE_DIR", str(tmp_path))
    with pytest.warns(RuntimeWarning, match="no C.. compiler found"):
        assert _random_network(2).compile().delivery.name == "loop"
    monkeypatch.setattr(native, "_state", {})


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
