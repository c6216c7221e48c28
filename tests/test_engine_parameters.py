"""Parameters as arguments of the compiled step: ``run(..., parameters=...)`` and ``run_sweep``.

Reference: a network *built* with the overridden values (its own compile), itself checked against
Brian2 in test_brian2_parity / test_network_parity. An override must give exactly its spikes,
counts and weights, and must not compile anything new."""

import numpy as np
import pytest

import spikenet as sn
from learning_rules import PairSTDP
from neurons import LIF

WEIGHT_INH = 4.0


def _network(tau_m=20.0, tau_exc=5.0, weight_exc_inh=None, a_plus=0.2, rates=30.0, refractory=2.0):
    net = sn.Network(dt=0.1, seed=4)
    noise = net.poisson_source("noise", 40, rates)
    exc = net.population("exc", 40, LIF(tau_m=tau_m, v_rest=-60.0, v_threshold=-50.0, v_reset=-60.0, refractory=refractory))
    inh = net.population("inh", 10, LIF(v_rest=-60.0, v_threshold=-50.0, v_reset=-60.0, refractory=1.0))
    net.connect(noise, exc, sn.FixedProbability(0.3), synapse=sn.ConductanceExp(tau_exc, 0.0), weight=sn.Uniform(2.0, 6.0),
                plasticity=PairSTDP(a_plus=a_plus, a_minus=0.22, w_max=8.0), name="noise->exc")
    projection = net.connect(exc, inh, sn.FixedProbability(0.3), synapse=sn.ConductanceExp(5.0, 0.0), weight=WEIGHT_INH,
                             name="exc->inh")
    net.connect(inh, exc, sn.FixedProbability(0.5), synapse=sn.ConductanceExp(10.0, -80.0), weight=8.0, delay=1.0, name="inh->exc")
    if weight_exc_inh is not None:
        net = net.with_weights({"exc->inh": weight_exc_inh})
    return net, projection


def _same(a, b):
    for population in ("exc", "inh"):
        np.testing.assert_array_equal(a.spikes[population][0], b.spikes[population][0])
        np.testing.assert_array_equal(a.spikes[population][1], b.spikes[population][1])
    assert a.counts.to_dict() == b.counts.to_dict()
    for name, weights in b.weights.items():
        np.testing.assert_array_equal(a.weights[name], weights)


MONITORS = [sn.SpikeMonitor("exc"), sn.SpikeMonitor("inh")]


@pytest.mark.parametrize("precision", ["float32", "float64"])
def test_override_equals_a_rebuilt_network_and_does_not_recompile(precision):
    net, projection = _network()
    compiled = net.compile(precision=precision)
    compiled.run(100.0, monitors=MONITORS, progress=False)
    chunks = len(compiled.compiled_chunks)
    weights = np.linspace(1.0, 7.0, projection.n_synapses)
    overridden = compiled.run(100.0, monitors=MONITORS, progress=False, parameters={
        "exc": {"tau_m": 25.0}, "exc->inh": {"weight": weights}, "noise->exc": {"synapse": {"tau": 3.0},
                                                                              "plasticity": {"a_plus": 0.3}},
        "noise": {"rates": 45.0}})
    assert overridden.compile_seconds == 0 and len(compiled.compiled_chunks) == chunks
    rebuilt, _ = _network(tau_m=25.0, tau_exc=3.0, weight_exc_inh=weights, a_plus=0.3, rates=45.0)
    reference = rebuilt.compile(precision=precision).run(100.0, monitors=MONITORS, progress=False)
    _same(overridden, reference)
    plain = compiled.run(100.0, monitors=MONITORS, progress=False)
    assert plain.counts.total_spikes != overridden.counts.total_spikes  # the override changed the run


def test_per_neuron_values_are_accepted():
    """A per-neuron array where the network has a scalar (a new compiled function: another shape)."""
    net, _ = _network()
    tau = np.linspace(15.0, 30.0, 40)
    result = net.compile(precision="float64").run(100.0, monitors=MONITORS, progress=False, parameters={"exc": {"tau_m": tau}})
    rebuilt, _ = _network(tau_m=tau)
    _same(result, rebuilt.compile(precision="float64").run(100.0, monitors=MONITORS, progress=False))


def test_a_constant_of_the_step_recompiles_instead_of_running_stale():
    """LIF.refractory is used as a step count (math.floor): it is not a leaf, so a new value
    compiles a new function — and gives the rebuilt network's spikes."""
    net, _ = _network()
    compiled = net.compile(precision="float64")
    result = compiled.run(100.0, monitors=MONITORS, progress=False, parameters={"exc": {"refractory": 5.0}})
    assert result.compile_seconds > 0
    rebuilt, _ = _network(refractory=5.0)
    _same(result, rebuilt.compile(precision="float64").run(100.0, monitors=MONITORS, progress=False))


@pytest.mark.parametrize("parameters, message", [
    ({"nobody": {"tau_m": 1.0}}, "no population or projection"),
    ({"exc": {"tau_x": 1.0}}, "no numeric parameter 'tau_x'"),
    ({"exc": {"integration": 1.0}}, "no numeric parameter 'integration'"),
    ({"exc": {"tau_m": np.ones(3)}}, r"must have shape \(\) or \(40,\)"),
    ({"exc": {"tau_m": np.nan}}, "must be finite"),
    ({"exc": {"tau_m": -1.0}}, "tau_m"),
    ({"exc": {"tau_m": "abc"}}, "must be a number"),
    ({"exc->inh": {"weight": np.ones(3)}}, "weight"),
    ({"exc->inh": {"weight": np.inf}}, "must be finite"),
    ({"exc->inh": {"delay": 1.0}}, "unknown key 'delay'"),
    ({"exc->inh": {"plasticity": {"a_plus": 1.0}}}, "has no plasticity rule"),
    ({"noise->exc": {"plasticity": {"a_plus": np.nan}}}, "finite"),
    ({"noise": {"rates": -5.0}}, "rates"),
    ("exc", "parameters must be a dict"),
])
def test_bad_overrides_are_refused_before_running(parameters, message):
    net, _ = _network()
    with pytest.raises(sn.SpikenetError, match=message):
        net.compile().run(10.0, progress=False, parameters=parameters)


def test_plastic_weights_are_state_under_resume():
    net, projection = _network()
    compiled = net.compile()
    first = compiled.run(10.0, progress=False)
    with pytest.raises(sn.SpikenetError, match="weights of a plastic projection are state"):
        compiled.run(10.0, progress=False, resume=first, parameters={"noise->exc": {"weight": 1.0}})


@pytest.mark.parametrize("vectorize", [True, False])
def test_sweep_equals_single_runs(vectorize):
    """Every (point, seed) of run_sweep equals run(seed, parameters=point), vmapped or looped."""
    compiled, _ = _network()
    compiled = compiled.compile(precision="float64")
    taus = [15.0, 25.0]
    weights = [2.0, 6.0]
    results = compiled.run_sweep(100.0, {"exc": {"tau_m": taus}, "exc->inh": {"weight": weights}}, seeds=[0, 3],
                                 monitors=MONITORS, progress=False, vectorize=vectorize)
    assert len(results) == 4
    for k, result in enumerate(results):
        point, seed = divmod(k, 2)
        parameters = {"exc": {"tau_m": taus[point]}, "exc->inh": {"weight": weights[point]}}
        assert result.parameters == parameters
        _same(result, compiled.run(100.0, seed=[0, 3][seed], monitors=MONITORS, progress=False, parameters=parameters))
    assert len({r.counts.total_spikes for r in results}) == 4


@pytest.mark.parametrize("parameters", [{"exc": {"tau_m": 20.0}}, {"exc": {"tau_m": [10.0, 20.0]}, "inh": {"tau_m": [1.0]}}, {}])
def test_bad_sweeps_are_refused(parameters):
    net, _ = _network()
    with pytest.raises(sn.SpikenetError, match="run_sweep"):
        net.compile().run_sweep(10.0, parameters)
