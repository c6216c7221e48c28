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
    assert all(reason.startswith(("does not fit:", "not priced in every regime:"))
               for reason in summary["not_fitting"].values())


def test_every_row_has_all_terms_latency_and_edp(quick_run):
    """Per-term energies sum to the row's energy per inference (latency regime); latency and EDP are consistent."""
    table = json.loads((Path(quick_run["run_dir"]) / "table.json").read_text())
    assert len(table["rows"]) >= len(hardware.available_chips()) - len(table["not_fitting"])
    for row in table["rows"]:
        assert row["terms_j"], row["platform"]
        assert sum(row["terms_j"].values()) == pytest.approx(row["energy_per_inference_j"], rel=1e-9)
        assert row["energy_per_inference_j"] > 0 and 0.0 <= row["accuracy"] <= 1.0
        assert row["edp_js"] == pytest.approx(row["energy_per_inference_j"] * row["latency_s"], rel=1e-9)
        if row["kind"] != "dense":
            assert row["regimes"]["real_time"]["latency_s"] >= 0.35  # ticks of at least one 350 ms presentation


def test_summary_carries_every_regime_with_static_and_dynamic_parts(quick_run):
    """Issue 11: summary.json regimes {regime: {platform: {total_j, static_j, dynamic_j, latency_s}}}, static and
    dynamic apart and adding up, for every chip that fits and every dense device."""
    summary = json.loads((Path(quick_run["run_dir"]) / "summary.json").read_text())
    assert set(summary["regimes"]) == {"latency", "throughput", "real_time"}
    for regime, platforms in summary["regimes"].items():
        for name in hardware.available_chips():
            if name in summary["not_fitting"]:
                continue
            key = f"{name}:mlp" if hardware.get_chip(name).kind == "dense" else name
            entry = platforms[key]
            assert set(entry) == {"total_j", "static_j", "dynamic_j", "latency_s"}
            assert entry["total_j"] == pytest.approx(entry["static_j"] + entry["dynamic_j"], rel=1e-9)
            assert entry["dynamic_j"] > 0 and entry["static_j"] >= 0 and entry["latency_s"] > 0
    # static power is paid on both sides: Loihi and the H100 both carry a static part in every regime
    for regime in summary["regimes"]:
        assert summary["regimes"][regime]["loihi"]["static_j"] > 0
        assert summary["regimes"][regime]["h100:mlp"]["static_j"] > 0
    # throughput never costs more per inference than latency, for chips and dense devices alike
    for name, entry in summary["regimes"]["throughput"].items():
        assert entry["total_j"] <= summary["regimes"]["latency"][name]["total_j"] * (1 + 1e-9), name


def test_accuracy_carries_its_standard_error_and_the_tradeoff_sweep(quick_run):
    """Binomial standard error sqrt(p (1 - p) / n); the presentation-length sweep has one entry per length,
    with energy on each trade-off chip in the latency and throughput regimes; break-even activities present."""
    summary = json.loads((Path(quick_run["run_dir"]) / "summary.json").read_text())
    p, n = summary["snn_test_accuracy"], summary["n_test"]
    assert summary["snn_test_accuracy_se"] == pytest.approx((p * (1 - p) / n) ** 0.5)
    lengths = [entry["present_ms"] for entry in summary["tradeoff"]]
    assert lengths == [50.0, 150.0, 350.0]
    for entry in summary["tradeoff"]:
        assert 0.0 <= entry["accuracy"] <= 1.0 and entry["accuracy_se"] >= 0
        assert entry["energy_j"]["latency"]["loihi"] > 0
    energies = [entry["energy_j"]["latency"]["loihi"] for entry in summary["tradeoff"]]
    assert energies == sorted(energies)  # longer presentations cost more
    assert "latency" in summary["break_even_activity"]["loihi"]


def test_analog_accuracy_is_measured_with_perturbed_weights(quick_run):
    analog = quick_run["analog_test_accuracy"]
    assert set(analog) == set(hardware.available_chips("analog"))
    assert all(0.0 <= a <= 1.0 for a in analog.values())


def test_run_folder_contents(quick_run):
    folder = Path(quick_run["run_dir"])
    for name in ("config.json", "environment.json", "status.json", "log.txt", "counts.json", "summary.json",
                 "table.json", "table.md", "energy_reports.json", "accuracy_vs_energy.png", "breakdown.png", "tradeoff.png",
                 "weights.npz", "repricing.json"):
        assert (folder / name).is_file(), name
    assert not list(folder.glob("*.tmp")) and not list(folder.glob(".*"))
    assert json.loads((folder / "status.json").read_text())["state"] == "complete"
    counts = ActivityCounts.from_dict(json.loads((folder / "counts.json").read_text()))
    assert counts.spikes["exc"] > 0 and counts.plasticity_updates["inputs->exc"] == 0
    config = json.loads((folder / "config.json").read_text())
    assert config["seeds"]["network_and_inputs"] == 0 and config["config"]["n_excitatory"] == 40
    assert json.loads((folder / "environment.json").read_text())["packages"]["numpy"] == np.__version__
