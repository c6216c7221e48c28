"""e-prop as an engine plasticity rule (``learning_rules.eprop.EpropRule`` on ``EpropNeuron``), and the
``on_step(..., context)`` protocol it uses.

References are never the new code's own output: the gradients and spikes come from
``eprop_gradients`` / ``simulate`` (validated against ``jax.grad`` in test_eprop.py, rel. max-diff
< 1e-10), the training curve from ``train``, the counts and context values from the documented
conventions worked out by hand for known spike trains.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import spikenet as sn
from experiments import eprop_pattern
from experiments.eprop_pattern import pattern_task
from learning_rules.eprop import (INPUT_PROJECTION, RECURRENT_PROJECTION, EpropNetwork, EpropNeuron, EpropRule,
                                  EpropWeights, build_engine_network, engine_gradients, eprop_gradients, simulate, train,
                                  train_on_engine)
from neurons import LIF
from spikenet.plasticity import check_rule
from spikenet.validation import SpikenetError

N_IN, N_REC, N_OUT, N_STEPS = 20, 20, 2, 200
N_ADAPTIVE = 5  # the last 5 recurrent neurons are ALIF
MIXED_BETA = (0.0,) * (N_REC - N_ADAPTIVE) + (0.02,) * N_ADAPTIVE
NETWORKS = {
    "LIF+ALIF": EpropNetwork(beta=MIXED_BETA, tau_a=500.0),
    "LIF": EpropNetwork(),
    "LIF+ALIF-reset-gradient": EpropNetwork(beta=MIXED_BETA, tau_a=500.0, reset_gradient=True),
}


def _relative_max_difference(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))) / np.max(np.abs(np.asarray(b))))


def _small_task(seed: int = 1):
    """20 inputs (frozen 200 Hz spikes, first step empty), 20 recurrent neurons, 2 readouts, 200 steps of 1 ms:
    the pattern task's draws (zero-diagonal W_rec) plus a second readout row, feedback column and target."""
    weights, inputs, target, feedback = pattern_task(seed, n_in=N_IN, n_rec=N_REC, n_steps=N_STEPS, input_probability=0.2)
    rng = np.random.RandomState(seed + 100)
    output = np.concatenate([weights.output, rng.randn(1, N_REC) / 10])
    feedback = np.concatenate([feedback, rng.randn(N_REC, 1) / 10], axis=1)
    t = np.arange(N_STEPS)
    target = np.concatenate([target, 0.5 * np.sin(2 * np.pi * t / 70.0)[:, None]], axis=1)
    return EpropWeights(weights.input, weights.recurrent, output), inputs, target, feedback


@pytest.fixture(scope="module", params=list(NETWORKS), ids=list(NETWORKS))
def engine_trial(request):
    """One trial on the engine (float64, all-to-all including autapses) and the reference of the same trial."""
    network = NETWORKS[request.param]
    weights, inputs, target, feedback = _small_task()
    compiled = build_engine_network(network, N_IN, N_REC, target, no_autapses=False).compile(precision="float64")
    gradients, info, result = engine_gradients(compiled, weights, inputs, feedback)
    with jax.enable_x64(True):
        weights64 = EpropWeights(*(jnp.asarray(w, jnp.float64) for w in weights))
        reference, reference_info = eprop_gradients(network, weights64, inputs, target, feedback)
        trajectory = simulate(network, weights64, inputs)
        reference = jax.tree_util.tree_map(np.asarray, reference)
        reference_spikes = np.asarray(trajectory.z)
    return dict(name=request.param, network=network, inputs=inputs, gradients=gradients, info=info, result=result, reference=reference,
                reference_info=reference_info, reference_spikes=reference_spikes)


def test_engine_spikes_equal_simulate(engine_trial):
    """The engine with EpropNeuron emits exactly the spikes of ``simulate`` (same equations, inputs emitted one step
    early); enough of them (> 100, some from the ALIF neurons) for the gradient comparison to mean something."""
    times, neurons = engine_trial["result"].spikes["recurrent"]
    spikes = np.zeros((N_STEPS, N_REC))
    spikes[np.round(times).astype(int), neurons] = 1.0
    np.testing.assert_array_equal(spikes, engine_trial["reference_spikes"])
    assert spikes.sum() > 100
    if engine_trial["network"].adaptive:
        assert spikes[:, -N_ADAPTIVE:].sum() >= 5


def test_engine_gradients_equal_eprop_gradients(engine_trial):
    """The rule's accumulated gradient (plus the host's regulariser term) equals ``eprop_gradients`` for W_in and
    W_rec, and the host readout gradient equals it for W_out: relative max-difference < 1e-9 (float64), with
    random feedback and the rate regulariser (c_reg 300) on. Task loss, regulariser, rate and readout agree too."""
    gradients, reference = engine_trial["gradients"], engine_trial["reference"]
    for name in EpropWeights._fields:
        assert _relative_max_difference(getattr(gradients, name), getattr(reference, name)) < 1e-9, name
    info, reference_info = engine_trial["info"], engine_trial["reference_info"]
    for name in ("task_loss", "regulariser", "mean_rate_hz"):
        assert getattr(info, name) == pytest.approx(float(getattr(reference_info, name)), rel=1e-12), name
    assert info.n_spikes == int(reference_info.n_spikes)
    np.testing.assert_allclose(info.y, np.asarray(reference_info.y), rtol=0, atol=1e-12)


# Per-synapse values e-prop updates every step (the weights stay fixed during a trial): the filtered
# eligibility, the gradient and the eligibility sum; with ALIF neurons also the adaptation eligibility
# and the previous eligibility; with the reset gradient also the reset eligibility.
TRACES_PER_STEP = {"LIF+ALIF": 5, "LIF": 3, "LIF+ALIF-reset-gradient": 6}


def test_engine_counts_every_eligibility_update(engine_trial):
    """plasticity_updates per projection = per step, n_synapses x the synapse traces e-prop updates (on_step) + per
    pre spike (out-degree + 1 pre trace) + per post spike (in-degree + 1 + 2 n_out post traces), the engine's
    documented convention (spikenet/plasticity.py)."""
    counts = engine_trial["result"].counts
    inputs, spikes = engine_trial["inputs"], engine_trial["reference_spikes"]
    n_post_traces = 1 + 2 * N_OUT
    per_step = TRACES_PER_STEP[engine_trial["name"]]
    input_spikes, recurrent_spikes = int(inputs[1:].sum()), int(spikes.sum())
    expected = {
        INPUT_PROJECTION: N_STEPS * N_IN * N_REC * per_step + input_spikes * (N_REC + 1)
        + recurrent_spikes * (N_IN + n_post_traces),
        RECURRENT_PROJECTION: N_STEPS * N_REC * N_REC * per_step + recurrent_spikes * (N_REC + 1)
        + recurrent_spikes * (N_REC + n_post_traces),
    }
    assert counts.plasticity_updates == expected
    assert counts.synaptic_events == {INPUT_PROJECTION: input_spikes * N_REC, RECURRENT_PROJECTION: recurrent_spikes * N_REC}


def test_engine_trainer_follows_train():
    """``train_on_engine`` (one engine trial per iteration, host update) gives ``train``'s learning curve and final
    weights (float64, 100 iterations, no autapses, c_reg 30, η 0.003): same update rule, so the same numbers up to
    float error (rel. 1e-9; measured: weights 4e-13 apart after 100 iterations); and it learns (loss < 50 % of the
    initial loss; measured 42 %). η is kept small on purpose: at η = 0.01 the descent oscillates and float-level
    differences double every iteration (1e-4 apart after 57 iterations, then different spikes), in either trainer."""
    network = EpropNetwork(beta=MIXED_BETA, tau_a=500.0, reg_coefficient=30.0)
    weights, inputs, target, feedback = _small_task()
    with jax.enable_x64(True):
        final, history = train(network, EpropWeights(*(jnp.asarray(w, jnp.float64) for w in weights)), inputs, target,
                               feedback, learning_rate=0.003, n_iterations=100)
        final = jax.tree_util.tree_map(np.asarray, final)
        reference_loss = np.asarray(history.task_loss)
    engine_final, engine_history, counts = train_on_engine(network, weights, inputs, target, feedback, learning_rate=0.003,
                                                           n_iterations=100, precision="float64")
    np.testing.assert_allclose(engine_history.task_loss, reference_loss, rtol=1e-9)
    np.testing.assert_allclose(engine_history.regulariser, np.asarray(history.regulariser), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(engine_history.mean_rate_hz, np.asarray(history.mean_rate_hz), rtol=1e-12)
    for name in EpropWeights._fields:
        assert _relative_max_difference(getattr(engine_final, name), getattr(final, name)) < 1e-9, name
    assert np.all(np.diagonal(engine_final.recurrent) == 0.0)
    assert engine_history.task_loss[-1] < 0.5 * engine_history.task_loss[0]
    assert counts.steps == 100 * N_STEPS


def test_eprop_pattern_experiment_on_the_engine_writes_counts(tmp_path):
    """``--engine``: the run folder holds the JSON, the figure and the counts of the training trials (2 iterations of
    1000 steps), with the network that rebuilds them."""
    assert eprop_pattern.main(["2", "1", "--engine", "--results", str(tmp_path)]) == 0
    (folder,) = (tmp_path / "eprop_pattern").iterdir()
    for name in ("eprop_pattern.json", "eprop_pattern.png", "activity_counts.json", "network.json"):
        assert (folder / name).stat().st_size > 0, name
    counts = sn.ActivityCounts.from_dict(json.loads((folder / "activity_counts.json").read_text()))
    assert counts.steps == 2 * 1000
    assert counts.plasticity_updates[RECURRENT_PROJECTION] > 2 * 1000 * 100 * 99


# -- the on_step(..., context) protocol, on known spike trains --------------------------------------------------

PERIOD = 3  # the probe neuron spikes every 3rd step


@dataclass(frozen=True)
class StageProbeNeuron:
    """Spikes every PERIOD steps; ``stage`` tells which of update (1), threshold (2), reset (3) ran last."""

    integration: str = "euler"

    def state_units(self) -> dict[str, str]:
        return {"input": "1", "phase": "1", "stage": "1"}

    def initial_state(self, size: int, dt: float) -> dict[str, np.ndarray]:
        return {"input": np.zeros(size), "phase": np.zeros(size), "stage": np.zeros(size)}

    def update(self, state, drive, dt):
        return {"input": state["input"], "phase": state["phase"] + 1.0, "stage": jnp.ones_like(state["stage"])}

    def threshold(self, state, dt):
        return {**state, "stage": jnp.full_like(state["stage"], 2.0)}, state["phase"] >= PERIOD

    def reset(self, state, spiked):
        return {**state, "phase": jnp.where(spiked, 0.0, state["phase"]), "stage": jnp.full_like(state["stage"], 3.0)}


@dataclass(frozen=True)
class ContextProbe:
    """Counts spikes in never-decaying traces (τ = math.inf) and records what ``on_step``'s context shows."""

    pre_traces: dict = field(default_factory=lambda: {"count": math.inf})
    post_traces: dict = field(default_factory=lambda: {"count": math.inf})
    synapse_traces: dict = field(default_factory=lambda: {
        name: math.inf for name in ("step", "pre_previous", "pre_now", "post_now", "pre_spikes", "post_spikes",
                                    "stage_sum", "phase_at_post_spikes", "untouched")})

    def on_pre(self, weight, pre, post, synapse):
        return weight, {"count": pre["count"] + 1.0}, {}

    def on_post(self, weight, pre, post, synapse):
        return weight, {"count": post["count"] + 1.0}, {}

    def on_step(self, weight, synapse, modulator, dt, context):
        shape = weight.shape
        pre_spiked = jnp.concatenate([context.pre_spiked, jnp.zeros(1, bool)]).astype(weight.dtype)[:, None]
        post_spiked = context.gather_post(context.post_spiked.astype(weight.dtype))
        phase = context.gather_post(jnp.where(context.post_spiked, context.post_state["phase"], 0.0))
        return weight, {
            "step": jnp.full(shape, context.step, weight.dtype),
            "pre_previous": jnp.broadcast_to(context.pre_previous["count"][:, None], shape),
            "pre_now": jnp.broadcast_to(context.pre["count"][:, None], shape),
            "post_now": context.gather_post(context.post["count"]),
            "pre_spikes": synapse["pre_spikes"] + pre_spiked,
            "post_spikes": synapse["post_spikes"] + post_spiked,
            "stage_sum": synapse["stage_sum"] + context.gather_post(context.post_state["stage"]),
            "phase_at_post_spikes": synapse["phase_at_post_spikes"] + phase,
        }


PROBE_STEPS = 10
PRE_SPIKES = {0: [0, 5, 9], 1: [3], 2: []}  # pre neuron -> spike steps (dt = 1 ms)


def _probe_network(rule):
    net = sn.Network(dt=1.0)
    indices = np.concatenate([np.full(len(steps), k) for k, steps in PRE_SPIKES.items()])
    times = np.concatenate([np.asarray(steps, float) for steps in PRE_SPIKES.values()])
    pre = net.spike_source("pre", 3, indices, times)
    post = net.population("post", 2, StageProbeNeuron())
    projection = net.connect(pre, post, sn.AllToAll(), synapse=sn.Delta("input"), weight=0.0, plasticity=rule)
    return net, projection


def test_on_step_context_shows_the_documented_point_of_the_step():
    """After 10 steps (pre spikes at known steps, post spikes at steps 2, 5, 8): ``step`` = 9 at the last step;
    ``pre_previous`` counts spikes before the step, ``pre`` including it; ``post_state`` is taken after the
    threshold (stage 2) and before the reset (phase = PERIOD at spikes); spike flags and τ = inf traces count
    exactly. Old-style rules keep their 4-argument on_step (RewardModulatedSTDP in test_reward.py and the probe in
    test_lazy_synapse_traces.py)."""
    net, projection = _probe_network(ContextProbe())
    compiled = net.compile(precision="float64")
    result = compiled.run(PROBE_STEPS * 1.0)
    state = result.final_state
    pre, post = projection.synapses.pre, projection.synapses.post
    pre_total = np.array([len(PRE_SPIKES[i]) for i in range(3)], float)
    pre_before_last = np.array([sum(s < PROBE_STEPS - 1 for s in PRE_SPIKES[i]) for i in range(3)], float)
    post_total = PROBE_STEPS // PERIOD

    def trace(name):
        return compiled.plastic_trace(state, projection.name, name)

    np.testing.assert_array_equal(trace("step"), PROBE_STEPS - 1)
    np.testing.assert_array_equal(trace("pre_previous"), pre_before_last[pre])
    np.testing.assert_array_equal(trace("pre_now"), pre_total[pre])
    np.testing.assert_array_equal(trace("pre_spikes"), pre_total[pre])
    np.testing.assert_array_equal(trace("post_now"), post_total)
    np.testing.assert_array_equal(trace("post_spikes"), post_total)
    np.testing.assert_array_equal(trace("stage_sum"), 2.0 * PROBE_STEPS)
    np.testing.assert_array_equal(trace("phase_at_post_spikes"), PERIOD * post_total)
    np.testing.assert_array_equal(trace("untouched"), 0.0)  # omitted by on_step: unchanged
    np.testing.assert_array_equal(compiled.plastic_trace(state, projection.name, "count", kind="pre"), pre_total)
    np.testing.assert_array_equal(compiled.plastic_trace(state, projection.name, "count", kind="post"), post_total)
    np.testing.assert_array_equal(state["neurons"]["post"]["stage"], 3.0)
    assert len(post) == 6
    # 6 synapses every step, 8 traces written by on_step (weight returned unchanged, "untouched" omitted, no trace
    # decays: tau = inf); a pre spike: 2 weights + 1 pre trace; a post spike: 3 weights + 1 post trace.
    assert result.counts.plasticity_updates[projection.name] == 6 * 8 * PROBE_STEPS + 4 * (2 + 1) + 2 * post_total * (3 + 1)


def test_plastic_trace_round_trip_and_lazy_decay():
    """with_plastic_trace writes a trace in synapse order (and per neuron), plastic_trace reads it back; a lazily
    decaying synapse trace (rule without on_step) reads as its closed form value x exp(-t / τ) after t ms."""
    net, projection = _probe_network(ContextProbe())
    compiled = net.compile(precision="float64")
    state = compiled.initial_state()
    values = np.arange(1.0, 7.0)
    state = compiled.with_plastic_trace(state, projection.name, "untouched", values)
    np.testing.assert_array_equal(compiled.plastic_trace(state, projection.name, "untouched"), values)
    state = compiled.with_plastic_trace(state, projection.name, "count", [4.0, 5.0], kind="post")
    np.testing.assert_array_equal(compiled.plastic_trace(state, projection.name, "count", kind="post"), [4.0, 5.0])

    @dataclass(frozen=True)
    class LazyTrace:
        pre_traces: dict = field(default_factory=dict)
        post_traces: dict = field(default_factory=dict)
        synapse_traces: dict = field(default_factory=lambda: {"e": 50.0})

        def on_pre(self, weight, pre, post, synapse):
            return weight, {}, {}

        def on_post(self, weight, pre, post, synapse):
            return weight, {}, {}

    lazy = sn.Network(dt=0.5)
    source = lazy.population("source", 2, sn.SpikeSource.empty())
    target = lazy.population("target", 3, LIF())
    lazy_projection = lazy.connect(source, target, sn.AllToAll(), weight=0.0, plasticity=LazyTrace())
    compiled = lazy.compile(precision="float64")
    values = np.linspace(1.0, 2.0, 6)
    state = compiled.with_plastic_trace(compiled.initial_state(), lazy_projection.name, "e", values)
    result = compiled.run(20.0, resume=state)
    np.testing.assert_allclose(compiled.plastic_trace(result.final_state, lazy_projection.name, "e"),
                               values * math.exp(-20.0 / 50.0), rtol=1e-12)


# -- bad input ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("arguments, match", [
    ({"network": "not a network", "target": np.zeros((5, 1))}, "network"),
    ({"network": EpropNetwork(), "target": np.zeros(5)}, "target"),
    ({"network": EpropNetwork(), "target": np.full((5, 1), np.nan)}, "target"),
])
def test_bad_rule_parameters_raise(arguments, match):
    with pytest.raises(SpikenetError, match=match):
        EpropRule(**arguments)


def test_bad_per_neuron_beta_raises():
    with pytest.raises(SpikenetError, match="beta"):
        EpropNetwork(beta=[[0.1, 0.2]])
    with pytest.raises(SpikenetError, match="beta"):
        EpropNetwork(beta=(0.1, -0.2))
    weights, inputs, target, feedback = _small_task()
    with pytest.raises(SpikenetError, match="beta"):
        eprop_gradients(EpropNetwork(beta=(0.02,) * 3), weights, inputs, target, feedback)


def test_trace_time_constants_accept_infinity_only_positive():
    """τ = math.inf is a non-decaying trace; τ <= 0 or NaN is an error naming the trace."""
    delays = np.zeros(1, np.int32)
    check_rule(ContextProbe(), "probe", delays)
    for tau in (0.0, -1.0, -math.inf, math.nan):
        with pytest.raises(SpikenetError, match="'step'"):
            check_rule(ContextProbe(synapse_traces={"step": tau}), "probe", delays)


def test_bad_engine_inputs_raise():
    network = EpropNetwork()
    weights, inputs, target, feedback = _small_task()
    compiled = build_engine_network(network, N_IN, N_REC, target).compile(precision="float64")
    first = inputs.copy()
    first[0, 3] = 1.0
    with pytest.raises(SpikenetError, match=r"inputs\[0\]"):
        engine_gradients(compiled, weights, first, feedback)
    with pytest.raises(SpikenetError, match="inputs"):
        engine_gradients(compiled, weights, inputs * 0.5, feedback)
    autapses = weights._replace(recurrent=weights.recurrent + np.eye(N_REC))
    with pytest.raises(SpikenetError, match="weights.recurrent"):
        engine_gradients(compiled, autapses, inputs, feedback)
    with pytest.raises(SpikenetError, match="feedback"):
        engine_gradients(compiled, weights, inputs, feedback.T)
    with pytest.raises(SpikenetError, match="learning_rate"):
        train_on_engine(network, weights, inputs, target, feedback, learning_rate=0.0, n_iterations=1)
    with pytest.raises(SpikenetError, match="kind"):
        compiled.plastic_trace(compiled.initial_state(), INPUT_PROJECTION, "gradient", kind="weight")
    with pytest.raises(SpikenetError, match="'no_such_trace'"):
        compiled.plastic_trace(compiled.initial_state(), INPUT_PROJECTION, "no_such_trace")
    with pytest.raises(SpikenetError, match="shape"):
        compiled.with_plastic_trace(compiled.initial_state(), INPUT_PROJECTION, "gradient", np.zeros(3))


def test_engine_dt_and_post_population_are_checked():
    """The engine's dt must equal EpropNetwork.dt; EpropRule on a population that is not EpropNeuron is an error
    naming what it needs, raised before any simulation."""
    net = sn.Network(dt=0.5)
    net.population("recurrent", 3, EpropNeuron(EpropNetwork(dt=1.0)))
    with pytest.raises(SpikenetError, match="dt"):
        net.run(5.0)
    net = sn.Network(dt=1.0)
    source = net.population("inputs", 2, sn.SpikeSource.empty())
    cells = net.population("cells", 3, LIF())
    net.connect(source, cells, sn.AllToAll(), weight=0.0, plasticity=EpropRule(EpropNetwork(), np.zeros((5, 1))))
    with pytest.raises(SpikenetError, match="EpropNeuron"):
        net.run(5.0)


def test_on_step_returning_an_unknown_trace_raises():
    @dataclass(frozen=True)
    class Unknown(ContextProbe):
        def on_step(self, weight, synapse, modulator, dt, context):
            return weight, {"bogus": weight}

    net, _ = _probe_network(Unknown())
    with pytest.raises(SpikenetError, match="bogus"):
        net.run(2.0)
