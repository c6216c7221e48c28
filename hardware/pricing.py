"""Checks and power terms shared by the chip estimates (:mod:`hardware.energy`) and the dense baseline
(:mod:`hardware.dense`): counts that belong to the network, and static/running power x wall time."""

from __future__ import annotations

from typing import Any

import numpy as np

from hardware.chip import ChipModel
from hardware.coefficients import HardwareModelError
from hardware.report import EnergyReport


def _count_groups(counts: Any) -> dict[str, dict[str, int]]:
    return {name: getattr(counts, name, {}) or {} for name in
            ("population_sizes", "spikes", "neuron_updates", "synaptic_events", "delayed_events",
             "plasticity_updates", "synapse_counts")}


def check_counts(counts: Any, network: Any) -> None:
    """Raise unless ``counts`` are non-negative and come from ``network``.

    Checks: every count >= 0; same time step; same population names and sizes; same projection
    names, endpoints and synapse counts; neuron updates <= size x steps; synaptic events of each
    projection <= spikes of its pre population x its largest out-degree.

    Raises
    ------
    HardwareModelError
        Naming the field, the key and both values.
    """
    for required in ("dt", "steps", "population_sizes", "spikes", "neuron_updates", "synaptic_events"):
        if not hasattr(counts, required):
            raise HardwareModelError(f"counts must be a spikenet.ActivityCounts; missing {required!r}")
    if counts.steps < 0:
        raise HardwareModelError(f"activity count 'steps' must be >= 0; got {counts.steps}")
    for group, values in _count_groups(counts).items():
        for key, value in values.items():
            if value < 0:
                raise HardwareModelError(f"activity count {group}[{key!r}] must be >= 0; got {value}")
    if network is None:
        return
    if not np.isclose(counts.dt, network.dt):
        raise HardwareModelError(f"counts were recorded with dt = {counts.dt} ms but the network has dt = {network.dt} ms")
    sizes = {name: p.size for name, p in network.populations.items()}
    if dict(counts.population_sizes) != sizes:
        raise HardwareModelError(
            f"counts come from another network: populations {dict(counts.population_sizes)} vs the network's {sizes}"
        )
    projections = {p.name: p for p in network.projections}
    if set(counts.synaptic_events) != set(projections):
        raise HardwareModelError(
            f"counts come from another network: projections {sorted(counts.synaptic_events)} vs the network's {sorted(projections)}"
        )
    for name, projection in projections.items():
        stored = counts.synapse_counts.get(name) if counts.synapse_counts else None
        if stored is not None and stored != projection.n_synapses:
            raise HardwareModelError(
                f"counts come from another network: projection {name!r} had {stored} synapses, the network has {projection.n_synapses}"
            )
        endpoints = (counts.projection_endpoints or {}).get(name)
        if endpoints is not None and tuple(endpoints) != (projection.pre.name, projection.post.name):
            raise HardwareModelError(
                f"counts come from another network: projection {name!r} joined {tuple(endpoints)}, "
                f"the network's joins {(projection.pre.name, projection.post.name)}"
            )
        largest = int(projection.synapses.out_degree().max()) if projection.n_synapses else 0
        bound = counts.spikes.get(projection.pre.name, 0) * largest
        if counts.synaptic_events[name] > bound:
            raise HardwareModelError(
                f"counts come from another network: projection {name!r} delivered {counts.synaptic_events[name]} events, "
                f"more than {counts.spikes.get(projection.pre.name, 0)} pre spikes x out-degree {largest}"
            )
    for name, population in network.populations.items():
        limit = 0 if population.is_source else population.size * counts.steps
        if counts.neuron_updates.get(name, 0) > limit:
            raise HardwareModelError(
                f"counts come from another network: {counts.neuron_updates[name]} neuron updates of {name!r} "
                f"exceed size x steps = {limit}"
            )


def price_power(report: EnergyReport, chip: ChipModel, chips_used: int, include_static: bool,
                include_management: bool = True) -> None:
    """Static (idle/leakage, clock) and running-only (management, busy floor) power x the report's wall time."""
    power = chip.power
    if not include_static:
        report.notes.append("static power left out on request (include_static=False)")
    elif "static_per_chip" in power:
        c = power["static_per_chip"]
        report.add("static", report.wall_time_s * chips_used, "s x chips", c.watts() * 1e12, "power.static_per_chip",
                   c.citation())
    else:
        report.notes.append(f"{chip.name} has no sourced static/idle power: static energy not included (lower bound)")
    if include_static and "clock_per_mhz" in power:
        c = power["clock_per_mhz"]
        if "clock_mhz" not in chip.operating_point:
            raise HardwareModelError(f"{chip.origin}: power.clock_per_mhz needs operating_point.clock_mhz")
        clock = chip.operating_point["clock_mhz"]
        watts = c.in_base_unit() * clock.in_base_unit() / 1e6
        report.add("clock", report.wall_time_s * chips_used, f"s x chips at {clock.value:g} MHz", watts * 1e12,
                   "power.clock_per_mhz", c.citation())
    if include_management and "management" in power:
        c = power["management"]
        report.add("management", report.wall_time_s * chips_used, "s x chips", c.watts() * 1e12, "power.management",
                   c.citation())
