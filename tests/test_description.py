"""The network description: connectivity rules, and bad input rejected before any simulation
with a message naming the parameter, its value and the allowed range."""

import numpy as np
import pytest

import spikenet as sn
from neurons import LIF


def test_fixed_probability_matches_binomial_statistics_and_stays_sparse():
    """FixedProbability: synapse count within 5 SD of the binomial mean n_pre*n_post*p, no duplicate pairs."""
    net = sn.Network()
    a = net.population("a", 2000, LIF())
    b = net.population("b", 3000, LIF())
    projection = net.connect(a, b, sn.FixedProbability(0.01))
    n, p = 2000 * 3000, 0.01
    assert abs(projection.n_synapses - n * p) < 5 * np.sqrt(n * p * (1 - p))
    pairs = projection.synapses.pre * 3000 + projection.synapses.post
    assert np.unique(pairs).size == pairs.size
    assert np.all(np.diff(projection.synapses.pre) >= 0)


@pytest.mark.parametrize("rule, check", [
    (sn.FixedInDegree(17, allow_autapses=False), lambda s: np.all(s.in_degree() == 17)),
    (sn.FixedOutDegree(23, allow_autapses=False), lambda s: np.all(s.out_degree() == 23)),
    (sn.OneToOne(), lambda s: np.array_equal(s.pre, s.post)),
    (sn.AllToAll(allow_autapses=False), lambda s: s.n_synapses == 300 * 299),
])
def test_degree_rules_are_exact_without_duplicates_or_autapses(rule, check):
    """Fixed in/out-degree, one-to-one and all-to-all give exactly the requested structure."""
    net = sn.Network(seed=4)
    a = net.population("a", 300, LIF())
    synapses = net.connect(a, a, rule).synapses
    assert check(synapses)
    pairs = synapses.pre * 300 + synapses.post
    assert np.unique(pairs).size == pairs.size
    if not isinstance(rule, sn.OneToOne):
        assert np.all(synapses.pre != synapses.post)


def test_connectivity_is_seeded():
    """The same network seed gives the same synapses; another seed gives others."""
    def build(seed):
        net = sn.Network(seed=seed)
        a = net.population("a", 200, LIF())
        return net.connect(a, a, sn.FixedProbability(0.1)).synapses.post
    assert np.array_equal(build(1), build(1)) and not np.array_equal(build(1), build(2))


def test_from_indices_keeps_weights_with_their_synapses():
    """FromIndices in any order: weights follow their (pre, post) pairs after CSR sorting."""
    net = sn.Network()
    a = net.population("a", 3, LIF())
    projection = net.connect(a, a, sn.FromIndices(np.array([2, 0, 1]), np.array([0, 1, 2])), weight=np.array([5.0, 6.0, 7.0]))
    assert projection.synapses.pre.tolist() == [0, 1, 2]
    assert projection.weights.tolist() == [6.0, 7.0, 5.0]


def _network():
    net = sn.Network(dt=0.1)
    return net, net.population("a", 10, LIF()), net.population("b", 5, LIF())


BAD_INPUTS = [
    ("dt", lambda: sn.Network(dt=0.0), r"dt \(ms\) must be > 0"),
    ("dt NaN", lambda: sn.Network(dt=float("nan")), r"dt \(ms\) must be finite"),
    ("size", lambda: _network()[0].population("c", 0, LIF()), r"size of population 'c' must be a positive integer"),
    ("probability", lambda: sn.FixedProbability(1.5), r"FixedProbability.p must be in \[0.0, 1.0\]; got 1.5"),
    ("in-degree", lambda: (lambda n, a, b: n.connect(a, b, sn.FixedInDegree(11)))(*_network()),
     r"FixedInDegree.k must be <= 10"),
    ("delay off grid", lambda: (lambda n, a, b: n.connect(a, b, sn.AllToAll(), delay=0.15))(*_network()),
     r"multiple of dt = 0.1 ms; got 0.15"),
    ("negative delay", lambda: (lambda n, a, b: n.connect(a, b, sn.AllToAll(), delay=-0.1))(*_network()),
     r"must be >= 0 ms"),
    ("weight shape", lambda: (lambda n, a, b: n.connect(a, b, sn.AllToAll(), weight=np.ones(7)))(*_network()),
     r"must have shape \(50,\)"),
    ("weight NaN", lambda: (lambda n, a, b: n.connect(a, b, sn.AllToAll(), weight=np.full(50, np.nan)))(*_network()),
     r"weight of projection 'a->b' must be finite"),
    ("weight inf", lambda: (lambda n, a, b: n.connect(a, b, sn.AllToAll(), weight=np.inf))(*_network()),
     r"must be finite"),
    ("tau", lambda: LIF(tau_m=-1.0), r"LIF.tau_m \(ms\) must be > 0"),
    ("threshold", lambda: LIF(v_threshold=-70.0, v_reset=-60.0), r"v_threshold must be > v_reset"),
    ("refractory", lambda: LIF(refractory=-1.0), r"LIF.refractory \(ms\) must be >= 0"),
    ("synapse tau", lambda: sn.ConductanceExp(tau=0.0, e_rev=0.0), r"ConductanceExp.tau \(ms\) must be > 0"),
    ("duration", lambda: _network()[0].run(1.05), r"duration must be a multiple of dt = 0.1 ms; got 1.05"),
    ("monitor", lambda: _network()[0].run(1.0, monitors=[sn.SpikeMonitor("nope")]), r"unknown population 'nope'"),
    ("precision", lambda: _network()[0].run(1.0, precision="float16"), r"precision must be one of"),
    ("poisson rate", lambda: sn.Network(dt=0.1).poisson_source("p", 3, 20000.0), r"rates must be <= 1/dt = 10000 Hz"),
    ("spike time", lambda: sn.Network(dt=0.1).spike_source("s", 2, [0], [0.05]), r"multiples of dt = 0.1 ms; got 0.05"),
    ("spike index", lambda: sn.Network(dt=0.1).spike_source("s", 2, [2], [0.1]), r"indices must be in \[0, 1\]"),
    ("state name", lambda: _network()[1].set_initial(w=1.0), r"has no state variable 'w'"),
]


@pytest.mark.parametrize("label, action, message", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_raises_a_clear_error_before_simulating(label, action, message):
    with pytest.raises(sn.SpikenetError, match=message):
        action()


def test_projection_between_populations_of_another_network_is_refused():
    one, a, _ = _network()
    two, c, _ = _network()
    with pytest.raises(sn.SpikenetError, match="belongs to another network"):
        one.connect(a, c, sn.AllToAll())


def test_dense_path_refuses_a_network_that_would_exceed_memory(monkeypatch):
    """The dense reference path states the memory it would need instead of trying."""
    import spikenet.engine.layout as layout
    monkeypatch.setattr(layout, "DENSE_MEMORY_LIMIT_BYTES", 10_000)
    net, a, b = _network()
    big = net.population("big", 1000, LIF())
    net.connect(big, big, sn.FixedProbability(0.01))
    with pytest.raises(sn.SpikenetError, match=r"dense path would need .* GiB"):
        net.compile(engine="dense")


def test_with_weights_copies_the_network_with_new_weights():
    """Network.with_weights: the copy runs with the new weights (a projection with all weights 0
    delivers nothing, so the target stays silent), the original keeps its weights and still
    drives the target; bad names, shapes and values are refused naming the projection."""
    net = sn.Network(dt=0.1, seed=0)
    source = net.poisson_source("source", 20, 200.0)
    target = net.population("target", 5, LIF())
    projection = net.connect(source, target, sn.AllToAll(), synapse=sn.Delta("v"), weight=5.0)
    silent = net.with_weights({projection.name: np.zeros(projection.n_synapses)})
    monitors = [sn.SpikeMonitor("target")]
    assert silent.run(100.0, monitors=monitors, progress=False).counts.spikes["target"] == 0
    assert net.run(100.0, monitors=monitors, progress=False).counts.spikes["target"] > 0
    np.testing.assert_array_equal(net.projections[0].weights, 5.0)
    with pytest.raises(sn.SpikenetError, match="no projection named"):
        net.with_weights({"nope": np.zeros(3)})
    with pytest.raises(sn.SpikenetError, match=f"{projection.name}.*shape"):
        net.with_weights({projection.name: np.zeros(3)})
    with pytest.raises(sn.SpikenetError, match=f"{projection.name}"):
        net.with_weights({projection.name: np.full(projection.n_synapses, np.nan)})
