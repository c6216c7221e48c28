"""The ``spikenet`` command: list experiments and chips, run an experiment into a run folder,
re-price a saved run on another chip, validate against Brian2, show a chip's coefficients.

Exit codes: 0 success; 2 bad usage: an unknown experiment or chip name (the message lists the
valid ones), a missing or unknown option or argument; 1 failure: a missing run folder or file, a
malformed file (the message names the file and the field), a network that does not fit the chip, a
failed validation; 130 or 143: an experiment stopped by SIGINT (Ctrl-C) or SIGTERM (its run
folder's status.json says "interrupted"). Failures and unknown names print one line on stderr
saying why.

Examples
--------
``spikenet list`` · ``spikenet run energy_vs_dense --quick`` · ``spikenet run coba --help`` ·
``spikenet energy results/coba/<timestamp> --chip loihi`` · ``spikenet validate`` ·
``spikenet chips loihi`` ·
``spikenet energy --nir model.nir --dt 1 --input input.npz`` (bring your own network: a NIR graph run on
the samples of ``input.npz`` and priced on every chip and, as its dense twin, on every dense device;
here bad input — a missing or unreadable file, an npz without ``spikes``, wrong shapes, values other
than 0/1, dt out of range, a graph that cannot be imported — exits 2 with one line naming it)
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from experiments.run_folder import REPRICING_FILE, RunFolderError, SavedRun, read_counts, read_json, rebuild_network
from spikenet.validation import SpikenetError


@dataclass(frozen=True)
class Experiment:
    """An experiment the CLI can run: its module's ``main(argv, prog=...)`` parses the options
    (``--results ROOT`` included) and writes its own run folder ``ROOT/NAME/<timestamp>/``, exactly
    as ``python -m MODULE`` does."""

    module: str
    summary: str


EXPERIMENTS = {
    "energy_vs_dense": Experiment("experiments.energy_vs_dense",
                                  "main job: Diehl & Cook STDP net on digits vs dense MLP, energy on every chip"),
    "diehl_cook_validation": Experiment("experiments.diehl_cook",
                                        "the main job's number of STDP passes scanned on a validation split of the training set"),
    "coba": Experiment("experiments.coba", "Vogels & Abbott COBA network (Brette 2007 benchmark 1)"),
    "energy_vs_activity": Experiment("experiments.energy_vs_activity",
                                     "energy per inference vs firing rate on every chip; crossover with dense"),
    "song_abbott_2000": Experiment("experiments.song_abbott_2000",
                                   "competitive Hebbian STDP: bimodal weights (Song, Miller & Abbott 2000)"),
    "neuron_gallery": Experiment("experiments.neuron_gallery", "firing patterns of every neuron model"),
    "custom_neuron": Experiment("experiments.custom_neuron", "a user-written QIF neuron on the engine"),
    "custom_rule": Experiment("experiments.custom_rule", "a user-written plasticity rule in ~20 lines"),
    "brunel2000": Experiment("experiments.brunel2000", "Brunel (2000) E-I network: SR, SI-fast, AI and SI-slow states"),
    "microcircuit": Experiment("experiments.microcircuit",
                               "Potjans & Diesmann (2014) cortical microcircuit: rates, ISI CV, synchrony vs NEST"),
    "stdp_plasticity_figures": Experiment("experiments.stdp_plasticity_figures",
                                          "STDP window, triplet rule vs Sjöström 2001, distal reward credit"),
    "stdp_window": Experiment("experiments.stdp_window", "STDP window (Bi & Poo 1998 protocol) vs the configured exponentials"),
    "triplet_frequency": Experiment("experiments.triplet_frequency",
                                    "triplet STDP vs pairing frequency against Sjöström et al. (2001)"),
    "distal_reward": Experiment("experiments.distal_reward",
                                "Izhikevich (2007) distal reward task, closed loop: the rewarded synapse grows"),
    "izhikevich2007_network": Experiment("experiments.izhikevich2007_network", "Izhikevich (2007) Fig. 1: daspnet.m network, one rewarded synapse grows"),
    "eprop_pattern": Experiment("experiments.eprop_pattern", "e-prop on the Bellec 2020 pattern-generation task"),
    "rate_rules": Experiment("experiments.rate_rules", "Oja, GHA, BCM and homeostasis under their reference protocols"),
    "nir_conv_example": Experiment("experiments.nir_conv_example",
                                   "bring your own network: a small conv SNN as NIR, priced on every chip vs its dense twin"),
}
# repricing.json (energy_vs_dense folders) may only name these builders.
REPRICING_BUILDERS = ("experiments.energy_vs_dense:repricing_network",)


class CliError(Exception):
    """A failure reported as one line with exit code 1."""

    exit_code = 1


class UsageError(CliError):
    """Bad usage (an unknown experiment or chip name) reported as one line with exit code 2."""

    exit_code = 2


def _names(choices) -> str:
    return ", ".join(sorted(choices))


def run_experiment(name: str, argv: list[str], results: Path) -> int:
    """``spikenet run NAME [options]``: the experiment's own ``main`` with ``--results``, as its script runs."""
    if name not in EXPERIMENTS:
        raise UsageError(f"unknown experiment {name!r}; valid: {_names(EXPERIMENTS)}")
    module = importlib.import_module(EXPERIMENTS[name].module)
    return int(module.main(["--results", str(results), *argv], prog=f"spikenet run {name}") or 0)


@dataclass
class _Priceable:
    label: str | None
    network: Any
    counts: Any
    inferences: int
    source: str
    unbuilt: str | None = None  # why the network could not be rebuilt


def _from_repricing(run_dir: Path) -> _Priceable:
    """An energy_vs_dense folder (``repricing.json``: its builder rebuilds the frozen network)."""
    path = run_dir / REPRICING_FILE
    info = read_json(path)
    builder = info.get("builder") if isinstance(info, dict) else None
    if builder not in REPRICING_BUILDERS:
        raise CliError(f"{path}: 'builder' must be one of {list(REPRICING_BUILDERS)}; got {builder!r}")
    counts_name = info.get("counts")
    if isinstance(counts_name, str) and (run_dir / counts_name).is_file():
        _check_counts_file(run_dir / counts_name)  # surface a malformed counts file by its own name
    module_name, function_name = builder.split(":")
    function = getattr(importlib.import_module(module_name), function_name)
    try:
        network, counts, inferences = function(run_dir)
    except (OSError, KeyError, TypeError, ValueError) as error:
        first = str(error).splitlines()[0] if str(error) else ""
        raise CliError(f"{path}: cannot rebuild the run ({type(error).__name__}: {first})") from None
    return _Priceable(None, network, counts, int(inferences), REPRICING_FILE)


def _check_counts_file(path: Path) -> None:
    """Validate a counts file; :class:`CliError` naming the file and the field if it is malformed."""
    from spikenet.counts import ActivityCounts

    data = read_json(path)
    try:
        ActivityCounts.from_dict(data, origin=str(path))
    except SpikenetError as error:
        raise CliError(str(error).splitlines()[0]) from None
    except (TypeError, ValueError, AttributeError, OverflowError) as error:  # a counts reader without full checks
        raise CliError(f"{path}: malformed activity counts ({type(error).__name__}: {error})") from None


def _from_counts(saved: SavedRun) -> _Priceable:
    """A simulation of a folder with ``activity_counts.json``; its network rebuilt if ``network.json`` allows."""
    try:
        network, why = rebuild_network(saved), None
    except RunFolderError as error:
        network, why = None, str(error)
    if network is None and why is None:
        why = f"{saved.network_file} names no network builder"
    return _Priceable(saved.label, network, saved.counts, saved.inferences, saved.network_file, why)


def _price(item: _Priceable, chip: Any, regime: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """Reports of one counted simulation on ``chip`` and notes about how it was priced."""
    import hardware

    network, notes = item.network, []
    where = "" if item.label is None else f"run {item.label!r}: "
    if network is None and chip.kind != "digital":
        raise CliError(f"{where}{chip.name} ({chip.kind}) needs the network, which cannot be rebuilt "
                       f"({item.unbuilt}); digital chips can still price the counts")
    if network is None:
        notes.append(f"{where}network not rebuilt ({item.unbuilt}): spike routing unpriced, no fit check")
    try:
        if chip.kind == "dense":
            baseline = hardware.dense_baseline(item.counts, network, chip, item.inferences,
                                               regime=regime or chip.native_regime)
            return {"SNN as equivalent ANN": baseline.ann, "SNN clock-driven": baseline.clock_driven}, notes
        return {"SNN": hardware.estimate(item.counts, network, chip, inferences=item.inferences, regime=regime)}, notes
    except hardware.HardwareModelError as error:
        message = str(error).splitlines()[0]
        mismatch = message.startswith(("counts come from another network", "counts were recorded with dt"))
        if mismatch and chip.kind == "digital" and network is not None:
            notes.append(f"{where}the rebuilt network differs from the counted one ({message}); priced without it: "
                         "spike routing unpriced, no fit check")
            return {"SNN": hardware.estimate(item.counts, None, chip, inferences=item.inferences, regime=regime)}, notes
        raise CliError(f"{where}{chip.name}: {message}") from None


def _format_table(label: str, report: Any) -> str:
    header = (f"[{label}] {report.chip} ({report.kind}, {report.scope}"
              f"{', ' + report.regime if report.regime else ''})")
    lines = [header, f"  {'term':24s} {'energy (J)':>12s} {'share':>7s} {'count':>12s}  unit"]
    total = report.total_j
    for term in sorted(report.terms.values(), key=lambda t: -t.energy_j):
        share = f"{100 * term.energy_j / total:6.1f}%" if total > 0 else "      -"
        lines.append(f"  {term.name:24s} {term.energy_j:12.4g} {share} {term.count:12.4g}  {term.unit}")
    lines.append(f"  {'total':24s} {total:12.4g}  = static {report.static_j:.4g} + dynamic {report.dynamic_j:.4g} "
                 f"({report.regime} regime)")
    if report.latency_s > 0:
        edp = f"EDP {report.edp_js:.4g} J·s per inference"
    else:
        edp = "EDP n/a (no latency model for this chip: latency 0 is not a measurement)"
    lines.append(f"  {report.per_inference_j:.4g} J per inference ({report.inferences} inference{'s' if report.inferences != 1 else ''}); "
                 f"latency {report.latency_s:.4g} s per inference; {edp}")
    if report.unpriced:
        lines.append("  unpriced (total is a lower bound): " + "; ".join(report.unpriced))
    lines.extend(f"  note: {note}" for note in report.notes)
    return "\n".join(lines)


def reprice(run_dir: Path, chip_name: str, as_json: bool, regime: str | None = None) -> int:
    """``spikenet energy RUN_DIR --chip NAME``: price a saved run's counts on another chip (no simulation).

    Reads ``repricing.json`` (energy_vs_dense folders, which rebuild their trained network) or
    ``activity_counts.json`` (+ ``network.json``) written by every experiment that simulates on the
    engine; a folder with several simulations gets one report per simulation.
    """
    import hardware

    if chip_name not in hardware.available_chips():
        raise UsageError(f"unknown chip {chip_name!r}; valid: {_names(hardware.available_chips())}")
    if not run_dir.is_dir():
        raise CliError(f"{run_dir}: no such run folder")
    chip = hardware.get_chip(chip_name)
    try:
        if (run_dir / REPRICING_FILE).is_file():
            items = [_from_repricing(run_dir)]
        else:
            items = [_from_counts(saved) for saved in read_counts(run_dir)]
    except RunFolderError as error:
        raise CliError(str(error)) from None
    reports: dict[str, Any] = {}
    notes: list[str] = []
    for item in items:
        priced, item_notes = _price(item, chip, regime)
        notes += item_notes
        for name, report in priced.items():
            reports[name if item.label is None else f"{item.label}: {name}"] = report
    for note in notes:
        print(f"spikenet: note: {note}", file=sys.stderr)
    if as_json:
        print(json.dumps({k: r.to_dict() for k, r in reports.items()}, indent=2))
        return 0
    for item in items:
        print(f"{run_dir}{'' if item.label is None else ' [' + item.label + ']'}: {item.inferences} inference{'s' if item.inferences != 1 else ''}, "
              f"{item.counts.steps:,} steps of {item.counts.dt} ms, {item.counts.total_spikes:,} spikes, "
              f"{item.counts.total_synaptic_events:,} synaptic events")
    for name, report in reports.items():
        print(_format_table(name, report))
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
        raise UsageError(f"unknown chip {name!r}; valid: {_names(hardware.available_chips())}")
    chip = hardware.get_chip(name)
    if as_json:
        print(json.dumps(chip.to_dict(), indent=2, default=str))
        return 0
    print(f"{chip.name} ({chip.kind}){': ' + chip.label if getattr(chip, 'label', '') else ''}")
    print(f"  native regime: {chip.native_regime}")
    for key, coefficient in chip.all_coefficients().items():
        print(f"  {key:34s} {coefficient.value:<12.6g} {coefficient.unit:10s} {coefficient.citation()}")
    for title, sources in (("calibrated on", chip.calibration), ("validated on", chip.validation)):
        if sources:
            print(f"  {title}:")
            for source in sources:
                print(f"    - {source}")
    return 0


NIR_ONLY_OPTIONS = {"dt": "--dt", "input": "--input", "time_unit": "--time-unit", "spike_input": "--spike-input",
                    "output": "--output", "out": "--out", "no_progress": "--no-progress"}


def energy_command(energy_parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """``spikenet energy``: re-price a run folder (RUN_DIR --chip NAME) or price a NIR network (--nir)."""
    if args.nir is None:
        given = [flag for key, flag in NIR_ONLY_OPTIONS.items() if getattr(args, key) not in (None, False)]
        if given:
            energy_parser.error(f"{', '.join(given)} go{'es' if len(given) == 1 else ''} with --nir MODEL.nir")
        missing = [name for name, value in (("run_dir", args.run_dir), ("--chip", args.chip)) if value is None]
        if missing:
            energy_parser.error(f"the following arguments are required: {', '.join(missing)} (or --nir MODEL.nir)")
        return reprice(args.run_dir, args.chip, args.json, args.regime)
    if args.run_dir is not None or args.chip is not None:
        energy_parser.error("--nir prices the network on every chip and dense device: give it without RUN_DIR and --chip")
    missing = [flag for flag, value in (("--dt", args.dt), ("--input", args.input)) if value is None]
    if missing:
        energy_parser.error(f"--nir needs {' and '.join(missing)}")
    return price_nir(args)


def price_nir(args: argparse.Namespace) -> int:
    """``spikenet energy --nir MODEL.nir --dt MS --input INPUT.npz``: :func:`experiments.nir_energy.run`, then the table.

    Bad input (a missing or unreadable file, an npz without ``spikes``, wrong shapes, values other
    than 0/1, dt out of range, a graph spikenet cannot import) exits 2 with one line naming it."""
    from experiments import nir_energy

    notes: list[str] = []
    regimes = (args.regime,) if args.regime else nir_energy.REGIMES
    try:
        summary = nir_energy.run(args.nir, args.dt, args.input, time_unit=args.time_unit or "s", spike_input=args.spike_input,
                                 regimes=regimes, out=args.out, output=args.output,
                                 progress=False if args.no_progress else None, notes=notes,
                                 options={k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()})
    except nir_energy.NIRInputError as error:
        raise UsageError(str(error)) from None
    for note in notes:
        print(f"spikenet: note: {note}", file=sys.stderr)
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
        return 0
    print(nir_energy.format_table(summary))
    print(f"wrote {summary['out']} (nir_energy.json, energy_reports.json, energy_per_inference.png; "
          f"re-price later with: spikenet energy {summary['out']} --chip NAME)")
    return 0


def list_all() -> int:
    import hardware

    print("experiments (spikenet run NAME --help):")
    for name, spec in EXPERIMENTS.items():
        print(f"  {name:20s} {spec.summary}")
    print("chips (spikenet chips NAME):")
    for name in hardware.available_chips():
        chip = hardware.get_chip(name)
        print(f"  {name:22s} {chip.kind:8s} native regime {chip.native_regime}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spikenet", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("list", help="experiments and chips", description="List experiments and chip presets.")
    run = commands.add_parser("run", help="run an experiment into results/<name>/<timestamp>/", add_help=False,
                              description="Run an experiment; `spikenet run NAME --help` shows its options.")
    run.add_argument("name", nargs="?", help=f"one of: {_names(EXPERIMENTS)}")
    run.add_argument("--results", type=Path, default=Path("results"), help=argparse.SUPPRESS)
    energy = commands.add_parser(
        "energy", help="re-price a saved run on a chip, or price a NIR network on every chip and dense device",
        usage="spikenet energy RUN_DIR --chip NAME [--regime R] [--json]\n"
              "       spikenet energy --nir MODEL.nir --dt MS --input INPUT.npz [--time-unit s|ms] "
              "[--spike-input step|dirac] [--regime R] [--output NODE] [--out DIR] [--no-progress] [--json]",
        description="Re-price a saved run's activity counts on another chip (RUN_DIR --chip NAME), or bring your own "
                    "network: import a NIR graph, run it on the samples of INPUT.npz and price one inference on every "
                    "chip it fits on and, as its dense twin (the same layers run as an ANN), on every dense device "
                    "(--nir; see experiments.nir_energy).")
    energy.add_argument("run_dir", type=Path, nargs="?", default=None,
                        help="a run folder with activity_counts.json (or repricing.json), e.g. results/coba/<timestamp>")
    energy.add_argument("--chip", default=None, help="chip preset (spikenet list); required with RUN_DIR")
    energy.add_argument("--regime", choices=("latency", "throughput", "real_time"), default=None,
                        help="how wall time (and with it static energy) is set; default: the chip's native regime "
                             "(real time for TrueNorth, SpiNNaker, ODIN; latency otherwise); with --nir: all three. "
                             "See hardware.regimes")
    energy.add_argument("--json", action="store_true", help="print the reports as JSON (label -> EnergyReport; "
                                                            "with --nir: the summary written to nir_energy.json)")
    nir_options = energy.add_argument_group("bring your own network (NIR)")
    nir_options.add_argument("--nir", type=Path, default=None, metavar="MODEL.nir", help="a NIR graph (HDF5) to import and price")
    nir_options.add_argument("--dt", type=float, default=None, metavar="MS",
                             help="time step in ms (NIR graphs do not store it); one step per row of INPUT.npz")
    nir_options.add_argument("--input", type=Path, default=None, metavar="INPUT.npz",
                             help="'spikes': 0/1 of shape (samples, T, *input shape) or (T, *input shape); "
                                  "optional 'labels': (samples,) class indices (accuracy is then reported)")
    nir_options.add_argument("--time-unit", choices=("s", "ms"), default=None,
                             help="unit of the graph's time constants and delays (default s: snnTorch, Norse, Sinabs)")
    nir_options.add_argument("--spike-input", choices=("step", "dirac"), default=None,
                             help="how a spike acts: a current held over one step, or a Dirac jump "
                                  "(default: the graph's metadata, else step; see spikenet.nir)")
    nir_options.add_argument("--output", default=None, metavar="NODE",
                             help="the Output node whose summed value gives the prediction (needed when there are several)")
    nir_options.add_argument("--out", type=Path, default=None, metavar="DIR",
                             help="folder for the results (default: results/nir_energy/<UTC timestamp>/)")
    nir_options.add_argument("--no-progress", action="store_true", help="no progress bar (shown above 20,000 steps)")
    parser.energy_parser = energy
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
        return energy_command(parser.energy_parser, args)
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
    except KeyboardInterrupt as error:  # 130/143 after SIGINT/SIGTERM handled by the run folder
        print(f"spikenet: interrupted{' by ' + error.signal_name if hasattr(error, 'signal_name') else ''}",
              file=sys.stderr)
        return getattr(error, "exit_code", 1)
    except CliError as error:
        print(f"spikenet: error: {error}", file=sys.stderr)
        return error.exit_code
    except SpikenetError as error:  # a bad file or parameter found by the library: its message names it
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"spikenet: error: {first}", file=sys.stderr)
        return 1
    except Exception as error:  # noqa: BLE001 - the CLI's contract: one line, exit 1
        first = str(error).splitlines()[0] if str(error) else ""
        print(f"spikenet: error: {type(error).__name__}: {first}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
