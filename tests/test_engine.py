"""The event engine: same spikes as the dense reference path, determinism, chunk invariance,
no lost spikes in bursts, exact event counts, and runtime failure reports."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import spikenet as sn
from neurons import LIF
LARGEST_BLOCK = 16384  # a burst larger than any fixed event buffer the engine ever had


def _random_network(seed: int, n_a: int, n_b: int, delay_steps: int, rule_kind: int, poisson_rate: float) -> sn.Network:
    net = sn.Network(dt=0.1, seed=seed)
    rng = np.random.default_rng(seed)
    a = net.population("a", n_a, LIF(tau_m=10.0, v_rest=-65.0, v_threshold=-55.0, v_reset=-70.0, refractory=1.0,
                                      integration="euler"))
    b = net.population("b", n_b, LIF(tau_m=15.0, v_rest=-60.0, v_threshold=-52.0, v_reset=-60.0, refractory=2.0))
    a.set_initial(v=rng.uniform(-70, -54, n_a))
    b.set_initial(v=rng.uniform(-65, -53, n_b))
    noise = net.poisson_source("noise", 20, poisson_rate)
    times = np.sort(rng.choice(np.arange(200), 15, replace=False)) * 0.1
    generator = net.spike_source("generator", 3, rng.integers(0, 3, 15), times)
    rules = [sn.FixedProbability(0.3), sn.FixedInDegree(min(3, n_a)), sn.FixedOutDegree(min(2, n_b)), sn.AllToAll()]
    net.connect(noise, a, sn.FixedProbability(0.5), synapse=sn.ConductanceExp(5.0, 0.0), weight=sn.Uniform(1.0, 4.0))
    net.connect(generator, b, sn.AllToAll(), synapse=sn.CurrentExp(3.0), weight=120.0, delay=0.3)
    net.connect(a, b, rules[rule_kind], synapse=sn.Delta(), weight=sn.Normal(2.0, 1.0), delay=delay_steps * 0.1)
    net.connect(b, a, sn.FixedProbability(0.4), synapse=sn.ConductanceExp(8.0, -80.0), weight=3.0,
                delay=sn.Uniform(0.0, 0.0))
    net.connect(a, a, sn.FixedProbability(0.2, allow_autapses=False), synapse=sn.ConductanceExp(5.0, 0.0), weight=2.0)
    net.current(a, 100.0)
    return net


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_a=st.integers(1, 40), n_b=st.integers(1, 30), delay_steps=st.integers(0, 4),
       rule_kind=st.integers(0, 3), poisson_rate=st.sampled_from([0.0, 50.0, 400.0]))
def test_event_and_dense_paths_give_identical_spikes(seed, n_a, n_b, delay_steps, rule_kind, poisson_rate):
    """Property: on random small networks (all synapse kinds, delays, sources) the event path
    and the dense ``spikes @ W`` path emit identical spikes and counts in float64."""
    net = _random_network(seed, n_a, n_b, delay_steps, rule_kind, poisson_rate)
    monitors = [sn.SpikeMonitor("a"), sn.SpikeMonitor("b"), sn.SpikeMonitor("noise")]
    event = net.run(50.0, seed=seed, monitors=monitors, precision="float64", engine="event")
    dense = net.run(50.0, seed=seed, monitors=monitors, precision="float64", engine="dense")
    for name in ("a", "b", "noise"):
        np.testing.assert_array_equal(event.spikes[name][0], dense.spikes[name][0])
        np.testing.assert_array_equal(event.spikes[name][1], dense.spikes[name][1])
    assert event.counts.to_dict() == dense.counts.to_dict()


def test_same_seed_same_spikes_and_other_seed_differs():
    """Determinism: the run is a function of (network, seed); Poisson input changes with the seed."""
    net = _random_network(5, 30, 20, 2, 0, 400.0)
    runs = [net.run(60.0, seed=s, monitors=[sn.SpikeMonitor("a")]) for s in (11, 11, 12)]
    np.testing.assert_array_equal(runs[0].spikes["a"][0], runs[1].spikes["a"][0])
    np.testing.assert_array_equal(runs[0].spikes["a"][1], runs[1].spikes["a"][1])
    assert not np.array_equal(runs[0].spikes["a"][1], runs[2].spikes["a"][1])


@pytest.mark.parametrize("chunk_steps", [1, 7, 100, 600])
def test_results_do_not_depend_on_chunk_size(chunk_steps):
    """Chunking only bounds memory: spikes, counts and recorded states are identical for any chunk size."""
    net = _random_network(9, 25, 15, 3, 1, 400.0)
    monitors = [sn.SpikeMonitor("a"), sn.SpikeMonitor("b"), sn.StateMonitor("b", ["v"], every=0.3)]
    reference = net.run(60.0, seed=3, monitors=monitors, chunk_steps=600)
    chunked = net.run(60.0, seed=3, monitors=monitors, chunk_steps=chunk_steps * 3)
    for name in ("a", "b"):
        np.testing.assert_array_equal(reference.spikes[name][1], chunked.spikes[name][1])
        np.testing.assert_array_equal(reference.spikes[name][0], chunked.spikes[name][0])
    np.testing.assert_array_equal(reference.states["b"]["v"], chunked.states["b"]["v"])
    assert reference.counts.to_dict() == chunked.counts.to_dict()


@pytest.mark.parametrize("precision", ["float32", "float64"])
def test_unrolled_loop_results_do_not_depend_on_chunk_size(precision, monkeypatch):
    """Large networks run several steps per loop iteration (spikenet.engine.chunk.UNROLL), the
    remainder of a chunk one per iteration: spikes, counts and the final state (neurons, channels,
    delay ring) are identical, bit for bit, for chunks that are multiples of it or not."""
    from spikenet.engine import chunk

    monkeypatch.setattr(chunk, "UNROLL_MIN_NEURONS", 0)  # unroll this small network too
    net = _random_network(9, 25, 15, 3, 1, 400.0)
    monitors = [sn.SpikeMonitor("a"), sn.SpikeMonitor("b")]
    runs = [net.run(60.0, seed=3, monitors=monitors, precision=precision, chunk_steps=c) for c in (600, 1, 3, 5, 7, 8, 9, 13, 100)]
    sampled = []
    for every in (7, 9):  # blocks of 7 steps between samples (one per iteration), of 9: 2 x 4 + 1
        recorded = monitors + [sn.StateMonitor("b", ["v"], every=every * 0.1)]
        sampled.append([net.run(60.0, seed=3, monitors=recorded, precision=precision, chunk_steps=c * every) for c in (1, 3, 5, 10)])
    reference = runs[0]
    assert reference.counts.total_spikes > 100
    for same_every in sampled:
        for run in same_every[1:]:
            np.testing.assert_array_equal(same_every[0].states["b"]["v"], run.states["b"]["v"])
    for run in runs[1:] + sampled[0] + sampled[1]:
        for name in ("a", "b"):
            np.testing.assert_array_equal(reference.spikes[name][0], run.spikes[name][0])
            np.testing.assert_array_equal(reference.spikes[name][1], run.spikes[name][1])
        assert reference.counts.to_dict() == run.counts.to_dict()
        for name, variables in reference.final_state.neurons.items():
            for variable, values in variables.items():
                np.testing.assert_array_equal(np.asarray(values), np.asarray(run.final_state.neurons[name][variable]))
        np.testing.assert_array_equal(np.asarray(reference.final_state.channels), np.asarray(run.final_state.channels))
        np.testing.assert_array_equal(np.asarray(reference.final_state.ring), np.asarray(run.final_state.ring))


def test_resume_continues_a_run_exactly():
    """Two runs of 30 ms, the second resuming the first, equal one run of 60 ms."""
    net = _random_network(2, 20, 10, 2, 0, 400.0)
    whole = net.run(60.0, seed=4, monitors=[sn.SpikeMonitor("a")])
    first = net.run(30.0, seed=4, monitors=[sn.SpikeMonitor("a")])
    second = net.run(30.0, seed=4, monitors=[sn.SpikeMonitor("a")], resume=first)
    np.testing.assert_array_equal(whole.spikes["a"][0], np.concatenate([first.spikes["a"][0], second.spikes["a"][0]]))


@pytest.mark.parametrize("n_sources, engine", [(300, "event"), (300, "dense"), (LARGEST_BLOCK + 3001, "event")])
def test_burst_of_every_neuron_loses_no_spike(n_sources, engine):
    """Every source neuron spikes in the same step (more than the largest event buffer in the big
    case): all spikes are counted, events = spikes x out-degree exactly, and each target receives
    exactly the sum of its incoming weights (checked against numpy)."""
    net = sn.Network(dt=0.1, seed=0)
    source = net.spike_source("burst", n_sources, np.arange(n_sources), np.full(n_sources, 0.2))
    target = net.population("target", 500, LIF(v_threshold=1e6, v_reset=-60.0))
    projection = net.connect(source, target, sn.FixedOutDegree(7), synapse=sn.CurrentExp(tau=1e6),
                             weight=sn.Uniform(0.0, 1.0))
    result = net.run(0.4, monitors=[sn.SpikeMonitor("burst"), sn.StateMonitor("target", ["I_syn0"])],
                     precision="float64", engine=engine)
    assert result.counts.spikes["burst"] == n_sources
    assert result.spikes["burst"][1].size == n_sources
    assert result.counts.synaptic_events[projection.name] == 7 * n_sources
    expected = np.bincount(projection.synapses.post, weights=projection.weights, minlength=500)
    np.testing.assert_allclose(result.states["target"]["I_syn0"][3], expected, rtol=1e-9)  # delivered in step 2
    assert np.all(result.states["target"]["I_syn0"][2] == 0.0)


def test_counts_are_exact_python_integers_for_every_population_and_projection():
    """ActivityCounts: neuron updates = size x steps for integrated populations, 0 for sources;
    synaptic events = sum of out-degrees of the neurons that spiked (recounted from the raster)."""
    net = _random_network(4, 30, 20, 0, 0, 400.0)
    result = net.run(40.0, monitors=[sn.SpikeMonitor(name) for name in net.populations])
    counts = result.counts
    assert counts.neuron_updates["a"] == 30 * 400 and counts.neuron_updates["noise"] == 0
    for projection in net.projections:
        _, idx = result.spikes[projection.pre.name]
        assert counts.synaptic_events[projection.name] == int(projection.synapses.out_degree()[idx].sum())
        assert isinstance(counts.synaptic_events[projection.name], int)
        delayed = projection.synapses.pre[projection.delay_steps > 0]
        assert counts.delayed_events[projection.name] == int(np.bincount(delayed, minlength=projection.pre.size)[idx].sum())


def test_nan_in_the_state_stops_the_run_with_step_and_population():
    """A diverging state stops the run naming the population, the variable and the step."""
    net = sn.Network(dt=0.1)
    # A femtofarad-scale capacitance with a nA current: Euler overflows to -inf, then inf - inf = NaN.
    pop = net.population("unstable", 3, LIF(tau_m=10.0, capacitance=1e-30, integration="euler"))
    net.current(pop, np.array([0.0, -1e10, 0.0]))
    with pytest.raises(sn.SimulationError, match=r"population 'unstable'.*step \d+"):
        net.run(5.0)


def test_float32_is_the_default_and_float64_is_selectable():
    """Precision: float32 by default; float64 on request (parity tests use it)."""
    net = _random_network(1, 5, 5, 0, 0, 0.0)
    assert net.run(1.0).final_state["neurons"]["a"]["v"].dtype == np.float32
    assert net.run(1.0, precision="float64").final_state["neurons"]["a"]["v"].dtype == np.float64


def test_poisson_input_matches_the_binomial_statistics_and_counts_every_event():
    """Network.poisson_input (Brian2's PoissonInput): per neuron and step the number of events is
    Binomial(N, rate dt) — mean N rate dt and variance N p (1 - p) within 4 standard errors —,
    each event adds the weight, and every event is counted in external_events."""
    net = sn.Network(dt=0.1)
    # Huge threshold and tau: v integrates the delta input almost unchanged (decay checked below).
    cells = net.population("cells", 2000, LIF(tau_m=1e9, v_rest=0.0, v_threshold=1e12, v_reset=0.0))
    drive = net.poisson_input(cells, n_sources=1000, rate=20.0, weight=0.5)
    result = net.run(0.1, monitors=[sn.StateMonitor("cells", ["v"])], precision="float64", seed=3)
    after_one_step = net.run(0.2, monitors=[sn.StateMonitor("cells", ["v"])], precision="float64", seed=3)
    events = after_one_step.states["cells"]["v"][1] / 0.5  # v after step 0 = weight x events
    p = 20.0 * 0.1 / 1000.0
    mean, variance = 1000 * p, 1000 * p * (1 - p)
    np.testing.assert_allclose(events, np.round(events), atol=1e-9)
    assert abs(events.mean() - mean) < 4 * np.sqrt(variance / 2000)
    assert abs(events.var() - variance) < 4 * variance * np.sqrt(2 / 2000)
    assert result.counts.external_events[drive.name] == int(round(events.sum()))


def test_poisson_input_rejects_bad_parameters():
    net = sn.Network(dt=0.1)
    cells = net.population("cells", 3, LIF())
    with pytest.raises(sn.SpikenetError, match=r"PoissonInput.rate must be in \[0, 10000\] Hz"):
        net.poisson_input(cells, 10, 20000.0, 1.0)
    with pytest.raises(sn.SpikenetError, match="PoissonInput.n_sources must be a positive integer"):
        net.poisson_input(cells, 0, 10.0, 1.0)
