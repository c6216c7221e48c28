"""Rate-based local rules against REPRODUCTION_TARGETS.md §4 (analytic fixed points and numpy reference runs).

Reference values are copied here with their section; the code never reads the targets file.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from learning_rules.bcm import BCM, bcm_patterns
from learning_rules.homeostasis import AdaptiveThresholdLIF, IntrinsicPlasticity
from learning_rules.oja import GeneralizedHebbian, Oja, PlainHebb, pca_test_covariance
from spikenet.validation import SpikenetError

# §4a protocol: d = 10, C = Q diag(5, 3, 2, 1, 0.8, 0.6, 0.4, 0.3, 0.2, 0.1) Qᵀ, η = 0.002, 60 000 samples.
N_SAMPLES = 60_000
CHECKPOINT = 5_000


@pytest.fixture(scope="module")
def pca_data():
    covariance, eigenvectors, _ = pca_test_covariance(seed=0)
    rng = np.random.default_rng(1)
    samples = rng.multivariate_normal(np.zeros(10), covariance, size=10 * N_SAMPLES).astype(np.float32)
    w0 = rng.normal(0.0, 0.1, 10).astype(np.float32)
    return covariance, eigenvectors, samples, w0


def _abs_cosine(w: np.ndarray, e: np.ndarray) -> np.ndarray:
    w = np.asarray(w, dtype=float)
    return np.abs(w @ e) / np.linalg.norm(w, axis=-1)


def test_oja_stochastic_converges_to_first_principal_component(pca_data):
    """§4a [np]: |cos(w, e1)| > 0.95 at every 5 000-sample checkpoint after 20 000 samples, mean > 0.98
    (reference 0.989), and |‖w‖ − 1| < 0.02 (reference ‖w‖ = 1.004 ± 0.001)."""
    _, q, samples, w0 = pca_data
    _, checkpoints = Oja(learning_rate=0.002).fit(w0, samples[:N_SAMPLES], record_every=CHECKPOINT)
    checkpoints = np.asarray(checkpoints)
    late = checkpoints[20_000 // CHECKPOINT:]  # checkpoints at 25 000, 30 000, ... 60 000
    cosines = _abs_cosine(late, q[:, 0])
    assert np.all(cosines > 0.95), cosines
    assert cosines.mean() > 0.98, cosines
    assert np.all(np.abs(np.linalg.norm(late, axis=1) - 1.0) < 0.02)


def test_oja_small_learning_rate_is_closer_to_first_component(pca_data):
    """§4a: with η → η/10 and 10× the samples, |cos(w, e1)| > 0.995 (fluctuation ∝ η)."""
    _, q, samples, w0 = pca_data
    w, _ = Oja(learning_rate=0.0002).fit(w0, samples)
    assert _abs_cosine(w, q[:, 0]) > 0.995


def test_oja_averaged_ode_converges_exactly():
    """§4a deterministic variant: w ← w + η(Cw − (wᵀCw)w) converges to e1 with |cos| > 1 − 1e-9 and
    ‖w‖ = 1 ± 1e-9 (analytic fixed point ±e1)."""
    covariance, q, _ = pca_test_covariance(seed=0)
    w0 = np.random.default_rng(3).normal(0.0, 0.1, 10)
    with jax.enable_x64(True):
        w = np.asarray(Oja(learning_rate=0.05).fit_averaged(jnp.asarray(w0), jnp.asarray(covariance), 20_000))
    assert w.dtype == np.float64
    assert _abs_cosine(w, q[:, 0]) > 1 - 1e-9
    assert abs(np.linalg.norm(w) - 1.0) < 1e-9


def test_plain_hebb_control_diverges(pca_data):
    """§4a failure mode: plain Hebb (no decay term) has no fixed point; the norm diverges on the same data."""
    _, _, samples, w0 = pca_data
    _, checkpoints = PlainHebb(learning_rate=0.002).fit(w0, samples[:N_SAMPLES], record_every=CHECKPOINT)
    norms = np.linalg.norm(np.asarray(checkpoints, dtype=float), axis=1)
    assert not np.all(np.isfinite(norms)) or norms[-1] > 1e3


def test_gha_finds_first_three_components_in_order(pca_data):
    """§4a Sanger/GHA (k = 3, same data) [np]: |cos| with e1, e2, e3 = 0.984, 0.994, 0.997 — each > 0.95 and
    ordered (row i aligns with e_i, not a permutation)."""
    _, q, samples, _ = pca_data
    w0 = np.random.default_rng(2).normal(0.0, 0.1, (3, 10)).astype(np.float32)
    w, _ = GeneralizedHebbian(learning_rate=0.002, n_components=3).fit(w0, samples[:N_SAMPLES])
    w = np.asarray(w, dtype=float)
    overlaps = np.abs(w @ q[:, :3]) / np.linalg.norm(w, axis=1)[:, None]
    assert np.all(np.diag(overlaps) > 0.95), overlaps
    assert np.all(np.argmax(overlaps, axis=1) == np.arange(3))
    assert np.all(np.abs(np.linalg.norm(w, axis=1) - 1.0) < 0.02)


# §4b protocol: K = 2, 4; patterns I + o(11ᵀ − I), o ∈ {0, 0.2}; w(0) ~ U(0.2, 0.4); η = 2e-3; τ_θ = 50 samples.
BCM_CASES = [(2, 0.0), (4, 0.0), (4, 0.2)]


@pytest.mark.parametrize("k, overlap", BCM_CASES + [(2, 0.2)])
def test_bcm_meanfield_reaches_selective_fixed_point(k, overlap):
    """§4b (i), analytic: mean-field dynamics (θ = Σ p y²) converge to y_pref = 1/p = K ± 1e-3 and all other
    responses < 1e-3 ([np] reference: exactly 2.000000 / 4.000000, others 0)."""
    patterns = bcm_patterns(k, overlap)
    rule = BCM(learning_rate=2e-3, threshold_tau=50.0)
    for seed in range(3):
        w0 = np.random.default_rng(seed).uniform(0.2, 0.4, k)
        with jax.enable_x64(True):
            w = rule.fit_meanfield(jnp.asarray(w0), jnp.asarray(patterns), 100_000)
            responses = np.sort(np.asarray(rule.response(w, jnp.asarray(patterns))))
        assert abs(responses[-1] - k) < 1e-3, responses
        assert np.all(responses[:-1] < 1e-3), responses


def _bcm_stochastic(rule: BCM, k: int, overlap: float, seed: int, theta0: float = 0.0, n_samples: int = 400_000):
    patterns = bcm_patterns(k, overlap).astype(np.float32)
    w0 = np.random.default_rng(seed).uniform(0.2, 0.4, k).astype(np.float32)
    sequence = jax.random.randint(jax.random.PRNGKey(seed), (n_samples,), 0, k)
    _, responses, _ = rule.fit(w0, theta0, patterns, sequence, record_every=1000)
    return np.asarray(responses, dtype=float)


def _selective(responses: np.ndarray, k: int) -> bool:
    final = responses[-1]
    return int(np.sum(final > 0.5 * k)) == 1 and int(np.sum(final < 0.05 * k)) == k - 1


def test_bcm_stochastic_becomes_selective_in_eight_of_nine_runs():
    """§4b (ii) [np]: 400 000 samples, K = 2 (o = 0), K = 4 (o = 0, 0.2), 3 seeds: exactly one response > 0.5K,
    the others < 0.05K, and the preferred response averaged over the second half within ±10 % of K, in ≥ 8 of 9
    runs (reference time averages 1.956–1.961 for K = 2, 3.755–3.792 for K = 4)."""
    rule = BCM(learning_rate=2e-3, threshold_tau=50.0)
    passed = 0
    for k, overlap in BCM_CASES:
        for seed in range(3):
            responses = _bcm_stochastic(rule, k, overlap, seed)
            preferred = np.argmax(responses[-1])
            average = responses[responses.shape[0] // 2:, preferred].mean()
            passed += _selective(responses, k) and abs(average - k) < 0.1 * k
    assert passed >= 8


def test_bcm_fixed_threshold_control_is_not_selective():
    """§4b failure mode: with a fixed threshold (here θ = K, the selective point's value) the neuron does not
    become selective (responses die out or run away)."""
    for k, theta in [(2, 2.0), (4, 4.0), (2, 0.1)]:
        rule = BCM(learning_rate=2e-3, sliding=False)
        responses = _bcm_stochastic(rule, k, 0.0, seed=0, theta0=theta, n_samples=100_000)
        assert not _selective(responses, k) or not np.all(np.isfinite(responses[-1]))


# §4c(i) [np]: (a, b/s, μ) → rate in the last 50 s of 200 s (dt 0.1 ms, τ 20 ms, σ 0.3).
ADAPTIVE_CASES = [(0.05, 0.5, 1.5, 9.98), (0.05, 0.25, 1.5, 4.98), (0.02, 0.3, 2.0, 15.02)]


@pytest.mark.parametrize("increment, decay_rate, drive, reference_rate", ADAPTIVE_CASES)
def test_adaptive_threshold_fixes_rate_at_b_over_a(increment, decay_rate, drive, reference_rate):
    """§4c(i), analytic r* = b/a ([np] 9.98 / 4.98 / 15.02 Hz for targets 10 / 5 / 15): the rate in the last 50 s
    of a 200-s run is within ±3 % of b/a, although the neuron starts far from it (first second ≥ 1.5 b/a)."""
    neuron = AdaptiveThresholdLIF(increment=increment, decay_rate=decay_rate, drive_mean=drive, drive_sd=0.3,
                                  tau_m=20.0, dt=0.1)
    counts, _ = neuron.simulate(200_000.0, jax.random.PRNGKey(0), bin_ms=1000.0)
    counts = np.asarray(counts)
    target = decay_rate / increment
    assert counts[0] >= 1.5 * target
    assert abs(counts[-50:].sum() / 50.0 - target) < 0.03 * target


@pytest.mark.parametrize("mu, reference_mean", [(0.1, 0.1028), (0.2, 0.196)])
def test_intrinsic_plasticity_output_is_exponential_with_mean_mu(mu, reference_mean):
    """§4c(iii) Triesch [np]: x ~ N(0, 1), η = 1e-3, 300 000 samples; over the last 50 000 samples
    |⟨y⟩ − μ| < 5 % μ and SD/mean ∈ [0.9, 1.25] (reference μ = 0.1: ⟨y⟩ 0.1028, SD 0.113; μ = 0.2: 0.196, 0.189)."""
    samples = jax.random.normal(jax.random.PRNGKey(0), (300_000,))
    _, outputs = IntrinsicPlasticity(learning_rate=1e-3, target_mean=mu).fit(samples)
    late = np.asarray(outputs[-50_000:], dtype=float)
    assert abs(late.mean() - mu) < 0.05 * mu
    assert 0.9 <= late.std() / late.mean() <= 1.25


@pytest.mark.parametrize("make", [
    lambda: Oja(learning_rate=0.0),
    lambda: Oja(learning_rate=-1e-3),
    lambda: PlainHebb(learning_rate=float("nan")),
    lambda: GeneralizedHebbian(learning_rate=1e-3, n_components=0),
    lambda: BCM(learning_rate=0.0),
    lambda: BCM(threshold_tau=0.5),
    lambda: AdaptiveThresholdLIF(increment=0.0, decay_rate=0.5),
    lambda: AdaptiveThresholdLIF(increment=0.05, decay_rate=0.5, tau_m=-20.0),
    lambda: AdaptiveThresholdLIF(increment=0.05, decay_rate=0.5, dt=0.0),
    lambda: IntrinsicPlasticity(learning_rate=-1.0),
    lambda: IntrinsicPlasticity(target_mean=1.5),
])
def test_bad_parameters_raise(make):
    """Learning rates and time constants ≤ 0 and out-of-range targets are clear errors (issue 4, bad input)."""
    with pytest.raises(SpikenetError):
        make()


def test_bad_shapes_raise():
    """Shapes that do not fit (samples vs weights, GHA rows, BCM patterns) are clear errors naming the array."""
    samples = np.zeros((100, 10), np.float32)
    with pytest.raises(SpikenetError, match="samples"):
        Oja(learning_rate=1e-3).fit(np.zeros(5, np.float32), samples)
    with pytest.raises(SpikenetError, match="record_every"):
        Oja(learning_rate=1e-3).fit(np.zeros(10, np.float32), samples, record_every=7)
    with pytest.raises(SpikenetError, match="n_components"):
        GeneralizedHebbian(learning_rate=1e-3, n_components=3).fit(np.zeros((2, 10), np.float32), samples)
    with pytest.raises(SpikenetError, match="patterns"):
        BCM().fit(np.zeros(3, np.float32), 0.0, bcm_patterns(2, 0.0), np.zeros(10, np.int32), 5)
    with pytest.raises(SpikenetError, match="duration_ms"):
        AdaptiveThresholdLIF(increment=0.05, decay_rate=0.5).simulate(1500.0, jax.random.PRNGKey(0))


@pytest.mark.slow
def test_rate_rules_experiment_writes_results(tmp_path):
    """``experiments/rate_rules.py`` runs every §4 protocol and writes its JSON and PNG (atomically)."""
    from experiments import rate_rules

    summary = rate_rules.run(tmp_path / "rate_rules")
    assert (tmp_path / "rate_rules" / "rate_rules.json").stat().st_size > 0
    assert (tmp_path / "rate_rules" / "rate_rules.png").stat().st_size > 0
    assert summary["oja"]["hebb_norm_final"] == "inf" or summary["oja"]["hebb_norm_final"] > 1e3
    for case in summary["adaptive_threshold"]:
        assert abs(case["rate_last_50s_hz"] - case["target_hz"]) < 0.03 * case["target_hz"]
