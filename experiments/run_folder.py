"""Run folders: ``results/<experiment>/<timestamp>/`` with the resolved config, seeds, package
versions, a log and every result file, each written atomically (temp file then rename).

A new folder is created for every run (a suffix is added if the timestamp is taken), so an
earlier run is never overwritten. ``status.json`` says whether the run finished, was
interrupted (Ctrl-C or SIGTERM: ``"signal"`` names it) or failed, and which stage it reached:
every file present is complete.

Signals: inside :func:`stop_on_signals` (which :func:`run_script` and the main job use) SIGINT
and SIGTERM only set a flag; the run stops at the next safe point — between two engine runs
(:func:`check_interrupt`, called by the experiments' loops), a stage change or a result file
written — never inside a JAX call, records ``interrupted`` and exits with 130 (SIGINT) or 143
(SIGTERM). A second signal stops at once.

Experiments that simulate on the engine also write ``activity_counts.json``
(:meth:`spikenet.ActivityCounts.to_dict` of the run, or ``{"runs": {label: ...}}`` for several
simulations) and ``network.json`` (how to rebuild each counted network, no simulation), which
``spikenet energy RUN_DIR --chip NAME`` reads to price the run on another chip.

Every experiment script uses :func:`run_script`, which is also what ``spikenet run NAME`` calls.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import importlib
import io
import json
import platform
import re
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

import numpy as np

from spikenet.io import write_json, write_npz

PACKAGES = ("spikenet", "numpy", "jax", "jaxlib", "scikit-learn", "matplotlib", "brian2", "scipy")
REPRICING_FILE = "repricing.json"
COUNTS_FILE = "activity_counts.json"
NETWORK_FILE = "network.json"


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


# ------------------------------------------------------------------ signals --

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class RunInterrupted(KeyboardInterrupt):
    """A run stopped by a signal at a safe point (a KeyboardInterrupt, so Ctrl-C handlers apply).

    Attributes
    ----------
    signal_name : str
        ``"SIGINT"`` or ``"SIGTERM"``.
    exit_code : int
        128 + the signal number: 130 for SIGINT, 143 for SIGTERM.
    """

    def __init__(self, signum: int) -> None:
        self.signum = int(signum)
        self.signal_name = signal.Signals(signum).name
        self.exit_code = 128 + self.signum
        super().__init__(f"stopped by {self.signal_name}")


class _StopRequest:
    """The flag the handlers set (one per process)."""

    pending: int | None = None  # signal number received and not yet acted on
    stopping = False  # RunInterrupted raised: later signals are ignored
    depth = 0  # nesting of stop_on_signals


def check_interrupt() -> None:
    """Raise :class:`RunInterrupted` if SIGINT or SIGTERM arrived inside :func:`stop_on_signals`.

    Call it at safe points of a long loop, between engine runs; outside :func:`stop_on_signals`,
    or off the main thread, it does nothing."""
    signum = _StopRequest.pending
    if signum is None or _StopRequest.stopping or threading.current_thread() is not threading.main_thread():
        return
    _StopRequest.stopping = True
    raise RunInterrupted(signum)


def _handle_stop_signal(signum: int, frame: Any) -> None:
    name = signal.Signals(signum).name
    if _StopRequest.stopping:
        return
    if _StopRequest.pending is None:
        _StopRequest.pending = signum
        print(f"\n{name} received: stopping at the next safe point (between simulations); send it again to stop now",
              file=sys.stderr, flush=True)
        return
    _StopRequest.stopping = True  # a second signal: stop now, wherever the run is
    raise RunInterrupted(signum)


@contextlib.contextmanager
def stop_on_signals(signals: tuple[int, ...] = STOP_SIGNALS):
    """Within the block, SIGINT and SIGTERM set a flag that :func:`check_interrupt` turns into
    :class:`RunInterrupted` at the next safe point (a second signal raises it at once); the
    previous handlers are restored on exit. Nested blocks share the outer one's handlers; off the
    main thread (where handlers cannot be installed) the block changes nothing."""
    if _StopRequest.depth or threading.current_thread() is not threading.main_thread():
        _StopRequest.depth += 1
        try:
            yield
        finally:
            _StopRequest.depth -= 1
        return
    previous = {}
    _StopRequest.pending, _StopRequest.stopping = None, False
    _StopRequest.depth += 1
    try:
        for number in signals:
            previous[number] = signal.signal(number, _handle_stop_signal)
        yield
    finally:
        _StopRequest.depth -= 1
        for number, handler in previous.items():
            signal.signal(number, handler)
        _StopRequest.pending, _StopRequest.stopping = None, False


def interrupt_exit_code(error: BaseException, default: int = 1) -> int:
    """The exit code for an interrupted run: 130 (SIGINT) or 143 (SIGTERM) for
    :class:`RunInterrupted`, ``default`` for a KeyboardInterrupt raised otherwise."""
    return getattr(error, "exit_code", default)


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
        self._capturing = False
        write_json(path / "config.json", {"experiment": experiment, "config": config, "seeds": seeds,
                                          "command": sys.argv})
        write_json(path / "environment.json", {"packages": package_versions(), "platform": platform.platform(),
                                               "machine": platform.machine()})
        self._status("running")

    def _status(self, state: str, error: str | None = None, signal_name: str | None = None) -> None:
        status = {"state": state, "stage": self.stage, "error": error, "elapsed_s": time.time() - self.started}
        if signal_name is not None:
            status["signal"] = signal_name
        write_json(self.path / "status.json", status)

    def log(self, message: str, echo: bool = True) -> None:
        """Append a line to ``log.txt`` (the file is rewritten atomically) and print it."""
        if echo and self._capturing:  # printed through the capture, which logs it
            print(message, flush=True)
            return
        stamp = f"[{time.time() - self.started:8.1f} s]"
        self.lines.append(f"{stamp} {message}")
        _atomic_text(self.path / "log.txt", "\n".join(self.lines) + "\n")
        if echo:
            print(message, flush=True)

    def set_stage(self, stage: str) -> None:
        """Record the stage now running (a safe point: a pending stop signal is acted on first)."""
        check_interrupt()
        self.stage = stage
        self._status("running")

    def write_json(self, name: str, data: Any) -> Path:
        """Write a result file atomically (then act on a pending stop signal)."""
        path = write_json(self.path / name, data)
        check_interrupt()
        return path

    def write_npz(self, name: str, **arrays: np.ndarray) -> Path:
        path = write_npz(self.path / name, **arrays)
        check_interrupt()
        return path

    def file(self, name: str) -> Path:
        """Path for a file written by another atomic writer (figures)."""
        return self.path / name

    def record_counts(self, counts: Any, label: str | None = None, builder: Callable | None = None,
                      kwargs: dict[str, Any] | None = None, inferences: int = 1) -> None:
        """Write the run's :class:`spikenet.ActivityCounts` (see :func:`record_counts`)."""
        record_counts(self.path, counts, label, builder, kwargs, inferences)
        check_interrupt()

    @contextlib.contextmanager
    def capture_output(self):
        """Copy every line printed to stdout inside the block into ``log.txt`` (still printed)."""
        folder, target = self, sys.stdout

        class Tee(io.TextIOBase):
            pending = ""

            def write(self, text: str) -> int:
                target.write(text)
                self.pending += text
                *lines, self.pending = self.pending.split("\n")
                for line in lines:
                    folder.log(line, echo=False)
                return len(text)

            def flush(self) -> None:
                target.flush()

        tee = Tee()
        self._capturing = True
        try:
            with contextlib.redirect_stdout(tee):
                yield self
        finally:
            self._capturing = False
            if tee.pending:
                self.log(tee.pending, echo=False)

    def __enter__(self) -> "RunFolder":
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        if kind is None:
            self.stage = "done"
            self._status("complete")
        elif issubclass(kind, KeyboardInterrupt):
            signal_name = getattr(error, "signal_name", "SIGINT")
            how = "Ctrl-C" if signal_name == "SIGINT" else signal_name
            self.log(f"interrupted ({how}) during stage {self.stage!r}; files present are complete")
            self._status("interrupted", signal_name=signal_name)
        else:
            self.log(f"failed during stage {self.stage!r}: {type(error).__name__}: {error}")
            self._status("failed", f"{type(error).__name__}: {error}")
        return False


def latest_run(root: Path, experiment: str) -> Path | None:
    """The newest run folder of ``experiment`` (``None`` if there is none)."""
    base = Path(root) / experiment
    runs = sorted(p for p in base.iterdir() if p.is_dir()) if base.is_dir() else []
    return runs[-1] if runs else None


# ------------------------------------------------------------------ counts and re-pricing --

NETWORK_BUILDERS: dict[str, Callable[..., Any]] = {}
_BUILDER_NAME = re.compile(r"^experiments\.[a-z_][a-z0-9_]*:[A-Za-z_][A-Za-z0-9_]*$")


class RunFolderError(ValueError):
    """A run folder's file is missing, malformed or inconsistent (one line naming the file)."""


def network_builder(function: Callable[..., Any]) -> Callable[..., Any]:
    """Register ``function`` (JSON keyword arguments -> ``spikenet.Network``) as a builder that
    ``spikenet energy`` may call to rebuild a counted network. Only registered functions of
    ``experiments.*`` modules are ever called from a ``network.json``."""
    NETWORK_BUILDERS.setdefault(_builder_name(function), function)
    return function


def _builder_name(function: Callable[..., Any]) -> str:
    """``module:function``, with the module's import name when it runs as ``python -m module``."""
    module = function.__module__
    if module == "__main__":
        spec = getattr(sys.modules["__main__"], "__spec__", None)
        module = spec.name if spec is not None else module
    return f"{module}:{function.__name__}"


def record_counts(directory: Path, counts: Any, label: str | None = None, builder: Callable | None = None,
                  kwargs: dict[str, Any] | None = None, inferences: int = 1) -> None:
    """Write ``activity_counts.json`` and ``network.json`` into ``directory`` (atomically).

    One simulation (``label=None``): ``activity_counts.json`` is ``counts.to_dict()`` and
    ``network.json`` is ``{"builder": "module:function", "kwargs": {...}, "inferences": n}``.
    Several simulations (a ``label`` each, recorded one after the other): ``{"runs": {label: ...}}``
    in both files, rewritten after each, so an interrupted run keeps the counts it finished.
    ``builder`` must be decorated with :func:`network_builder`; ``None``: the network cannot be
    rebuilt (``spikenet energy`` then prices only what needs no mapping).
    """
    directory = Path(directory)
    if builder is not None:
        name = _builder_name(builder)
        if name not in NETWORK_BUILDERS:
            raise ValueError(f"{name} is not registered with @network_builder")
        network = {"builder": name, "kwargs": dict(kwargs or {}), "inferences": int(inferences)}
    else:
        network = {"builder": None, "kwargs": {}, "inferences": int(inferences)}
    if label is None:
        write_json(directory / COUNTS_FILE, counts.to_dict())
        write_json(directory / NETWORK_FILE, network)
        return
    stored_counts, stored_networks = {}, {}
    if (directory / COUNTS_FILE).is_file():
        stored_counts = json.loads((directory / COUNTS_FILE).read_text()).get("runs", {})
        if (directory / NETWORK_FILE).is_file():
            stored_networks = json.loads((directory / NETWORK_FILE).read_text()).get("runs", {})
    stored_counts[label] = counts.to_dict()
    stored_networks[label] = network
    write_json(directory / COUNTS_FILE, {"runs": stored_counts})
    write_json(directory / NETWORK_FILE, {"runs": stored_networks})


@dataclass
class SavedRun:
    """One counted simulation of a run folder, as ``spikenet energy`` reads it."""

    label: str | None
    counts: Any
    builder: str | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    inferences: int = 1
    network_file: str = NETWORK_FILE


def read_json(path: Path) -> Any:
    """``json.loads`` of a file; :class:`RunFolderError` naming the file if it is unreadable or malformed."""
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise RunFolderError(f"{path}: malformed JSON ({error.msg} at line {error.lineno}, column {error.colno})") from None
    except (OSError, UnicodeDecodeError) as error:
        raise RunFolderError(f"{path}: cannot be read ({error})") from None


def _counts_from(path: Path, data: Any, where: str) -> Any:
    from spikenet.counts import ActivityCounts
    from spikenet.validation import SpikenetError

    if not isinstance(data, dict):
        raise RunFolderError(f"{path}: {where}expected a JSON object of activity counts; got {type(data).__name__}")
    try:  # the error names the file (and the run) through origin
        return ActivityCounts.from_dict(data, origin=f"{path}: {where[:-2]}" if where else str(path))
    except SpikenetError as error:
        raise RunFolderError(str(error).splitlines()[0]) from None
    except (TypeError, ValueError, AttributeError) as error:
        raise RunFolderError(f"{path}: {where}malformed activity counts ({type(error).__name__}: {error})") from None


def _network_entry(path: Path, entry: Any, where: str) -> tuple[str | None, dict[str, Any], int]:
    if not isinstance(entry, dict):
        raise RunFolderError(f"{path}: {where}expected a JSON object with 'builder', 'kwargs' and 'inferences'")
    builder, kwargs, inferences = entry.get("builder"), entry.get("kwargs", {}), entry.get("inferences", 1)
    if builder is not None and (not isinstance(builder, str) or not _BUILDER_NAME.match(builder)):
        raise RunFolderError(f"{path}: {where}'builder' must be 'experiments.<module>:<function>'; got {builder!r}")
    if not isinstance(kwargs, dict):
        raise RunFolderError(f"{path}: {where}'kwargs' must be a JSON object; got {type(kwargs).__name__}")
    if isinstance(inferences, bool) or not isinstance(inferences, int) or inferences < 1:
        raise RunFolderError(f"{path}: {where}'inferences' must be an integer >= 1; got {inferences!r}")
    return builder, kwargs, inferences


def read_counts(run_dir: Path) -> list[SavedRun]:
    """The counted simulations of a run folder (``activity_counts.json`` and, if present, ``network.json``).

    Raises
    ------
    RunFolderError
        The folder or its counts are missing, or a file is malformed (the message names it).
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunFolderError(f"{run_dir}: no such run folder")
    counts_path, network_path = run_dir / COUNTS_FILE, run_dir / NETWORK_FILE
    if not counts_path.is_file():
        raise RunFolderError(f"{run_dir} has no {COUNTS_FILE} (nor {REPRICING_FILE}): nothing to re-price; "
                             "the experiment did not simulate on the engine, or the run predates run folders")
    data = read_json(counts_path)
    networks = read_json(network_path) if network_path.is_file() else None
    if isinstance(data, dict) and "runs" in data and "dt_ms" not in data:
        runs = data["runs"]
        if not isinstance(runs, dict) or not runs:
            raise RunFolderError(f"{counts_path}: 'runs' must be a non-empty JSON object of activity counts")
        entries = networks.get("runs", {}) if isinstance(networks, dict) else {}
        if not isinstance(entries, dict):
            raise RunFolderError(f"{network_path}: 'runs' must be a JSON object")
        saved = []
        for label, counts in runs.items():
            builder, kwargs, inferences = (_network_entry(network_path, entries[label], f"runs[{label!r}]: ")
                                           if label in entries else (None, {}, 1))
            saved.append(SavedRun(label, _counts_from(counts_path, counts, f"runs[{label!r}]: "), builder, kwargs,
                                  inferences, str(network_path)))
        return saved
    builder, kwargs, inferences = (_network_entry(network_path, networks, "") if networks is not None
                                   else (None, {}, 1))
    return [SavedRun(None, _counts_from(counts_path, data, ""), builder, kwargs, inferences, str(network_path))]


def rebuild_network(saved: SavedRun) -> Any:
    """The network of a saved run, rebuilt (not simulated) by its registered builder; ``None`` if it has none.

    Raises
    ------
    RunFolderError
        The builder is unknown (not a registered ``experiments`` builder) or fails.
    """
    if saved.builder is None:
        return None
    module_name, function_name = saved.builder.split(":")
    try:
        importlib.import_module(module_name)
    except ImportError as error:
        raise RunFolderError(f"{saved.network_file}: builder module {module_name!r} cannot be imported ({error})") from None
    function = NETWORK_BUILDERS.get(saved.builder)
    if function is None:
        raise RunFolderError(f"{saved.network_file}: {saved.builder!r} is not a registered network builder")
    try:
        return function(**saved.kwargs)
    except Exception as error:  # noqa: BLE001 - any failure of an old folder's builder is reported
        first = str(error).splitlines()[0] if str(error) else ""
        raise RunFolderError(f"{saved.network_file}: {saved.builder}(**{saved.kwargs}) failed: "
                             f"{type(error).__name__}: {first}") from None


# ------------------------------------------------------------------ experiment scripts --

def add_results_option(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``--results ROOT``: the run folder is ``ROOT/<experiment>/<timestamp>/``."""
    parser.add_argument("--results", type=Path, default=Path("results"),
                        help="results root: the run folder is RESULTS/<experiment>/<UTC timestamp>/ (default: results)")
    return parser


def resolved_config(args: argparse.Namespace, **resolved: Any) -> dict[str, Any]:
    """Every option's value (defaults included; paths as strings), updated with ``resolved`` values."""
    config = {key: str(value) if isinstance(value, Path) else value for key, value in vars(args).items()}
    config.update(resolved)
    return config


def run_script(experiment: str, results: Path, config: dict[str, Any], seeds: dict[str, Any],
               body: Callable[[RunFolder], Any]) -> int:
    """Run ``body(folder)`` in a new run folder, copying its printed output into ``log.txt``.

    The one way every experiment script (and ``spikenet run NAME``) writes its results. Returns
    the exit code: 0; 130 or 143 after SIGINT (Ctrl-C) or SIGTERM, acted on at the next safe
    point (:func:`stop_on_signals`); 1 after a KeyboardInterrupt raised otherwise. ``status.json``
    then says ``interrupted`` and every file in the folder is complete. Other exceptions are
    recorded in ``status.json`` and re-raised.
    """
    with stop_on_signals():
        folder = RunFolder(results, experiment, config, seeds)
        try:
            with folder, folder.capture_output():
                folder.log(f"run folder {folder.path}")
                body(folder)
                folder.log(f"wrote {folder.path}")
        except KeyboardInterrupt as error:
            print(f"interrupted: {folder.path} holds complete files; status.json says where it stopped", file=sys.stderr)
            return interrupt_exit_code(error)
    return 0
