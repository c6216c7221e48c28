"""Bad input to a run ends in a SpikenetError/SimulationError naming the cause, before any work
starts where it can be known then — or in correct behaviour (issue 12's list, tried as a new user
would). References: the state monitor sampled every step (for any ``every``), the rule's own
equations (for the NaN rule)."""

from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np
import pytest

import spikenet as sn
from learning_rules import PairSTDP
from neurons import LIF


def _network(seed=1, size=30):
    net = sn.Network(dt=0.1, seed=seed)
    source = net.poisson_source("source", 20, 80.0)
    cells = net.population("cells", size, LIF(v_threshold=-55.0))
    projection = net.connect(source, cells, sn.FixedProbability(0.5), synapse=sn.CurrentExp(5.0), weight=200.0,
                             plasticity=PairSTDP(a_plus=0.5, a_minus=0.5, w_max=400.0), name="source->cells")
    return net, projection


@pytest.mark.parametrize("every", [{"every_steps": 3}, {"every": 0.7}, {"every_steps": 7}])
def test_any_state_monitor_interval_works(every):
    """1000 ms is 10,000 steps, not a multiple of 3 or 7: samples at steps 0, k, 2k, ... as the
    every-step recording sampled at those steps (also across chunks)."""
    net, _ = _network()
    compiled = net.compile(precision="float64")
    every_step = compiled.run(1000.0, monitors=[sn.StateMonitor("cells", "v", indices=[0, 3])], progress=False)
    sparse = compiled.run(1000.0, monitors=[sn.StateMonitor("cells", "v", indices=[0, 3], **every)], progress=False,
                          chunk_steps=2100)
    stride = every.get("every_steps") or round(every["every"] / 0.1)
    np.testing.assert_array_equal(sparse.states["cells"]["v"], every_step.states["cells"]["v"][::stride])
    np.testing.assert_allclose(sparse.states["cells"]["t"], every_step.states["cells"]["t"][::stride])
    assert len(sparse.states["cells"]["t"]) == -(-10000 // stride)


@dataclass(frozen=True)
class _ExplodingRule:
    """Writes NaN into the weights at the first post-synaptic spike."""

    pre_traces: dict = None
    post_traces: dict = None
    synapse_traces: dict = None

    def __post_init__(self):
        object.__setattr__(self, "pre_traces", {"x": 10.0})
        object.__setattr__(self, "post_traces", {"y": 10.0})
        object.__setattr__(self, "synapse_traces", {})

    def on_pre(self, weight, pre, post, synapse):
        return weight, {"x": pre["x"] + 1.0}, {}

    def on_post(self, weight, pre, post, synapse):
        return weight * jnp.nan, {"y": post["y"] + 1.0}, {}


def test_a_rule_writing_nan_is_named_not_the_neurons():
    net = sn.Network(dt=0.1, seed=1)
    source = net.poisson_source("source", 20, 200.0)
    cells = net.population("cells", 5, LIF(v_threshold=-55.0))
    net.connect(source, cells, sn.AllToAll(), synapse=sn.CurrentExp(5.0), weight=300.0, plasticity=_ExplodingRule(),
                name="learning")
    with pytest.raises(sn.SimulationError, match=r"non-finite weights of plastic projection 'learning' \(rule _ExplodingRule\)"):
        net.run(200.0, progress=False)


def test_resume_with_another_networks_state_is_refused():
    small, _ = _network(size=30)
    large, _ = _network(size=31)
    state = small.run(5.0, progress=False)
    with pytest.raises(sn.SpikenetError, match=r"resume: state entry .* has shape \(30,\).*needs \(31,\)"):
        large.run(5.0, resume=state, progress=False)
    other = sn.Network(dt=0.1)
    other.population("cells", 30, LIF())
    with pytest.raises(sn.SpikenetError, match="resume: the state is not one of this network"):
        other.run(5.0, resume=state, progress=False)
    with pytest.raises(sn.SpikenetError, match="expected a network state"):
        small.run(5.0, resume={"neurons": {}}, progress=False)


def test_plastic_accessors_take_a_result_like_resume_does():
    net, projection = _network()
    compiled = net.compile()
    result = compiled.run(20.0, progress=False)
    np.testing.assert_array_equal(compiled.plastic_weights(result, projection.name), result.weights[projection.name])
    np.testing.assert_array_equal(compiled.plastic_trace(result, projection.name, "x", kind="pre"),
                                  compiled.plastic_trace(result.final_state, projection.name, "x", kind="pre"))
    edited = compiled.with_plastic_weights(result, projection.name, np.ones(projection.n_synapses))
    np.testing.assert_array_equal(compiled.plastic_weights(edited, projection.name), 1.0)


@pytest.mark.parametrize("monitors", [
    [sn.SpikeMonitor("cells"), sn.SpikeMonitor("cells", indices=[0])],
    [sn.StateMonitor("cells", "v"), sn.StateMonitor("cells", "v", indices=[1])],
    [sn.PopulationRateMonitor("cells"), sn.PopulationRateMonitor("cells")],
])
def test_two_monitors_of_one_kind_on_one_population_are_refused(monitors):
    net, _ = _network()
    with pytest.raises(sn.SpikenetError, match="two .* on population 'cells'"):
        net.run(5.0, monitors=monitors, progress=False)


@pytest.mark.parametrize("seed", [-1, 1.5, None, "abc", 2**70, True])
def test_bad_run_seeds_are_refused(seed):
    net, _ = _network()
    compiled = net.compile()
    with pytest.raises(sn.SpikenetError, match="seed"):
        compiled.run(5.0, seed=seed, progress=False)
    with pytest.raises(sn.SpikenetError, match="seeds"):
        compiled.run_seeds(5.0, [0, seed], progress=False)


def test_a_monitor_that_is_not_a_monitor_is_refused():
    net, _ = _network()
    with pytest.raises(sn.SpikenetError, match="monitors must be"):
        net.run(5.0, monitors=["cells"], progress=False)
