"""Per-synapse traces decay lazily (closed form since their last event) for rules without
``on_step``, and every step for rules with one; both give the analytic trace value
sum_j exp(-(t - t_j) / tau) at every event."""

import math
from dataclasses import dataclass, field

import numpy as np
import pytest

from experiments.pairing import run_pairings

TAU_MS = 50.0


@dataclass(frozen=True)
class TraceProbe:
    """Writes the synapse trace into the weight: on a pre spike e += 1 then w = e; on a post spike w = e."""

    pre_traces: dict = field(default_factory=dict)
    post_traces: dict = field(default_factory=dict)
    synapse_traces: dict = field(default_factory=lambda: {"e": TAU_MS})

    def on_pre(self, weight, pre, post, synapse):
        e = synapse["e"] + 1.0
        return e, {}, {"e": e}

    def on_post(self, weight, pre, post, synapse):
        return synapse["e"], {}, {}


@dataclass(frozen=True)
class TraceProbeWithStep(TraceProbe):
    """The same rule with an on_step that changes nothing: its traces decay every step."""

    modulator_tau: float = 100.0

    def on_step(self, weight, synapse, modulator, dt):
        return weight, synapse


@pytest.mark.parametrize("rule", [TraceProbe(), TraceProbeWithStep()], ids=["lazy", "per_step"])
def test_synapse_trace_equals_its_closed_form_at_every_event(rule):
    pre = [np.array([10.0, 30.0, 70.0]), np.array([5.0])]
    post = [np.array([50.0]), np.array([400.0])]
    weights, _ = run_pairings(rule, pre, post, dt=0.1)
    # Synapse 0: last event the pre spike at 70 ms: e = 1 + e^{-40/τ} + e^{-60/τ}.
    # Synapse 1: last event the post spike at 400 ms: w = e^{-395/τ}.
    expected = [1 + math.exp(-40 / TAU_MS) + math.exp(-60 / TAU_MS), math.exp(-395 / TAU_MS)]
    np.testing.assert_allclose(weights, expected, rtol=1e-12)


def test_lazy_rule_keeps_the_step_of_each_value():
    from experiments.pairing import pairing_network

    net, projection, duration = pairing_network(TraceProbe(), [np.array([10.0])], [np.array([50.0])], dt=0.1)
    compiled = net.compile(precision="float64")
    state = compiled.initial_state()
    assert "synapse_step" in state["plastic"][projection.name]
    net2, projection2, _ = pairing_network(TraceProbeWithStep(), [np.array([10.0])], [np.array([50.0])], dt=0.1)
    assert "synapse_step" not in net2.compile(precision="float64").initial_state()["plastic"][projection2.name]
