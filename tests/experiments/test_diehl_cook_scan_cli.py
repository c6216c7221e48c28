"""``python -m experiments.diehl_cook`` (the validation scan) writes a run folder, as every experiment script."""

import json

import pytest

from experiments import diehl_cook as dc


def test_scan_writes_a_run_folder_with_one_row_per_scored_pass(tmp_path, capsys):
    argv = ["--n-excitatory", "4", "--n-train", "10", "--max-epochs", "2", "--score-from", "1",
            "--results", str(tmp_path)]
    assert dc.main(argv, prog="spikenet run diehl_cook_validation") == 0
    (folder,) = (tmp_path / dc.VALIDATION_EXPERIMENT).iterdir()
    assert json.loads((folder / "status.json").read_text())["state"] == "complete"
    scan = json.loads((folder / dc.VALIDATION_FILE).read_text())
    assert [row["epochs"] for row in scan["rows"]] == [1, 2]
    assert all(row["n_train"] == 8 and row["n_validation"] == 2 for row in scan["rows"])
    config = json.loads((folder / "config.json").read_text())
    assert config["experiment"] == dc.VALIDATION_EXPERIMENT and config["config"]["max_epochs"] == 2
    assert config["config"]["network"]["n_excitatory"] == 4 and config["seeds"] == {"weights_and_inputs": 0}
    assert "largest value tried: 2" in (folder / "log.txt").read_text()
    assert "largest value tried: 2" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["--max-epochs", "2", "--score-from", "3"], ["--fraction", "1.0"],
                                  ["--n-excitatory", "1"], ["--n-train", "1"]])
def test_bad_options_are_refused(argv, tmp_path):
    with pytest.raises(SystemExit) as stop:
        dc.main([*argv, "--results", str(tmp_path)])
    assert stop.value.code == 2
    assert not (tmp_path / dc.VALIDATION_EXPERIMENT).exists()
