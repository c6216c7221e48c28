"""Adaptive LIF (threshold adaptation as in e-prop's ALIF; Bellec et al., Nat. Commun. 11:3625, 2020)."""

from __future__ import annotations

import numpy as np
import pytest

from neurons import ALIF, LIF
from neuron_support import interspike_intervals, run_brian2, run_spikenet

CURRENTS_PA = np.array([300.0, 600.0, 1500.0])


@pytest.mark.parametrize("integration, reset_mode", [("exponential_euler", "to_reset"), ("euler", "to_reset"),
                                                     ("exponential_euler", "subtract_threshold")])
def test_spike_times_identical_to_brian2(integration, reset_mode):
    """Spike times equal Brian2's for both integration schemes (float64, dt 0.1 ms, 300 ms); reference:
    Brian2 2.9.0 numpy runtime on ``brian2_model()`` (threshold ``v > v_threshold + beta*a``, reset ``a += 1``
    and v to v_reset or, e-prop's reset, minus the threshold distance)."""
    model = ALIF(integration=integration, reset_mode=reset_mode)
    ours = run_spikenet(model, CURRENTS_PA, 300.0, 0.1)
    brian2 = run_brian2(model, CURRENTS_PA, 300.0, 0.1)
    for mine, theirs in zip(ours, brian2):
        assert len(mine) == len(theirs) > 0
        np.testing.assert_allclose(mine, theirs, atol=1e-9)


def test_without_adaptation_it_is_lif():
    """beta = 0 removes the threshold adaptation: the same spikes as LIF with equal parameters (analytic identity)."""
    alif = run_spikenet(ALIF(beta=0.0), CURRENTS_PA, 300.0, 0.1)
    lif = run_spikenet(LIF(v_rest=-60.0, v_threshold=-50.0, v_reset=-60.0, refractory=2.0), CURRENTS_PA, 300.0, 0.1)
    for a, b in zip(alif, lif):
        np.testing.assert_array_equal(a, b)


def test_adaptation_lengthens_intervals():
    """Each spike raises the threshold by beta, decaying with tau_adaptation: ISIs grow from the
    first to the steady state (spike-frequency adaptation)."""
    (times,) = run_spikenet(ALIF(beta=3.0, tau_adaptation=200.0), np.array([600.0]), 1000.0, 0.1)
    isi = interspike_intervals(times)
    assert isi[-1] > 1.5 * isi[0]
