"""The host-driven inputs of a run: checks of ``input_spikes=`` and ``modulator=`` (times in ms
on the run's grid and window, indices in range, one spike per neuron and step) and the
per-chunk rasters the step reads (source spikes and modulator jumps per step)."""

from __future__ import annotations

from typing import Any

import numpy as np

from spikenet.engine.layout import Layout
from spikenet.plasticity import modulator_schedule
from spikenet.sources import SpikeSource
from spikenet.validation import SpikenetError, steps_on_grid


def modulated_projections(layout: Layout) -> dict[str, Any]:
    """Plastic projections whose rule has ``on_step`` (they receive modulator events): name -> rule."""
    return {out.projections[0].name: out.projections[0].plasticity for out in layout.outgoing
            if out.plastic and callable(getattr(out.projections[0].plasticity, "on_step", None))}

def rasters(layout: Layout, first_step: int, n_steps: int, input_spikes: dict, modulator: dict) -> dict:
    """Per-step inputs of one chunk: source spikes (n_steps, size) and modulator jumps (n_steps,)."""
    spikes = {}
    for p in layout.populations:
        if isinstance(p.model, SpikeSource):
            raster = p.model.raster(p.size, layout.dt, first_step, n_steps)
            if p.name in input_spikes:
                steps, indices = input_spikes[p.name]
                inside = (steps >= first_step) & (steps < first_step + n_steps)
                raster[steps[inside] - first_step, indices[inside]] = True
            spikes[p.name] = raster
    jumps = {}
    for name, rule in modulated_projections(layout).items():
        values = np.zeros(n_steps, dtype=layout.dtype)
        schedules = [modulator_schedule(rule, layout.dt)]
        if name in modulator:
            schedules.append(modulator[name])
        for steps, amounts in schedules:
            inside = (steps >= first_step) & (steps < first_step + n_steps)
            np.add.at(values, steps[inside] - first_step, amounts[inside])
        jumps[name] = values
    return {"spikes": spikes, "modulator": jumps}

def check_run_inputs(layout: Layout, input_spikes: Any, modulator: Any, start_step: int, n_steps: int) -> tuple[dict, dict]:
    """Validate ``run``'s host-driven inputs; returns them as step indices (raises SpikenetError)."""
    end_ms = (start_step + n_steps) * layout.dt
    window = f"[{start_step * layout.dt:g}, {end_ms:g}) ms"

    def times_to_steps(label: str, times: Any) -> np.ndarray:
        times = np.asarray(times, dtype=np.float64)
        if times.ndim != 1:
            raise SpikenetError(f"{label}: times must be a 1-D array in ms; got shape {times.shape}")
        if not np.all(np.isfinite(times)):
            raise SpikenetError(f"{label}: times must be finite (ms)")
        steps = steps_on_grid(f"{label}: times", times, layout.dt).astype(np.int64)
        outside = (steps < start_step) | (steps >= start_step + n_steps)
        if outside.any():
            raise SpikenetError(f"{label}: times must lie in this run's window {window}; got {float(times[outside][0])!r} ms")
        return steps

    def pair(label: str, value: Any, second: str) -> tuple[Any, Any]:
        try:
            first, other = value
        except (TypeError, ValueError):
            raise SpikenetError(f"{label} must be a pair (times in ms, {second})") from None
        return first, other

    spikes_by_step = {}
    sources = {p.name: p for p in layout.populations if isinstance(p.model, SpikeSource)}
    for name, value in dict(input_spikes or {}).items():
        label = f"input_spikes[{name!r}]"
        if name not in sources:
            raise SpikenetError(f"{label}: not a SpikeSource population; valid: {sorted(sources) or 'none'}")
        times, indices = pair(label, value, "neuron indices")
        indices = np.asarray(indices)
        steps = times_to_steps(label, times)
        if indices.shape != steps.shape or (indices.size and not np.issubdtype(indices.dtype, np.integer)):
            raise SpikenetError(f"{label}: indices must be integers, one per time; got shape {indices.shape} for {steps.size} times")
        size = sources[name].size
        if indices.size and (indices.min() < 0 or indices.max() >= size):
            raise SpikenetError(f"{label}: indices must be in [0, {size - 1}]; got [{indices.min()}, {indices.max()}]")
        keys = steps * size + indices
        own = sources[name].model
        own_keys = own.steps(layout.dt) * size + np.asarray(own.indices, np.int64)
        if np.unique(keys).size != keys.size or np.intersect1d(keys, own_keys).size:
            raise SpikenetError(f"{label}: two spikes of one neuron in the same step (also counting the source's own spikes)")
        spikes_by_step[name] = (steps, indices.astype(np.int64))
    jumps = {}
    modulated = modulated_projections(layout)
    for name, value in dict(modulator or {}).items():
        label = f"modulator[{name!r}]"
        if name not in modulated:
            raise SpikenetError(f"{label}: not a plastic projection whose rule has on_step; valid: {sorted(modulated) or 'none'}")
        times, amounts = pair(label, value, "amounts")
        steps = times_to_steps(label, times)
        amounts = np.asarray(amounts, dtype=np.float64)
        if amounts.shape != steps.shape or not np.all(np.isfinite(amounts)):
            raise SpikenetError(f"{label}: amounts must be finite, one per time; got shape {amounts.shape} for {steps.size} times")
        jumps[name] = (steps, amounts)
    return spikes_by_step, jumps
