"""Compile-time checks of user neuron models and plasticity rules (spikenet.model_checks): every
broken custom model or rule gives a SpikenetError naming the population/projection and the
method; every shipped model and rule passes."""

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import spikenet as sn
from learning_rules import (AdaptiveThreshold, EpropNeuron, EpropRule, PairSTDP, RewardModulatedSTDP, SpikingBCM, SpikingOja,
                            TripletSTDP)
from learning_rules.diehl_cook import DiehlCookSTDP
from learning_rules.eprop import EpropNetwork
from neurons import ALIF, LIF, AdEx, HodgkinHuxley, Izhikevich, LinearPoisson
from spikenet.model_checks import check_user_models
from spikenet.validation import SpikenetError


def _neuron_network(model, size: int = 10, dt: float = 0.1) -> sn.Network:
    """A population of ``model`` fed by Poisson spikes through a conductance and a Delta synapse."""
    net = sn.Network(dt=dt)
    source = net.poisson_source("noise", 5, 10.0)
    target = net.population("p", size, model)
    net.connect(source, target, sn.AllToAll(), synapse=sn.ConductanceExp(tau=5.0, e_rev=0.0), weight=1.0)
    variable = next(iter(model.state_units()))
    net.connect(source, target, sn.AllToAll(), synapse=sn.Delta(variable), weight=0.1)
    return net


def _rule_network(rule, dt: float = 0.1) -> sn.Network:
    """Poisson inputs onto LIF neurons through a projection with ``rule``."""
    net = sn.Network(dt=dt)
    source = net.poisson_source("inputs", 4, 20.0)
    target = net.population("out", 3, LIF())
    net.connect(source, target, sn.AllToAll(), synapse=sn.CurrentExp(tau=5.0), weight=1.0, plasticity=rule, name="a->b")
    return net


# -- broken neuron models ------------------------------------------------------------------------
@dataclass(frozen=True)
class IntThreshold(LIF):
    """Returns spikes as int32 (0/2): the engine would move them to the neighbour neuron."""

    def threshold(self, state, dt):
        state, spiked = LIF.threshold(self, state, dt)
        return state, spiked.astype(jnp.int32) * 2


@dataclass(frozen=True)
class FloatThreshold(LIF):
    def threshold(self, state, dt):
        state, spiked = LIF.threshold(self, state, dt)
        return state, spiked * 0.5


@dataclass(frozen=True)
class ScalarSpike(LIF):
    def threshold(self, state, dt):
        state, spiked = LIF.threshold(self, state, dt)
        return state, jnp.any(spiked)


@dataclass(frozen=True)
class WrongShapeSpike(LIF):
    def threshold(self, state, dt):
        state, spiked = LIF.threshold(self, state, dt)
        return state, spiked[:5]


@dataclass(frozen=True)
class SpikesOnly(LIF):
    def threshold(self, state, dt):
        return LIF.threshold(self, state, dt)[1]


@dataclass(frozen=True)
class MissingKeyUpdate(LIF):
    def update(self, state, drive, dt):
        return {"v": LIF.update(self, state, drive, dt)["v"]}


@dataclass(frozen=True)
class ExtraKeyUpdate(LIF):
    def update(self, state, drive, dt):
        return {**LIF.update(self, state, drive, dt), "w": state["v"]}


@dataclass(frozen=True)
class ScalarStateUpdate(LIF):
    def update(self, state, drive, dt):
        return {**LIF.update(self, state, drive, dt), "v": jnp.mean(state["v"])}


@dataclass(frozen=True)
class IntegerVoltage(LIF):
    def update(self, state, drive, dt):
        return {**LIF.update(self, state, drive, dt), "v": state["v"].astype(jnp.int32)}


@dataclass(frozen=True)
class ReadsUnknownKey(LIF):
    def update(self, state, drive, dt):
        return {**state, "v": state["voltage"]}


@dataclass(frozen=True)
class BadReset(LIF):
    def reset(self, state, spiked):
        return jnp.where(spiked, self.v_reset, state["v"])


@pytest.mark.parametrize("model, match", [
    (IntThreshold(), r"population 'p': model IntThreshold\.threshold must return \(state, spiked\) with spiked a bool "
                     r"array of shape \(10,\); got int32 array of shape \(10,\)"),
    (FloatThreshold(), r"FloatThreshold\.threshold .* bool array of shape \(10,\); got float32 array of shape \(10,\)"),
    (ScalarSpike(), r"ScalarSpike\.threshold .* bool array of shape \(10,\); got bool scalar"),
    (WrongShapeSpike(), r"WrongShapeSpike\.threshold .* got bool array of shape \(5,\)"),
    (SpikesOnly(), r"SpikesOnly\.threshold must return \(state, spiked\); got"),
    (MissingKeyUpdate(), r"population 'p': model MissingKeyUpdate\.update .*missing \['refractory_countdown'\]"),
    (ExtraKeyUpdate(), r"ExtraKeyUpdate\.update returned the state with unknown state variable\(s\) \['w'\]"),
    (ScalarStateUpdate(), r"ScalarStateUpdate\.update .*'v' a floating array of shape \(10,\).*got float32 scalar"),
    (IntegerVoltage(), r"IntegerVoltage\.update .*'v' a floating array.*got int32 array"),
    (ReadsUnknownKey(), r"population 'p': model ReadsUnknownKey\.update raised KeyError: 'voltage'"),
    (BadReset(), r"BadReset\.reset must return the state as a dict of state variables"),
])
def test_broken_neuron_model_is_named(model, match):
    with pytest.raises(SpikenetError, match=match) as error:
        check_user_models(_neuron_network(model), np.float32)
    assert error.value.__cause__ is None and error.value.__suppress_context__  # no JAX traceback chained


def test_broken_apply_delta_is_named():
    @dataclass(frozen=True)
    class DropsCountdown(LIF):
        def apply_delta(self, state, variable, increment):
            return {variable: state[variable] + increment}

    with pytest.raises(SpikenetError, match=r"DropsCountdown\.apply_delta \(variable 'v'\) .*missing"):
        check_user_models(_neuron_network(DropsCountdown()), np.float32)


def test_int_threshold_is_caught_in_float64():
    with jax.enable_x64(True):
        with pytest.raises(SpikenetError, match=r"got int32 array of shape \(10,\)"):
            check_user_models(_neuron_network(IntThreshold()), np.float64)


# -- broken plasticity rules ---------------------------------------------------------------------
@dataclass(frozen=True)
class Coincidence:
    """The rule of experiments/custom_rule.py (correct)."""

    eta: float = 0.002
    w_max: float = 5.0
    pre_traces: dict = field(default_factory=lambda: {"pre": 10.0})
    post_traces: dict = field(default_factory=lambda: {"post": 10.0})
    synapse_traces: dict = field(default_factory=dict)

    def on_pre(self, weight, pre, post, synapse):
        return weight + self.eta * (self.w_max - weight) * post["post"], {"pre": pre["pre"] + 1.0}, {}

    def on_post(self, weight, pre, post, synapse):
        return weight + self.eta * (self.w_max - weight) * pre["pre"], {"post": post["post"] + 1.0}, {}


@dataclass(frozen=True)
class WeightOnly(Coincidence):
    def on_pre(self, weight, pre, post, synapse):
        return weight + self.eta * post["post"]


@dataclass(frozen=True)
class UndeclaredPost(Coincidence):
    def on_post(self, weight, pre, post, synapse):
        return weight, {"post": post["post"] + 1.0, "rate": post["post"]}, {}


@dataclass(frozen=True)
class RowShapedPreTrace(Coincidence):
    def on_pre(self, weight, pre, post, synapse):
        return weight, {"pre": pre["pre"] + post["post"]}, {}


@dataclass(frozen=True)
class ScalarReadsMissing(Coincidence):
    def on_post(self, weight, pre, post, synapse):
        return weight, {"post": post["y"]}, {}


@dataclass(frozen=True)
class StepReturnsOne(Coincidence):
    modulator_tau: float = 100.0

    def on_step(self, weight, synapse, modulator, dt):
        return (weight * (1 + modulator),)


@dataclass(frozen=True)
class StepBadWeight(Coincidence):
    modulator_tau: float = 100.0

    def on_step(self, weight, synapse, modulator, dt):
        return weight[:, :1].T, synapse


@pytest.mark.parametrize("rule, match", [
    (WeightOnly(), r"projection 'a->b': rule WeightOnly\.on_pre must return \(weight, pre_traces, synapse_traces\); "
                   r"got a single array"),
    (UndeclaredPost(), r"projection 'a->b': rule UndeclaredPost\.on_post returned unknown post trace 'rate'"),
    (RowShapedPreTrace(), r"RowShapedPreTrace\.on_pre must return pre trace 'pre' as a floating scalar; "
                          r"got float32 array of shape \(3,\)"),
    (ScalarReadsMissing(), r"projection 'a->b': rule ScalarReadsMissing\.on_post raised KeyError: 'y'"),
    (StepReturnsOne(), r"projection 'a->b': rule StepReturnsOne\.on_step must return \(weight, synapse_traces\); "
                       r"got a tuple of 1 item$"),
    (StepBadWeight(), r"StepBadWeight\.on_step must return a floating weight broadcastable to \(5, 3\)"),
])
def test_broken_rule_is_named(rule, match):
    with pytest.raises(SpikenetError, match=match):
        check_user_models(_rule_network(rule), np.float32)


def test_correct_custom_rule_and_neuron_pass():
    check_user_models(_rule_network(Coincidence()), np.float32)
    check_user_models(_neuron_network(LIF()), np.float32)


# -- shipped models and rules --------------------------------------------------------------------
SHIPPED_NEURONS = {
    "LIF": LIF(refractory=2.0),
    "LIF-euler": LIF(integration="euler"),
    "ALIF": ALIF(),
    "AdEx": AdEx(),
    "Izhikevich": Izhikevich(),
    "HodgkinHuxley": HodgkinHuxley(),
    "LinearPoisson": LinearPoisson(),
    "AdaptiveThreshold(LIF)": AdaptiveThreshold(LIF()),
    "EpropNeuron": EpropNeuron(EpropNetwork()),
}


@pytest.mark.parametrize("precision", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(SHIPPED_NEURONS))
def test_shipped_neuron_models_pass(name, precision):
    model = SHIPPED_NEURONS[name]
    net = _neuron_network(model, dt=EpropNetwork().dt if isinstance(model, EpropNeuron) else 0.1)
    with jax.enable_x64(precision is np.float64):
        check_user_models(net, precision)


SHIPPED_RULES = {
    "PairSTDP": lambda: PairSTDP(),
    "PairSTDP-multiplicative": lambda: PairSTDP(weight_dependence="multiplicative"),
    "TripletSTDP": lambda: TripletSTDP(a2_plus=5e-3, a3_plus=6e-3, a2_minus=7e-3, a3_minus=2e-4, tau_x=100.0, tau_y=125.0),
    "RewardModulatedSTDP": lambda: RewardModulatedSTDP(),
    "SpikingBCM": lambda: SpikingBCM(),
    "SpikingOja": lambda: SpikingOja(),
    "DiehlCookSTDP": lambda: DiehlCookSTDP(),
}


@pytest.mark.parametrize("precision", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(SHIPPED_RULES))
def test_shipped_rules_pass(name, precision):
    with jax.enable_x64(precision is np.float64):
        check_user_models(_rule_network(SHIPPED_RULES[name]()), precision)


@pytest.mark.parametrize("network", [EpropNetwork(), EpropNetwork(beta=0.5, tau_a=200.0, reset_gradient=True)])
def test_shipped_eprop_rule_with_step_context_passes(network):
    from learning_rules.eprop import build_engine_network

    check_user_models(build_engine_network(network, 3, 4, np.zeros((5, 2))), np.float32)


def test_eprop_rule_on_wrong_neuron_is_named():
    """The rule's own error (needs EpropNeuron state) comes out with the projection and method."""
    network = EpropNetwork()
    net = sn.Network(dt=network.dt)
    source = net.poisson_source("inputs", 3, 20.0)
    target = net.population("out", 2, LIF())
    net.connect(source, target, sn.AllToAll(), synapse=sn.Delta("v"), weight=0.0, plasticity=EpropRule(network, np.zeros((5, 1))))
    with pytest.raises(SpikenetError, match=r"projection 'inputs->out': rule EpropRule\.on_step raised SpikenetError: "
                                            r"EpropRule needs a post-synaptic population of EpropNeuron"):
        check_user_models(net, np.float32)
