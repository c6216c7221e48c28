"""A user-defined neuron — the quadratic integrate-and-fire — run on the spikenet engine unchanged.

The model below is the whole integration: a frozen dataclass with the members of
:mod:`spikenet.neuron_protocol`. No engine change, no registration. The script drives one neuron
per current, compares each rate with the closed-form QIF period, and writes a run folder
``results/custom_neuron/<timestamp>/`` (``custom_neuron.json``, ``activity_counts.json``, config, log).

Usage: ``python -m experiments.custom_neuron [--dt MS] [--results ROOT]``

References
----------
Ermentrout & Kopell, SIAM J. Appl. Math. 46:233 (1986); Latham et al., J. Neurophysiol. 83:808 (2000);
Izhikevich, *Dynamical Systems in Neuroscience* (2007), ch. 8.1.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import jax.numpy as jnp
import numpy as np

import spikenet as sn
from experiments.run_folder import add_results_option, network_builder, record_counts, resolved_config, run_script

EXPERIMENT = "custom_neuron"
CURRENTS_PA = (60.0, 80.0, 100.0, 150.0, 200.0, 300.0)  # rheobase k d^2 = 70 pA
DURATION_MS = 2000.0


# ----------------------------------------------------------------- the model (~30 lines) --
@dataclass(frozen=True)
class QuadraticIF:
    """C dv/dt = k (v - v_rest)(v - v_critical) + I; at v >= v_peak: v <- v_reset (units pF, nS/mV, mV, pA)."""

    capacitance: float = 100.0   # pF
    k: float = 0.7               # nS/mV
    v_rest: float = -60.0        # mV
    v_critical: float = -40.0    # mV
    v_peak: float = 35.0         # mV
    v_reset: float = -50.0       # mV
    integration: str = "euler"   # forward Euler (Brian2 method='euler')

    def state_units(self) -> dict[str, str]:
        return {"v": "mV"}

    def initial_state(self, size: int, dt: float) -> dict[str, np.ndarray]:
        return {"v": np.full(size, self.v_rest)}

    def update(self, state: dict, drive: sn.SynapticDrive, dt: float) -> dict:
        v = state["v"]
        current = self.k * (v - self.v_rest) * (v - self.v_critical) + drive.current - drive.conductance * v
        return {"v": v + dt * current / self.capacitance}

    def threshold(self, state: dict, dt: float):
        return state, state["v"] >= self.v_peak

    def reset(self, state: dict, spiked) -> dict:
        return {"v": jnp.where(spiked, self.v_reset, state["v"])}
# -----------------------------------------------------------------------------------------


def analytic_rate_hz(model: QuadraticIF, current_pA: float) -> float:
    """1 / (time from v_reset to v_peak): with m, d the midpoint and half-distance of v_rest and
    v_critical, C dv/dt = k ((v - m)^2 + q^2), q^2 = I/k - d^2 > 0, so T = C/(k q) [atan((v_peak - m)/q)
    - atan((v_reset - m)/q)]; 0 below the rheobase k d^2."""
    middle, half = (model.v_rest + model.v_critical) / 2, (model.v_critical - model.v_rest) / 2
    q_squared = current_pA / model.k - half ** 2
    if q_squared <= 0:
        return 0.0
    q = math.sqrt(q_squared)
    angle = math.atan((model.v_peak - middle) / q) - math.atan((model.v_reset - middle) / q)
    period = model.capacitance / (model.k * q) * angle
    return 1000.0 / period


@network_builder
def build(dt: float = 0.01) -> sn.Network:
    """One QIF neuron per current of :data:`CURRENTS_PA`."""
    network = sn.Network(dt=dt)
    neurons = network.population("qif", len(CURRENTS_PA), QuadraticIF())
    network.current(neurons, np.array(CURRENTS_PA))
    return network


def run(output_dir: str | Path | None = None, dt: float = 0.01) -> dict:
    """Simulate and compare with the closed form; with ``output_dir``, write the report and counts there."""
    model = QuadraticIF()
    currents = np.array(CURRENTS_PA)
    network = build(dt)
    result = network.run(DURATION_MS, monitors=[sn.SpikeMonitor("qif")], precision="float64", progress=False)
    times, indices = result.spikes["qif"]
    rows = []
    for k, current in enumerate(currents):
        own = times[indices == k]
        rate = 1000.0 / float(np.mean(np.diff(own))) if len(own) > 2 else 0.0
        rows.append({"current_pA": float(current), "rate_hz": rate, "analytic_rate_hz": analytic_rate_hz(model, current)})
        print(f"I = {current:5.0f} pA: {rate:7.2f} Hz (analytic {rows[-1]['analytic_rate_hz']:7.2f} Hz)")
    report = {"model": "QuadraticIF (defined in experiments/custom_neuron.py)", "dt_ms": dt, "rows": rows}
    if output_dir is None:
        return report
    record_counts(Path(output_dir), result.counts, builder=build, kwargs={"dt": dt})
    path = Path(output_dir) / "custom_neuron.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(report, indent=2))
    os.replace(temporary, path)
    return report


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    parser.add_argument("--dt", type=float, default=0.01, help="time step in ms (default 0.01)")
    return add_results_option(parser)


def main(argv: list[str] | None = None, prog: str | None = None, output_dir: str | Path | None = None,
         dt: float = 0.01):
    """Script entry point: a new run folder under ``--results``; returns the exit code.
    ``main(output_dir=DIR)`` (kept for callers of the earlier API) is :func:`run` and returns the report."""
    if output_dir is not None:
        return run(output_dir, dt)
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if not args.dt > 0:
        parser.error(f"--dt must be > 0 ms; got {args.dt}")
    config = resolved_config(args, currents_pA=list(CURRENTS_PA), duration_ms=DURATION_MS, precision="float64",
                             model=repr(QuadraticIF()))
    return run_script(EXPERIMENT, args.results, config, {"network_and_simulation": 0},
                      lambda folder: run(folder.path, args.dt))


if __name__ == "__main__":
    raise SystemExit(main())
