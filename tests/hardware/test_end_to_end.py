"""A real engine run priced end to end, the plots, and the energy-vs-activity experiment in quick mode."""

import json

import numpy as np
import pytest

import hardware
import spikenet as sn
from hardware.plots import crossover_rate
from neurons import LIF


def test_engine_counts_priced_on_loihi_equal_the_sum_of_count_times_coefficient():
    """Davies 2018 Table 2 coefficients: synaptic term = counted events x 23.6 pJ, neuron terms =
    driven updates x 81 pJ + idle updates x 52 pJ; the report's total is the sum of its terms."""
    network = sn.Network(dt=1.0)
    source = network.poisson_source("inp", 50, 50.0)
    layer = network.population("lif", 40, LIF())
    network.connect(source, layer, sn.FixedInDegree(10), synapse=sn.CurrentExp(tau=5.0), weight=60.0)
    counts = network.run(50.0, progress=False).counts
    report = hardware.estimate(counts, network, "loihi", inferences=5)
    assert report.energy("synaptic_op") == pytest.approx(counts.total_synaptic_events * 23.6e-12)
    driven = counts.neuron_updates_driven["lif"]
    assert 0 < driven < 40 * 50
    assert report.energy("neuron_update_active") == pytest.approx(driven * 81e-12)
    assert report.energy("neuron_update_idle") == pytest.approx((40 * 50 - driven) * 52e-12)
    assert report.total_j == pytest.approx(sum(t.energy_j for t in report.terms.values()))
    assert report.per_inference_j == pytest.approx(report.total_j / 5)
    assert report.edp_js == pytest.approx(report.per_inference_j * report.latency_s)
    assert report.citations and all("grade" in c for c in report.citations)
    assert json.loads(report.to_json())["chip"] == "loihi"


def test_crossover_rate_interpolates_in_log_log():
    """Hand-worked: SNN energy = rate (J/Hz) against a constant dense 10 J crosses at 10 Hz exactly."""
    rates = np.array([1.0, 4.0, 16.0, 64.0])
    assert crossover_rate(rates, rates, 10.0) == pytest.approx(10.0)
    assert crossover_rate(rates, rates, 100.0) is None
    assert crossover_rate(rates, rates, 0.5) is None


def test_experiment_quick_writes_table_and_figures(tmp_path):
    """The experiment's contract: table.json with every preset, crossover.png and breakdown.png."""
    from experiments.energy_vs_activity import run
    table = run(rates=(5.0, 50.0), duration_ms=20.0, out=tmp_path, fidelity_chips=("hermes_pcm",))
    assert {"crossover.png", "breakdown.png", "table.json"} <= {p.name for p in tmp_path.iterdir()}
    written = json.loads((tmp_path / "table.json").read_text())
    assert set(written["rows"][0]["chips"]) == set(hardware.available_chips())
    assert written["crossover_hz"] == json.loads(json.dumps(table["crossover_hz"]))
    assert set(written["fidelity"]) == {"hermes_pcm"}
