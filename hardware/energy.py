r"""Price a run's counted events on a chip: ``estimate(counts, network_or_mapping, chip)``.

For a digital chip (per-term scope) the energy of a run is

.. math::

    E = N_{syn} e_{syn} + N_{syn} e_{fetch} + N_{upd,a} e_{upd,a} + N_{upd,i} e_{upd,i}
        + N_{spk} e_{spk} + N_{msg} e_{msg} + N_{loc} e_{loc} + H_{EW} e_{EW} + H_{NS} e_{NS}
        + N_{learn} e_{learn} + (P_{static} n_{chips} + P_{clk} f + P_{mgmt}) t_{wall}

with every count taken from :class:`spikenet.ActivityCounts` and the mapping (messages and hops
per spike). An all-in chip (TrueNorth, Sharp 2012 SpiNNaker) is priced only by its all-in
figures: adding routing, neuron or static terms would count them twice.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hardware.chip import ChipModel, check_scopes
from hardware.coefficients import HardwareModelError
from hardware.report import EnergyReport

TIMINGS = ("real_time", "fast")


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


def estimate(counts: Any, network_or_mapping: Any, chip: ChipModel | str, inferences: int = 1,
             timing: str = "real_time", include_management: bool = True,
             spikes_per_neuron: dict[str, np.ndarray] | None = None, analog_mode: str = "event") -> EnergyReport:
    """Energy of a counted run on ``chip``.

    Parameters
    ----------
    counts : spikenet.ActivityCounts
        The run's counts.
    network_or_mapping : spikenet.Network, Mapping, CrossbarMapping or None
        The network that produced ``counts`` (mapped here), or a mapping made earlier. ``None``
        is accepted for chips priced without a mapping (all-in digital chips, dense devices when
        called through :func:`hardware.dense.dense_baseline`), routing then being unpriced.
    chip : ChipModel or str
        A chip model or a preset name (see :func:`hardware.presets.available_chips`).
    inferences : int
        Inferences the run represents; per-inference figures divide by it.
    timing : str
        ``real_time``: wall time = simulated time (one dt per tick, as TrueNorth's 1 ms tick and
        real-time Loihi runs). ``fast``: as fast as the chip's per-event latencies allow
        (per step: barrier + the synaptic and neuron work spread evenly over the cores used; a
        lower bound on wall time).
    include_management : bool
        Add the chip's documented management-core power (Loihi's ~70 mW x86 overhead measured by
        Blouw 2019) times wall time.
    spikes_per_neuron : dict of str -> numpy.ndarray, optional
        Per-neuron spike counts (from a :class:`spikenet.SpikeMonitor`) for exact routing; without
        them each spike costs its population's mean routing (exact for uniform firing).
    analog_mode : str
        Analog chips only: ``event`` (rows driven by spikes) or ``full_mvm`` (every row every step).

    Returns
    -------
    EnergyReport
        Terms in J, totals per run and per inference, latency (s), EDP (J·s), citations.

    Raises
    ------
    HardwareModelError
        Negative counts, counts from another network, mixed scopes, a network that does not fit.
    """
    from hardware.crossbar import CrossbarMapping, estimate_analog, map_crossbars
    from hardware.dense import estimate_dense_clock_driven
    from hardware.mapping import Mapping, map_network
    from hardware.presets import get_chip

    chip = get_chip(chip) if isinstance(chip, str) else chip
    check_scopes(chip)
    if timing not in TIMINGS:
        raise HardwareModelError(f"timing must be one of {TIMINGS}; got {timing!r}")
    if int(inferences) < 1:
        raise HardwareModelError(f"inferences must be >= 1; got {inferences}")
    network = getattr(network_or_mapping, "network", network_or_mapping)
    check_counts(counts, network)
    if chip.kind == "dense":
        if network is None:
            raise HardwareModelError("a dense estimate needs the network (its synapse and neuron counts)")
        return estimate_dense_clock_driven(counts, network, chip, inferences)
    if chip.kind == "analog":
        mapping = network_or_mapping if isinstance(network_or_mapping, CrossbarMapping) else map_crossbars(network, chip)
        if mapping.chip.name != chip.name:
            raise HardwareModelError(f"the mapping was made for {mapping.chip.name!r}, not {chip.name!r}")
        return estimate_analog(counts, mapping, chip, inferences, timing, analog_mode)
    if isinstance(network_or_mapping, Mapping):
        mapping = network_or_mapping
        if mapping.chip.name != chip.name:
            raise HardwareModelError(f"the mapping was made for {mapping.chip.name!r}, not {chip.name!r}")
    elif network is not None:
        mapping = map_network(network, chip)
    else:
        mapping = None
    return _estimate_digital(counts, mapping, chip, int(inferences), timing, include_management, spikes_per_neuron)


def _estimate_digital(counts: Any, mapping: Any, chip: ChipModel, inferences: int, timing: str,
                      include_management: bool, spikes_per_neuron: dict[str, np.ndarray] | None) -> EnergyReport:
    report = EnergyReport(chip.name, chip.kind, chip.scope, label=chip.label, inferences=inferences)
    energy = chip.energy

    def price(term: str, count: float, unit: str, key: str | None = None) -> None:
        key = key or term
        coefficient = energy[key]
        report.add(term, count, unit, coefficient.pj(), f"energy.{key}", coefficient.citation())

    sources = {p for p in counts.population_sizes if counts.neuron_updates.get(p, 0) == 0 and
               (mapping is None or p not in mapping.neuron_core)}
    updates = sum(v for p, v in counts.neuron_updates.items() if p not in sources)
    synaptic_events = counts.total_synaptic_events
    plasticity = sum((counts.plasticity_updates or {}).values())
    report.wall_time_s = _wall_time(counts, mapping, chip, timing, updates, synaptic_events)

    if chip.scope == "all-in":
        if "synaptic_event_all_in" in energy:
            price("synaptic_event_all_in", synaptic_events, "synaptic events")
        if "neuron_ms_all_in" in energy:
            price("neuron_ms_all_in", updates * counts.dt, "neuron-ms")
        report.notes.append("all-in scope: routing, neuron updates, memory and static power are inside the "
                            "all-in figures and are not added again")
        _operating_point_notes(report, counts, chip, sources)
        if mapping is not None:
            report.extra["mapping"] = {"cores_used": mapping.cores_used, "chips_used": mapping.chips_used}
        return report

    if "synaptic_op" in energy:
        price("synaptic_op", synaptic_events, "synaptic events")
    elif synaptic_events:
        report.unpriced.append(f"{synaptic_events} synaptic events (no synaptic_op coefficient)")
    if "weight_fetch" in energy:
        price("weight_fetch", synaptic_events, "synaptic events")
    _price_neuron_updates(report, counts, chip, updates, price)
    spikes_placed = sum(v for p, v in counts.spikes.items() if p not in sources)
    if "spike_out" in energy:
        price("spike_out", spikes_placed, "spikes")
    _price_routing(report, counts, mapping, chip, price, spikes_per_neuron)
    if plasticity:
        if "learning_update" in energy:
            price("learning_update", plasticity, "plasticity updates")
        else:
            report.unpriced.append(f"{plasticity} plasticity updates (no sourced learning_update for {chip.name})")
    chips_used = mapping.chips_used if mapping is not None else 1
    power = chip.power
    if "static_per_chip" in power:
        c = power["static_per_chip"]
        report.add("static", report.wall_time_s * chips_used, "s x chips", c.watts() * 1e12, "power.static_per_chip", c.citation())
    else:
        report.notes.append(f"{chip.name} has no sourced static/idle power: static energy not included (lower bound)")
    if "clock_per_mhz" in power:
        c = power["clock_per_mhz"]
        if "clock_mhz" not in chip.operating_point:
            raise HardwareModelError(f"{chip.origin}: power.clock_per_mhz needs operating_point.clock_mhz")
        clock = chip.operating_point["clock_mhz"]
        watts = c.in_base_unit() * clock.in_base_unit() / 1e6
        report.add("clock", report.wall_time_s * chips_used, f"s x chips at {clock.value:g} MHz", watts * 1e12,
                   "power.clock_per_mhz", c.citation())
    if include_management and "management" in power:
        c = power["management"]
        report.add("management", report.wall_time_s, "s", c.watts() * 1e12, "power.management", c.citation())
    if mapping is not None:
        report.extra["mapping"] = {"cores_used": mapping.cores_used, "chips_used": mapping.chips_used}
    return report


def _price_neuron_updates(report: EnergyReport, counts: Any, chip: ChipModel, updates: int, price: Any) -> None:
    energy = chip.energy
    if "neuron_update_active" in energy and "neuron_update_idle" in energy:
        driven = getattr(counts, "neuron_updates_driven", None)
        if driven is None:
            price("neuron_update_active", updates, "neuron updates (all priced active)")
            idle_pj = energy["neuron_update_idle"].pj()
            report.notes.append(
                "counts carry no driven/idle split of neuron updates: all priced at the active rate (upper bound); "
                f"all-idle lower bound for this term: {updates * idle_pj * 1e-12:.4g} J"
            )
        else:
            active = int(sum(driven.values()))
            price("neuron_update_active", active, "driven neuron updates")
            price("neuron_update_idle", updates - active, "idle neuron updates")
    elif "neuron_update" in energy:
        price("neuron_update", updates, "neuron updates")
    elif updates and "clock_per_mhz" in chip.power:
        report.notes.append("neuron updates are time-multiplexed and priced inside the clocked idle power")
    elif updates:
        report.unpriced.append(f"{updates} neuron updates (no neuron-update coefficient for {chip.name})")


def _price_routing(report: EnergyReport, counts: Any, mapping: Any, chip: ChipModel, price: Any,
                   spikes_per_neuron: dict[str, np.ndarray] | None) -> None:
    energy = chip.energy
    routing_keys = [k for k in ("spike_message", "routing_local", "hop_ew", "hop_ns", "hop_offchip") if k in energy]
    if chip.routing == "none" or not routing_keys:
        report.notes.append(f"routing energy not modelled for {chip.name} (no sourced per-hop coefficient)")
        return
    if mapping is None:
        report.unpriced.append("spike routing (no mapping given)")
        return
    totals = {"destinations": 0.0, "local": 0.0, "hops_ew": 0.0, "hops_ns": 0.0, "offchip": 0.0}
    for name, stats in mapping.routing.items():
        per_neuron = None if spikes_per_neuron is None else spikes_per_neuron.get(name)
        for field in totals:
            totals[field] += stats.per_spikes(field, per_neuron, counts.spikes.get(name, 0))
    if spikes_per_neuron is None:
        report.notes.append("routing priced with each population's mean messages/hops per spike (exact for uniform firing)")
    if "spike_message" in energy:
        price("spike_message", totals["destinations"], "spike messages")
    if "routing_local" in energy:
        price("routing_local", totals["local"], "within-tile deliveries")
    if "hop_ew" in energy:
        price("hop_ew", totals["hops_ew"], "E-W hops")
    if "hop_ns" in energy:
        price("hop_ns", totals["hops_ns"], "N-S hops")
    if totals["offchip"]:
        if "hop_offchip" in energy:
            price("hop_offchip", totals["offchip"], "chip crossings")
        else:
            report.unpriced.append(f"{totals['offchip']:.4g} chip-to-chip crossings (no sourced off-chip link energy)")
    report.extra["routing_totals"] = totals


def _wall_time(counts: Any, mapping: Any, chip: ChipModel, timing: str, updates: int, synaptic_events: int) -> float:
    if timing == "real_time":
        return counts.duration_ms / 1000.0
    needed = ("synaptic_op", "neuron_update", "barrier")
    missing = [k for k in needed if k not in chip.timing]
    if missing:
        raise HardwareModelError(f"chip {chip.name!r} has no timing.{missing}; use timing='real_time'")
    cores = mapping.cores_used if mapping is not None else 1
    work = synaptic_events * chip.timing["synaptic_op"].seconds() + updates * chip.timing["neuron_update"].seconds()
    return counts.steps * chip.timing["barrier"].seconds() + work / cores


def _operating_point_notes(report: EnergyReport, counts: Any, chip: ChipModel, sources: set[str]) -> None:
    point = chip.operating_point
    if "mean_rate_hz" not in point:
        return
    neurons = sum(v for p, v in counts.population_sizes.items() if p not in sources)
    seconds = counts.duration_ms / 1000.0
    if neurons and seconds:
        rate = sum(v for p, v in counts.spikes.items() if p not in sources) / (neurons * seconds)
        reference = point["mean_rate_hz"].value
        report.extra["mean_rate_hz"] = rate
        if not 0.5 * reference <= rate <= 2.0 * reference:
            report.notes.append(
                f"the all-in figure was measured at {reference:g} Hz mean rate; this run's is {rate:.3g} Hz, so the "
                "figure does not transfer (static power is spread over a different event rate)"
            )
