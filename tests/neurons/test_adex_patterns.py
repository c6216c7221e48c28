"""AdEx firing patterns of Naud et al. (2008) (REPRODUCTION_TARGETS §1c).

Protocol: v(0) = E_L, w(0) = 0, step current from t = 0 for 600 ms, forward Euler at dt = 0.1 ms.
References: [B2] Brian2 2.9.0 runs at dt = 0.01 ms of Brian2's example
``Naud_et_al_2008_adex_firing_patterns.py`` (counts, latencies, ISIs in the targets file);
Naud, Marcille, Clopath & Gerstner, Biol. Cybern. 99:335 (2008), Table 1 and Fig. 4.
"""

from __future__ import annotations

import numpy as np
import pytest

from neurons import NAUD_2008_PRESETS, AdEx
from neuron_support import adaptation_index, coefficient_of_variation, interspike_intervals, run_brian2, run_spikenet

DT = 0.1
# [B2] dt = 0.01 ms: spikes in 600 ms, first spike (ms), first three ISIs (ms); REPRODUCTION_TARGETS §1c.
REFERENCE = {
    "tonic": (62, 14.26, (8.98, 9.14, 9.26)),
    "adapting": (12, 14.94, (11.3, 14.4, 19.7)),
    "initial_burst": (12, 5.50, (3.47, 7.37, 54.8)),
    "regular_bursting": (11, 16.2, (2.97, 5.18, 131.8)),
    "delayed_accelerating": (46, 33.6, (20.6, 19.1, 18.0)),
    "delayed_regular_bursting": (32, 57.2, (3.26, 4.35, 7.37)),
    "transient": (1, None, None),
    "irregular": (32, 15.7, None),  # chaotic: only statistics are reproducible
}
DELAYED = ("delayed_accelerating", "delayed_regular_bursting")


@pytest.fixture(scope="module")
def spike_trains() -> dict[str, np.ndarray]:
    trains = {}
    for pattern, preset in NAUD_2008_PRESETS.items():
        (trains[pattern],) = run_spikenet(AdEx.preset(pattern), np.array([preset.current]), 600.0, DT)
    return trains


@pytest.mark.parametrize("pattern", sorted(REFERENCE))
def test_counts_latency_and_first_isis(spike_trains, pattern):
    """Count within ±2 (±5 % for tonic), latency within ±0.5 ms (±1 ms delayed), first three ISIs
    within ±5 % or ±0.5 ms, whichever is larger — of Brian2's dt = 0.01 ms run ([B2])."""
    count, latency, isis = REFERENCE[pattern]
    times = spike_trains[pattern]
    assert abs(len(times) - count) <= (0.05 * count if pattern == "tonic" else 2)
    if latency is not None:
        assert abs(times[0] - latency) <= (1.0 if pattern in DELAYED else 0.5)
    if isis is not None:
        expected = np.array(isis)
        np.testing.assert_array_less(np.abs(interspike_intervals(times)[:3] - expected), np.maximum(0.05 * expected, 0.5))


def test_tonic_classifier(spike_trains):
    """Tonic: |adaptation index| < 0.01 (Naud 2008; [B2] A ~ 0.0004)."""
    assert abs(adaptation_index(spike_trains["tonic"])) < 0.01


def test_adapting_classifier(spike_trains):
    """Adapting: A > 0.05 and last ISI > 5 x first ([B2]: A = 0.091, ISIs grow x 6.7)."""
    isi = interspike_intervals(spike_trains["adapting"])
    assert adaptation_index(spike_trains["adapting"]) > 0.05
    assert isi[-1] > 5 * isi[0]


def test_initial_burst_classifier(spike_trains):
    """Initial burst: first two ISIs < 10 ms, the rest > 40 ms ([B2]: 3.47, 7.37, then 54.8, 64 ...)."""
    isi = interspike_intervals(spike_trains["initial_burst"])
    assert np.all(isi[:2] < 10.0) and np.all(isi[2:] > 40.0)


def test_regular_bursting_classifier(spike_trains):
    """Regular bursting: bimodal ISIs, short < 10 ms and long > 100 ms, ratio > 10 ([B2])."""
    isi = interspike_intervals(spike_trains["regular_bursting"])
    short, long = isi[isi < 10.0], isi[isi > 100.0]
    assert len(short) + len(long) == len(isi) and len(short) and len(long)
    assert long.min() > 10 * short.max()


@pytest.mark.parametrize("pattern, latency_ms", [("delayed_accelerating", 30.0), ("delayed_regular_bursting", 50.0)])
def test_delayed_classifiers(spike_trains, pattern, latency_ms):
    """Delayed patterns: first spike after 30 ms (after 50 ms for delayed bursting) ([B2]: 33.6, 57.2 ms)."""
    assert spike_trains[pattern][0] > latency_ms


def test_delayed_accelerating_isis_shrink(spike_trains):
    """Delayed accelerating: ISIs shrink (A < 0; [B2] 20.6 ms down to 10.3 ms)."""
    isi = interspike_intervals(spike_trains["delayed_accelerating"])
    assert adaptation_index(spike_trains["delayed_accelerating"]) < 0 and isi[-1] < 0.6 * isi[0]


def test_transient_classifier(spike_trains):
    """Transient: 1–3 spikes, none in the last 400 ms ([B2]: a single spike)."""
    times = spike_trains["transient"]
    assert 1 <= len(times) <= 3 and np.all(times < 200.0)


def test_irregular_classifier(spike_trains):
    """Irregular: ISI CV > 0.3 over 600 ms ([B2]: CV ~ 0.6)."""
    assert coefficient_of_variation(interspike_intervals(spike_trains["irregular"])) > 0.3


@pytest.mark.parametrize("pattern", sorted(NAUD_2008_PRESETS))
def test_first_ten_spikes_match_brian2_within_one_dt(spike_trains, pattern):
    """First 10 spike times equal Brian2's on the same protocol within one dt (float64, Euler,
    dt = 0.1 ms); reference: Brian2 2.9.0 numpy runtime on ``brian2_model()``."""
    (brian2,) = run_brian2(AdEx.preset(pattern), np.array([NAUD_2008_PRESETS[pattern].current]), 600.0, DT)
    ours = spike_trains[pattern]
    assert len(ours) == len(brian2)
    np.testing.assert_allclose(ours[:10], brian2[:10], atol=DT)
