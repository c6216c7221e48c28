"""Every dense preset has a latency model, so no EDP comes out as a meaningless 0."""

import pytest

from experiments.cli import _format_table
from hardware import EnergyReport, available_chips, dense_baseline, get_chip
from hardware_builders import feedforward, make_counts


@pytest.mark.parametrize("device", available_chips("dense"))
def test_every_dense_preset_has_a_cited_mac_latency(device):
    timing = get_chip(device).timing
    assert "mac" in timing and timing["mac"].seconds() > 0 and timing["mac"].source


def test_cpu_horowitz45_latency_is_macs_at_its_cited_peak_rate():
    """Compute-bound lower bound: wall time = MACs x the preset's time per MAC (3.2 GHz x 4 cores x 4 MAC/cycle)."""
    network = feedforward([10, 20, 5])
    counts = make_counts(network, 7, {"l0": 12, "l1": 3}, {"l0->l1": 240, "l1->l2": 15})
    chip = get_chip("cpu_horowitz45")
    assert chip.timing["mac"].seconds() == pytest.approx(1.0 / (3.2e9 * 4 * 4), rel=1e-3)
    baseline = dense_baseline(counts, network, chip, inferences=3)
    for report in (baseline.ann, baseline.clock_driven):
        macs = report.terms["mac"].count
        assert report.wall_time_s == pytest.approx(macs * chip.timing["mac"].seconds())
        assert report.edp_js == pytest.approx(report.per_inference_j * report.latency_s) and report.edp_js > 0


def test_a_report_without_latency_prints_edp_as_not_available():
    report = EnergyReport("made_up", "dense", "per-term")
    report.add("mac", 10, "MACs", 1.0, "energy.mac", "test")
    text = _format_table("x", report)
    assert "EDP n/a" in text and "EDP 0" not in text
