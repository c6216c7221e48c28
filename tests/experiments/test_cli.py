"""The ``spikenet`` command: help of every subcommand, exit codes (0 / 1 / 2) as the README promises,
bad names listing the valid ones, re-pricing a saved run folder (one from this session and one written
by an earlier run), malformed counts files named with their field."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import hardware
from experiments import cli, energy_vs_dense

OLD_RUN = Path(__file__).parent / "data" / "energy_vs_dense_run"
COBA_RUN = Path(__file__).parent / "data" / "coba_run"


@pytest.mark.parametrize("argv", [["--help"], ["list", "--help"], ["run", "--help"], ["energy", "--help"],
                                  ["validate", "--help"], ["chips", "--help"]])
def test_every_subcommand_help_works(argv, capsys):
    assert cli.main(argv) == 0
    assert "usage" in capsys.readouterr().out.lower()


@pytest.mark.parametrize("name", sorted(cli.EXPERIMENTS))
def test_every_experiment_help_works(name, capsys):
    assert cli.main(["run", name, "--help"]) == 0
    out = capsys.readouterr().out
    assert "usage" in out.lower() and "-h" in out


def test_list_shows_experiments_and_chips(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    for name in [*cli.EXPERIMENTS, *hardware.available_chips()]:
        assert name in out


def test_bad_experiment_name_is_usage_error_listing_valid_ones(capsys):
    assert cli.main(["run", "no_such_experiment"]) == 2
    err = capsys.readouterr().err
    assert "no_such_experiment" in err and "energy_vs_dense" in err and "coba" in err


def test_bad_chip_names_are_usage_errors_listing_valid_ones(capsys):
    """README: "2 bad usage (unknown names list the valid ones)"."""
    assert cli.main(["chips", "no_such_chip"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no_such_chip" in err and "loihi" in err and "truenorth" in err
    assert cli.main(["energy", str(OLD_RUN), "--chip", "no_such_chip"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no_such_chip" in err and "loihi" in err


def test_unknown_experiment_is_exit_2_also_when_called_directly(tmp_path, capsys):
    with pytest.raises(cli.UsageError, match=r"unknown experiment 'nope'; valid: .*coba"):
        cli.run_experiment("nope", [], tmp_path)


@pytest.mark.parametrize("argv", [
    [], ["bogus"], ["list", "--bogus"], ["run"], ["chips"], ["energy"], ["energy", str(OLD_RUN)],
    ["energy", str(OLD_RUN), "--chip", "loihi", "extra"], ["chips", "loihi", "--bogus"],
    ["run", "coba", "--no-such-option"], ["run", "coba", "--duration", "-1"], ["run", "coba", "--neurons", "many"],
])
def test_every_usage_error_exits_2(argv, tmp_path, capsys):
    """Missing or unknown commands, arguments and options, and options an experiment rejects."""
    extra = ["--results", str(tmp_path)] if argv[:1] == ["run"] and len(argv) > 1 else []
    assert cli.main([*argv, *extra]) == 2
    assert "error" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())  # nothing was run


def test_bad_usage_exits_2(capsys):
    assert cli.main([]) == 2
    assert cli.main(["energy", str(OLD_RUN)]) == 2  # --chip missing
    assert cli.main(["list", "--bogus"]) == 2


def test_chips_shows_coefficients_with_sources(capsys):
    assert cli.main(["chips", "loihi"]) == 0
    out = capsys.readouterr().out
    assert "synaptic_op" in out and "Davies" in out


@pytest.mark.parametrize("chip", ["loihi", "spinnaker2", "neurram_rram", "h100"])
def test_energy_reprices_a_run_written_by_an_earlier_run(chip, tmp_path, capsys):
    """The folder in tests/experiments/data was written by an earlier version's run (N_e = 10)."""
    run_dir = tmp_path / "run"
    shutil.copytree(OLD_RUN, run_dir)
    before = sorted(p.name for p in run_dir.iterdir())
    assert cli.main(["energy", str(run_dir), "--chip", chip, "--json"]) == 0
    reports = json.loads(capsys.readouterr().out)
    for report in reports.values():
        assert report["chip"] == chip and report["per_inference_j"] > 0 and report["inferences"] == 10
    assert sorted(p.name for p in run_dir.iterdir()) == before  # nothing re-simulated or rewritten


def test_energy_on_this_sessions_run_matches_its_table(quick_run, capsys):
    assert cli.main(["energy", quick_run["run_dir"], "--chip", "spinnaker2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)["SNN"]
    assert report["per_inference_j"] == pytest.approx(quick_run["energy_per_inference_j"]["spinnaker2"], rel=1e-12)


def test_energy_failures_are_one_line_exit_1(tmp_path, capsys):
    assert cli.main(["energy", str(tmp_path), "--chip", "loihi"]) == 1  # a folder without counts
    assert "repricing.json" in capsys.readouterr().err
    assert cli.main(["energy", str(tmp_path / "missing"), "--chip", "loihi"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing: no such run folder" in err
    assert cli.main(["energy", str(OLD_RUN), "--chip", "truenorth"]) == 1  # 784 inputs > fan-in 256
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not fit" in err


def test_run_writes_a_run_folder(tmp_path, capsys):
    assert cli.main(["run", "custom_neuron", "--results", str(tmp_path)]) == 0
    (folder,) = (tmp_path / "custom_neuron").iterdir()
    assert (folder / "custom_neuron.json").is_file() and (folder / "log.txt").is_file()
    assert json.loads((folder / "status.json").read_text())["state"] == "complete"


def test_installed_command_exit_codes():
    """The console script declared in pyproject (``experiments.cli:main``)."""
    command = [sys.executable, "-c", "import sys; from experiments.cli import main; sys.exit(main())"]
    assert subprocess.run([*command, "chips", "no_such_chip"], capture_output=True).returncode == 2
    assert subprocess.run([*command, "bogus"], capture_output=True).returncode == 2
    assert subprocess.run([*command, "energy", "/no/such/run", "--chip", "loihi"], capture_output=True).returncode == 1


def _fake_checkout(root, body):
    (root / "tests").mkdir()
    (root / "tests" / "test_brian2_parity.py").write_text(body)
    (root / "tests" / "test_network_parity.py").write_text('def test_rates_match():\n    """rates within 10 %."""\n')


def test_validate_prints_a_report_with_tolerances(tmp_path, capsys):
    """``validate`` on a checkout whose parity tests pass: exit 0, one line per test with its tolerance."""
    _fake_checkout(tmp_path, 'def test_spike_times_identical():\n    """spike times within 1e-9 ms."""\n')
    assert cli.main(["validate", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "test_spike_times_identical" in out and "within 1e-9 ms" in out and "rates within 10 %" in out
    assert out.count("PASSED") == 2


def test_validate_failure_exits_1(tmp_path, capsys):
    _fake_checkout(tmp_path, 'def test_broken():\n    """tolerance 0."""\n    assert False\n')
    assert cli.main(["validate", "--root", str(tmp_path)]) == 1
    assert "FAILED" in capsys.readouterr().out
    assert cli.main(["validate", "--root", str(tmp_path / "nowhere")]) == 1


def test_run_energy_vs_dense_honours_results_root(tmp_path, capsys):
    """``spikenet run energy_vs_dense --results DIR`` writes under DIR (tiny sizes, no chip re-runs)."""
    argv = ["run", "energy_vs_dense", "--n-excitatory", "4", "--n-train", "5", "--n-test", "3", "--no-progress",
            "--no-analog-accuracy", "--results", str(tmp_path)]
    assert cli.main(argv) == 0
    (folder,) = (tmp_path / "energy_vs_dense").iterdir()
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["n_excitatory"] == 4 and summary["n_test"] == 3
    assert summary["epochs"] == energy_vs_dense.DEFAULT_EPOCHS == 10


def _corrupt(run_dir: Path, name: str, change) -> Path:
    """``run_dir/name`` after ``change(data)`` (in place) on its JSON content."""
    path = run_dir / name
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("change, field", [
    (lambda d: d.update(steps=-5), "'steps' must be a finite integer >= 0; got -5"),
    (lambda d: d["spikes"].update(exc="many"), "spikes['exc']"),
    (lambda d: d.update(dt_ms=0), "'dt_ms' must be a finite number > 0"),
    (lambda d: d.pop("neuron_updates"), "lack the fields ['neuron_updates']"),
    (lambda d: d["synaptic_events"].update({"exc->exc": 1e400}), "synaptic_events['exc->exc']"),
])
def test_malformed_counts_file_is_one_line_naming_file_and_field_exit_1(change, field, tmp_path, capsys):
    """README: a malformed file gives a one-line error naming the file, exit 1 (no traceback)."""
    run_dir = tmp_path / "run"
    shutil.copytree(COBA_RUN, run_dir)
    path = _corrupt(run_dir, "activity_counts.json", change)
    assert cli.main(["energy", str(run_dir), "--chip", "loihi"]) == 1
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err and captured.out == ""
    assert captured.err.startswith(f"spikenet: error: {path}: ") and field in captured.err
    assert "<memory>" not in captured.err


def test_malformed_counts_of_one_run_of_several_names_the_run(tmp_path, capsys):
    run_dir = tmp_path / "run"
    shutil.copytree(COBA_RUN, run_dir)
    counts = json.loads((run_dir / "activity_counts.json").read_text())
    counts["steps"] = "500"
    (run_dir / "activity_counts.json").write_text(json.dumps({"runs": {"panel_a": counts}}))
    (run_dir / "network.json").unlink()
    assert cli.main(["energy", str(run_dir), "--chip", "loihi"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{run_dir / 'activity_counts.json'}: runs['panel_a']: " in err and "'steps'" in err


def test_malformed_counts_of_an_energy_vs_dense_folder_names_counts_json(tmp_path, capsys):
    run_dir = tmp_path / "run"
    shutil.copytree(OLD_RUN, run_dir)
    path = _corrupt(run_dir, "counts.json", lambda d: d.update(dt_ms="fast"))
    assert cli.main(["energy", str(run_dir), "--chip", "loihi"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"spikenet: error: {path}: ") and "'dt_ms'" in err


@pytest.mark.parametrize("name", ["activity_counts.json", "network.json"])
def test_malformed_json_names_the_file_exit_1(name, tmp_path, capsys):
    run_dir = tmp_path / "run"
    shutil.copytree(COBA_RUN, run_dir)
    (run_dir / name).write_text("{not json")
    assert cli.main(["energy", str(run_dir), "--chip", "loihi"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{run_dir / name}: malformed JSON" in err


def test_energy_of_a_coba_4000_run_fits_loihi(tmp_path, capsys):
    """Issue 11 item 6: `spikenet energy <COBA-4000 folder> --chip loihi` stopped at "core 0 needs 5044
    output axons"; the mapper now splits for fan-out (5 cores of 800 neurons, tests/hardware)."""
    import spikenet as sn
    from experiments import coba
    from experiments.run_folder import record_counts

    network = coba.network(4000, 1)
    steps, spikes = 10_000, {"exc": 32_000, "inh": 8_000}  # 1 s at 10 Hz
    counts = sn.ActivityCounts(dt=network.dt, steps=steps)
    for name, population in network.populations.items():
        counts.population_sizes[name] = population.size
        counts.spikes[name] = spikes[name]
        counts.neuron_updates[name] = population.size * steps
    for projection in network.projections:
        counts.synaptic_events[projection.name] = spikes[projection.pre.name] * 16  # < 0.02 x post size
        counts.delayed_events[projection.name] = 0
        counts.plasticity_updates[projection.name] = 0
        counts.synapse_counts[projection.name] = projection.n_synapses
        counts.projection_endpoints[projection.name] = (projection.pre.name, projection.post.name)
    record_counts(tmp_path, counts, builder=coba.network, kwargs={"n_neurons": 4000, "seed": 1})
    assert cli.main(["energy", str(tmp_path), "--chip", "loihi", "--json"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)["SNN"]
    assert report["extra"]["mapping"] == {"cores_used": 5, "chips_used": 1}
    assert "not rebuilt" not in captured.err and "differs" not in captured.err  # priced with its mapping
