"""Linear Poisson neuron (``neurons.LinearPoisson``): rates against the closed form of its filter."""

from __future__ import annotations

import math

import numpy as np
import pytest

import spikenet as sn
from neurons import LinearPoisson


def _rate_hz(model: LinearPoisson, input_rate_hz: float, weight: float, n_inputs: int, duration_ms: float,
             chunk_steps: int | None = None) -> tuple[float, np.ndarray]:
    net = sn.Network(dt=1.0, seed=3)
    inputs = net.population("inputs", n_inputs, sn.PoissonSource(input_rate_hz))
    cell = net.population("cell", 1, model)
    net.connect(inputs, cell, sn.AllToAll(), synapse=sn.Delta("u"), weight=weight)
    result = net.run(duration_ms, monitors=[sn.SpikeMonitor("cell")], chunk_steps=chunk_steps, progress=False)
    times = np.asarray(result.spikes["cell"][0])
    return times.size / (duration_ms / 1000.0), times


def test_mean_rate_matches_the_filter():
    """Ten 50-Hz Poisson inputs of weight 0.5, τ = 20 ms, g = 20 Hz, ρ0 = 5 Hz: the mean rate is
    ρ0 + g (dt/1000) q/(1-q) Σ w r with q = exp(-dt/τ) (an input acts from the next step on) =
    5 + 20 * 0.001 * 19.504 * 250 = 102.5 Hz. Over 100 s the count's standard deviation (Poisson
    plus the rate's own fluctuations, variance ≈ T g² Σ w² r (τ/1000)²) is about 1.1 %."""
    model = LinearPoisson(tau=20.0, gain=20.0, baseline=5.0, seed=7)
    q = math.exp(-1.0 / 20.0)
    expected = 5.0 + 20.0 * 0.001 * q / (1.0 - q) * 10 * 0.5 * 50.0
    rate, _ = _rate_hz(model, 50.0, 0.5, 10, 100_000.0)
    assert rate == pytest.approx(expected, rel=0.05)


def test_baseline_only_and_silence():
    """Without input weight the neuron fires at ρ0 (Bernoulli ρ0 dt/1000 per step; 1 % standard
    deviation over 100 s at 100 Hz); with ρ0 = 0 it never fires."""
    rate, _ = _rate_hz(LinearPoisson(baseline=100.0), 50.0, 0.0, 2, 100_000.0)
    assert rate == pytest.approx(100.0, rel=0.05)
    rate, _ = _rate_hz(LinearPoisson(baseline=0.0), 50.0, 0.0, 2, 10_000.0)
    assert rate == 0.0


def test_spikes_do_not_depend_on_the_chunk_size():
    """Random numbers are keyed by the neuron's step counter, not by the chunk."""
    model = LinearPoisson(tau=10.0, gain=50.0, baseline=2.0, seed=1)
    _, short_chunks = _rate_hz(model, 20.0, 0.5, 5, 2000.0, chunk_steps=70)
    _, long_chunks = _rate_hz(model, 20.0, 0.5, 5, 2000.0, chunk_steps=2000)
    assert short_chunks.size > 0
    np.testing.assert_array_equal(short_chunks, long_chunks)


@pytest.mark.parametrize("kwargs, message", [
    ({"tau": 0.0}, r"LinearPoisson\.tau \(ms\) must be > 0"), ({"gain": -1.0}, r"LinearPoisson\.gain .* must be > 0"),
    ({"baseline": -1.0}, r"LinearPoisson\.baseline \(Hz\) must be >= 0"), ({"seed": 1.5}, r"LinearPoisson\.seed"),
    ({"integration": "rk4"}, r"LinearPoisson\.integration must be one of"),
])
def test_bad_parameters_are_refused(kwargs, message):
    with pytest.raises(sn.SpikenetError, match=message):
        LinearPoisson(**kwargs)
