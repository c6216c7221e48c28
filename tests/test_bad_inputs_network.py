"""Bad input to the network description ends in a SpikenetError naming the parameter, the allowed
range and the value, before any work starts: seeds, duplicate projection names, StateMonitor's
sampling interval (ms), and monitors or projections that would not fit in memory."""

import numpy as np
import pytest

import spikenet as sn
from neurons import LIF
from spikenet import validation
from spikenet.connectivity import connection_estimate, expected_synapses
from spikenet.monitors import check_monitors_memory, describe_monitor, monitor_bytes
from spikenet.validation import (MEMORY_LIMIT_ENV, SEED_MAX, available_memory_bytes, check_memory, check_seed,
                                 format_bytes)

GIB = 2**30
SEED_RANGE = r"\[0, 2\*\*32 - 1 = 4294967295\]"


def _network(dt=0.1):
    net = sn.Network(dt=dt)
    return net, net.population("a", 10, LIF()), net.population("b", 5, LIF())


# -- seeds ---------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [0, 1, 12345, SEED_MAX, np.int64(7), np.uint32(2**32 - 1), np.int8(3)])
def test_check_seed_accepts_integers_in_range(value):
    seed = check_seed("seed", value)
    assert type(seed) is int and seed == int(value)


@pytest.mark.parametrize("value, shown", [
    (-1, "-1"), (1.5, r"1\.5 \(float\)"), (None, r"None \(NoneType\)"), ("abc", r"'abc' \(str\)"),
    (2**70, str(2**70)), (True, r"True \(bool\)"), (np.bool_(True), r"np.True_"), (2**32, "4294967296"),
    (1.0, r"1\.0 \(float\)"), (np.float64(3.0), r"np.float64\(3.0\)"), (np.int64(-5), "-5"), ([1], r"\[1\]"),
])
def test_check_seed_refuses_everything_else(value, shown):
    """Negative and too large seeds would wrap in jax.random.PRNGKey (2**32 gives seed 0's key);
    floats are not truncated (1.5 used to become 1 for connectivity)."""
    with pytest.raises(sn.SpikenetError, match=rf"^the seed must be an integer in {SEED_RANGE} .*; got {shown}"):
        check_seed("the seed", value)


@pytest.mark.parametrize("value", [-1, 1.5, None, "abc", 2**70, True])
def test_network_seed_is_checked(value):
    with pytest.raises(sn.SpikenetError, match=rf"Network seed must be an integer in {SEED_RANGE}"):
        sn.Network(dt=0.1, seed=value)


def test_network_seed_accepts_numpy_integers():
    assert sn.Network(seed=np.int64(9)).seed == 9 and type(sn.Network(seed=np.uint32(9)).seed) is int


@pytest.mark.parametrize("value", [-1, 1.5, "abc", 2**32, True])
def test_projection_seed_is_checked_before_connecting(value):
    """connect(seed=1.5) used to draw with seed 1; now it is refused and nothing is added."""
    net, a, b = _network()
    with pytest.raises(sn.SpikenetError, match=rf"seed of projection 'a->b' must be an integer in {SEED_RANGE}"):
        net.connect(a, b, sn.FixedProbability(0.5), seed=value)
    assert net.projections == []
    # the refused call consumed no seed: the next projection is the one a fresh network makes
    fresh, fa, fb = _network()
    np.testing.assert_array_equal(net.connect(a, b, sn.FixedProbability(0.5)).synapses.post,
                                  fresh.connect(fa, fb, sn.FixedProbability(0.5)).synapses.post)


def test_projection_seed_in_range_is_used():
    net, a, b = _network()
    one = net.connect(a, b, sn.FixedProbability(0.5), seed=SEED_MAX)
    two = net.connect(a, b, sn.FixedProbability(0.5), seed=np.uint32(SEED_MAX))
    np.testing.assert_array_equal(one.synapses.post, two.synapses.post)


@pytest.mark.parametrize("value", [-1, 1.5, None, 2**32])
def test_run_seed_is_checked_before_compiling(value, monkeypatch):
    net, a, b = _network()

    def no_compile(*args, **kwargs):
        raise AssertionError("compiled before checking the seed")

    monkeypatch.setattr(net, "compile", no_compile)
    with pytest.raises(sn.SpikenetError, match=rf"seed of Network.run must be an integer in {SEED_RANGE}"):
        net.run(1.0, seed=value)


# -- names ---------------------------------------------------------------------------------

def test_explicit_duplicate_projection_name_is_refused():
    net, a, b = _network()
    net.connect(a, b, sn.AllToAll(), name="drive")
    with pytest.raises(sn.SpikenetError, match=r"projection name 'drive' is already used in this network "
                                               r"\(by the projection a -> b with 50 synapses\)"):
        net.connect(b, a, sn.AllToAll(), name="drive")
    assert [p.name for p in net.projections] == ["drive"]


def test_explicit_name_equal_to_an_automatic_one_is_refused():
    net, a, b = _network()
    net.connect(a, b, sn.AllToAll())
    with pytest.raises(sn.SpikenetError, match=r"projection name 'a->b' is already used"):
        net.connect(a, b, sn.AllToAll(), name="a->b")


def test_unnamed_projections_get_unique_automatic_names():
    net, a, b = _network()
    first = net.connect(a, b, sn.AllToAll())
    second = net.connect(a, b, sn.AllToAll())
    net.connect(b, a, sn.AllToAll(), name="a->b#3")  # takes the name the next one would get
    third = net.connect(a, b, sn.AllToAll())
    names = [p.name for p in net.projections]
    assert (first.name, second.name) == ("a->b", "a->b#1")
    assert third.name == "a->b#4" and len(set(names)) == len(names) == 4


@pytest.mark.parametrize("name", ["", 5, ("a", "b")])
def test_projection_name_must_be_a_non_empty_string(name):
    net, a, b = _network()
    with pytest.raises(sn.SpikenetError, match=r"projection name must be a non-empty string; got"):
        net.connect(a, b, sn.AllToAll(), name=name)


def test_duplicate_population_name_is_refused():
    net, a, b = _network()
    with pytest.raises(sn.SpikenetError, match=r"population name 'a' is already used in this network"):
        net.population("a", 3, LIF())
    with pytest.raises(sn.SpikenetError, match=r"population name 'b' is already used"):
        net.poisson_source("b", 3, 10.0)


# -- StateMonitor.every in ms ------------------------------------------------------------

@pytest.mark.parametrize("kwargs, steps", [
    ({}, 1), ({"every": 1.0}, 10), ({"every": 1}, 10), ({"every": 0.1}, 1), ({"every": 0.3}, 3),
    ({"every": np.float32(0.5)}, 5), ({"every_steps": 10}, 10), ({"every_steps": np.int64(3)}, 3),
])
def test_state_monitor_every_is_in_ms(kwargs, steps):
    net, a, b = _network(dt=0.1)
    resolved = sn.StateMonitor("a", "v", **kwargs).resolve(net)
    assert resolved.every == steps and type(resolved.every) is int
    assert resolved.every_ms == pytest.approx(steps * 0.1) and resolved.is_resolved
    assert resolved.variables == ["v"] and resolved.indices.tolist() == list(range(10))


def test_resolving_again_keeps_the_requested_interval():
    """The engine may resolve a resolved monitor again; its ``every`` (now steps) is not read as ms."""
    net, a, b = _network(dt=0.1)
    monitor = sn.StateMonitor(a, ["v"], indices=[1, 3], every=2.0)
    once = monitor.resolve(net)
    twice = once.resolve(net)
    assert once.every == twice.every == 20 and twice.indices.tolist() == [1, 3]
    coarse, c, _ = _network(dt=0.5)
    assert once.resolve(coarse).every == 4  # 2.0 ms at dt = 0.5 ms
    assert monitor.every == 2.0  # the user's monitor is unchanged


@pytest.mark.parametrize("kwargs, message", [
    ({"every": 0.15}, r"StateMonitor.every must be a multiple of dt = 0.1 ms; got 0.15 ms"),
    ({"every": 0.05}, r"StateMonitor.every must be a multiple of dt = 0.1 ms; got 0.05 ms"),
    ({"every": 0.0}, r"StateMonitor.every must be a duration in ms: a positive multiple of dt = 0.1 ms; got 0.0 ms"),
    ({"every": -1.0}, r"StateMonitor.every must be .* positive multiple of dt = 0.1 ms; got -1.0 ms"),
    ({"every": float("nan")}, r"StateMonitor.every must be .* dt = 0.1 ms; got nan ms"),
    ({"every": float("inf")}, r"StateMonitor.every must be .* dt = 0.1 ms; got inf ms"),
    ({"every": "1"}, r"StateMonitor.every must be .* dt = 0.1 ms; got '1' \(str\)"),
    ({"every": True}, r"StateMonitor.every must be .* dt = 0.1 ms; got True \(bool\)"),
    ({"every": 1.0, "every_steps": 10}, r"give every \(ms\) or every_steps \(steps\), not both; got every=1.0, "
                                        r"every_steps=10"),
    ({"every_steps": 0}, r"StateMonitor.every_steps must be a positive integer \(>= 1\); got 0"),
    ({"every_steps": 1.5}, r"StateMonitor.every_steps must be a positive integer; got 1.5"),
    ({"every_steps": True}, r"StateMonitor.every_steps must be a positive integer; got True"),
])
def test_state_monitor_bad_every_is_refused(kwargs, message):
    net, a, b = _network(dt=0.1)
    with pytest.raises(sn.SpikenetError, match=message):
        sn.StateMonitor("a", "v", **kwargs).resolve(net)


# -- monitor memory ------------------------------------------------------------------------

def _big_monitor(every=0.1, **kwargs):
    net = sn.Network(dt=0.1)
    net.population("exc", 200_000, LIF())
    return net, sn.StateMonitor("exc", "v", every=every, **kwargs).resolve(net)


def test_monitor_bytes():
    net, monitor = _big_monitor()
    assert monitor_bytes(monitor, 100_000, 4) == 200_000 * 100_000 * 4 + 100_000 * 8
    net, sparse = _big_monitor(every=1.0, indices=[0, 1, 2])
    assert monitor_bytes(sparse, 25, 8) == 3 * 3 * 8 + 3 * 8  # ceil(25 / 10) = 3 samples
    assert monitor_bytes(sparse, 0, 8) == 0
    assert monitor_bytes(sn.SpikeMonitor("exc").resolve(net), 10**6, 4) == 0
    assert monitor_bytes(sn.PopulationRateMonitor("exc").resolve(net), 1000, 4) == 1000 * 12
    with pytest.raises(sn.SpikenetError, match="needs a resolved StateMonitor"):
        monitor_bytes(sn.StateMonitor("exc", "v"), 10, 4)
    with pytest.raises(sn.SpikenetError, match="n_steps must be an integer >= 0; got -1"):
        monitor_bytes(monitor, -1, 4)


def test_long_state_monitor_is_refused_naming_it_and_the_figure(monkeypatch):
    """200 000 neurons every step for 10 s in float32: 80 GB, refused against 20.1 GiB."""
    monkeypatch.setenv(MEMORY_LIMIT_ENV, str(int(20.1 * GIB)))
    net, monitor = _big_monitor()
    assert describe_monitor(monitor) == "StateMonitor on 'exc' (v, 200000 neurons, every 0.1 ms)"
    with pytest.raises(sn.SpikenetError) as error:
        check_monitors_memory([monitor, sn.SpikeMonitor("exc").resolve(net)], 100_000, net.dt, 4)
    assert str(error.value).startswith("StateMonitor on 'exc' (v, 200000 neurons, every 0.1 ms) would need 74.5 GiB "
                                       "for 10000 ms; 20.1 GiB available")


def test_monitor_memory_names_the_largest_and_counts_the_others(monkeypatch):
    monkeypatch.setenv(MEMORY_LIMIT_ENV, str(GIB))
    net = sn.Network(dt=0.1)
    net.population("exc", 1000, LIF())
    net.population("inh", 500, LIF())
    big = sn.StateMonitor("exc", ["v"], every_steps=1).resolve(net)
    small = sn.StateMonitor("inh", ["v"], every=1.0).resolve(net)
    assert check_monitors_memory([big, small], 1000, 0.1, 4) == monitor_bytes(big, 1000, 4) + monitor_bytes(small, 1000, 4)
    with pytest.raises(sn.SpikenetError, match=r"^StateMonitor on 'exc' \(v, 1000 neurons, every 0.1 ms\) \(.* GiB\) "
                                               r"with 1 other monitor \(.*\) would need .* GiB for 100000 ms x 3 seeds; "
                                               r"1.0 GiB available"):
        check_monitors_memory([small, big], 1_000_000, 0.1, 4, runs=3)


def test_check_memory(monkeypatch):
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "1000")
    assert available_memory_bytes() == 1000
    check_memory(1000, "it")  # exactly what is available: allowed
    with pytest.raises(sn.SpikenetError, match=r"^the thing would need 1.0 KiB for a while; 1000 B available "
                                               rf"\(set by {MEMORY_LIMIT_ENV}\); make it smaller$"):
        check_memory(1001 + 23, "the thing", "for a while", advice="make it smaller")
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "lots")
    with pytest.raises(sn.SpikenetError, match=rf"{MEMORY_LIMIT_ENV} must be a whole number of bytes >= 0; got 'lots'"):
        check_memory(1, "it")


def test_available_memory_is_measured_without_the_override(monkeypatch):
    monkeypatch.delenv(MEMORY_LIMIT_ENV, raising=False)
    available = available_memory_bytes()
    assert available is not None and available > 0
    check_memory(1, "one byte")
    with pytest.raises(sn.SpikenetError, match=r"^an exabyte would need 888.2 PiB; .* available$"):
        check_memory(10**18, "an exabyte")


def test_available_memory_falls_back_to_sysconf(monkeypatch):
    """Without /proc/meminfo: free pages x page size."""
    monkeypatch.delenv(MEMORY_LIMIT_ENV, raising=False)
    real_open = open

    def no_meminfo(path, *args, **kwargs):
        if str(path) == "/proc/meminfo":
            raise OSError("no /proc here")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(validation, "open", no_meminfo, raising=False)
    monkeypatch.setattr(validation, "_cgroup_headroom", lambda: None)
    import os

    assert available_memory_bytes() == os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")


def test_format_bytes():
    assert [format_bytes(n) for n in (0, 512, 1536, 80 * 10**9, 5 * 10**11 * 20)] == \
        ["0 B", "512 B", "1.5 KiB", "74.5 GiB", "9.1 TiB"]


# -- connectivity memory ---------------------------------------------------------------------

def _giant():
    net = sn.Network(dt=0.1)
    return net, net.population("a", 10**6, LIF()), net.population("b", 10**6, LIF())


def test_huge_projection_is_refused_before_sampling(monkeypatch):
    """10**6 x 10**6 at p = 0.5: 5e11 synapses (7.3 TiB kept: int32 post, float64 weight, int32 delay per synapse); refused at once, nothing drawn."""
    monkeypatch.delenv(MEMORY_LIMIT_ENV, raising=False)
    net, a, b = _giant()

    def no_build(*args, **kwargs):
        raise AssertionError("sampled before checking memory")

    rule = sn.FixedProbability(0.5)
    monkeypatch.setattr(sn.FixedProbability, "build", no_build)
    with pytest.raises(sn.SpikenetError, match=r"^projection 'a->b' \(FixedProbability, 1000000 x 1000000 neurons\): "
                                               r"about 5e11 synapses would need .* TiB while building \(7.3 TiB kept: "
                                               r"indices, weights, delays\); .* available"):
        net.connect(a, b, rule)
    assert net.projections == []


def test_projection_memory_message_with_a_limit(monkeypatch):
    monkeypatch.setenv(MEMORY_LIMIT_ENV, str(20 * GIB))
    net, a, b = _giant()
    with pytest.raises(sn.SpikenetError, match=r"^projection 'big' \(FixedInDegree, 1000000 x 1000000 neurons\): about "
                                               r"1e9 synapses would need 52.2 GiB while building \(14.9 GiB kept: "
                                               r"indices, weights, delays\); 20.0 GiB available"):
        net.connect(a, b, sn.FixedInDegree(1000), name="big")


def test_small_limit_refuses_and_large_limit_allows(monkeypatch):
    net, a, b = _network()
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "1000")  # AllToAll 10 x 5: 50 synapses x 40 bytes = 2000 bytes
    with pytest.raises(sn.SpikenetError, match=r"projection 'a->b' \(AllToAll, 10 x 5 neurons\): about 50 synapses "
                                               r"would need 2.0 KiB while building"):
        net.connect(a, b, sn.AllToAll())
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "2000")
    assert net.connect(a, b, sn.AllToAll()).n_synapses == 50


def test_invalid_degree_still_gets_its_own_message(monkeypatch):
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "1")
    net, a, b = _network()
    with pytest.raises(sn.SpikenetError, match="FixedInDegree.k must be <= 10"):
        net.connect(a, b, sn.FixedInDegree(11))


def test_a_user_written_rule_is_not_estimated(monkeypatch):
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "1")

    class Chain:
        def build(self, n_pre, n_post, rng, same_population):
            return sn.Synapses(np.arange(n_pre - 1), np.arange(1, n_pre), n_pre, n_post)

    net, a, b = _network()
    assert connection_estimate(Chain(), 10, 10, True) is None
    assert net.connect(a, a, Chain()).n_synapses == 9


@pytest.mark.parametrize("rule, same, count", [
    (sn.FixedProbability(0.1), False, 5),
    (sn.FixedProbability(0.5, allow_autapses=False), True, 45),
    (sn.FixedInDegree(3), False, 15),
    (sn.FixedOutDegree(4), False, 40),
    (sn.FixedOutDegree(4, allow_autapses=False), True, 40),
    (sn.AllToAll(), False, 50),
    (sn.AllToAll(allow_autapses=False), True, 90),
    (sn.FromIndices(np.array([0, 1, 2]), np.array([1, 1, 4])), False, 3),
])
def test_expected_synapses_matches_what_the_rule_builds(rule, same, count):
    net, a, b = _network()
    post = a if same else b
    assert expected_synapses(rule, a.size, post.size, same) == count
    n, peak, kept = connection_estimate(rule, a.size, post.size, same)
    assert n == count and kept == 16 * count + (a.size + 1) * 8 and peak >= kept  # post int32, weight, delay; row pointer
    if not isinstance(rule, sn.FixedProbability):
        assert net.connect(a, post, rule).n_synapses == count


def test_one_to_one_estimate():
    assert expected_synapses(sn.OneToOne(), 7, 7, False) == 7
    assert expected_synapses(sn.OneToOne(), 7, 8, False) is None  # build gives the size message
