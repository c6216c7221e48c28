"""Analog crossbars: tiling, perturbed weights with the published device models, event vs full reads."""

import math

import numpy as np
import pytest

from hardware import estimate, get_chip, map_crossbars, perturb_weights
from hardware.analog_noise import adc_quantise, pcm_programming_sigma, rram_sigma
from hardware_builders import feedforward, make_counts

N = 200_000


@pytest.mark.parametrize("chip", ["hermes_pcm", "neurram_rram", "isaac"])
def test_no_noise_and_no_quantisation_returns_the_original_weights(chip):
    """Definition: with every effect off the chip applies the weights it was given, bit for bit."""
    weights = np.random.default_rng(1).normal(0.0, 2.0, 1000)
    out = perturb_weights(weights, get_chip(chip), quantise=False, programming_noise=False, drift=False, read_noise=False)
    assert np.array_equal(out.weights, weights)
    assert out.stats["rms_error"] == 0.0


def rectified_moments(sigma: float) -> tuple[float, float]:
    """Mean and variance of max(0, N(0, sigma^2))."""
    return sigma / math.sqrt(2 * math.pi), sigma ** 2 * (0.5 - 1 / (2 * math.pi))


def test_pcm_programming_noise_matches_the_aihwkit_sigma():
    """aihwkit PCMLikeNoiseModel (Nandakumar 2019; ENERGY_REFERENCES §2.3): sigma_prog(g) =
    0.26348 + 1.9650 x - 1.1731 x^2 µS at g_max = 25 µS, i.e. 1.05527 µS at x = 1 (g+ of w = +w_max) and
    0.26348 µS at x = 0 (g-, clipped at 0). Weight error = (dg+ - g-) / g_max x w_max."""
    chip = get_chip("hermes_pcm")
    out = perturb_weights(np.ones(N), chip, seed=3, quantise=False, drift=False, read_noise=False)
    sigma_plus, sigma_zero = 0.26348 + 1.9650 - 1.1731, 0.26348
    assert pcm_programming_sigma(np.array([25.0]), 25.0)[0] == pytest.approx(sigma_plus)
    mean_minus, var_minus = rectified_moments(sigma_zero)
    error = out.weights - 1.0
    assert np.std(error) == pytest.approx(math.sqrt(sigma_plus ** 2 + var_minus) / 25.0, rel=0.02)
    assert np.mean(error) == pytest.approx(-mean_minus / 25.0, abs=4 * np.std(error) / math.sqrt(N))


def test_rram_programming_noise_matches_the_wan2022_fit():
    """aihwkit ReRamWan2022NoiseModel (1 s fit, g_max 40 µS): sigma(1) = 0.348 + 16.030 - 43.853 + 45.393 -
    16.815 = 1.103 µS; sigma(0) = 0.348 µS (clipped at 0). Read noise off."""
    chip = get_chip("neurram_rram")
    out = perturb_weights(np.ones(N), chip, seed=4, quantise=False, read_noise=False)
    sigma_plus = 0.348 + 16.030 - 43.853 + 45.393 - 16.815
    assert rram_sigma(np.array([40.0]), 40.0)[0] == pytest.approx(sigma_plus)
    _, var_minus = rectified_moments(0.348)
    assert np.std(out.weights - 1.0) == pytest.approx(math.sqrt(sigma_plus ** 2 + var_minus) / 40.0, rel=0.02)


def test_conductance_quantisation_error_is_uniform_within_half_a_level():
    """Uniform quantisation to 16 levels on [0, g_max] (HERMES 3-4 bit effective): step = w_max / 15, error
    within step / 2 and rms step / sqrt(12) for weights spread over many levels."""
    weights = np.random.default_rng(2).uniform(0.0, 1.0, N)
    weights[0] = 1.0
    out = perturb_weights(weights, get_chip("hermes_pcm"), programming_noise=False, drift=False, read_noise=False)
    step = 1.0 / 15
    error = out.weights - weights
    assert np.max(np.abs(error)) <= step / 2 + 1e-12
    assert np.sqrt(np.mean(error ** 2)) == pytest.approx(step / math.sqrt(12), rel=0.02)


def test_pcm_drift_matches_the_lognormal_mean_and_compensation_restores_the_scale():
    """aihwkit PCM drift (ENERGY_REFERENCES §2.3): g(t) = g (t'/t0)^-nu, t' = t + 20 s, nu ~ N(mu, sigma) with
    mu = clip(-0.0155 ln x + 0.0244, 0.049, 0.1), sigma = clip(-0.0125 ln x - 0.0059, 0.008, 0.045). Hence
    E[g(t)/g] = exp(-mu L + sigma^2 L^2 / 2), L = ln(t'/t0); at t = 1 h the mean weight must match it.
    Global drift compensation then restores the mean weight to within a few %."""
    weights = np.random.default_rng(5).uniform(0.2, 1.0, 20_000)
    weights[0] = 1.0
    chip = get_chip("hermes_pcm")
    raw = perturb_weights(weights, chip, seed=6, quantise=False, drift_compensation=False, read_noise=False,
                          programming_noise=False)
    x = weights / weights.max()
    mu = np.clip(-0.0155 * np.log(x) + 0.0244, 0.049, 0.1)
    sigma = np.clip(-0.0125 * np.log(x) - 0.0059, 0.008, 0.045)
    log_t = math.log((3600 + 20) / 20)
    expected = np.sum(weights * np.exp(-mu * log_t + sigma ** 2 * log_t ** 2 / 2)) / np.sum(weights)
    assert np.mean(raw.weights) / np.mean(weights) == pytest.approx(expected, rel=0.005)
    fixed = perturb_weights(weights, chip, seed=6, quantise=False)
    assert np.mean(fixed.weights) / np.mean(weights) == pytest.approx(1.0, abs=0.03)


def test_tiles_for_the_kws_first_layer():
    """Hand-worked: 390 x 256 weights need ceil(390/256) x ceil(256/256) = 2 HERMES tiles (256 x 256 cells),
    and ceil(390/128) x ceil(256/16) = 64 ISAAC crossbars (128 rows, 8 cells per 16-bit weight)."""
    network = feedforward([390, 256])
    assert map_crossbars(network, get_chip("hermes_pcm")).tiles_used == 2
    assert map_crossbars(network, get_chip("isaac")).tiles_used == 64


def test_isaac_event_energy_from_hand_worked_counts():
    """ISAAC Table I derived costs (D): 0.39 pJ per 1-bit DAC row activation, 1.83 fJ per cell, 1.56 pJ per
    ADC conversion. 128 -> 16 weights, one step, all 128 inputs spike: 128 rows, 128 x 16 x 8 cells,
    16 x 8 conversions -> 49.92 + 29.98 + 199.68 pJ."""
    network = feedforward([128, 16])
    counts = make_counts(network, 1, {"l0": 128}, {"l0->l1": 128 * 16})
    report = estimate(counts, network, "isaac")
    expected = 128 * 0.39 + 128 * 16 * 8 * 1.83e-3 + 16 * 8 * 1.56
    assert report.total_j * 1e12 == pytest.approx(expected)


def test_event_driven_reads_cost_less_than_full_mvm_and_equal_it_at_saturation():
    """Definition: a tile is read when any of its rows spiked; at one spike per input per step every
    tile is read every step, as in a full matrix-vector read."""
    network = feedforward([300, 100])
    sparse = make_counts(network, 100, {"l0": 300}, {"l0->l1": 30_000})
    full = make_counts(network, 100, {"l0": 300 * 100}, {"l0->l1": 300 * 100 * 100})
    chip = get_chip("hermes_pcm")
    assert estimate(sparse, network, chip).total_j < estimate(sparse, network, chip, analog_mode="full_mvm").total_j
    assert estimate(full, network, chip).total_j == pytest.approx(estimate(full, network, chip, analog_mode="full_mvm").total_j)


def test_adc_quantisation_clips_and_rounds():
    """Signed b-bit ADC: 2^(b-1) - 1 levels per side of the full scale."""
    out = adc_quantise(np.array([0.0, 0.26, 5.0, -5.0]), bits=3, full_scale=1.5)
    assert np.allclose(out, [0.0, 0.5, 1.5, -1.5])


def test_bit_sliced_isaac_weights_are_exact_to_16_bits():
    """ISAAC Table I: 16-bit weights over 8 x 2-bit cells, no device noise modelled: error <= half a 16-bit step."""
    weights = np.random.default_rng(7).normal(0.0, 1.0, 10_000)
    out = perturb_weights(weights, get_chip("isaac"))
    step = np.max(np.abs(weights)) / (2 ** 15 - 1)
    assert np.max(np.abs(out.weights - weights)) <= step / 2 + 1e-15


def test_with_weights_rerun_is_identical_when_the_chip_changes_nothing():
    """Definition: noise and quantisation off => perturbed == original => the re-run's spikes are identical."""
    from hardware import perturb_network_weights, with_weights
    network = feedforward([30, 20])
    network.projections[0].weights[:] = 40.0
    perturbed = perturb_network_weights(network, get_chip("hermes_pcm"), quantise=False, programming_noise=False,
                                        drift=False, read_noise=False)
    clone = with_weights(network, perturbed)
    first = network.run(30.0, seed=3, progress=False).counts
    second = clone.run(30.0, seed=3, progress=False).counts
    assert first.spikes == second.spikes and first.synaptic_events == second.synaptic_events
    assert clone.projections[0] is not network.projections[0]
