"""Run folders: ``results/<experiment>/<timestamp>/`` with the resolved config, seeds, package
versions, a log and every result file, each written atomically (temp file then rename).

A new folder is created for every run (a suffix is added if the timestamp is taken), so an
earlier run is never overwritten. ``status.json`` says whether the run finished, was
interrupted (Ctrl-C) or failed, and which stage it reached: every file present is complete.
"""

from __future__ import annotations

import datetime as _dt
import platform
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from spikenet.io import write_json, write_npz

PACKAGES = ("spikenet", "numpy", "jax", "jaxlib", "scikit-learn", "matplotlib", "brian2", "scipy")
REPRICING_FILE = "repricing.json"


def package_versions() -> dict[str, str | None]:
    """Installed versions of the packages a run depends on (``None``: not installed)."""
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    versions["python"] = platform.python_version()
    return versions


def _atomic_text(path: Path, text: str) -> None:
    import os
    import tempfile

    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(handle, "w") as stream:
        stream.write(text)
    os.replace(name, path)


class RunFolder:
    """One run's folder; use as a context manager so that an exception or Ctrl-C is recorded.

    Parameters
    ----------
    root : Path
        Results root (``results``); the folder is ``root / experiment / <UTC timestamp>``.
    experiment : str
        Experiment name.
    config : dict
        The resolved configuration (every option's value, defaults included).
    seeds : dict
        Every seed used, by purpose.
    """

    def __init__(self, root: Path, experiment: str, config: dict[str, Any], seeds: dict[str, int]) -> None:
        stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        base = Path(root) / experiment
        base.mkdir(parents=True, exist_ok=True)
        for k in range(1000):
            path = base / (stamp if k == 0 else f"{stamp}-{k}")
            try:
                path.mkdir()
                break
            except FileExistsError:
                continue
        else:  # pragma: no cover - a thousand runs in one second
            raise RuntimeError(f"cannot create a new run folder under {base}")
        self.path = path
        self.experiment = experiment
        self.started = time.time()
        self.lines: list[str] = []
        self.stage = "started"
        write_json(path / "config.json", {"experiment": experiment, "config": config, "seeds": seeds,
                                          "command": sys.argv})
        write_json(path / "environment.json", {"packages": package_versions(), "platform": platform.platform(),
                                               "machine": platform.machine()})
        self._status("running")

    def _status(self, state: str, error: str | None = None) -> None:
        write_json(self.path / "status.json", {"state": state, "stage": self.stage, "error": error,
                                               "elapsed_s": time.time() - self.started})

    def log(self, message: str, echo: bool = True) -> None:
        """Append a line to ``log.txt`` (the file is rewritten atomically) and print it."""
        stamp = f"[{time.time() - self.started:8.1f} s]"
        self.lines.append(f"{stamp} {message}")
        _atomic_text(self.path / "log.txt", "\n".join(self.lines) + "\n")
        if echo:
            print(message, flush=True)

    def set_stage(self, stage: str) -> None:
        self.stage = stage
        self._status("running")

    def write_json(self, name: str, data: Any) -> Path:
        return write_json(self.path / name, data)

    def write_npz(self, name: str, **arrays: np.ndarray) -> Path:
        return write_npz(self.path / name, **arrays)

    def file(self, name: str) -> Path:
        """Path for a file written by another atomic writer (figures)."""
        return self.path / name

    def __enter__(self) -> "RunFolder":
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        if kind is None:
            self.stage = "done"
            self._status("complete")
        elif issubclass(kind, KeyboardInterrupt):
            self.log(f"interrupted (Ctrl-C) during stage {self.stage!r}; files present are complete")
            self._status("interrupted")
        else:
            self.log(f"failed during stage {self.stage!r}: {type(error).__name__}: {error}")
            self._status("failed", f"{type(error).__name__}: {error}")
        return False


def latest_run(root: Path, experiment: str) -> Path | None:
    """The newest run folder of ``experiment`` (``None`` if there is none)."""
    base = Path(root) / experiment
    runs = sorted(p for p in base.iterdir() if p.is_dir()) if base.is_dir() else []
    return runs[-1] if runs else None
