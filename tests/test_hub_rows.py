"""Synapse rows whose memory follows the number of synapses: a static group with hub neurons is
stored in out-degree buckets (``spikenet.engine.layout.bucket_plan``), each an ELL of its own
width, instead of one ELL padded to the hub's out-degree; the memory of all row tables is
estimated and refused (``check_memory``) before any is allocated.

Reference: the dense path (``engine="dense"``: ``spikes @ W`` per delay, sharing no row code with
the event engine) in float64, which test_engine and test_network_parity check against Brian2;
spikes must be identical and counts the same integers, for both delivery strategies."""

import numpy as np
import pytest

import spikenet as sn
from learning_rules.stdp import PairSTDP
from neurons import LIF
from spikenet.engine import rows
from spikenet.engine.layout import bucket_plan
from spikenet.validation import MEMORY_LIMIT_ENV

SMALL_SLACK = 4096


@pytest.fixture(autouse=True)
def small_slack(monkeypatch):
    """The default slack (4 M entries) keeps every small network in one table; these tests lower
    it so that their small hub networks are split into buckets."""
    monkeypatch.setattr(rows, "BUCKET_SLACK_ENTRIES", SMALL_SLACK)


def _spike_source(net, name, n, rng, n_random, steps, always=()):
    """A spike source with random spikes, a burst of every neuron at 1 ms and ``always`` firing every 0.5 ms."""
    times = [rng.integers(1, steps, n_random), np.full(n, 10)] + [np.arange(5, steps, 5) for _ in always]
    indices = [rng.integers(0, n, n_random), np.arange(n)] + [np.full(len(np.arange(5, steps, 5)), k) for k in always]
    step, index = np.concatenate(times), np.concatenate(indices)
    keep = np.unique(step * n + index, return_index=True)[1]
    return net.spike_source(name, n, index[keep], step[keep] * 0.1)


def _table_entries(out):
    return sum(b.entries for b in out.buckets) if out.buckets is not None else out.targets.size


# -- the hub of the issue ---------------------------------------------------------------------------

N_SOURCES, N_TARGETS, HUB_DEGREE = 20_000, 500, 20_000


def _hub_network():
    """20,000 sources: neuron 0 makes 20,000 synapses (40 onto each of 500 targets), every other one 1."""
    rng = np.random.default_rng(3)
    net = sn.Network(dt=0.1, seed=3)
    source = _spike_source(net, "src", N_SOURCES, rng, 3000, 150, always=(0,))
    target = net.population("tgt", N_TARGETS, LIF(v_threshold=-55.0, refractory=1.0))
    pre = np.concatenate([np.zeros(HUB_DEGREE, np.int64), np.arange(1, N_SOURCES)])
    post = np.concatenate([np.tile(np.arange(N_TARGETS), HUB_DEGREE // N_TARGETS), rng.integers(0, N_TARGETS, N_SOURCES - 1)])
    hub_weight = np.where(pre == 0, rng.uniform(-40.0, 50.0, pre.size), rng.uniform(50.0, 600.0, pre.size))
    net.connect(source, target, sn.FromIndices(pre, post), synapse=sn.CurrentExp(5.0), weight=hub_weight,
                delay=rng.choice([0.0, 0.2], pre.size), name="hub")
    return net


def test_a_hub_neuron_costs_its_synapses_not_a_padded_table():
    net = _hub_network()
    n_synapses = HUB_DEGREE + N_SOURCES - 1
    compiled = net.compile(precision="float64")
    (out,) = compiled.layout.outgoing
    assert out.buckets is not None and out.targets is None
    assert [(b.members.size, b.width) for b in out.buckets] == [(N_SOURCES - 1, 1), (1, HUB_DEGREE)]
    entries = _table_entries(out)
    assert entries <= 3 * n_synapses                        # was (20,000 + 1) x 20,000 = 4.0e8 entries
    weights = compiled.layout.rows_weights(out, {"hub": net.projections[0].weights})
    row_bytes = sum(b.targets.nbytes for b in out.buckets) + sum(w.nbytes for w in weights)
    assert row_bytes == entries * (4 + 8) < 1_000_000       # was 4.8 GB (int32 targets + float64 weights)
    # Every synapse sits in its own slot of the right row.
    slots = np.concatenate([np.full(b.entries, k) for k, b in enumerate(out.buckets)])
    assert np.unique(out.positions[0]).size == n_synapses and out.positions[0].max() < entries
    assert np.all(slots[out.positions[0][net.projections[0].synapses.pre == 0]] == 1)

    monitors = [sn.SpikeMonitor("tgt"), sn.SpikeMonitor("src")]
    dense = net.compile(precision="float64", engine="dense").run(15.0, monitors=monitors, progress=False)
    assert dense.counts.spikes["tgt"] > 0 and dense.counts.spikes["src"] > N_SOURCES
    for delivery in ("native", "loop", "compacted"):
        event = net.compile(precision="float64", delivery=delivery).run(15.0, monitors=monitors, progress=False)
        np.testing.assert_array_equal(event.spikes["tgt"][0], dense.spikes["tgt"][0])
        np.testing.assert_array_equal(event.spikes["tgt"][1], dense.spikes["tgt"][1])
        assert event.counts.to_dict() == dense.counts.to_dict()


# -- random networks with hubs -----------------------------------------------------------------------

def _skewed_network(seed: int, plastic: bool = False):
    """Sources and populations with several projections each (all synapse kinds, per-synapse delays
    or none), whose out-degrees are small except a few hubs with hundreds of synapses."""
    rng = np.random.default_rng(seed)
    net = sn.Network(dt=0.1, seed=seed)
    n_source = int(rng.integers(150, 400))
    source = _spike_source(net, "source", n_source, rng, 600, 300, always=tuple(rng.choice(n_source, 2, replace=False)))
    populations = [net.population(f"p{k}", int(rng.integers(40, 120)),
                                  LIF(v_threshold=-55.0, refractory=float(rng.choice([0.0, 1.0])))) for k in range(2)]
    for population in populations:
        population.set_initial(v=rng.uniform(-70.0, -56.0, population.size))
    synapses = [sn.Delta("v"), sn.CurrentExp(float(rng.uniform(2, 8))), sn.ConductanceExp(5.0, 0.0)]
    for pre in [source, populations[0]]:
        for post in populations:
            for _ in range(int(rng.integers(1, 3))):
                degrees = rng.poisson(float(rng.uniform(0.3, 2.0)), pre.size)
                hubs = rng.choice(pre.size, int(rng.integers(1, 4)), replace=False)
                degrees[hubs] = rng.integers(200, 900, hubs.size)
                pre_index = np.repeat(np.arange(pre.size), degrees)
                post_index = rng.integers(0, post.size, pre_index.size)
                synapse = synapses[int(rng.integers(0, 3))]
                scale = {sn.Delta: 3.0, sn.CurrentExp: 150.0, sn.ConductanceExp: 4.0}[type(synapse)]
                low = 0.0 if isinstance(synapse, sn.ConductanceExp) else -0.6 * scale
                weight = rng.uniform(low, scale, pre_index.size) / np.sqrt(1.0 + np.isin(pre_index, hubs) * 20)
                delay = rng.choice([0.0, 0.0, 0.3, 1.0]) if rng.random() < 0.5 else rng.integers(0, 12, pre_index.size) * 0.1
                if pre is source and (plastic or seed % 2 == 0):
                    delay = 0.0   # undelayed rows (the inbox path; beside the plastic projection: not fused)
                order = rng.permutation(pre_index.size)    # FromIndices keeps the user's order
                net.connect(pre, post, sn.FromIndices(pre_index[order], post_index[order]), synapse=synapse,
                            weight=weight[order], delay=delay if np.ndim(delay) == 0 else delay[order])
    if plastic:  # a plastic projection beside the source's static rows (fused only when not bucketed)
        net.connect(source, populations[1], sn.FixedProbability(0.1), synapse=sn.Delta("v"), weight=sn.Uniform(0.0, 2.0),
                    plasticity=PairSTDP(a_plus=0.05, a_minus=0.06, w_max=3.0), name="stdp")
    return net


def _run(net, **compile_options):
    names = list(net.populations)
    return net.compile(precision="float64", **compile_options).run(
        30.0, monitors=[sn.SpikeMonitor(n) for n in names], progress=False), names


@pytest.mark.parametrize("seed", range(5))
def test_bucketed_rows_give_the_spikes_and_counts_of_the_dense_path(seed):
    net = _skewed_network(seed, plastic=seed == 4)
    layout = net.compile(precision="float64").layout
    static = [out for out in layout.outgoing if not out.plastic]
    assert any(out.buckets is not None for out in static)   # the property is about buckets
    if seed == 4:   # the source's undelayed bucketed rows are not fused into the plastic projection's loop
        assert any(out.buckets is not None and not out.delayed and out.population.name == "source" for out in static)
    for out in static:
        degrees = out.out_degrees[:len(out.projections), :-1].sum(axis=0)
        assert _table_entries(out) <= 2 * degrees.sum() + out.population.size + 1 + SMALL_SLACK
        if out.buckets is not None:
            assert out.fused_into is None
            for bucket in out.buckets:  # each neuron's counters, at its row
                np.testing.assert_array_equal(bucket.out_degrees[:, :-1], out.out_degrees[:, bucket.members])
                assert not bucket.out_degrees[:, -1].any()
    dense, names = _run(net, engine="dense")
    assert dense.counts.spikes["p0"] > 0 and dense.counts.spikes["p1"] > 0
    assert sum(dense.counts.synaptic_events.values()) > 0
    for delivery in ("native", "loop", "compacted"):
        event, _ = _run(net, delivery=delivery)
        for name in names:
            np.testing.assert_array_equal(event.spikes[name][0], dense.spikes[name][0])
            np.testing.assert_array_equal(event.spikes[name][1], dense.spikes[name][1])
        assert event.counts.to_dict() == dense.counts.to_dict()


def test_bucketed_rows_are_delayed_and_undelayed():
    kinds = set()
    for seed in range(5):
        layout = _skewed_network(seed).compile(precision="float64").layout
        kinds |= {out.delayed for out in layout.outgoing if out.buckets is not None}
    assert kinds == {False, True}


def test_overridden_weights_equal_a_rebuilt_network():
    """The weights of bucketed rows are placed through the synapses' positions: an override run
    equals a network built with those weights, bit for bit."""
    net, rebuilt_net = _skewed_network(1), _skewed_network(1)
    projection = next(p for p in net.projections if p.pre.name == "source")
    assert net.compile().layout.outgoing[0].buckets is not None
    new = np.random.default_rng(9).permutation(projection.weights) * 1.3
    names = list(net.populations)
    overridden = net.compile(precision="float64").run(30.0, monitors=[sn.SpikeMonitor(n) for n in names], progress=False,
                                                      parameters={projection.name: {"weight": new}})
    rebuilt_net.projections[net.projections.index(projection)].weights[:] = new
    rebuilt, _ = _run(rebuilt_net)
    for name in names:
        np.testing.assert_array_equal(overridden.spikes[name][0], rebuilt.spikes[name][0])
        np.testing.assert_array_equal(overridden.spikes[name][1], rebuilt.spikes[name][1])
    assert overridden.counts.to_dict() == rebuilt.counts.to_dict()


def test_a_vmapped_sweep_over_bucketed_weights_equals_single_runs():
    net = _skewed_network(2)
    compiled = net.compile(precision="float64")
    projection = next(p for p in net.projections if p.pre.name == "source")
    scales = [0.5, 1.5]
    names = list(net.populations)
    monitors = [sn.SpikeMonitor(n) for n in names]
    results = compiled.run_sweep(20.0, {projection.name: {"weight": [s * projection.weights for s in scales]}},
                                 monitors=monitors, progress=False, vectorize=True)
    for scale, result in zip(scales, results):
        single = compiled.run(20.0, monitors=monitors, progress=False,
                              parameters={projection.name: {"weight": scale * projection.weights}})
        for name in names:
            np.testing.assert_array_equal(result.spikes[name][0], single.spikes[name][0])
            np.testing.assert_array_equal(result.spikes[name][1], single.spikes[name][1])
        assert result.counts.to_dict() == single.counts.to_dict()
    assert results[0].counts.total_spikes != results[1].counts.total_spikes


# -- the plan ---------------------------------------------------------------------------------------

def test_uniform_degrees_keep_one_table():
    rng = np.random.default_rng(0)
    assert bucket_plan(rng.binomial(4000, 0.02, 4000)) is None        # COBA-4000: one ELL, today's code
    assert bucket_plan(np.full(10_000, 80)) is None
    assert bucket_plan(np.array([300, 1, 1])) is None                 # small: within the slack


@pytest.mark.parametrize("seed", range(20))
def test_buckets_bound_the_padding(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1000, 30_000))
    degrees = rng.poisson(float(rng.uniform(0.0, 5.0)), n)
    degrees[rng.choice(n, int(rng.integers(1, 30)), replace=False)] = rng.integers(100, 50_000)
    if seed % 3 == 0:
        degrees = np.floor(rng.pareto(1.2, n) * 3).astype(np.int64)  # power law
    plan = bucket_plan(degrees)
    single = (n + 1) * max(int(degrees.max()), 1)
    if plan is None:
        assert single <= 2 * degrees.sum() + n + 1 + SMALL_SLACK
        return
    members = np.concatenate([m for m, _ in plan])
    assert np.array_equal(np.sort(members), np.flatnonzero(degrees))   # every row with synapses, once
    assert all(np.all(np.diff(m) > 0) and degrees[m].max() == w for m, w in plan)
    assert [w for _, w in plan] == sorted(w for _, w in plan)
    entries = sum((m.size + 1) * w for m, w in plan)
    classes_total = sum((np.sum((degrees > 2**(k - 1)) & (degrees <= 2**k)) + 1) * 2**k
                        for k in range(40) if np.any((degrees > 2**(k - 1)) & (degrees <= 2**k)))
    assert entries <= max(2 * degrees.sum() + SMALL_SLACK, classes_total) < single


# -- refusing before allocating -----------------------------------------------------------------------

def test_rows_too_large_are_refused_naming_the_population(monkeypatch):
    net = _hub_network()
    monkeypatch.setenv(MEMORY_LIMIT_ENV, str(100_000))
    with pytest.raises(sn.SpikenetError, match=r"population 'src' \(static projection 'hub': 39,999 synapses, "
                                               r"out-degree up to 20,000\) .*would need [0-9.]+ MiB .*; 97\.7 KiB available"):
        net.compile(precision="float64")
    monkeypatch.setenv(MEMORY_LIMIT_ENV, str(50 * 2**20))    # the padded table (4.8 GB) would not fit; the buckets do
    assert net.compile(precision="float64").layout.rows_bytes < 50 * 2**20


def test_a_plastic_hub_is_refused_naming_the_projection(monkeypatch):
    rng = np.random.default_rng(0)
    net = sn.Network(dt=0.1, seed=0)
    source = _spike_source(net, "src", 20_000, rng, 10, 20)
    target = net.population("tgt", 100, LIF())
    pre = np.concatenate([np.zeros(20_000, np.int64), np.arange(1, 20_000)])
    net.connect(source, target, sn.FromIndices(pre, np.arange(pre.size) % 100), synapse=sn.Delta("v"), weight=0.5,
                plasticity=PairSTDP(), name="learning")
    monkeypatch.setenv(MEMORY_LIMIT_ENV, str(2**30))
    with pytest.raises(sn.SpikenetError, match=r"plastic projection 'learning' \(39,999 synapses, every row padded to "
                                               r"the largest out-degree 20,000\) would need [0-9.]+ GiB"):
        net.compile()
