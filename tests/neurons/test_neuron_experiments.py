"""The neuron experiment scripts run and write their results."""

from __future__ import annotations

import json

import pytest

from experiments import custom_neuron, neuron_gallery


def test_custom_quadratic_neuron_matches_its_closed_form_rate(tmp_path):
    """The QIF neuron defined in the user script runs on the unchanged engine; its rate matches the
    closed-form period C/(k q) [atan((v_peak - m)/q) - atan((v_reset - m)/q)] within 0.5 % at dt 0.01 ms
    (analytic; Izhikevich, *Dynamical Systems in Neuroscience*, 2007, ch. 8.1), and it is silent below rheobase."""
    report = custom_neuron.main(output_dir=str(tmp_path))
    for row in report["rows"]:
        if row["analytic_rate_hz"] == 0.0:
            assert row["rate_hz"] == 0.0
        else:
            assert row["rate_hz"] == pytest.approx(row["analytic_rate_hz"], rel=5e-3)
    assert json.loads((tmp_path / "custom_neuron.json").read_text())["rows"] == report["rows"]


def test_gallery_writes_figure_and_summary(tmp_path):
    """The gallery shows every preset (7 Izhikevich, 8 AdEx, 2 HH, LIF, ALIF) and writes PNG + JSON;
    the counts equal the pattern tests' (Izhikevich RS 23, AdEx tonic 60 at dt 0.1 ms, [B2])."""
    summary = neuron_gallery.main(output_dir=str(tmp_path))
    assert (tmp_path / "neuron_gallery.png").stat().st_size > 10_000
    counts = {entry["name"]: entry["spike_count"] for entry in summary["presets"]}
    assert len(counts) == 19
    assert counts["RS"] == 23 and counts["tonic"] == 60 and counts["transient"] == 1
    assert json.loads((tmp_path / "neuron_gallery.json").read_text()) == summary
