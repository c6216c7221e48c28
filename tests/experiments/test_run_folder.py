"""Run folders: one new folder per run, atomic files, a consistent folder after Ctrl-C."""

import json

import pytest

from experiments.run_folder import RunFolder, latest_run


def test_runs_never_overwrite_each_other(tmp_path):
    first = RunFolder(tmp_path, "demo", {"a": 1}, {"seed": 0})
    second = RunFolder(tmp_path, "demo", {"a": 2}, {"seed": 0})
    assert first.path != second.path and first.path.parent == second.path.parent == tmp_path / "demo"
    assert json.loads((first.path / "config.json").read_text())["config"] == {"a": 1}
    assert latest_run(tmp_path, "demo") == max(first.path, second.path)


def test_ctrl_c_leaves_a_consistent_folder(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with RunFolder(tmp_path, "demo", {}, {}) as folder:
            folder.set_stage("train")
            folder.write_json("partial.json", {"done": 3})
            raise KeyboardInterrupt
    status = json.loads((folder.path / "status.json").read_text())
    assert status["state"] == "interrupted" and status["stage"] == "train"
    assert json.loads((folder.path / "partial.json").read_text()) == {"done": 3}
    assert "interrupted" in (folder.path / "log.txt").read_text()
    assert not [p for p in folder.path.iterdir() if p.name.startswith(".")]


def test_failure_is_recorded(tmp_path):
    with pytest.raises(ValueError):
        with RunFolder(tmp_path, "demo", {}, {}) as folder:
            raise ValueError("boom")
    status = json.loads((folder.path / "status.json").read_text())
    assert status["state"] == "failed" and "boom" in status["error"]
