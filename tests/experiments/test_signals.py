"""SIGINT (Ctrl-C) and SIGTERM stop a run at a safe point (between engine runs, never inside a
JAX call): status.json says "interrupted" with the signal's name, every file is complete, and the
exit code is 130 or 143."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from experiments.run_folder import RunFolder, RunInterrupted, check_interrupt, run_script, stop_on_signals

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_only_sets_a_flag_until_a_safe_point(signum, code):
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    with pytest.raises(RunInterrupted) as stopped:
        with stop_on_signals():
            check_interrupt()  # nothing pending: no-op
            os.kill(os.getpid(), signum)
            time.sleep(0.01)  # the handler has run; it did not raise
            reached = True
            check_interrupt()
    assert reached
    assert stopped.value.exit_code == code and stopped.value.signal_name == signal.Signals(signum).name
    assert isinstance(stopped.value, KeyboardInterrupt)
    assert {s: signal.getsignal(s) for s in before} == before  # previous handlers restored
    check_interrupt()  # outside the block: no-op


def test_a_second_signal_stops_at_once():
    with pytest.raises(RunInterrupted) as stopped:
        with stop_on_signals():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.01)
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(100):  # the handler raises at the next bytecode
                time.sleep(0.01)
            raise AssertionError("the second signal did not stop the block")
    assert stopped.value.signal_name == "SIGINT"


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_run_script_records_the_signal_and_returns_its_exit_code(tmp_path, signum, code):
    def body(folder):
        folder.set_stage("train")
        folder.write_json("partial.json", {"done": 1})
        os.kill(os.getpid(), signum)
        time.sleep(0.01)
        folder.set_stage("test")  # a safe point: the run stops here, still in stage "train"
        raise AssertionError("not stopped at the stage change")

    assert run_script("demo", tmp_path, {}, {}, body) == code
    (folder,) = (tmp_path / "demo").iterdir()
    status = json.loads((folder / "status.json").read_text())
    assert status["state"] == "interrupted" and status["stage"] == "train"
    assert status["signal"] == signal.Signals(signum).name
    assert json.loads((folder / "partial.json").read_text()) == {"done": 1}
    assert f"interrupted ({'Ctrl-C' if signum == signal.SIGINT else 'SIGTERM'}) during stage 'train'" in \
        (folder / "log.txt").read_text()
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]


def test_plain_keyboard_interrupt_is_still_recorded(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with RunFolder(tmp_path, "demo", {}, {}) as folder:
            raise KeyboardInterrupt
    status = json.loads((folder.path / "status.json").read_text())
    assert status["state"] == "interrupted" and status["signal"] == "SIGINT"


def _status(results: Path) -> dict | None:
    for path in results.glob("energy_vs_dense/*/status.json"):
        try:
            return json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):  # written atomically, but be safe
            return None
    return None


@pytest.mark.parametrize("module, signum, code", [("experiments.main_job", signal.SIGTERM, 143),
                                                  ("experiments.energy_vs_dense", signal.SIGINT, 130)])
def test_main_job_stops_cleanly_on_a_signal_during_training(tmp_path, module, signum, code):
    """The main job (``make run``'s module, on small sizes) gets the signal once it is training: it
    exits with 128 + the signal number (no segfault, no traceback) and status.json says interrupted."""
    command = [sys.executable, "-m", module, "--quick", "--n-excitatory", "10",
               "--no-progress", "--no-analog-accuracy", "--results", str(tmp_path)]
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "JAX_PLATFORMS": "cpu"}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            status = _status(tmp_path)
            if status and status["state"] == "running" and status["stage"] == "train":
                break
            time.sleep(0.05)
        assert process.poll() is None, f"the run ended before training: {process.communicate()}"
        process.send_signal(signum)
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == code, (process.returncode, err[-2000:])
    assert "Traceback" not in err and "interrupted" in err
    (folder,) = (tmp_path / "energy_vs_dense").iterdir()
    status = json.loads((folder / "status.json").read_text())
    assert status["state"] == "interrupted" and status["signal"] == signal.Signals(signum).name
    assert status["stage"] in ("train", "label", "test")
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]
