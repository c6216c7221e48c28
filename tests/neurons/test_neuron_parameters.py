"""Physically meaningless parameters raise at construction, naming the parameter and the allowed range."""

from __future__ import annotations

import pytest

from neurons import ALIF, LIF, AdEx, HodgkinHuxley, Izhikevich
from spikenet import SpikenetError

CASES = [
    (ALIF, {"tau_m": 0.0}, r"ALIF\.tau_m \(ms\) must be > 0"),
    (ALIF, {"tau_adaptation": -5.0}, r"ALIF\.tau_adaptation \(ms\) must be > 0"),
    (ALIF, {"capacitance": 0.0}, r"ALIF\.capacitance \(pF\) must be > 0"),
    (ALIF, {"refractory": -1.0}, r"ALIF\.refractory \(ms\) must be >= 0"),
    (ALIF, {"v_threshold": -70.0}, r"ALIF\.v_threshold must be > v_reset"),
    (ALIF, {"integration": "rk4"}, r"ALIF\.integration must be one of"),
    (ALIF, {"reset_mode": "soft"}, r"ALIF\.reset_mode must be one of"),
    (Izhikevich, {"a": 0.0}, r"Izhikevich\.a \(1/ms\) must be > 0"),
    (Izhikevich, {"capacitance": -1.0}, r"Izhikevich\.capacitance \(pF\) must be > 0"),
    (Izhikevich, {"c": 40.0}, r"Izhikevich\.v_peak must be > c \(reset\)"),
    (Izhikevich, {"integration": "exponential_euler"}, r"Izhikevich\.integration must be one of \('euler',\)"),
    (AdEx, {"delta_t": 0.0}, r"AdEx\.delta_t \(mV\) must be > 0"),
    (AdEx, {"capacitance": 0.0}, r"AdEx\.capacitance \(pF\) must be > 0"),
    (AdEx, {"g_leak": -1.0}, r"AdEx\.g_leak \(nS\) must be > 0"),
    (AdEx, {"tau_w": 0.0}, r"AdEx\.tau_w \(ms\) must be > 0"),
    (AdEx, {"v_reset": 5.0}, r"AdEx\.v_peak must be > v_reset"),
    (AdEx, {"b": -1.0}, r"AdEx\.b \(pA\) must be >= 0"),
    (HodgkinHuxley, {"capacitance": 0.0}, r"HodgkinHuxley\.capacitance \(pF\) must be > 0"),
    (HodgkinHuxley, {"g_sodium": -1.0}, r"HodgkinHuxley\.g_sodium \(nS\) must be >= 0"),
    (HodgkinHuxley, {"refractory": -3.0}, r"HodgkinHuxley\.refractory \(ms\) must be >= 0"),
    (HodgkinHuxley, {"kinetics": "connor_stevens"}, r"HodgkinHuxley\.kinetics must be one of"),
    (HodgkinHuxley, {"e_leak": float("nan")}, r"HodgkinHuxley\.e_leak \(mV\) must be finite"),
]


@pytest.mark.parametrize("model, parameters, message", CASES, ids=[f"{m.__name__}-{next(iter(p))}" for m, p, _ in CASES])
def test_invalid_parameter_raises_naming_it(model, parameters, message):
    """Each invalid value raises SpikenetError whose message names the model, parameter and range."""
    with pytest.raises(SpikenetError, match=message):
        model(**parameters)


def test_unknown_presets_raise():
    """Preset names outside the published tables are rejected with the known names."""
    with pytest.raises(SpikenetError, match="unknown Izhikevich preset 'XX'"):
        Izhikevich.preset("XX")
    with pytest.raises(SpikenetError, match="unknown AdEx pattern 'bursty'"):
        AdEx.preset("bursty")


def test_lif_still_validates():
    """LIF (unchanged) rejects a threshold below reset."""
    with pytest.raises(SpikenetError, match="v_threshold"):
        LIF(v_threshold=-70.0, v_reset=-60.0)
