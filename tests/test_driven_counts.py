"""ActivityCounts.neuron_updates_driven: the (neuron, step) pairs in which a neuron received non-zero
synaptic input or had a non-zero injected current, counted by the engine on every path (event and
dense, chunked, resumed, run_seeds) and checked against counts made by hand and with numpy from
the spike times and the connectivity given to the network."""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest

import spikenet as sn
from learning_rules import PairSTDP
from neurons import LIF

DT = 0.1
STEPS = 40  # 4 ms
SILENT = dict(v_threshold=1e6, v_reset=-70.0)  # neurons that never spike (their spikes do not matter here)


@functools.lru_cache(maxsize=None)
def _hand_network() -> tuple[sn.Network, sn.PoissonInput]:
    """Sources at known steps, explicit connectivity and weights; the expected counts are worked
    out by hand below (built once: the tests share its compiled functions and never change it)."""
    net = sn.Network(dt=DT, seed=3)
    # src and late spike (neuron@step): 0@0, 1@0, 2@5, 3@10, 0@12, 2@20, 1@39. src has zero-delay
    # projections only (delivered straight into the step's input); late's go through the delay ring.
    src = net.spike_source("src", 4, np.array([0, 1, 2, 3, 0, 2, 1]), np.array([0.0, 0.0, 0.5, 1.0, 1.2, 2.0, 3.9]))
    late = net.spike_source("late", 4, np.array([0, 1, 2, 3, 0, 2, 1]), np.array([0.0, 0.0, 0.5, 1.0, 1.2, 2.0, 3.9]))
    # gen spikes: 0@2, 1@2, 2@3, 2@38
    gen = net.spike_source("gen", 3, np.array([0, 1, 2, 2]), np.array([0.2, 0.2, 0.3, 3.8]))
    a = net.population("a", 5, LIF(**SILENT))
    e = net.population("e", 2, LIF(**SILENT))
    c = net.population("c", 3, LIF(**SILENT))
    d = net.population("d", 2, LIF(**SILENT))
    p = net.population("p", 3, LIF(**SILENT))
    z = net.population("z", 2, LIF(**SILENT))
    q = net.population("q", 20, LIF(**SILENT))
    # Zero delay, one CurrentExp channel: src1->a1 (w 2), src0->a1 (w 0), src3->a4 twice (+2, -2: cancel).
    net.connect(src, a, sn.FromIndices(np.array([0, 0, 1, 2, 3, 3]), np.array([0, 1, 1, 2, 4, 4])),
                synapse=sn.CurrentExp(5.0), weight=np.array([1.0, 0.0, 2.0, 1.5, 2.0, -2.0]))
    # Delta onto v, 3 steps of delay.
    net.connect(late, a, sn.FromIndices(np.array([1, 2]), np.array([3, 0])), synapse=sn.Delta(), weight=0.5, delay=0.3)
    # A conductance channel, 10 steps of delay.
    net.connect(late, a, sn.FromIndices(np.array([0]), np.array([2])), synapse=sn.ConductanceExp(5.0, 0.0), weight=1.0,
                delay=1.0)
    # An alpha channel (deliveries go to its rise variable), zero delay but through the ring (gen also
    # has a delayed projection, and a source's static projections share one set of rows).
    net.connect(gen, a, sn.FromIndices(np.array([0]), np.array([3])), synapse=sn.CurrentAlpha(2.0), weight=1.0)
    # e: a constant current on every neuron (driven in every step, whatever its synaptic input).
    net.current(e, 5.0)
    net.connect(src, e, sn.FromIndices(np.array([0, 3]), np.array([0, 1])), synapse=sn.CurrentExp(5.0), weight=1.0)
    # One to one, Delta, 2 steps of delay; plus a constant current on c1 only.
    net.connect(gen, c, sn.OneToOne(), synapse=sn.Delta(), weight=1.0, delay=0.2)
    net.current(c, np.array([0.0, 50.0, 0.0]))
    # d0: constant -10 pA plus a table 0, +10, 0 (1 ms each, last value held): the sum is 0 in steps 10..19.
    net.current(d, np.array([-10.0, 0.0]))
    net.current(d, np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 0.0]]), dt_values=1.0)
    # PoissonInput at rate 1/dt: every neuron receives n_sources events every step; weight 0 drives nothing.
    net.poisson_input(p, 2, 1000.0 / DT, 0.1)
    net.poisson_input(p, 2, 1000.0 / DT, 0.0, synapse=sn.CurrentExp(3.0))
    net.poisson_input(z, 3, 1000.0 / DT, 0.0)
    # One virtual source per neuron: at most one event per (neuron, step), each one drives the neuron.
    random_input = net.poisson_input(q, 1, 500.0, 1.0, synapse=sn.CurrentExp(3.0))
    return net, random_input


# Worked out from the spike times and connectivity above (step of delivery = spike step + delay):
#   a: CurrentExp: a0@0, a1@0 (a1's w=0 event at 12 is idle), a2@5, a0@12, a2@20, a1@39 (a4@10 cancels: idle);
#      late's Delta (+3): a3@3, a0@8, a0@23 (a3@42 after the run); late's ConductanceExp (+10): a2@10, a2@22;
#      CurrentAlpha: a3@2  -> 12 distinct (neuron, step) pairs.
#   e: 2 neurons x 40 steps = 80 (current on both).
#   c: Delta (+2): c0@4, c1@4, c2@5 (c2@40 after the run); c1 has a current in all 40 steps -> 40 + 2 = 42.
#   d: d0 driven in steps 0..9 and 20..39 (current -10), idle in 10..19 (-10 + 10 = 0) -> 30.
#   p: 3 neurons x 40 steps = 120.   z: 0 (weight 0).   sources: 0.
HAND_COUNT = {"src": 0, "late": 0, "gen": 0, "a": 12, "e": 80, "c": 42, "d": 30, "p": 120, "z": 0}


def _check_hand_counts(counts: sn.ActivityCounts, random_input: sn.PoissonInput) -> None:
    driven = counts.neuron_updates_driven
    for name, expected in HAND_COUNT.items():
        assert driven[name] == expected, name
    assert counts.external_events[random_input.name] == driven["q"]
    assert 0 < driven["q"] < 20 * counts.steps
    assert counts.external_events["poisson_input:z#2"] == 3 * 2 * counts.steps  # events arrive, but carry weight 0


@pytest.mark.parametrize("engine", ["event", "dense"])
@pytest.mark.parametrize("precision", ["float32", "float64"])
def test_driven_counts_match_the_hand_count(engine, precision):
    net, random_input = _hand_network()
    counts = net.run(STEPS * DT, seed=1, engine=engine, precision=precision).counts
    _check_hand_counts(counts, random_input)
    assert set(counts.neuron_updates_driven) == set(net.populations)
    assert all(isinstance(v, int) for v in counts.neuron_updates_driven.values())


def test_event_and_dense_paths_give_the_same_driven_counts():
    net, _ = _hand_network()
    event = net.run(STEPS * DT, seed=5, engine="event").counts
    dense = net.run(STEPS * DT, seed=5, engine="dense").counts
    assert event.neuron_updates_driven == dense.neuron_updates_driven
    assert event.to_dict() == dense.to_dict()


@pytest.mark.parametrize("chunk_steps", [1, 7, 13, 40])
def test_driven_counts_do_not_depend_on_the_chunk_size(chunk_steps):
    net, random_input = _hand_network()
    reference = net.run(STEPS * DT, seed=2).counts
    chunked = net.run(STEPS * DT, seed=2, chunk_steps=chunk_steps).counts
    _check_hand_counts(chunked, random_input)
    assert chunked.to_dict() == reference.to_dict()


@pytest.mark.parametrize("engine", ["event", "dense"])
def test_counts_of_a_resumed_run_add_up_to_the_whole_run(engine):
    """Delayed events cross the boundary at step 20 (late0@12 -> a2@22, late2@20 -> a0@23): they
    count in the second run, where they are delivered."""
    net, _ = _hand_network()
    whole = net.run(STEPS * DT, seed=4, engine=engine).counts
    first = net.run(STEPS * DT / 2, seed=4, engine=engine)
    second = net.run(STEPS * DT / 2, seed=4, engine=engine, resume=first)
    assert whole.neuron_updates_driven["a"] == HAND_COUNT["a"]
    # a, first 20 steps: a0@0, a1@0, a2@5, a0@12, a3@3, a0@8, a2@10, a3@2 = 8; the other 4 in the second.
    assert first.counts.neuron_updates_driven["a"] == 8 and second.counts.neuron_updates_driven["a"] == 4
    total = first.counts + second.counts
    assert total.neuron_updates_driven == whole.neuron_updates_driven
    assert total.to_dict() == whole.to_dict()


@pytest.mark.parametrize("vectorize", [False, True])
def test_run_seeds_gives_each_seed_the_driven_counts_of_its_run(vectorize):
    net, random_input = _hand_network()
    compiled = net.compile()
    results = compiled.run_seeds(STEPS * DT, [0, 7], progress=False, vectorize=vectorize)
    for seed, result in zip([0, 7], results):
        _check_hand_counts(result.counts, random_input)
        assert result.counts.to_dict() == compiled.run(STEPS * DT, seed=seed).counts.to_dict()
    assert results[0].counts.neuron_updates_driven["q"] != results[1].counts.neuron_updates_driven["q"]


def _expected_driven(n_steps: int, size: int,
                     synapses: list[tuple[list, str, np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
                     any_nonzero_event: bool = False) -> int:
    """Driven (neuron, step) pairs of one post population, with numpy: per channel, the sum of the
    weights delivered in each step (spike step + delay); driven where any channel's sum != 0 (or,
    with ``any_nonzero_event``, where any channel received an event of non-zero weight).
    ``synapses``: (spikes of the source as (step, neuron) pairs, channel, pre, post, weight,
    delay_steps), the arrays as given to the network."""
    channels = sorted({channel for _, channel, *_ in synapses})
    delivered = np.zeros((len(channels), n_steps, size))
    for spikes, channel, pre, post, weight, delay in synapses:
        for step, neuron in spikes:
            chosen = pre == neuron
            arrival = step + delay[chosen]
            inside = arrival < n_steps
            values = np.abs(weight[chosen][inside]) if any_nonzero_event else weight[chosen][inside]
            np.add.at(delivered[channels.index(channel)], (arrival[inside], post[chosen][inside]), values)
    return int(np.count_nonzero(np.any(delivered != 0, axis=0)))


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("engine", ["event", "dense"])
def test_random_connectivity_with_cancelling_integer_weights_matches_numpy(seed, engine):
    """Random source spikes and synapses (duplicates included), integer weights in [-2, 2] (zeros, and
    sums that cancel exactly in any order) on three channels (CurrentExp, ConductanceExp, Delta onto
    v), from a source with zero delays (direct deliveries) and one with delays of 0..4 steps (ring).
    Deliveries add into the decayed channel value x, and x + 2 - 2 may differ from x by rounding, so a
    step whose weights cancel exactly may count as driven (ActivityCounts: 'changes its synaptic
    state'): the count lies between the steps with a non-zero weight sum and the steps with any
    non-zero-weight event, and both paths count the same steps."""
    rng = np.random.default_rng(seed)
    n_src, n_post, n_steps = 6, 8, 50
    net = sn.Network(dt=DT, seed=seed)
    post = net.population("post", n_post, LIF(**SILENT))
    synapses = []
    for source_name, max_delay in (("now", 0), ("later", 4)):
        flat = rng.choice(n_steps * n_src, 40, replace=False)
        steps, neurons = flat // n_src, flat % n_src
        source = net.spike_source(source_name, n_src, neurons, steps * DT)
        for channel, synapse in (("current", sn.CurrentExp(4.0)), ("conductance", sn.ConductanceExp(6.0, 0.0)),
                                 ("delta", sn.Delta())):
            n = 15
            pre, target = rng.integers(0, n_src, n), rng.integers(0, n_post, n)
            weight = rng.integers(-2, 3, n).astype(float)
            delay = rng.integers(0, max_delay + 1, n)
            net.connect(source, post, sn.FromIndices(pre, target), synapse=synapse, weight=weight, delay=delay * DT)
            synapses.append((list(zip(steps.tolist(), neurons.tolist())), channel, pre, target, weight, delay))
    low = _expected_driven(n_steps, n_post, synapses)
    high = _expected_driven(n_steps, n_post, synapses, any_nonzero_event=True)
    counts = net.run(n_steps * DT, engine=engine).counts
    assert counts.neuron_updates_driven["now"] == counts.neuron_updates_driven["later"] == 0
    assert low <= counts.neuron_updates_driven["post"] <= high
    assert 0 < low < high < n_post * n_steps  # the case holds cancellations that the bound must allow


@pytest.mark.parametrize("engine", ["event", "dense"])
def test_plastic_and_fused_static_projections_count_their_deliveries(engine):
    """A plastic projection (deliveries through its arena) and a static zero-delay projection from
    the same source (fused into the plastic loop on the event path); the rule's amplitudes are 0 so
    the weights, and hence the expected counts, stay fixed."""
    n_steps = 30
    net = sn.Network(dt=DT)
    spikes = [(0, 0), (0, 1), (4, 2), (9, 0), (9, 3), (17, 1), (29, 2)]  # (step, neuron)
    steps, neurons = np.array(spikes).T
    src = net.spike_source("src", 4, neurons, steps * DT)
    post = net.population("post", 5, LIF(**SILENT))
    plastic_syn = (np.array([0, 1, 2, 3]), np.array([0, 1, 1, 4]), np.array([1.0, 0.0, 2.0, 1.0]))
    static_syn = (np.array([0, 2, 3]), np.array([2, 3, 4]), np.array([1.0, 1.0, -1.0]))
    net.connect(src, post, sn.FromIndices(plastic_syn[0], plastic_syn[1]), synapse=sn.CurrentExp(5.0),
                weight=plastic_syn[2], plasticity=PairSTDP(a_plus=0.0, a_minus=0.0, w_max=10.0))
    net.connect(src, post, sn.FromIndices(static_syn[0], static_syn[1]), synapse=sn.CurrentExp(5.0), weight=static_syn[2])
    # Both projections feed the same channel. By hand: src0 (steps 0, 9) -> post0 (plastic) and post2
    # (static); src2 (steps 4, 29) -> post1 (plastic) and post3 (static); src1 (steps 0, 17) reaches
    # post1 with weight 0 (idle); src3 (step 9) delivers +1 (plastic) and -1 (static) to post4 (cancel,
    # idle) -> 4 + 4 = 8 driven (neuron, step) pairs.
    counts = net.run(n_steps * DT, engine=engine).counts
    synapses = [(spikes, "channel", *plastic_syn, np.zeros(4, int)), (spikes, "channel", *static_syn, np.zeros(3, int))]
    assert _expected_driven(n_steps, 5, synapses) == 8
    assert counts.neuron_updates_driven == {"src": 0, "post": 8}


def test_counts_round_trip_through_to_dict_and_json():
    net, _ = _hand_network()
    counts = net.run(STEPS * DT, seed=1).counts
    data = counts.to_dict()
    assert data["neuron_updates_driven"] == HAND_COUNT | {"q": counts.neuron_updates_driven["q"]}
    assert sn.ActivityCounts.from_dict(data) == counts
    assert sn.ActivityCounts.from_dict(json.loads(counts.to_json())) == counts


def test_counts_without_the_driven_field_keep_it_unknown():
    """Files written before the field existed (or with null): ``None``, left out again by to_dict,
    and a sum with unknown driven counts is unknown."""
    net, _ = _hand_network()
    counts = net.run(STEPS * DT, seed=1).counts
    old = counts.to_dict()
    del old["neuron_updates_driven"]
    restored = sn.ActivityCounts.from_dict(old)
    assert restored.neuron_updates_driven is None
    assert "neuron_updates_driven" not in restored.to_dict()
    assert sn.ActivityCounts.from_dict({**old, "neuron_updates_driven": None}).neuron_updates_driven is None
    assert (restored + counts).neuron_updates_driven is None
    assert (counts + restored).neuron_updates_driven is None
    doubled = counts + counts
    assert doubled.neuron_updates_driven == {k: 2 * v for k, v in counts.neuron_updates_driven.items()}
    assert counts.neuron_updates_driven["a"] == HAND_COUNT["a"]  # the operands are not changed


@pytest.mark.parametrize("engine", ["event", "dense"])
def test_channels_of_counted_and_biased_populations_hold_the_delivered_weights(engine):
    """Counting changes no channel: a population whose updates are counted from its deliveries
    (no current) and one driven every step by its current receive the same events; both channel
    traces equal the exponential sum of the delivered weights (numpy, float64), each delivery
    acting from the step after it (several events in one step included)."""
    tau, n_steps = 5.0, 30
    net = sn.Network(dt=DT)
    spikes = [(0, 0), (0, 1), (6, 0), (6, 2), (6, 1), (15, 2)]  # (step, neuron)
    steps, neurons = np.array(spikes).T
    src = net.spike_source("src", 3, neurons, steps * DT)
    weights = {0: 1.0, 1: 2.5, 2: -0.75}
    for name in ("counted", "biased"):
        population = net.population(name, 1, LIF(**SILENT))
        net.connect(src, population, sn.FromIndices(np.arange(3), np.zeros(3, int)), synapse=sn.CurrentExp(tau),
                    weight=np.array([weights[k] for k in range(3)]))
    net.current(net.populations["biased"], 1.0)
    result = net.run(n_steps * DT, engine=engine, precision="float64",
                     monitors=[sn.StateMonitor("counted", ["I_syn0"]), sn.StateMonitor("biased", ["I_syn0"])])
    expected = np.zeros(n_steps)
    for step, neuron in spikes:
        later = np.arange(step + 1, n_steps)
        expected[later] += weights[neuron] * np.exp(-(later - step - 1) * DT / tau)
    for name in ("counted", "biased"):
        np.testing.assert_allclose(result.states[name]["I_syn0"][:, 0], expected, rtol=1e-12, atol=1e-12)
    assert result.counts.neuron_updates_driven == {"src": 0, "counted": 3, "biased": n_steps}
