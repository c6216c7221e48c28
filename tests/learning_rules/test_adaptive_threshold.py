"""Diehl & Cook's homeostatic adaptive threshold on the engine (:class:`AdaptiveThreshold`).

Reference: the periodic orbit of an LIF neuron with constant drive whose threshold jumps by
theta_plus at each spike and decays exponentially (closed form below), and the plain LIF f-I
curve (REPRODUCTION_TARGETS 1a) when theta is frozen."""

import math

import numpy as np
import pytest

import spikenet as sn
from learning_rules import AdaptiveThreshold
from neurons import LIF

TAU_M, THRESHOLD, REFRACTORY, V0 = 10.0, 10.0, 2.0, 30.0   # ms, mV, ms, mV (REPRODUCTION_TARGETS 1a)


def _lif() -> LIF:
    return LIF(tau_m=TAU_M, v_rest=0.0, v_threshold=THRESHOLD, v_reset=0.0, refractory=REFRACTORY, capacitance=200.0)


def periodic_interval(theta_plus: float, tau_theta: float) -> float:
    """Interspike interval T (ms) of the periodic orbit: after the spike v is clamped for t_ref, then
    v(s) = V0 (1 - e^{-s/tau_m}); the next spike is where v meets THRESHOLD + theta, and theta just
    before a spike is theta_plus e^{-T/tau_theta} / (1 - e^{-T/tau_theta}). Solved by bisection."""
    def mismatch(T):
        v = V0 * (1 - math.exp(-(T - REFRACTORY) / TAU_M))
        theta = theta_plus * math.exp(-T / tau_theta) / (1 - math.exp(-T / tau_theta))
        return v - THRESHOLD - theta

    low, high = REFRACTORY + 1e-9, 1000.0
    for _ in range(200):
        middle = (low + high) / 2
        low, high = (low, middle) if mismatch(middle) > 0 else (middle, high)
    return (low + high) / 2


def _interval(model, duration: float, dt: float) -> tuple[float, sn.Result]:
    net = sn.Network(dt=dt)
    population = net.population("cell", 1, model)
    net.current(population, V0 * 200.0 / TAU_M)  # I = V0 g_L, g_L = C / tau_m (pA)
    result = net.run(duration, monitors=[sn.SpikeMonitor("cell")], precision="float64", progress=False)
    times = result.spikes["cell"][0]
    late = times[times > duration / 2]
    return float(np.diff(late).mean()), result


@pytest.mark.parametrize("theta_plus, tau_theta", [(0.1, 500.0), (0.5, 200.0)])
def test_rate_settles_on_the_periodic_orbit(theta_plus, tau_theta):
    """After 10 tau_theta the interspike interval equals the closed-form orbit to 1 % (dt 0.01 ms),
    and it is much longer than without adaptation (REPRODUCTION_TARGETS 1a: 6.05 ms)."""
    measured, _ = _interval(AdaptiveThreshold(_lif(), theta_plus=theta_plus, tau_theta=tau_theta), 20 * tau_theta, 0.01)
    expected = periodic_interval(theta_plus, tau_theta)
    assert abs(measured - expected) < 0.01 * expected
    assert expected > 1.3 * (REFRACTORY + TAU_M * math.log(V0 / (V0 - THRESHOLD)))


def test_frozen_theta_gives_the_plain_lif_rate():
    """theta_plus = 0: the f-I point of REPRODUCTION_TARGETS 1a (v0 = 30 mV: 165.162 Hz, rel 1e-3 at dt 0.01)."""
    measured, result = _interval(AdaptiveThreshold(_lif(), theta_plus=0.0, tau_theta=1e7), 500.0, 0.01)
    assert abs(1000.0 / measured - 165.162) < 1e-3 * 165.162


def test_theta_is_state_and_can_be_preset():
    """An initial theta of 25 mV puts the threshold at 35 mV > V0 = 30 mV: the cell stays silent
    (tau_theta 1e7 ms), whereas it fires at 165 Hz with theta = 0."""
    net = sn.Network(dt=0.1)
    cell = net.population("cell", 1, AdaptiveThreshold(_lif(), theta_plus=0.05))
    cell.set_initial(theta=25.0)
    net.current(cell, V0 * 200.0 / TAU_M)
    result = net.run(200.0, progress=False)
    assert result.counts.spikes["cell"] == 0
    # The 200 ms decay (5e-4 mV) survives float32: theta decays in closed form, not step by step.
    theta = float(cell.model.current_theta(result.final_state["neurons"]["cell"], 0.1)[0])
    assert abs(theta - 25.0 * math.exp(-200.0 / 1e7)) < 2e-6


@pytest.mark.parametrize("kwargs, message", [
    ({"theta_plus": -0.1}, "theta_plus"),
    ({"tau_theta": 0.0}, "tau_theta"),
    ({"variable": "u"}, "not a state variable"),
])
def test_bad_parameters_are_refused(kwargs, message):
    with pytest.raises(sn.SpikenetError, match=message):
        AdaptiveThreshold(_lif(), **kwargs)
