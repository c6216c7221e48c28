"""The ``spikenet`` command: list experiments and chips, run an experiment into a run folder,
re-price a saved run on another chip, validate against Brian2, show a chip's coefficients.

Exit codes: 0 success, 2 bad usage (argparse), 1 failure (one line on stderr saying why).

Examples
--------
``spikenet list`` · ``spikenet run energy_vs_dense --quick`` · ``spikenet run coba --help`` ·
``spikenet energy results/energy_vs_dense/<timestamp> --chip loihi`` · ``spikenet validate`` ·
``spikenet chips loihi``
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from experiments.run_folder import REPRICING_FILE, RunFolder


@dataclass(frozen=True)
class Experiment:
    """How the CLI runs one experiment module.

    ``style``: ``own_folder`` (the module makes its run folder and parses its options),
    ``out_option`` (argparse main with ``--out DIR``: the CLI passes its run folder),
    ``output_dir`` (``main(output_dir=...)``, no options), ``plain`` (``main()``, no options,
    output printed to the log).
    """

    module: str
    style: str
    summary: str


EXPERIMENTS = {
    "energy_vs_dense": Experiment("experiments.energy_vs_dense", "own_folder",
                                  "main job: Diehl & Cook STDP net on digits vs dense MLP, energy on every chip"),
    "coba": Experiment("experiments.coba", "out_option", "Vogels & Abbott COBA network (Brette 2007 benchmark 1)"),
    "energy_vs_activity": Experiment("experiments.energy_vs_activity", "out_option",
                                     "energy per inference vs firing rate on every chip; crossover with dense"),
    "song_abbott_2000": Experiment("experiments.song_abbott_2000", "out_option",
                                   "competitive Hebbian STDP: bimodal weights (Song, Miller & Abbott 2000)"),
    "neuron_gallery": Experiment("experiments.neuron_gallery", "output_dir", "firing patterns of every neuron model"),
    "custom_neuron": Experiment("experiments.custom_neuron", "output_dir", "a user-written QIF neuron on the engine"),
    "custom_rule": Experiment("experiments.custom_rule", "plain", "a user-written plasticity rule in ~20 lines"),
    "brunel2000": Experiment("experiments.brunel2000", "out_option",
                             "Brunel (2000) E-I network: SR, SI-fast, AI and SI-slow states"),
    "stdp_plasticity_figures": Experiment("experiments.stdp_plasticity_figures", "out_option",
                                          "STDP window, triplet rule vs Sjöström 2001, distal reward credit"),
}


class CliError(Exception):
    """A failure reported as one line with exit code 1."""


def _names(choices) -> str:
    return ", ".join(sorted(choices))


def _capture_output(function: Callable[[], Any], folder: RunFolder) -> Any:
    """Run ``function``, echoing its stdout and copying it into the run folder's log."""
    import contextlib
    import io

    buffer = io.StringIO()

    class Tee(io.TextIOBase):
        def write(self, text: str) -> int:
            sys.__stdout__.write(text)
            buffer.write(text)
            return len(text)

    with contextlib.redirect_stdout(Tee()):
        value = function()
    for line in buffer.getvalue().splitlines():
        folder.log(line, echo=False)
    return value


def run_experiment(name: str, argv: list[str], results: Path) -> int:
    """``spikenet run NAME [options]``."""
    if name not in EXPERIMENTS:
        raise CliError(f"unknown experiment {name!r}; valid: {_names(EXPERIMENTS)}")
    spec = EXPERIMENTS[name]
    module = importlib.import_module(spec.module)
    prog = f"spikenet run {name}"
    if spec.style == "own_folder":
        return int(module.main(["--results", str(results), *argv], prog=prog) or 0)
    if spec.style == "out_option":
        if argv and argv[0] in ("-h", "--help"):
            program, sys.argv[0] = sys.argv[0], prog
            try:
                module.main(["--help"])
            finally:
                sys.argv[0] = program
            return 0
    else:
        parser = argparse.ArgumentParser(prog=prog, description=(module.__doc__ or name).split("\n\n")[0])
        parser.parse_args(argv)
    with RunFolder(results, name, {"argv": argv, "module": spec.module}, {}) as folder:
        folder.log(f"spikenet run {name} {' '.join(argv)} -> {folder.path}")
        if spec.style == "out_option":
            _capture_output(lambda: module.main(["--out", str(folder.path), *argv]), folder)
        elif spec.style == "output_dir":
            _capture_output(lambda: module.main(output_dir=str(folder.path)), folder)
        else:
            _capture_output(module.main, folder)
        folder.log(f"wrote {folder.path}")
    return 0


def reprice(run_dir: Path, chip_name: str, as_json: bool) -> int:
    """``spikenet energy RUN_DIR --chip NAME``: price the saved counts on another chip (no simulation)."""
    import hardware

    if chip_name not in hardware.available_chips():
        raise CliError(f"unknown chip {chip_name!r}; valid: {_names(hardware.available_chips())}")
    info_path = run_dir / REPRICING_FILE
    if not info_path.is_file():
        raise CliError(f"{run_dir} has no {REPRICING_FILE}: not a run folder of a repriceable experiment "
                       f"(energy_vs_dense writes one)")
    info = json.loads(info_path.read_text())
    module_name, function_name = info["builder"].split(":")
    builder = getattr(importlib.import_module(module_name), function_name)
    network, counts, inferences = builder(run_dir)
    chip = hardware.get_chip(chip_name)
    try:
        if chip.kind == "dense":
            baseline = hardware.dense_baseline(counts, network, chip, inferences)
            reports = {"SNN as equivalent ANN": baseline.ann, "SNN clock-driven": baseline.clock_driven}
        else:
            reports = {"SNN": hardware.estimate(counts, network, chip, inferences=inferences)}
    except hardware.HardwareModelError as error:
        raise CliError(f"{chip_name}: {str(error).splitlines()[0]}") from None
    if as_json:
        print(json.dumps({k: r.to_dict() for k, r in reports.items()}, indent=2))
    else:
        print(f"{run_dir}: {inferences} inferences, {counts.steps:,} steps of {counts.dt} ms")
        for label, report in reports.items():
            print(f"[{label}] " + report.summary())
            print(f"  EDP {report.edp_js:.4g} J·s per inference")
    return 0


TOLERANCES = {
    "test_single_lif_neuron_spike_times_identical_to_brian2": "spike times equal within 1e-9 ms (float64)",
    "test_membrane_trace_matches_brian2": "membrane trace equal within 1e-9 mV (float64)",
    "test_coba_rates_and_isi_cv_match_brian2": "rates within 10 %, mean ISI CV within 10 %, CV quartiles within 0.1",
    "test_cuba_rates_and_isi_cv_match_brian2": "rates within 10 %, mean ISI CV within 10 %, CV quartiles within 0.1",
}
PARITY_TESTS = ("tests/test_brian2_parity.py", "tests/test_network_parity.py")


def parity_test_notes(root: Path) -> dict[str, str]:
    """First docstring line of every test function in the parity files (a fallback tolerance note)."""
    import ast

    notes = {}
    for name in PARITY_TESTS:
        for node in ast.walk(ast.parse((root / name).read_text())):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                doc = ast.get_docstring(node) or ""
                notes[node.name] = " ".join(doc.split())[:110] or "see the test"
    return notes


def validate(root: Path, extra: list[str]) -> int:
    """``spikenet validate``: run the Brian2 parity tests with pytest and print a report."""
    import re

    missing = [t for t in PARITY_TESTS if not (root / t).is_file()]
    if missing:
        raise CliError(f"parity tests not found under {root}: {missing} (run from a spikenet checkout or pass --root)")
    command = [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", *PARITY_TESTS, *extra]
    print("running: " + " ".join(command), flush=True)
    done = subprocess.run(command, cwd=root, capture_output=True, text=True)
    outcomes = re.findall(r"::(\w+)(\[[^\]]*\])? (PASSED|FAILED|ERROR|SKIPPED|XFAIL)", done.stdout)
    notes = {**parity_test_notes(root), **TOLERANCES}
    print(f"\nBrian2 parity report ({root})")
    print(f"{'test':62s} {'result':8s} tolerance")
    for test, parameters, outcome in outcomes:
        print(f"{(test + parameters)[:62]:62s} {outcome:8s} {notes.get(test, 'see the test')}")
    tail = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr.strip()[-200:]
    print(tail)
    if done.returncode != 0:
        raise CliError(f"Brian2 parity failed (pytest exit {done.returncode}): {tail}")
    return 0


def show_chip(name: str, as_json: bool) -> int:
    """``spikenet chips NAME``: every coefficient of a chip with its source."""
    import hardware

    if name not in hardware.available_chips():
        raise CliError(f"unknown chip {name!r}; valid: {_names(hardware.available_chips())}")
    chip = hardware.get_chip(name)
    if as_json:
        print(json.dumps(chip.to_dict(), indent=2, default=str))
        return 0
    print(f"{chip.name} ({chip.kind}){': ' + chip.label if getattr(chip, 'label', '') else ''}")
    for key, coefficient in chip.all_coefficients().items():
        print(f"  {key:34s} {coefficient.value:<12.6g} {coefficient.unit:10s} {coefficient.citation()}")
    return 0


def list_all() -> int:
    import hardware

    print("experiments (spikenet run NAME --help):")
    for name, spec in EXPERIMENTS.items():
        print(f"  {name:20s} {spec.summary}")
    print("chips (spikenet chips NAME):")
    for name in hardware.available_chips():
        print(f"  {name:22s} {hardware.get_chip(name).kind}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spikenet", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("list", help="experiments and chips", description="List experiments and chip presets.")
    run = commands.add_parser("run", help="run an experiment into results/<name>/<timestamp>/", add_help=False,
                              description="Run an experiment; `spikenet run NAME --help` shows its options.")
    run.add_argument("name", nargs="?", help=f"one of: {_names(EXPERIMENTS)}")
    run.add_argument("--results", type=Path, default=Path("results"), help=argparse.SUPPRESS)
    energy = commands.add_parser("energy", help="re-price a saved run on a chip (no simulation)",
                                 description="Re-price a saved run's activity counts on another chip.")
    energy.add_argument("run_dir", type=Path, help="a run folder, e.g. results/energy_vs_dense/<timestamp>")
    energy.add_argument("--chip", required=True, help="chip preset (spikenet list)")
    energy.add_argument("--json", action="store_true", help="print the reports as JSON")
    validate_parser = commands.add_parser("validate", help="Brian2 parity tests with a tolerance report",
                                          description="Run the Brian2 parity tests (pytest) and print a report.")
    validate_parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                                 help="spikenet checkout holding tests/")
    chips = commands.add_parser("chips", help="a chip's coefficients with sources",
                                description="Show a chip preset's coefficients with their sources.")
    chips.add_argument("name", help="chip preset (spikenet list)")
    chips.add_argument("--json", action="store_true", help="print as JSON")
    return parser


def dispatch(argv: list[str]) -> int:
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if args.command == "run":
        if args.name is None:
            if rest and rest[0] in ("-h", "--help"):
                _run_help(parser)
                return 0
            parser.error(f"run needs an experiment name; valid: {_names(EXPERIMENTS)}")
        if args.name not in EXPERIMENTS:
            parser.error(f"unknown experiment {args.name!r}; valid: {_names(EXPERIMENTS)}")
        return run_experiment(args.name, rest, args.results)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "list":
        return list_all()
    if args.command == "energy":
        return reprice(args.run_dir, args.chip, args.json)
    if args.command == "validate":
        return validate(args.root, [])
    return show_chip(args.name, args.json)


def _run_help(parser: argparse.ArgumentParser) -> None:
    print("usage: spikenet run NAME [options]\n\nRun an experiment into results/NAME/<timestamp>/; "
          "`spikenet run NAME --help` shows its options.\n\nexperiments:")
    for name, spec in EXPERIMENTS.items():
        print(f"  {name:20s} {spec.summary}")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``spikenet`` command; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        return dispatch(argv)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except KeyboardInterrupt:
        print("spikenet: interrupted", file=sys.stderr)
        return 1
    except CliError as error:
        print(f"spikenet: error: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # noqa: BLE001 - the CLI's contract: one line, exit 1
        first = str(error).splitlines()[0] if str(error) else ""
        print(f"spikenet: error: {type(error).__name__}: {first}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
