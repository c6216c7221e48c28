"""The Diehl & Cook (2015) rule and network pieces on the engine.

Reference values: the rule's equations in the released code (github.com/peter-u-diehl/stdp-mnist,
``eqs_stdp_pre_ee`` / ``eqs_stdp_post_ee``) as summarised in REPRODUCTION_TARGETS 6a.
"""

import numpy as np
import pytest

from experiments import diehl_cook as dc
from learning_rules.diehl_cook import DiehlCookSTDP
from spikenet.validation import SpikenetError
from experiments.pairing import run_pairings

RULE = DiehlCookSTDP(eta_pre=1e-4, eta_post=1e-2)


def test_pre_then_post_potentiates_by_eta_post_x_pre_trace():
    """One pre spike then one post spike Δt later: Δw = η_post e^{-Δt/τ_pre} x_post2(t⁻) with x_post2 = 0
    before the first post spike -> no change; a second post spike 10 ms later sees x_post2 = e^{-10/40}."""
    w, _ = run_pairings(RULE, [np.array([100.0])], [np.array([105.0])], dt=0.5, initial_weight=0.5)
    assert w[0] == pytest.approx(0.5, abs=1e-12)
    w, _ = run_pairings(RULE, [np.array([100.0])], [np.array([105.0, 115.0])], dt=0.5, initial_weight=0.5)
    expected = 0.5 + 1e-2 * np.exp(-15.0 / 20.0) * np.exp(-10.0 / 40.0)
    assert w[0] == pytest.approx(expected, abs=1e-10)


def test_post_then_pre_depresses_by_eta_pre_x_post1():
    """Post at 100 ms, pre at 110 ms: Δw = -η_pre e^{-10/τ_post1}; clipped at 0."""
    w, _ = run_pairings(RULE, [np.array([110.0])], [np.array([100.0])], dt=0.5, initial_weight=0.5)
    assert w[0] == pytest.approx(0.5 - 1e-4 * np.exp(-10.0 / 20.0), abs=1e-10)
    w, _ = run_pairings(RULE, [np.array([110.0])], [np.array([100.0])], dt=0.5, initial_weight=0.0)
    assert w[0] == 0.0


def test_rule_rejects_bad_parameters():
    with pytest.raises(SpikenetError, match="tau_pre"):
        DiehlCookSTDP(tau_pre=0.0)
    with pytest.raises(SpikenetError, match="w_max"):
        DiehlCookSTDP(w_max=0.0)


def test_normalisation_and_readout():
    """Columns sum to 78 after normalisation (D&C); labels = argmax of class-mean responses; prediction =
    class whose neurons respond most on average."""
    weights = dc.normalise_columns(np.random.default_rng(0).random((784, 5)), 78.0)
    np.testing.assert_allclose(weights.sum(axis=0), 78.0)
    responses = np.array([[5, 0, 1], [4, 1, 0], [0, 6, 0], [1, 0, 7]])
    labels = dc.assign_labels(responses, np.array([0, 0, 1, 2]), n_classes=3)
    np.testing.assert_array_equal(labels, [0, 1, 2])
    np.testing.assert_array_equal(dc.predict(responses, labels, n_classes=3), [0, 0, 1, 2])


def test_adaptive_threshold_grows_with_spikes_and_freezes():
    """θ rises by θ+ = 0.05 mV per spike while learning (D&C) and stays fixed when frozen (θ+ = 0)."""
    images = np.full((2, 16), 255.0)
    config = dc.DiehlCookConfig(n_excitatory=4, seed=0)
    weights, theta, presenter = dc.train(images, config)
    spikes = presenter.counts.spikes["exc"]
    assert spikes > 0
    assert theta.sum() == pytest.approx(0.05 * spikes, rel=1e-3)
    network, source = dc.frozen_network(16, config, weights, theta)
    _, counts = dc.evaluate(network, source, images, config, seed_offset=0)
    assert counts.spikes["exc"] > 0 and counts.plasticity_updates["inputs->exc"] == 0


def test_validation_split_holds_out_the_last_fifth_and_scan_scores_each_pass():
    """The validation scan (how the main job's number of passes was chosen) trains on the first 80 % of the
    training images only, and its pass-k row is the network that ``train(epochs=k)`` returns."""
    rng = np.random.default_rng(0)
    images, labels = rng.random((10, 16)) * 255.0, np.arange(10) % 2
    x_train, y_train, x_val, y_val = dc.validation_split(images, labels)
    assert len(x_train) == 8 and len(x_val) == 2
    np.testing.assert_array_equal(x_val, images[8:])
    np.testing.assert_array_equal(y_train, labels[:8])
    with pytest.raises(ValueError, match="validation fraction"):
        dc.validation_split(images[:1], labels[:1])
    config = dc.DiehlCookConfig(n_excitatory=4, seed=0)
    seen = []
    weights, theta, _ = dc.train(x_train, config, epochs=2, after_epoch=lambda k, w, t: seen.append((k, w, t)))
    assert [k for k, _, _ in seen] == [1, 2]
    np.testing.assert_allclose(seen[1][1], weights)
    np.testing.assert_allclose(seen[1][2], theta)
    once, _, _ = dc.train(x_train, config, epochs=1)
    np.testing.assert_allclose(seen[0][1], once)
    rows = dc.validation_scan(images, labels, config, max_epochs=2, score_from=2)
    assert [row["epochs"] for row in rows] == [2] and rows[0]["n_validation"] == 2
    assert 0.0 <= rows[0]["accuracy"] <= 1.0 and 0.0 <= rows[0]["proportion_accuracy"] <= 1.0
