"""Experiment scripts write timestamped run folders (resolved config, seeds, counts); ``spikenet energy``
re-prices any folder with ``activity_counts.json`` and fails in one line on a bad one."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import hardware
import spikenet as sn
from experiments import cli, coba, custom_rule
from experiments.networks import coba as coba_network

ROOT = Path(__file__).resolve().parents[2]
OLD_COBA_RUN = Path(__file__).parent / "data" / "coba_run"
SMALL_COBA = ["--neurons", "100", "--duration", "50"]
TIMESTAMP = re.compile(r"^\d{8}T\d{6}Z(-\d+)?$")


@pytest.fixture(scope="module")
def coba_folder(tmp_path_factory):
    """A small COBA run written by the script entry point (in-process)."""
    root = tmp_path_factory.mktemp("results")
    assert coba.main([*SMALL_COBA, "--results", str(root)]) == 0
    (folder,) = (root / "coba").iterdir()
    return folder


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_each_script_run_writes_a_new_timestamped_folder(coba_folder, tmp_path):
    """``python -m experiments.coba`` twice into one root: two folders, the first left byte for byte as it was."""
    root = tmp_path / "results"
    shutil.copytree(coba_folder, root / "coba" / coba_folder.name)
    first = root / "coba" / coba_folder.name
    before = _snapshot(first)
    command = [sys.executable, "-m", "experiments.coba", *SMALL_COBA, "--results", str(root)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    folders = sorted((root / "coba").iterdir())
    assert len(folders) == 2 and all(TIMESTAMP.match(f.name) for f in folders)
    assert _snapshot(first) == before
    (second,) = [f for f in folders if f != first]
    assert json.loads((second / "status.json").read_text())["state"] == "complete"
    assert {"config.json", "environment.json", "log.txt", "activity_counts.json", "network.json", "rates.json",
            "raster.png", "spikes.npz"} <= {p.name for p in second.iterdir()}
    assert not [p for p in second.iterdir() if p.name.startswith(".")]  # no temporary files left
    assert "synaptic events" in (second / "log.txt").read_text()  # the printed output is logged


def test_config_holds_every_resolved_default_and_the_seeds(coba_folder):
    written = json.loads((coba_folder / "config.json").read_text())
    defaults = vars(coba.build_parser().parse_args([]))
    given = vars(coba.build_parser().parse_args(SMALL_COBA))
    assert written["experiment"] == "coba"
    for key, value in given.items():
        if key != "results":
            assert written["config"][key] == value, key
    # options left at their defaults are recorded too
    assert written["config"]["seed"] == defaults["seed"] and written["config"]["precision"] == defaults["precision"]
    assert written["seeds"] == {"network_and_simulation": defaults["seed"]}
    assert "numpy" in json.loads((coba_folder / "environment.json").read_text())["packages"]


def test_counts_are_those_of_the_simulated_network(coba_folder):
    """activity_counts.json is ActivityCounts.to_dict() of this network's run (same seed, same numbers)."""
    stored = json.loads((coba_folder / "activity_counts.json").read_text())
    network = coba_network(100, seed=1)
    fresh = network.run(50.0, seed=1, progress=False).counts
    assert stored == json.loads(json.dumps(fresh.to_dict()))


def test_cli_run_is_the_script_run(tmp_path):
    """``spikenet run custom_rule`` writes the folder the script writes, with its resolved config."""
    assert cli.main(["run", "custom_rule", "--duration", "200", "--results", str(tmp_path)]) == 0
    (folder,) = (tmp_path / "custom_rule").iterdir()
    config = json.loads((folder / "config.json").read_text())["config"]
    assert config["duration"] == 200.0 and config["seed"] == custom_rule.build_parser().parse_args([]).seed
    assert (folder / "summary.json").is_file() and (folder / "activity_counts.json").is_file()
    assert json.loads((folder / "status.json").read_text())["state"] == "complete"


def test_ctrl_c_leaves_a_consistent_folder(tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(coba, "run", interrupted)
    assert coba.main([*SMALL_COBA, "--results", str(tmp_path)]) == 1
    (folder,) = (tmp_path / "coba").iterdir()
    assert json.loads((folder / "status.json").read_text())["state"] == "interrupted"
    assert json.loads((folder / "config.json").read_text())["config"]["neurons"] == 100
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]


def _expected(counts, network, chip):
    chip = hardware.get_chip(chip)
    if chip.kind == "dense":
        baseline = hardware.dense_baseline(counts, network, chip)
        return {"SNN as equivalent ANN": baseline.ann, "SNN clock-driven": baseline.clock_driven}
    return {"SNN": hardware.estimate(counts, network, chip)}


@pytest.mark.parametrize("chip", ["loihi", "spinnaker2", "h100"])
def test_energy_reprices_a_coba_folder_as_hardware_estimate_does(coba_folder, chip, capsys):
    """The priced terms equal hardware.estimate (dense: dense_baseline) on the stored counts and the network."""
    before = _snapshot(coba_folder)
    assert cli.main(["energy", str(coba_folder), "--chip", chip, "--json"]) == 0
    reports = json.loads(capsys.readouterr().out)
    counts = sn.ActivityCounts.from_dict(json.loads((coba_folder / "activity_counts.json").read_text()))
    expected = _expected(counts, coba_network(100, seed=1), chip)
    assert set(reports) == set(expected)
    for label, report in expected.items():
        got = reports[label]
        assert got["chip"] == chip
        assert got["per_inference_j"] == pytest.approx(report.per_inference_j, rel=1e-12)
        assert {k: t["energy_j"] for k, t in got["terms"].items()} == pytest.approx(
            {k: t.energy_j for k, t in report.terms.items()}, rel=1e-12)
    assert _snapshot(coba_folder) == before  # nothing re-simulated or rewritten


def test_energy_prints_a_table_of_terms(coba_folder, capsys):
    assert cli.main(["energy", str(coba_folder), "--chip", "loihi"]) == 0
    out = capsys.readouterr().out
    report = hardware.estimate(sn.ActivityCounts.from_dict(json.loads((coba_folder / "activity_counts.json").read_text())),
                               coba_network(100, seed=1), "loihi")
    for term in report.terms:
        assert term in out
    assert "EDP" in out and "energy (J)" in out


def test_energy_on_a_folder_from_an_earlier_run(capsys):
    """tests/experiments/data/coba_run was written by an earlier run of experiments.coba."""
    stored = json.loads((OLD_COBA_RUN / "activity_counts.json").read_text())
    for chip in ("loihi", "spinnaker2"):
        assert cli.main(["energy", str(OLD_COBA_RUN), "--chip", chip, "--json"]) == 0
        (report,) = json.loads(capsys.readouterr().out).values()
        assert report["chip"] == chip and report["total_j"] > 0
    assert cli.main(["energy", str(OLD_COBA_RUN), "--chip", "loihi", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)["SNN"]
    assert report["terms"]["synaptic_op"]["count"] == sum(stored["synaptic_events"].values())


def test_multi_simulation_folder_gives_one_report_per_simulation(tmp_path, capsys):
    """A folder whose counts hold several simulations (brunel2000, energy_vs_activity, ...)."""
    root = tmp_path / "run"
    shutil.copytree(OLD_COBA_RUN, root)
    single = json.loads((root / "activity_counts.json").read_text())
    network = json.loads((root / "network.json").read_text())
    (root / "activity_counts.json").write_text(json.dumps({"runs": {"a": single, "b": single}}))
    (root / "network.json").write_text(json.dumps({"runs": {"a": network, "b": network}}))
    assert cli.main(["energy", str(root), "--chip", "loihi", "--json"]) == 0
    reports = json.loads(capsys.readouterr().out)
    assert set(reports) == {"a: SNN", "b: SNN"}
    assert reports["a: SNN"]["total_j"] == reports["b: SNN"]["total_j"]


def test_network_that_no_longer_matches_the_counts(coba_folder, tmp_path, capsys):
    """Digital chips still price the counts (routing unpriced, said on stderr); analog chips fail in one line."""
    root = tmp_path / "run"
    shutil.copytree(coba_folder, root)
    network = json.loads((root / "network.json").read_text())
    network["kwargs"]["n_neurons"] = 200
    (root / "network.json").write_text(json.dumps(network))
    assert cli.main(["energy", str(root), "--chip", "loihi", "--json"]) == 0
    captured = capsys.readouterr()
    assert "routing unpriced" in captured.err
    counts = sn.ActivityCounts.from_dict(json.loads((root / "activity_counts.json").read_text()))
    assert json.loads(captured.out)["SNN"]["total_j"] == pytest.approx(hardware.estimate(counts, None, "loihi").total_j)
    assert cli.main(["energy", str(root), "--chip", "neurram_rram"]) == 1
    assert capsys.readouterr().err.count("\n") == 1


@pytest.mark.parametrize("content, says", [
    ('{"dt_ms": 0.1, "steps": ', "malformed JSON"),
    ("[1, 2, 3]", "JSON object"),
    ('{"dt_ms": 0.1}', "lack the fields"),
    ('{"runs": {"a": {"dt_ms": 0.1, "steps": 5, "population_sizes": {}, "spikes": {"x": "many"}, '
     '"neuron_updates": {}, "synaptic_events": {}}}}', "malformed activity counts"),
])
def test_corrupted_counts_give_exit_1_naming_the_file(coba_folder, tmp_path, content, says, capsys):
    root = tmp_path / "run"
    shutil.copytree(coba_folder, root)
    (root / "activity_counts.json").write_text(content)
    assert cli.main(["energy", str(root), "--chip", "loihi"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(root / "activity_counts.json") in err and says in err


def test_bad_network_file_is_named(coba_folder, tmp_path, capsys):
    root = tmp_path / "run"
    shutil.copytree(coba_folder, root)
    (root / "network.json").write_text('{"builder": "os:system", "kwargs": {}}')
    assert cli.main(["energy", str(root), "--chip", "loihi"]) == 1  # never imported or called
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "network.json" in err and "builder" in err


def test_energy_usage_and_lookup_failures(coba_folder, tmp_path, capsys):
    assert cli.main(["energy", str(tmp_path / "missing"), "--chip", "loihi"]) == 1
    assert "no such run folder" in capsys.readouterr().err
    assert cli.main(["energy", str(tmp_path), "--chip", "loihi"]) == 1
    assert "activity_counts.json" in capsys.readouterr().err
    assert cli.main(["energy", str(coba_folder), "--chip", "no_such_chip"]) == 2
    assert "loihi" in capsys.readouterr().err
    assert cli.main(["energy", str(coba_folder)]) == 2
