"""Hodgkin–Huxley neurons (REPRODUCTION_TARGETS §1d) and the Traub–Miles form of Brian2's COBAHH.

Squid axon protocol: start at rest (-65 mV, gates at steady state), current step from t = 0 for
1 s, spike = upward crossing of -20 mV, exponential Euler at dt = 0.01 ms. 1 µA/cm² = 100 pA on
the default 10⁴ µm² patch. References: [B2] Brian2 2.9.0 (dt = 0.01 ms) f–I, single-spike and
tonic thresholds in the targets file; literature onset of repetitive firing ≈ 6.26 µA/cm²
(Rinzel & Miller 1980; Guckenheimer & Labouriau 1993).
"""

from __future__ import annotations

import numpy as np
import pytest

import spikenet as sn
from neurons import HodgkinHuxley
from neuron_support import run_brian2, run_spikenet, steady_rate_hz

PICO_AMPS_PER_UA_CM2 = 100.0
# [B2] rate (Hz) from ISIs in 200–1000 ms, dt = 0.01 ms (REPRODUCTION_TARGETS §1d).
BRIAN2_RATES = {6.5: 54.75, 7.0: 58.03, 8.0: 62.16, 10.0: 67.99, 15.0: 78.24, 20.0: 85.99, 30.0: 98.15, 50.0: 116.24}
SINGLE_SPIKE_GRID = np.round(np.arange(2.15, 2.351, 0.01), 3)
ONSET_GRID = np.round(np.arange(6.15, 6.401, 0.01), 3)


@pytest.fixture(scope="module")
def squid_runs() -> dict[float, np.ndarray]:
    """Spike trains (ms) of one 1-s run of the squid axon at every current (µA/cm²) the tests need."""
    currents = np.unique(np.concatenate([SINGLE_SPIKE_GRID, ONSET_GRID, [2.0, 2.5, 6.0], list(BRIAN2_RATES)]))
    trains = run_spikenet(HodgkinHuxley.squid_1952(), currents * PICO_AMPS_PER_UA_CM2, 1000.0, 0.01)
    return dict(zip(currents.tolist(), trains))


def _is_tonic(times: np.ndarray) -> bool:
    return int(np.sum(times >= 200.0)) >= 2


def test_rates_within_two_percent_of_brian2(squid_runs):
    """Rates at I = 6.5 … 50 µA/cm² within rel 2 % of Brian2 at dt = 0.01 ms ([B2])."""
    for current, reference in BRIAN2_RATES.items():
        rate = steady_rate_hz(squid_runs[current], after_ms=200.0)
        assert rate == pytest.approx(reference, rel=0.02), current


def test_single_spike_threshold(squid_runs):
    """Single-spike threshold of a 1-s step from rest in [2.2, 2.3] µA/cm² ([B2] 2.247; 2.0 -> 0, 2.5 -> 1 spike)."""
    assert len(squid_runs[2.0]) == 0 and len(squid_runs[2.5]) == 1
    spiking = [c for c in SINGLE_SPIKE_GRID if len(squid_runs[float(c)]) >= 1]
    assert 2.2 <= min(spiking) <= 2.3


def test_tonic_onset_is_discontinuous(squid_runs):
    """Onset of repetitive firing in [6.20, 6.33] µA/cm² ([B2] 6.262, literature ≈ 6.26), no sustained
    firing at 6.0 (<= 3 spikes), and a rate > 45 Hz just above onset (type-II excitability)."""
    assert len(squid_runs[6.0]) <= 3
    tonic = [float(c) for c in ONSET_GRID if _is_tonic(squid_runs[float(c)])]
    onset = min(tonic)
    assert 6.20 <= onset <= 6.33
    assert all(_is_tonic(squid_runs[float(c)]) for c in ONSET_GRID if c >= onset)
    above = float(np.round(onset + 0.1, 3))
    assert steady_rate_hz(squid_runs[above], after_ms=200.0) > 45.0


@pytest.mark.parametrize("model_name", ["traub_miles", "squid_1952"])
def test_spike_times_identical_to_brian2(model_name):
    """Spike times equal Brian2's (float64, exponential Euler) for the COBAHH Traub–Miles neuron
    (dt 0.1 ms, 300 ms) and the squid axon (dt 0.025 ms, 100 ms); reference: Brian2 2.9.0 numpy
    runtime on ``brian2_model()``, including the refractory condition ``v > v_spike``."""
    if model_name == "traub_miles":
        model, currents, duration, dt = HodgkinHuxley(), np.array([300.0, 1000.0]), 300.0, 0.1
    else:
        model, currents, duration, dt = HodgkinHuxley.squid_1952(), np.array([700.0, 2000.0]), 100.0, 0.025
    ours = run_spikenet(model, currents, duration, dt)
    brian2 = run_brian2(model, currents, duration, dt)
    for mine, theirs in zip(ours, brian2):
        assert len(mine) == len(theirs) > 0
        np.testing.assert_allclose(mine, theirs, atol=1e-9)


def test_forward_euler_with_too_large_dt_stops_with_a_clear_error():
    """Forward Euler is unstable for the COBAHH sodium conductance at dt = 0.1 ms (rate ~100/ms):
    the run stops with spikenet.SimulationError naming the population, variable and step and
    suggesting a smaller dt; dt = 0.01 ms runs."""
    def run(dt: float):
        network = sn.Network(dt=dt)
        population = network.population("hh", 1, HodgkinHuxley(integration="euler"))
        network.current(population, 1000.0)
        return network.run(50.0, monitors=[sn.SpikeMonitor(population)], progress=False)

    with pytest.raises(sn.SimulationError, match=r"population 'hh'.*step \d+.*smaller dt") as error:
        run(0.1)
    assert any(f"non-finite {name} " in str(error.value) for name in ("v", "m", "h", "n"))
    assert len(run(0.01).spikes["hh"][0]) > 0
