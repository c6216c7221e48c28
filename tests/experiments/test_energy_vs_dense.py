"""The main job's quick mode: accuracy well above chance, every platform priced with all terms.

Reference: REPRODUCTION_TARGETS 6b (sklearn digits, Diehl & Cook-style network; chance = 0.10;
the numpy reference reaches 0.81 with 100 neurons and 1347 training images).
"""

import json
from pathlib import Path

import numpy as np
import pytest

import hardware
from spikenet import ActivityCounts


def test_quick_snn_accuracy_beats_chance_by_a_wide_margin(quick_run):
    """40 neurons and 200 images: far below the reference's size, but > 4x chance (0.10)."""
    assert quick_run["snn_test_accuracy"] >= 0.4
    assert quick_run["dense_test_accuracy"] >= 0.8  # MLP on 200 images
    assert quick_run["n_excitatory"] == 40 and quick_run["n_test"] == 80


def test_summary_has_the_required_fields(quick_run):
    summary = json.loads((Path(quick_run["run_dir"]) / "summary.json").read_text())
    for key in ("snn_test_accuracy", "dense_test_accuracy", "n_excitatory", "energy_per_inference_j"):
        assert key in summary
    for name in hardware.available_chips():
        if hardware.get_chip(name).kind == "dense":
            assert f"{name}:mlp" in summary["energy_per_inference_j"]
        else:
            assert name in summary["energy_per_inference_j"] or name in summary["not_fitting"]


def test_every_row_has_all_terms_latency_and_edp(quick_run):
    """Per-term energies sum to the row's energy per inference; latency and EDP are consistent."""
    table = json.loads((Path(quick_run["run_dir"]) / "table.json").read_text())
    assert len(table["rows"]) >= len(hardware.available_chips()) - len(table["not_fitting"])
    for row in table["rows"]:
        assert row["terms_j"], row["platform"]
        assert sum(row["terms_j"].values()) == pytest.approx(row["energy_per_inference_j"], rel=1e-9)
        assert row["energy_per_inference_j"] > 0 and 0.0 <= row["accuracy"] <= 1.0
        assert row["edp_js"] == pytest.approx(row["energy_per_inference_j"] * row["latency_s"], rel=1e-9)
        if row["kind"] != "dense":
            assert row["latency_s"] >= 0.35  # real-time ticks: one 350 ms presentation per inference


def test_analog_accuracy_is_measured_with_perturbed_weights(quick_run):
    analog = quick_run["analog_test_accuracy"]
    assert set(analog) == set(hardware.available_chips("analog"))
    assert all(0.0 <= a <= 1.0 for a in analog.values())


def test_run_folder_contents(quick_run):
    folder = Path(quick_run["run_dir"])
    for name in ("config.json", "environment.json", "status.json", "log.txt", "counts.json", "summary.json",
                 "table.json", "table.md", "energy_reports.json", "accuracy_vs_energy.png", "breakdown.png",
                 "weights.npz", "repricing.json"):
        assert (folder / name).is_file(), name
    assert not list(folder.glob("*.tmp")) and not list(folder.glob(".*"))
    assert json.loads((folder / "status.json").read_text())["state"] == "complete"
    counts = ActivityCounts.from_dict(json.loads((folder / "counts.json").read_text()))
    assert counts.spikes["exc"] > 0 and counts.plasticity_updates["inputs->exc"] == 0
    config = json.loads((folder / "config.json").read_text())
    assert config["seeds"]["network_and_inputs"] == 0 and config["config"]["n_excitatory"] == 40
    assert json.loads((folder / "environment.json").read_text())["packages"]["numpy"] == np.__version__
