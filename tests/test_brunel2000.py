"""Brunel (2000) network states on the engine (delta synapses, delays, PoissonInput drive), the
mean-field stationary rate of the paper's eqs. 21-22, and the state classifier."""

import math

import numpy as np
import pytest


# -- the Siegert formula against independent derivations -------------------------------------------

def test_siegert_rate_tends_to_the_noiseless_lif_rate_as_sigma_vanishes():
    """sigma -> 0 with mu > theta: the integrand erfcx(-u) ~ 1 / (|u| sqrt(pi)) for u << 0, so the formula
    must tend to the deterministic LIF rate 1 / (tau_rp + tau ln((mu - V_r) / (mu - theta))), with a
    relative correction of order (sigma / (mu - theta))^2; below threshold the rate must vanish."""
    from experiments.brunel2000 import siegert_rate

    for mu in (20.5, 25.0, 60.0):
        noiseless = 1000.0 / (2.0 + 20.0 * math.log((mu - 10.0) / (mu - 20.0)))
        assert siegert_rate(mu, 1e-4) == pytest.approx(noiseless, rel=1e-6)
        assert siegert_rate(mu, 0.0) == pytest.approx(noiseless, rel=1e-12)
    assert siegert_rate(19.0, 0.0) == 0.0
    assert siegert_rate(19.0, 1e-3) == 0.0  # theta 1000 sigma above mu
    assert 0.0 < siegert_rate(0.0, 2.0) < 1e-30  # theta 10 sigma above mu: finite, tiny, no overflow
    assert siegert_rate(1e4, 5.0) == pytest.approx(1000.0 / (2.0 + 20.0 * math.log(9990.0 / 9980.0)), rel=1e-6)


def _rate_from_first_passage_ode(mu, sigma, tau=20.0, theta=20.0, v_reset=10.0, tau_rp=2.0):
    """Rate from the mean first-passage time T(x) of tau dV = (mu - V) dt + sigma sqrt(tau) dW, solved
    as the backward equation (sigma^2 / 2) T'' + (mu - x) T' = -tau with T(theta) = 0 and a reflecting
    end at -infinity, by numerical integration of p = T' (no Siegert integral, no erfcx)."""
    from scipy.integrate import solve_ivp

    def slope(x, state):
        p = state[0]
        return [-(2.0 / sigma ** 2) * ((mu - x) * p + tau), p]

    start = min(v_reset, mu) - 12.0 * sigma
    p0 = -tau / (mu - start)  # the drift-dominated asymptote of p at x << mu (error decays as exp(-144))
    below = solve_ivp(slope, (start, v_reset), [p0, 0.0], method="Radau", rtol=1e-11, atol=1e-14)
    above = solve_ivp(slope, (v_reset, theta), [below.y[0, -1], 0.0], method="Radau", rtol=1e-11, atol=1e-14)
    passage = -above.y[1, -1]
    return 1000.0 / (tau_rp + passage)


@pytest.mark.parametrize("mu, sigma", [(21.025, 7.683), (15.0, 3.0), (30.0, 1.0), (5.0, 20.0), (16.37, 3.11)])
def test_siegert_rate_equals_the_first_passage_time_of_the_diffusion(mu, sigma):
    """The closed form (erfcx integral) and a direct numerical solution of the first-passage problem it
    comes from agree to 1e-6 across fluctuation-driven, mean-driven and low-rate regimes (the first
    pair is the AI panel's fixed point, the last the SI-slow panel's)."""
    from experiments.brunel2000 import siegert_rate

    assert siegert_rate(mu, sigma) == pytest.approx(_rate_from_first_passage_ode(mu, sigma), rel=1e-6)


def test_mean_field_input_and_self_consistency():
    """mu and sigma at nu = 0 are those of the external drive alone: nu_ext = 2 nu_thr gives
    mu = C_E J tau nu_ext = 2 theta = 40 mV and sigma^2 = J^2 C_E tau nu_ext = 4 mV^2; at the returned
    rate the Siegert formula gives the rate back, and each panel has exactly one solution."""
    from experiments.brunel2000 import (PANELS, discrete_threshold_shift, mean_field_input, mean_field_rate,
                                        siegert_rate)

    assert mean_field_input(0.0, 5.0, 2.0) == pytest.approx((40.0, 2.0))
    mu, sigma = mean_field_input(10.0, 5.0, 2.0)  # 1 - g gamma = -0.25, 1 + g^2 gamma = 7.25
    assert mu == pytest.approx(0.1 * 1000 * 20.0 * (0.02 - 0.25 * 0.01))
    assert sigma == pytest.approx(0.1 * math.sqrt(1000 * 20.0 * (0.02 + 7.25 * 0.01)))
    for g, drive_ratio, _ in PANELS.values():
        rate = mean_field_rate(g, drive_ratio)
        assert siegert_rate(*mean_field_input(rate, g, drive_ratio)) == pytest.approx(rate, rel=1e-9)
        corrected = mean_field_rate(g, drive_ratio, dt=0.1)
        mu, sigma = mean_field_input(corrected, g, drive_ratio)
        assert siegert_rate(mu, sigma, theta=20.0 + discrete_threshold_shift(sigma, 0.1)) == pytest.approx(corrected,
                                                                                                          rel=1e-9)
        assert corrected < rate  # missed crossings between steps can only lower the rate
    # The AI panel: 37.95 Hz from the paper's formula, 37.25 Hz with the dt = 0.1 ms correction.
    assert mean_field_rate(5.0, 2.0) == pytest.approx(37.95, abs=0.01)
    assert mean_field_rate(5.0, 2.0, dt=0.1) == pytest.approx(37.25, abs=0.01)


def test_open_loop_neurons_fire_at_the_mean_field_rate_with_the_discrete_time_correction():
    """1000 unconnected LIF neurons (dt 0.1 ms) receive, as independent Poisson trains, exactly the input
    that the AI panel's corrected fixed point nu* = mean_field_rate(5, 2, dt=0.1) assumes (C_E trains at
    nu_ext + nu*, weight J; C_I trains at nu*, weight -gJ), so they should fire at nu* (37.25 Hz).
    Tolerance 2.5%: three standard errors of the 1-s, 1000-neuron mean (CV / sqrt(N nu T) = 0.35% each)
    plus 1.3% for the Poisson-jump (shot-noise) input against the diffusion limit (order J / sigma =
    0.1 / 7.6). The continuous-time formula for the same input gives 39.04 Hz (+4.8%): the correction
    for crossings missed between steps is needed, and is checked here. Measured (seed 1): 37.245 Hz
    (-0.01%). Brian2 2.9 (4000 neurons, one seed) driven with the input of the paper-formula point
    (nu = 37.95 Hz) gave 35.93 Hz against 36.18 Hz corrected and 37.95 Hz uncorrected."""
    import spikenet as sn
    from experiments.brunel2000 import discrete_threshold_shift, mean_field_input, mean_field_rate, siegert_rate
    from neurons import LIF

    target = mean_field_rate(5.0, 2.0, dt=0.1)
    mu, sigma = mean_field_input(target, 5.0, 2.0)
    continuous = siegert_rate(mu, sigma)
    assert siegert_rate(mu, sigma, theta=20.0 + discrete_threshold_shift(sigma, 0.1)) == pytest.approx(target)
    assert continuous > 1.045 * target

    net = sn.Network(dt=0.1, seed=1)
    neurons = net.population("n", 1000, LIF(tau_m=20.0, v_rest=0.0, v_threshold=20.0, v_reset=10.0, refractory=2.0))
    net.poisson_input(neurons, n_sources=1000, rate=20.0 + target, weight=0.1)
    net.poisson_input(neurons, n_sources=250, rate=target, weight=-0.5)
    result = net.run(1200.0, seed=1, monitors=[sn.SpikeMonitor("n")], progress=False)
    times = result.spikes["n"][0]
    rate = np.count_nonzero(times >= 200.0) / 1000 / 1.0
    assert rate == pytest.approx(target, rel=0.025), (rate, target, continuous)


# -- the classifier on spike trains whose state is known by construction ----------------------------

def _volleys(period_ms, probability, jitter_ms, n=2000, seed=0):
    """Each neuron fires on each cycle of a global oscillation with ``probability``, jittered."""
    rng = np.random.default_rng(seed)
    cycles = np.arange(200.0, 1200.0, period_ms)
    fires = rng.random((n, cycles.size)) < probability
    times = (cycles[None, :] + rng.normal(0.0, jitter_ms, (n, cycles.size)))[fires]
    return np.sort(times[(times >= 200.0) & (times < 1200.0)])


def test_classifier_on_constructed_states():
    """Independent Poisson neurons are AI (no modulation once the sampling noise is subtracted);
    every neuron firing on every cycle of a 250-Hz rhythm is SR; neurons firing on 30% of the cycles of
    a 150-Hz or a 15-Hz rhythm are SI-fast and SI-slow; a 15-Hz rhythm whose modulation is well below
    the mean (most spikes Poisson) is AI."""
    from experiments.brunel2000 import classify

    rng = np.random.default_rng(1)
    poisson = np.sort(rng.uniform(200.0, 1200.0, rng.poisson(2000 * 20.0)))  # 2000 neurons at 20 Hz
    stats = classify(poisson, 2000, 200.0, 1200.0)
    assert stats["state"] == "AI" and stats["modulation_depth"] < 0.2, stats

    stats = classify(_volleys(4.0, 1.0, 0.1), 2000, 200.0, 1200.0)
    assert stats["state"] == "SR" and stats["period_ms"] == pytest.approx(4.0, abs=0.1), stats
    assert stats["spikes_per_cycle"] == pytest.approx(1.0, abs=0.05)

    stats = classify(_volleys(1000.0 / 150.0, 0.3, 0.5), 2000, 200.0, 1200.0)
    assert stats["state"] == "SI-fast" and stats["oscillation_frequency_hz"] == pytest.approx(150.0, rel=0.05), stats

    stats = classify(_volleys(1000.0 / 15.0, 0.3, 6.0), 2000, 200.0, 1200.0)
    assert stats["state"] == "SI-slow" and stats["oscillation_frequency_hz"] == pytest.approx(15.0, rel=0.1), stats

    weak = np.sort(np.concatenate([_volleys(1000.0 / 15.0, 0.1, 6.0), rng.uniform(200.0, 1200.0, 2000 * 10)]))
    stats = classify(weak, 2000, 200.0, 1200.0)
    assert stats["state"] == "AI" and stats["modulation_depth"] < 1.0, stats

    assert classify(np.array([]), 100, 200.0, 1200.0)["state"] == "silent"


def test_quick_brunel_network_is_active_and_irregular_in_the_ai_panel():
    """Scaled-down AI panel (scale 0.2, J x 5): the network fires in the tens of Hz and irregularly
    (mean ISI CV > 0.3), driven only by the PoissonInput and its recurrent delta synapses."""
    import spikenet as sn
    from experiments.brunel2000 import build, statistics

    net = build(5.0, 2.0, scale=0.2, seed=2)
    result = net.run(1200.0, seed=2, monitors=[sn.SpikeMonitor("exc"), sn.SpikeMonitor("inh")], progress=False)
    stats = statistics(result, net)
    assert 5.0 < stats["mean_rate_hz"] < 100.0
    assert stats["mean_isi_cv"] > 0.3
    assert result.counts.external_events[net.poisson_inputs[0].name] > 0


# -- full size (N_E = 10 000, as in the paper) ------------------------------------------------------

@pytest.fixture(scope="module")
def full_size():
    from experiments.brunel2000 import run

    return run(scale=1.0, out=None, seed=1)


@pytest.mark.slow
def test_four_panels_fall_in_their_published_states(full_size):
    """Brunel (2000) Fig. 8 panels A-D (g, nu_ext/nu_thr) = (3, 2), (6, 4), (5, 2), (4.5, 0.9) are SR,
    SI-fast, AI and SI-slow, by the criteria of experiments/brunel2000.py (period from the population
    autocorrelation; oscillating when the sinusoid-equivalent modulation depth is >= 1; SR when neurons
    fire on >= half of the cycles; fast/slow split at 36 Hz). Those constants come from the paper's
    wording and the delay / membrane time scales, but they were chosen by someone who had seen earlier
    runs of these panels, so this is not a blind test. Last run (seed 1): A 312.5 Hz, period 3.2 ms,
    1.00 spikes/cycle, modulation 1.7; B 59.8 Hz, 169 Hz rhythm, 0.35 spikes/cycle, modulation 1.45;
    C 37.1 Hz, modulation 0.71 (its fluctuations are finite-size: 0.55 at N_E = 20 000, same C_E); D
    5.0 Hz, 20 Hz rhythm, modulation 2.2. Margins: C is 29% below the oscillation criterion, B 45% above."""
    from experiments.brunel2000 import PANELS

    for panel, (_, _, expected) in PANELS.items():
        assert full_size[panel]["state"] == expected, (panel, full_size[panel])


@pytest.mark.slow
def test_ai_panel_rate_matches_the_mean_field_rate(full_size):
    """The AI panel's rate against the self-consistent mean-field rate of Brunel's eqs. 21-22.

    Reference: 37.95 Hz from the paper's formula; 37.25 Hz with the correction for threshold crossings
    missed between the 0.1-ms steps (-1.8%, computed, not fitted; checked on unconnected neurons in
    test_open_loop_neurons_fire_at_the_mean_field_rate_with_the_discrete_time_correction).
    Last run (seed 1): 37.07 Hz, -0.5% from the corrected and -2.3% from the paper's value (seed 2:
    37.51 Hz, +0.7% and -1.1%). Brian2 2.9 with the paper's Bernoulli connectivity gave 38.85 Hz (one seed),
    +2.7% from the same theory averaged over Bernoulli in-degrees (37.82 Hz with the correction).

    Tolerance 5% of the corrected rate, a budget for what the theory leaves out:
    - shot noise of the delta synapses: corrections of order J / sigma = 0.1 / 7.6 mV, about 1.3%;
    - recurrent spike trains that are neither Poisson nor independent (the mean field assumes both): at
      the fixed point 93% of sigma^2 comes from recurrent input; scaling that part by kappa moves the
      self-consistent rate by -4.2% (kappa = 0.5) and +3.8% (kappa = 1.5). Regular trains lower the
      effective variance (towards the long-window Fano factor CV^2; the theory's own CV here is 0.68,
      kappa ~ 0.46, -4.6%), finite-size population fluctuations raise it; 5% therefore admits the
      recurrent input variance within about a factor 1.5-2 of the Poisson value, and a larger miss would
      mean dynamics outside the mean-field picture. It is a budget, not a bound derived from theory;
    - sampling: 1 s of 12 500 neurons, relative error CV / sqrt(N nu T) ~ 0.1%, negligible;
    - the 1.5-ms delay does not enter the stationary rate; it sets the stability of the state and the
      ~120-Hz resonance of its finite-size fluctuations.
    """
    from experiments.brunel2000 import mean_field_rate

    simulated = full_size["C"]["mean_rate_hz"]
    assert full_size["C"]["mean_field_rate_hz"] == pytest.approx(mean_field_rate(5.0, 2.0))
    reference = full_size["C"]["mean_field_rate_dt_corrected_hz"]
    assert simulated == pytest.approx(reference, rel=0.05), (simulated, reference, full_size["C"]["mean_field_rate_hz"])
