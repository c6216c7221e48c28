"""Izhikevich (2003) firing classes under the published protocol (REPRODUCTION_TARGETS §1b).

Protocol: v(0) = -65 mV, u(0) = b v(0), constant I = 10 (10 pA on 1 pF) from t = 0 for 1 s,
forward Euler. References: [B2] Brian2 2.9.0 runs of the paper's parameters (counts, first
spikes and ISIs in the targets file); Izhikevich, IEEE Trans. Neural Netw. 14:1569 (2003), Fig. 2.
"""

from __future__ import annotations

import numpy as np
import pytest

from neurons import IZHIKEVICH_2003_PRESETS, Izhikevich
from neuron_support import coefficient_of_variation, interspike_intervals, run_brian2, run_spikenet

# [B2] dt = 0.01 ms: spikes in 1 s and first spike time (ms), REPRODUCTION_TARGETS §1b.
BRIAN2_COUNTS = {"RS": 23, "IB": 34, "CH": 87, "FS": 136}
BRIAN2_FIRST_SPIKE_MS = {"RS": 3.14, "IB": 3.14, "CH": 3.14, "FS": 3.17}
CLASSES = tuple(BRIAN2_COUNTS)


@pytest.fixture(scope="module", params=[0.01, 0.1], ids=["dt0.01", "dt0.1"])
def spike_trains(request) -> tuple[float, dict[str, np.ndarray]]:
    dt = request.param
    trains = {}
    for name in CLASSES:
        (trains[name],) = run_spikenet(Izhikevich.preset(name), np.array([10.0]), 1000.0, dt)
    return dt, trains


@pytest.mark.parametrize("name", CLASSES)
def test_spike_count_and_first_spike(spike_trains, name):
    """Counts within ±5 % of Brian2's dt = 0.01 ms count; first spike within ±0.2 ms ([B2])."""
    _, trains = spike_trains
    times = trains[name]
    assert abs(len(times) - BRIAN2_COUNTS[name]) <= 0.05 * BRIAN2_COUNTS[name]
    assert abs(times[0] - BRIAN2_FIRST_SPIKE_MS[name]) <= 0.2 + 1e-9


def test_regular_spiking_classifier(spike_trains):
    """RS: first ISI < 0.6 x steady ISI and steady ISIs constant to 1 % ([B2]: 23.15 then 44.86 ms)."""
    isi = interspike_intervals(spike_trains[1]["RS"])
    steady = isi[2:]
    assert isi[0] < 0.6 * np.median(steady)
    assert np.ptp(steady) <= 0.01 * np.median(steady)


def test_intrinsically_bursting_classifier(spike_trains):
    """IB: first two ISIs < 5 ms, all ISIs after the third spike > 25 ms ([B2]: 2.32, 4.28, then 40.02, 31.24 ...)."""
    isi = interspike_intervals(spike_trains[1]["IB"])
    assert np.all(isi[:2] < 5.0)
    assert np.all(isi[2:] > 25.0)


def test_chattering_classifier(spike_trains):
    """CH: >= 70 % of ISIs < 10 ms, long ISIs > 40 ms recurring periodically ([B2]: 7-spike bursts every ~60 ms)."""
    isi = interspike_intervals(spike_trains[1]["CH"])
    assert np.mean(isi < 10.0) >= 0.7
    long_positions = np.nonzero(isi > 40.0)[0]
    assert len(long_positions) >= 10
    assert np.ptp(np.diff(long_positions)) <= 1  # the same number of spikes per burst


def test_fast_spiking_classifier(spike_trains):
    """FS: rate > 120 Hz and ISI CV < 0.05 after 50 ms ([B2]: 136 Hz, CV ~ 0)."""
    times = spike_trains[1]["FS"]
    late = times[times >= 50.0]
    assert 1000.0 / np.mean(np.diff(late)) > 120.0
    assert coefficient_of_variation(np.diff(late)) < 0.05


@pytest.mark.parametrize("spike_trains", [0.01], indirect=True, ids=["dt0.01"])
def test_chattering_first_isis_match_brian2_at_dt_0_01(spike_trains):
    """CH first ISIs 1.41, 1.54, 1.72, 1.96, 2.35, 3.17, 46.6 ms ([B2], dt = 0.01 ms), to one dt
    (the reference exists for dt = 0.01 ms only)."""
    dt, trains = spike_trains
    assert dt == 0.01
    np.testing.assert_allclose(interspike_intervals(trains["CH"])[:7], [1.41, 1.54, 1.72, 1.96, 2.35, 3.17, 46.6],
                               atol=0.011 + 0.05)


@pytest.mark.parametrize("name", sorted(IZHIKEVICH_2003_PRESETS))
def test_spike_times_identical_to_brian2(name):
    """Every preset (RS, IB, CH, FS, LTS, TC, RZ) gives Brian2's spike times (float64, Euler, dt 0.1 ms,
    300 ms at I = 10); reference: Brian2 2.9.0 numpy runtime on ``brian2_model()``."""
    model = Izhikevich.preset(name)
    (ours,) = run_spikenet(model, np.array([10.0]), 300.0, 0.1)
    (brian2,) = run_brian2(model, np.array([10.0]), 300.0, 0.1)
    assert len(ours) == len(brian2) > 0
    np.testing.assert_allclose(ours, brian2, atol=1e-9)
