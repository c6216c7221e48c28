"""NEST parity: the same network, built by experiments.nest_export from one description, must give
NEST's spikes step for step (float64). Reference: NEST 3.10 (``iaf_psc_delta``, ``iaf_psc_exp``,
exact integration), a simulator independent of Brian2; the delay, weight and refractory
mapping is derived in :mod:`experiments.nest_export`.

NEST is a declared test dependency (the ``test`` extra): without it these tests fail."""

import numpy as np
import pytest

import spikenet as sn
from neurons import LIF
from experiments.nest_export import current_propagators, run_nest, to_nest


def _spike_trains(rng: np.random.Generator, n_sources: int, duration_ms: float, dt: float, count: int):
    """Random explicit spike trains on the grid: (indices, times ms), one spike per neuron and step at most."""
    n_steps = int(round(duration_ms / dt))
    keys = rng.choice(n_steps * n_sources, count, replace=False)
    steps, indices = keys // n_sources, keys % n_sources
    return indices, steps * dt


def _random_synapses(rng: np.random.Generator, n_pre: int, n_post: int, p: float, weights: tuple[float, float],
                     max_delay_steps: int, dt: float, min_delay_steps: int = 0) -> dict:
    """Keyword arguments of Network.connect for random explicit synapses with random weights and on-grid delays."""
    pre, post = np.nonzero(rng.random((n_pre, n_post)) < p)
    n = pre.size
    return {"rule": sn.FromIndices(pre, post), "weight": rng.uniform(*weights, n),
            "delay": rng.integers(min_delay_steps, max_delay_steps + 1, n) * dt}


def _steps(times: np.ndarray, indices: np.ndarray, dt: float) -> list[tuple[int, int]]:
    return sorted(zip(np.round(np.asarray(times) / dt).astype(int).tolist(), np.asarray(indices).astype(int).tolist()))


def _delta_network() -> sn.Network:
    dt = 0.1
    net = sn.Network(dt=dt, seed=11)
    rng = np.random.default_rng(5)
    indices, times = _spike_trains(rng, 3, 500.0, dt, 900)
    source = net.spike_source("input", 3, indices, times)
    # v_reset == v_rest: see experiments.nest_export (NEST holds V one step longer after a spike).
    neurons = net.population("neurons", 20, LIF(tau_m=15.0, v_rest=-65.0, v_threshold=-55.0, v_reset=-65.0,
                                                 refractory=2.0, capacitance=250.0))
    neurons.set_initial(v=rng.uniform(-65.0, -56.0, 20))
    net.connect(source, neurons, synapse=sn.Delta(), **_random_synapses(rng, 3, 20, 0.7, (0.5, 3.5), 0, dt))
    net.connect(source, neurons, synapse=sn.Delta(), name="input->neurons delayed",
                **_random_synapses(rng, 3, 20, 0.5, (0.5, 2.5), 20, dt))
    recurrent = net.connect(neurons, neurons, synapse=sn.Delta(), **_random_synapses(rng, 20, 20, 0.3, (-2.0, 2.5), 30, dt))
    assert recurrent.n_synapses > 50 and recurrent.delay_steps.min() == 0
    return net


def test_delta_network_spikes_identical_to_nest():
    """3 explicit spike trains -> 20 LIF through Delta('v') synapses with random weights and
    delays (0 to 3 ms, delay 0 included), a recurrent projection, refractory 2 ms, dt 0.1 ms,
    500 ms: NEST's iaf_psc_delta gives the same spike steps (spikenet float64)."""
    net = _delta_network()
    ours = net.run(500.0, monitors=[sn.SpikeMonitor("neurons"), sn.SpikeMonitor("input")], precision="float64")
    reference = run_nest(net, 500.0)
    assert _steps(*reference["input"], net.dt) == _steps(*ours.spikes["input"], net.dt)
    nest_spikes = _steps(*reference["neurons"], net.dt)
    assert len(nest_spikes) >= 200, "the protocol must make the neurons fire"
    assert len({i for _, i in nest_spikes}) == 20
    assert _steps(*ours.spikes["neurons"], net.dt) == nest_spikes


def _current_network(two_taus: bool) -> sn.Network:
    dt = 0.1
    net = sn.Network(dt=dt, seed=4)
    rng = np.random.default_rng(9)
    indices, times = _spike_trains(rng, 4, 400.0, dt, 1200)
    source = net.spike_source("input", 4, indices, times)
    neurons = net.population("neurons", 15, LIF(tau_m=20.0, v_rest=-70.0, v_threshold=-55.0, v_reset=-72.0,
                                                 refractory=2.0, capacitance=250.0))
    neurons.set_initial(v=rng.uniform(-70.0, -60.0, 15))
    net.current(neurons, rng.uniform(150.0, 250.0, 15))  # pA, constant -> NEST's I_e
    excitatory, inhibitory = sn.CurrentExp(tau=5.0), sn.CurrentExp(tau=10.0 if two_taus else 5.0)
    net.connect(source, neurons, synapse=excitatory, **_random_synapses(rng, 4, 15, 0.6, (100.0, 400.0), 20, dt, 1))
    net.connect(neurons, neurons, synapse=inhibitory, **_random_synapses(rng, 15, 15, 0.3, (-300.0, -50.0), 15, dt, 1))
    return net


@pytest.mark.parametrize("two_taus", [False, True])
def test_current_exp_network_spikes_identical_to_nest(two_taus):
    """Explicit spike trains -> 15 LIF through CurrentExp synapses (excitatory input, inhibitory
    recurrence; one shared tau, or 5 ms / 10 ms on NEST's two ports), constant injected
    currents, v_reset != v_rest, refractory 2 ms, 400 ms: NEST's iaf_psc_exp gives the same spike
    steps. NEST integrates the current's decay within the step and spikenet holds it over the
    step; the export scales NEST's weights by P20/P21 so that the recursions coincide."""
    net = _current_network(two_taus)
    ours = net.run(400.0, monitors=[sn.SpikeMonitor("neurons")], precision="float64")
    reference = run_nest(net, 400.0, populations=["neurons"])
    nest_spikes = _steps(*reference["neurons"], net.dt)
    assert len(nest_spikes) >= 100
    assert _steps(*ours.spikes["neurons"], net.dt) == nest_spikes


def test_unscaled_current_weights_do_not_match(monkeypatch):
    """The P20/P21 weight scale is needed, and the comparison sees it: NEST lets the current
    decay within the step, so with spikenet's weights unchanged a PSP is about dt/(2 tau_s)
    (1 %) smaller in NEST and the spikes differ."""
    import experiments.nest_export as nest_export

    p20, p21 = current_propagators(LIF(tau_m=20.0, capacitance=250.0), 5.0, 0.1)
    assert p21 / p20 == pytest.approx(1.0 - 0.1 / (2 * 5.0), abs=1e-3)
    net = _current_network(two_taus=False)
    ours = net.run(400.0, monitors=[sn.SpikeMonitor("neurons")], precision="float64")
    monkeypatch.setattr(nest_export, "current_propagators", lambda model, tau, dt: (1.0, 1.0))
    unscaled = run_nest(net, 400.0, populations=["neurons"])
    assert _steps(*ours.spikes["neurons"], net.dt) != _steps(*unscaled["neurons"], net.dt)


def test_refuses_what_nest_cannot_reproduce():
    net = sn.Network(dt=0.1)
    poisson = net.poisson_source("noise", 5, 10.0)
    neurons = net.population("neurons", 5, LIF(refractory=2.0))
    net.connect(poisson, neurons, sn.AllToAll(), synapse=sn.Delta(), weight=1.0)
    with pytest.raises(sn.SpikenetError, match="'noise'.*random"):
        to_nest(net)

    net = sn.Network(dt=0.1)
    source = net.spike_source("input", 1, np.array([0]), np.array([1.0]))
    neurons = net.population("neurons", 2, LIF(refractory=2.0))
    net.connect(source, neurons, sn.AllToAll(), synapse=sn.ConductanceExp(tau=5.0, e_rev=0.0), weight=1.0, name="cond")
    with pytest.raises(sn.SpikenetError, match="'cond'.*ConductanceExp"):
        to_nest(net)

    net = sn.Network(dt=0.1)
    source = net.spike_source("input", 1, np.array([0]), np.array([1.0]))
    neurons = net.population("neurons", 2, LIF(v_reset=-70.0, refractory=2.0))
    net.connect(source, neurons, sn.AllToAll(), synapse=sn.Delta(), weight=1.0)
    with pytest.raises(sn.SpikenetError, match="v_reset == v_rest"):
        to_nest(net)

    net = sn.Network(dt=0.1)
    source = net.spike_source("input", 1, np.array([0]), np.array([1.0]))
    neurons = net.population("neurons", 2, LIF(refractory=2.0))
    net.connect(source, neurons, sn.AllToAll(), synapse=sn.CurrentExp(tau=5.0), weight=10.0, name="fast")
    with pytest.raises(sn.SpikenetError, match="'fast'.*delay"):
        to_nest(net)
