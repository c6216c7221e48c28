"""Accuracy against presentation length (:func:`experiments.diehl_cook.evaluate_presentation_lengths`) on a
tiny trained network: one row per length with the binomial standard error and the counts of that run."""

import math

import numpy as np
import pytest

from experiments import diehl_cook as dc

N_INPUT = 16


def _two_class_images():
    """Class 0 lights the first half of the 16 pixels, class 1 the second half (255 = full intensity)."""
    images = np.zeros((8, N_INPUT))
    labels = np.arange(8) % 2
    images[labels == 0, :8] = 255.0
    images[labels == 1, 8:] = 255.0
    return images, labels


@pytest.fixture(scope="module")
def trained():
    images, labels = _two_class_images()
    config = dc.DiehlCookConfig(n_excitatory=6, seed=0)
    weights, theta, _ = dc.train(images, config, epochs=1)
    network, source = dc.frozen_network(N_INPUT, config, weights, theta)
    label_responses, _ = dc.evaluate(network, source, images, config, seed_offset=10**5)
    return config, network, source, images, labels, dc.assign_labels(label_responses, labels, n_classes=2)


def test_one_row_per_length_with_standard_error_and_counts(trained):
    """Rows in the given order; accuracy_se = sqrt(p (1 - p) / n); the full-length row is exactly
    :func:`evaluate` (same responses and counts: same seeds); the counts are that length's run
    (steps = presentations x length / dt), so shorter presentations simulate fewer steps."""
    config, network, source, images, labels, neuron_labels = trained
    seen = []
    rows = dc.evaluate_presentation_lengths(network, source, images, neuron_labels, labels, config, [25, 100, 350],
                                            progress=seen.append)
    assert [row["present_ms"] for row in rows] == [25.0, 100.0, 350.0]
    assert seen[-1] == 3 * len(images)
    for row in rows:
        p = row["accuracy"]
        assert 0.0 <= p <= 1.0 and row["n_test"] == len(images)
        assert row["accuracy_se"] == pytest.approx(math.sqrt(p * (1 - p) / len(images)))
        assert np.mean(dc.predict(row["responses"], neuron_labels, n_classes=2) == labels) == p
        assert 1.0 <= row["presentations_per_image"] <= 1 + dc.MAX_RETRIES
        steps = row["presentations_per_image"] * len(images) * row["present_ms"] / config.dt
        assert row["counts"].steps == round(steps)
        assert row["exc_spikes_per_image"] == pytest.approx(row["responses"].sum(axis=1).mean())
    responses, counts = dc.evaluate(network, source, images, config, seed_offset=0)
    np.testing.assert_array_equal(rows[-1]["responses"], responses)
    assert rows[-1]["counts"].to_dict() == counts.to_dict()
    assert rows[0]["counts"].steps < rows[-1]["counts"].steps


def test_proportion_readout_and_bad_lengths(trained):
    config, network, source, images, labels, neuron_labels = trained
    proportions = dc.proportion_weights(np.eye(6)[np.arange(8) % 6], labels, n_classes=2)
    (row,) = dc.evaluate_presentation_lengths(network, source, images[:2], neuron_labels, labels[:2], config, [50],
                                              proportions=proportions)
    expected = float(np.mean(dc.predict_proportion(row["responses"], proportions) == labels[:2]))
    assert row["proportion_accuracy"] == expected
    assert row["proportion_accuracy_se"] == pytest.approx(math.sqrt(expected * (1 - expected) / 2))
    for bad in ([0.0], [10.25], [-50.0]):
        with pytest.raises(ValueError, match="multiples of dt"):
            dc.evaluate_presentation_lengths(network, source, images, neuron_labels, labels, config, bad)
    with pytest.raises(ValueError, match="labels"):
        dc.evaluate_presentation_lengths(network, source, images, neuron_labels, labels[:3], config, [50])
