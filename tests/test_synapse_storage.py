"""How a projection stores its synapses: CSR order (checked against numpy's ``lexsort``, the
definition of "by pre, then post, stable"), delays in the smallest unsigned type, float32 weights
kept as given, a FromIndices list never aliasing (nor keeping) the caller's arrays, and row tables
placed on a CPU device without a copy."""

import numpy as np
import pytest

import spikenet as sn
from neurons import LIF
from spikenet.network import csr_order


@pytest.mark.parametrize("n_pre, n_post, n", [(10, 7, 200), (70_000, 5, 1000), (3, 70_000, 1000), (65_536, 65_536, 5000)])
def test_csr_order_is_lexsorts_stable_order(n_pre, n_post, n):
    rng = np.random.default_rng(n_pre + n_post)
    pre, post = rng.integers(0, n_pre, n), rng.integers(0, n_post, n)
    reference = np.lexsort((post, pre))
    np.testing.assert_array_equal(csr_order(pre, post, n_pre, n_post), reference)
    assert csr_order(pre[reference], post[reference], n_pre, n_post) is None  # sorted: nothing to do


def test_sorted_list_with_duplicates_keeps_its_order():
    pre, post = np.array([0, 0, 0, 1, 1]), np.array([2, 2, 5, 0, 0])
    assert csr_order(pre, post, 2, 6) is None
    assert csr_order(np.array([0, 1, 0]), np.array([1, 1, 0]), 2, 2).tolist() == [2, 0, 1]


@pytest.mark.parametrize("max_delay_steps, dtype", [(0, np.uint8), (255, np.uint8), (256, np.uint16), (70_000, np.uint32)])
def test_delays_use_the_smallest_unsigned_type(max_delay_steps, dtype):
    net = sn.Network(dt=0.1)
    source = net.spike_source("a", 2, [0], [0.0])

    cells = net.population("cells", 2, LIF())
    projection = net.connect(source, cells, sn.FromIndices([0, 1], [1, 0]), synapse=sn.Delta(),
                             delay=np.array([0, max_delay_steps]) * 0.1)
    assert projection.delay_steps.dtype == dtype
    assert projection.delay_steps.tolist() == [0, max_delay_steps]
    np.testing.assert_allclose(projection.delays_ms(), [0.0, max_delay_steps * 0.1])


def test_float32_weights_stay_float32_and_indices_are_copied():
    net = sn.Network(dt=0.1)
    source = net.spike_source("a", 3, [0], [0.0])
    cells = net.population("cells", 3, LIF())
    pre, post = np.array([0, 1, 2], np.int32), np.array([2, 1, 0], np.int32)
    weights = np.array([1.5, 2.5, 3.5], np.float32)
    projection = net.connect(source, cells, sn.FromIndices(pre, post), synapse=sn.Delta(), weight=weights)
    assert projection.weights.dtype == np.float32 and projection.weights.tolist() == [1.5, 2.5, 3.5]
    pre[0] = 2
    assert projection.synapses.pre.tolist() == [0, 1, 2]  # the caller's array is not the network's
    doubles = net.connect(source, cells, sn.FromIndices([0], [0]), synapse=sn.Delta(), weight=[0.1], name="doubles")
    assert doubles.weights.dtype == np.float64


def test_recomputed_positions_are_where_build_rows_put_the_synapses():
    """Layout.rows_weights recomputes the slots of a static group's synapses instead of storing
    them; checked against the positions build_rows records while it fills the rows."""
    from types import SimpleNamespace

    from spikenet.connectivity import Synapses
    from spikenet.engine.layout import static_positions
    from spikenet.propagation import build_rows

    rng = np.random.default_rng(3)
    n_pre = 50
    lists = []
    for n in (400, 0, 250):
        pre = np.sort(rng.integers(0, n_pre, n)).astype(np.int32)
        lists.append(pre)
    recorded: list = []
    targets, _ = build_rows(n_pre, lists, [np.arange(p.size) for p in lists], [], -1, positions=recorded, min_width=40)
    group = SimpleNamespace(population=SimpleNamespace(size=n_pre), width=targets.shape[1],
                            projections=[SimpleNamespace(synapses=Synapses(p, np.zeros_like(p), n_pre, 1)) for p in lists])
    for expected, computed in zip(recorded, static_positions(group)):
        np.testing.assert_array_equal(computed, expected)
    for k, (pre, position) in enumerate(zip(lists, recorded)):  # and the slots hold those synapses
        assert np.all(position // targets.shape[1] == pre)
        np.testing.assert_array_equal(targets.reshape(-1)[position], np.arange(pre.size))


def test_from_indices_rule_keeps_the_projections_own_arrays():
    """A FromIndices projection's rule is over its own (CSR-ordered) arrays, not the caller's: the
    caller's index arrays (8 bytes per synapse) are freed with the caller's references."""
    net = sn.Network(dt=0.1)
    source = net.spike_source("a", 4, [0], [0.0])
    cells = net.population("cells", 5, LIF())
    pre, post = np.array([3, 0, 2, 0], np.int32), np.array([1, 4, 0, 2], np.int32)
    projection = net.connect(source, cells, sn.FromIndices(pre, post), synapse=sn.Delta(), weight=[1.0, 2.0, 3.0, 4.0])
    rule = projection.rule
    assert isinstance(rule, sn.FromIndices)
    assert rule.synapses is projection.synapses and not [v for v in vars(rule).values() if isinstance(v, np.ndarray)]
    assert rule.post is projection.synapses.post
    np.testing.assert_array_equal(rule.pre, projection.synapses.pre)
    assert not np.may_share_memory(rule.pre, pre) and not np.may_share_memory(rule.post, post)
    assert list(zip(rule.pre.tolist(), rule.post.tolist())) == [(0, 2), (0, 4), (2, 0), (3, 1)]
    assert projection.weights.tolist() == [4.0, 2.0, 3.0, 1.0]
    rebuilt = rule.build(4, 5, np.random.default_rng(0), False)  # the same list again
    np.testing.assert_array_equal(rebuilt.pre, projection.synapses.pre)
    np.testing.assert_array_equal(rebuilt.post, projection.synapses.post)


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_row_slots_flat_positions(dtype):
    """row_slots with a width gives pre * width + column, the column of the plain call."""
    from spikenet.propagation import row_slots

    rng = np.random.default_rng(5)
    lists = [np.sort(rng.integers(0, 30, n)).astype(np.int32) for n in (300, 0, 120)]
    width = 40
    for pre, column, flat in zip(lists, row_slots(30, lists), row_slots(30, lists, dtype, width)):
        assert flat.dtype == dtype
        np.testing.assert_array_equal(flat, pre.astype(np.int64) * width + column)
    filled = np.zeros(30, np.int64)  # columns: each row's synapses one after another, list after list
    for pre, column in zip(lists, row_slots(30, lists)):
        for k in range(pre.size):
            assert column[k] == filled[pre[k]]
            filled[pre[k]] += 1


def test_row_tables_are_aligned_and_placed_unchanged():
    """The static rows' targets and weights are 64-byte aligned host tables, and the device copy
    holds the same values."""
    from spikenet.propagation import host_table

    table = host_table((7, 3), np.int32, 9)
    assert table.shape == (7, 3) and table.dtype == np.int32 and np.all(table == 9)
    assert table.ctypes.data % 64 == 0 and table.flags.c_contiguous
    net = sn.Network(dt=0.1)
    source = net.spike_source("a", 50, [0], [0.0])
    cells = net.population("cells", 40, LIF())
    rng = np.random.default_rng(1)
    net.connect(source, cells, sn.FromIndices(rng.integers(0, 50, 900), rng.integers(0, 40, 900)),
                synapse=sn.CurrentExp(2.0), weight=rng.random(900).astype(np.float32), delay=0.5)
    compiled = net.compile()
    host = compiled.arguments(compiled.base_values)
    targets, weights = host["rows"][0]["targets"], host["rows"][0]["weights"]
    assert targets.ctypes.data % 64 == 0 and weights.ctypes.data % 64 == 0
    expected = targets.copy(), weights.copy()
    device = compiled.device_arguments(host)["rows"][0]
    np.testing.assert_array_equal(np.asarray(device["targets"]), expected[0])
    np.testing.assert_array_equal(np.asarray(device["weights"]), expected[1])


def test_sorted_synapse_lists_store_a_row_pointer_not_pre():
    """A list sorted by pre keeps its CSR row pointer (n_pre + 1 int64) instead of the pre index of
    every synapse (4 bytes per synapse less); ``pre`` rebuilt from it equals the list given, read-only.
    An unsorted list keeps its pre as given. Reference: the arrays themselves (numpy)."""
    from spikenet.connectivity import Synapses

    rng = np.random.default_rng(11)
    pre = np.sort(rng.integers(0, 300, 50_000)).astype(np.int32)
    post = rng.integers(0, 200, pre.size).astype(np.int32)
    synapses = Synapses(pre, post, 300, 200)
    stored = [v for v in (synapses._pre, synapses._offsets, synapses.post) if v is not None]
    assert sum(v.nbytes for v in stored) == post.nbytes + 301 * 8
    assert synapses.pre.dtype == np.int32 and not synapses.pre.flags.writeable
    np.testing.assert_array_equal(synapses.pre, pre)
    np.testing.assert_array_equal(synapses.out_degree(), np.bincount(pre, minlength=300))
    np.testing.assert_array_equal(synapses.row_offsets(), np.concatenate([[0], np.cumsum(np.bincount(pre, minlength=300))]))
    assert synapses.n_synapses == pre.size
    with pytest.raises(AttributeError):
        synapses.post = post
    shuffled = Synapses(pre[::-1].copy(), post, 300, 200)  # unsorted: pre kept
    np.testing.assert_array_equal(shuffled.pre, pre[::-1])
    np.testing.assert_array_equal(shuffled.out_degree(), np.bincount(pre, minlength=300))
    empty = Synapses(np.zeros(0, np.int64), np.zeros(0, np.int64), 4, 5)
    assert empty.n_synapses == 0 and empty.pre.dtype == np.int32 and empty.out_degree().tolist() == [0, 0, 0, 0]


def test_pre_range_and_masked_out_degree_match_the_full_list():
    """``Synapses.pre_range`` (pre of a slice, rebuilt from the row pointer) and ``out_degree(where=)``
    against slicing and ``np.bincount`` of the pre array itself (numpy), rows without synapses included."""
    from spikenet.connectivity import Synapses

    rng = np.random.default_rng(2)
    pre = np.sort(rng.choice(np.arange(0, 400, 3), 5_000)).astype(np.int32)  # two rows in three empty
    synapses = Synapses(pre, rng.integers(0, 9, pre.size), 400, 9)
    for start, stop in [(0, 0), (0, 1), (0, 5_000), (17, 18), (123, 4_000), (4_999, 5_000), (4_000, 9_000), (300, 300)]:
        np.testing.assert_array_equal(synapses.pre_range(start, stop), pre[start:stop])
    where = rng.random(pre.size) < 0.3
    np.testing.assert_array_equal(synapses.out_degree(where=where), np.bincount(pre[where], minlength=400))
    unsorted = Synapses(pre[::-1].copy(), synapses.post, 400, 9)
    np.testing.assert_array_equal(unsorted.out_degree(where=where[::-1]), np.bincount(pre[where], minlength=400))
    np.testing.assert_array_equal(unsorted.pre_range(10, 20), pre[::-1][10:20])


@pytest.mark.parametrize("chunk", [7, 1 << 22])
def test_build_rows_in_passes_places_every_synapse_in_list_order(monkeypatch, chunk):
    """build_rows fills each row with list 0's synapses of that row (in list order), then list 1's...;
    checked against a per-row Python construction, with passes of 7 synapses and of the default size,
    lists given as pre arrays and as Synapses, targets as arrays and as functions of (start, stop)."""
    import spikenet.propagation as propagation
    from spikenet.connectivity import Synapses

    monkeypatch.setattr(propagation, "BUILD_CHUNK_SYNAPSES", chunk)
    rng = np.random.default_rng(8)
    n_pre = 40
    pres = [np.sort(rng.integers(0, n_pre, n)).astype(np.int32) for n in (300, 0, 123, 57)]
    targets = [rng.integers(0, 1000, p.size).astype(np.int32) for p in pres]
    values = [rng.random(p.size).astype(np.float32) for p in pres]
    expected_rows = [[] for _ in range(n_pre)]
    for pre, target, value in zip(pres, targets, values):
        for row, t, v in zip(pre, target, value):
            expected_rows[row].append((t, v))
    width = max(len(r) for r in expected_rows)
    lists = [Synapses(p, t, n_pre, 1000) if k % 2 else p for k, (p, t) in enumerate(zip(pres, targets))]
    target_lists = [(lambda a, b, t=t: t[a:b]) if k % 2 == 0 else t for k, t in enumerate(targets)]
    positions: list = []
    table, (weights,) = propagation.build_rows(n_pre, lists, iter(target_lists), [values], -1, value_dtypes=[np.float32],
                                               positions=positions)
    assert table.shape == weights.shape == (n_pre + 1, width)
    for row, entries in enumerate(expected_rows):
        assert table[row, :len(entries)].tolist() == [t for t, _ in entries]
        assert weights[row, :len(entries)].tolist() == [v for _, v in entries]
        assert np.all(table[row, len(entries):] == -1) and np.all(weights[row, len(entries):] == 0)
    for position, target in zip(positions, targets):
        np.testing.assert_array_equal(table.reshape(-1)[position], target)


def test_build_rows_drops_each_list_before_placed():
    """``placed(k)`` comes once list k is in the rows and build_rows keeps no reference to its arrays:
    with the caller's references dropped there, the arrays are freed (checked with weak references)."""
    import weakref

    from spikenet.propagation import build_rows

    rng = np.random.default_rng(4)
    pres = [np.sort(rng.integers(0, 20, n)).astype(np.int32) for n in (50, 80)]
    targets = [rng.integers(0, 99, p.size).astype(np.int32) for p in pres]
    weights = [rng.random(p.size) for p in pres]
    alive = [[weakref.ref(a) for a in arrays] for arrays in zip(pres, targets, weights)]
    calls = []

    def placed(k):
        pres[k] = targets[k] = weights[k] = None
        calls.append((k, [ref() is None for ref in alive[k]]))

    build_rows(20, pres, targets, [weights], -1, placed=placed)
    assert calls == [(0, [True, True, True]), (1, [True, True, True])]
