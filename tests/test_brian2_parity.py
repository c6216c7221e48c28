"""Brian2 parity: the same network, built by spikenet.brian2_export from one description,
must give Brian2's spikes (float64) or Brian2's statistics (recurrent, chaotic networks)."""

import numpy as np
import pytest

import spikenet as sn
from neurons import LIF
from spikenet.brian2_export import to_brian2


def _single_neuron_network(integration: str) -> tuple[sn.Network, sn.Population]:
    net = sn.Network(dt=0.1, seed=3)
    neuron = net.population("neuron", 1, LIF(tau_m=20.0, v_rest=-65.0, v_threshold=-52.0, v_reset=-68.0,
                                              refractory=2.0, capacitance=250.0, integration=integration))
    rng = np.random.default_rng(7)
    exc_times = np.sort(rng.choice(np.arange(1, 3000), 150, replace=False)) * 0.1
    inh_times = np.sort(rng.choice(np.arange(1, 3000), 60, replace=False)) * 0.1
    exc = net.spike_source("exc_input", 1, np.zeros(exc_times.size, dtype=int), exc_times)
    inh = net.spike_source("inh_input", 1, np.zeros(inh_times.size, dtype=int), inh_times)
    net.connect(exc, neuron, sn.OneToOne(), synapse=sn.ConductanceExp(tau=5.0, e_rev=0.0), weight=4.0, delay=1.0)
    net.connect(inh, neuron, sn.OneToOne(), synapse=sn.ConductanceExp(tau=10.0, e_rev=-80.0), weight=8.0)
    net.connect(exc, neuron, sn.OneToOne(), synapse=sn.CurrentExp(tau=3.0), weight=60.0, delay=0.5)
    net.connect(exc, neuron, sn.OneToOne(), synapse=sn.Delta(), weight=0.7)
    step = np.zeros(300)
    step[50:200] = 180.0  # pA: a current step from 50 ms to 200 ms, in 1-ms bins
    net.current(neuron, step, dt_values=1.0)
    net.current(neuron, 20.0)
    return net, neuron


@pytest.mark.parametrize("integration", ["euler", "exponential_euler"])
def test_single_lif_neuron_spike_times_identical_to_brian2(brian2_numpy, integration):
    """One LIF neuron driven by explicit spike trains through conductance, current and delta
    synapses (with delays) plus a current step gives exactly Brian2's spike times (float64).
    Reference: Brian2 2.9.0 numpy runtime on the exported network."""
    net, _ = _single_neuron_network(integration)
    ours = net.run(300.0, monitors=[sn.SpikeMonitor("neuron")], precision="float64")
    exported = to_brian2(net, spike_monitors=["neuron"])
    exported.run(300.0)
    brian_times, _ = exported.spikes("neuron")
    our_times, _ = ours.spikes["neuron"]
    assert brian_times.size >= 10, "the protocol must make the neuron fire"
    np.testing.assert_allclose(our_times, brian_times, atol=1e-9)


def test_membrane_trace_matches_brian2(brian2_numpy):
    """The recorded membrane potential equals Brian2's StateMonitor trace to 1e-9 mV (float64).
    Reference: Brian2 2.9.0 numpy runtime."""
    net, _ = _single_neuron_network("exponential_euler")
    ours = net.run(300.0, monitors=[sn.StateMonitor("neuron", ["v"])], precision="float64")
    exported = to_brian2(net, state_monitors={"neuron": ["v"]})
    exported.run(300.0)
    brian_v = np.asarray(exported.state_monitors["neuron"].v / brian2_numpy.mV)[0]
    np.testing.assert_allclose(ours.states["neuron"]["v"][:, 0], brian_v, atol=1e-9)


@pytest.mark.parametrize("integration", ["euler", "exponential_euler"])
def test_alpha_synapses_match_brian2(brian2_numpy, integration):
    """Alpha current and conductance synapses (two linear state variables per channel) give
    Brian2's spike times and membrane trace (float64) on the exported network."""
    net = sn.Network(dt=0.1, seed=2)
    neuron = net.population("neuron", 1, LIF(tau_m=15.0, v_rest=-65.0, v_threshold=-55.0, v_reset=-70.0,
                                              refractory=2.0, integration=integration))
    rng = np.random.default_rng(1)
    times = np.sort(rng.choice(np.arange(1, 2000), 120, replace=False)) * 0.1
    source = net.spike_source("input", 1, np.zeros(times.size, dtype=int), times)
    net.connect(source, neuron, sn.OneToOne(), synapse=sn.ConductanceAlpha(tau=3.0, e_rev=0.0), weight=3.0)
    net.connect(source, neuron, sn.OneToOne(), synapse=sn.CurrentAlpha(tau=2.0), weight=40.0, delay=1.0)
    ours = net.run(200.0, monitors=[sn.SpikeMonitor("neuron"), sn.StateMonitor("neuron", ["v"])], precision="float64")
    exported = to_brian2(net, spike_monitors=["neuron"], state_monitors={"neuron": ["v"]})
    exported.run(200.0)
    assert exported.spikes("neuron")[0].size >= 5
    np.testing.assert_allclose(ours.spikes["neuron"][0], exported.spikes("neuron")[0], atol=1e-9)
    np.testing.assert_allclose(ours.states["neuron"]["v"][:, 0],
                               np.asarray(exported.state_monitors["neuron"].v / brian2_numpy.mV)[0], atol=1e-9)


def test_alpha_conductance_peaks_at_the_weight_tau_after_the_spike():
    """Analytic alpha function: one spike gives g(t) = w (t/tau) e^{1 - t/tau}, peak w at t = tau
    (checked on the exact-decay scheme at dt = 0.01 ms: peak within 0.2 % and one dt of tau)."""
    net = sn.Network(dt=0.01)
    neuron = net.population("neuron", 1, LIF())
    source = net.spike_source("input", 1, [0], [1.0])
    net.connect(source, neuron, sn.OneToOne(), synapse=sn.ConductanceAlpha(tau=4.0, e_rev=0.0), weight=2.5)
    result = net.run(20.0, monitors=[sn.StateMonitor("neuron", ["g_syn0"])], precision="float64")
    g = result.states["neuron"]["g_syn0"][:, 0]
    t = result.states["neuron"]["t"]
    peak = int(np.argmax(g))
    assert abs(g[peak] - 2.5) < 0.005 * 2.5
    assert abs(t[peak] - (1.0 + 4.0)) <= 0.011


def test_poisson_input_drive_matches_brian2_rates(brian2_numpy):
    """A population driven only by Network.poisson_input (exported as Brian2's PoissonInput):
    mean rate within 5 % of Brian2's (1000 neurons x 1 s; both are random, the SEM is < 1 %)."""
    net = sn.Network(dt=0.1, seed=0)
    cells = net.population("cells", 1000, LIF(tau_m=20.0, v_rest=0.0, v_threshold=20.0, v_reset=10.0, refractory=2.0))
    net.poisson_input(cells, n_sources=1000, rate=20.0, weight=0.1)  # Brunel's nu_ext = 2 nu_thr, J = 0.1 mV
    ours = net.run(1000.0, seed=5, monitors=[sn.SpikeMonitor("cells")])
    exported = to_brian2(net, spike_monitors=["cells"])
    exported.run(1000.0)
    rate_ours = ours.spikes["cells"][0].size / 1000.0
    rate_brian2 = exported.spikes("cells")[0].size / 1000.0
    assert rate_brian2 > 5.0
    assert abs(rate_ours - rate_brian2) < 0.05 * rate_brian2, (rate_ours, rate_brian2)
