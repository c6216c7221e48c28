r"""Price a run's counted events on a chip: ``estimate(counts, network_or_mapping, chip)``.

For a digital chip (per-term scope) the energy of a run is

.. math::

    E = N_{syn} e_{syn} + N_{syn} e_{fetch} + N_{upd,a} e_{upd,a} + N_{upd,i} e_{upd,i}
        + N_{spk} e_{spk} + N_{msg} e_{msg} + N_{loc} e_{loc} + H_{EW} e_{EW} + H_{NS} e_{NS}
        + N_{learn} e_{learn} + (P_{static} n_{chips} + P_{clk} f + P_{mgmt}) t_{wall}

with every count taken from :class:`spikenet.ActivityCounts` and the mapping (messages and hops
per spike). :math:`t_{wall}` is set by the regime (:mod:`hardware.regimes`: latency, throughput
or real time, the rules the dense devices of :mod:`hardware.dense` follow too), and the static
(:math:`P_{static}`, :math:`P_{clk}`) and dynamic parts are reported apart. An all-in chip
(Sharp 2012 SpiNNaker, TrueNorth's 26 pJ) is priced only by its all-in figures: adding routing,
neuron or static terms would count them twice.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hardware.chip import ChipModel, check_scopes
from hardware.coefficients import HardwareModelError
from hardware.pricing import check_counts, price_power
from hardware.regimes import copies_in_flight, resolve_regime
from hardware.report import EnergyReport


def estimate(counts: Any, network_or_mapping: Any, chip: ChipModel | str, inferences: int = 1,
             regime: str | None = None, include_static: bool = True, include_management: bool = True,
             spikes_per_neuron: dict[str, np.ndarray] | None = None, analog_mode: str = "event",
             timing: str | None = None, cores: int | None = None, chips: int | None = None) -> EnergyReport:
    """Energy of a counted run on ``chip``, in one regime, with static and dynamic parts apart.

    Parameters
    ----------
    counts : spikenet.ActivityCounts
        The run's counts (built by the engine, read from a counts file, or built from published
        numbers: population sizes, spikes, neuron updates (and the driven ones), synaptic events,
        steps and dt are all a digital chip needs when no network is given).
    network_or_mapping : spikenet.Network, Mapping, CrossbarMapping or None
        The network that produced ``counts`` (mapped here), or a mapping made earlier. ``None``
        prices a digital chip without a mapping: routing is then unpriced, the number of cores and
        chips comes from the neuron limit alone, and work is spread evenly over those cores.
    chip : ChipModel or str
        A chip model or a preset name (see :func:`hardware.presets.available_chips`).
    inferences : int
        Inferences the run represents; per-inference figures divide by it.
    regime : str, optional
        ``latency``, ``throughput`` or ``real_time`` (:mod:`hardware.regimes`); default: the chip's
        ``native_regime`` (real time for TrueNorth, SpiNNaker and ODIN; latency otherwise).
    include_static : bool
        Add static power (leakage/idle and clock power) x wall time. Without it the total is the
        dynamic energy alone, which :attr:`EnergyReport.dynamic_j` reports in any case.
    include_management : bool
        Add the chip's management-core power (Loihi's ~70 mW x86 overhead measured by Blouw 2019)
        x wall time (a dynamic term: drawn only while running).
    spikes_per_neuron : dict of str -> numpy.ndarray, optional
        Per-neuron spike counts (from a :class:`spikenet.SpikeMonitor`) for exact routing; without
        them each spike costs its population's mean routing (exact for uniform firing).
    analog_mode : str
        Analog chips only: ``event`` (rows driven by spikes) or ``full_mvm`` (every row every step).
    timing : str, optional
        Deprecated name of ``regime``: ``real_time`` or ``fast`` (= ``latency``).
    cores, chips : int, optional
        Digital chips priced without a network only: the cores and chips a published run used
        (static power is paid per chip, work is shared by the cores); by default they follow from
        ``limits.neurons_per_core`` and ``cores_per_chip``.

    Returns
    -------
    EnergyReport
        Terms in J, totals per run and per inference, static and dynamic parts, latency (s),
        EDP (J·s), the regime, citations.

    Raises
    ------
    HardwareModelError
        Negative counts, counts from another network, mixed scopes, a network that does not fit,
        an unknown regime, a regime the chip has no timing model for.
    """
    from hardware.crossbar import CrossbarMapping, estimate_analog, map_crossbars
    from hardware.dense import estimate_dense_clock_driven
    from hardware.mapping import Mapping, map_network
    from hardware.presets import get_chip

    chip = get_chip(chip) if isinstance(chip, str) else chip
    check_scopes(chip)
    regime = resolve_regime(regime, chip, timing)
    if isinstance(inferences, bool) or not isinstance(inferences, (int, np.integer)) or int(inferences) < 1:
        raise HardwareModelError(f"inferences must be an integer >= 1; got {inferences!r}")
    inferences = int(inferences)
    network = getattr(network_or_mapping, "network", network_or_mapping)
    check_counts(counts, network)
    for name, value in (("cores", cores), ("chips", chips)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1):
            raise HardwareModelError(f"{name} must be an integer >= 1; got {value!r}")
    if (cores is not None or chips is not None) and (network is not None or chip.kind != "digital"):
        raise HardwareModelError("cores= and chips= describe a published run priced without a network on a digital chip; "
                                 "with a network the mapping decides them")
    if chip.kind == "dense":
        if network is None:
            raise HardwareModelError("a dense estimate needs the network (its synapse and neuron counts)")
        return estimate_dense_clock_driven(counts, network, chip, inferences, regime, include_static)
    if chip.kind == "analog":
        mapping = network_or_mapping if isinstance(network_or_mapping, CrossbarMapping) else map_crossbars(network, chip)
        if mapping.chip.name != chip.name:
            raise HardwareModelError(f"the mapping was made for {mapping.chip.name!r}, not {chip.name!r}")
        return estimate_analog(counts, mapping, chip, inferences, regime, analog_mode, include_static)
    if isinstance(network_or_mapping, Mapping):
        mapping = network_or_mapping
        if mapping.chip.name != chip.name:
            raise HardwareModelError(f"the mapping was made for {mapping.chip.name!r}, not {chip.name!r}")
    elif network is not None:
        mapping = map_network(network, chip)
    else:
        mapping = None
    return _estimate_digital(counts, mapping, chip, inferences, regime, include_static, include_management,
                             spikes_per_neuron, (cores, chips))


def _placed(counts: Any, mapping: Any) -> set[str]:
    """Populations that live on the chip (integrated neurons; spike sources enter from outside)."""
    if mapping is not None:
        return set(mapping.neuron_core)
    return {p for p in counts.population_sizes if counts.neuron_updates.get(p, 0) > 0}


def _driven_updates(counts: Any, placed: set[str]) -> dict[str, int] | None:
    """Driven neuron updates of the placed populations, or None when the counts do not split them."""
    driven = getattr(counts, "neuron_updates_driven", None)
    if driven is None or (not driven and any(counts.neuron_updates.get(p, 0) for p in placed)):
        return None
    return {p: int(driven.get(p, 0)) for p in placed}


def footprint(counts: Any, mapping: Any, chip: ChipModel, given: tuple[int | None, int | None] = (None, None)
              ) -> tuple[int, int, str]:
    """``(cores, chips, how they were found)`` of a run on a digital ``chip``.

    With a mapping, its cores and chips; without one, the ``given`` ``(cores, chips)`` of a
    published run where stated, and otherwise each placed population needs
    ``ceil(size / neurons_per_core)`` cores and the chips follow from ``cores_per_chip`` (other
    limits ignored: a lower bound).
    """
    placed = _placed(counts, mapping)
    if mapping is not None:
        return mapping.cores_used, mapping.chips_used, "mapping"
    given_cores, given_chips = given
    if given_cores is not None or given_chips is not None:
        per_chip = chip.limit("cores_per_chip")
        if given_cores is None:
            given_cores = given_chips * per_chip if per_chip else given_chips
        if given_chips is None:
            given_chips = -(-given_cores // per_chip) if per_chip else 1
        return int(given_cores), int(given_chips), "given by the caller (published run)"
    per_core = chip.limit("neurons_per_core")
    per_chip = chip.limit("cores_per_chip")
    if not per_core:
        return 1, 1, "no neuron limit stated: one core on one chip assumed"
    cores = sum(-(-counts.population_sizes[p] // per_core) for p in placed) or 1
    chips = -(-cores // per_chip) if per_chip else 1
    return cores, chips, "neurons_per_core only (no mapping given)"


def _busiest_core_work_s(counts: Any, mapping: Any, chip: ChipModel, placed: set[str], cores: int,
                         driven: dict[str, int] | None) -> float:
    """Seconds of synaptic and neuron work of the busiest core over the run.

    Synaptic events are shared among cores in proportion to the synapses each stores, neuron
    updates in proportion to its neurons; without a mapping, all work is spread evenly over the
    cores. Driven updates take ``timing.neuron_update``, the others ``timing.neuron_update_idle``.
    """
    t_syn = chip.timing["synaptic_op"].seconds()
    t_active = chip.timing["neuron_update"].seconds()
    t_idle = chip.timing["neuron_update_idle"].seconds() if "neuron_update_idle" in chip.timing else t_active
    updates = {p: counts.neuron_updates.get(p, 0) for p in placed}
    active = driven if driven is not None else updates  # no split: every update at the active time
    events = counts.total_synaptic_events

    def work(event_share: float, update_share: dict[str, float]) -> float:
        neuron_s = sum(share * (active[p] * t_active + (updates[p] - active[p]) * t_idle)
                       for p, share in update_share.items())
        return event_share * events * t_syn + neuron_s

    if mapping is None:
        return work(1.0 / cores, {p: 1.0 / cores for p in placed})
    total_synapses = sum(b.synapses for b in mapping.blocks)
    sizes = counts.population_sizes
    return max((work(b.synapses / total_synapses if total_synapses else 1.0 / cores,
                     {b.population: b.neurons / sizes[b.population]}) for b in mapping.blocks), default=0.0)


def latency_wall_s(counts: Any, mapping: Any, chip: ChipModel, cores: int | None = None) -> float | None:
    """Wall time of the run at the chip's own speed (the latency regime), or None without a timing model.

    Each step lasts ``max(timing.min_step, timing.barrier + the busiest core's work)``; summed
    over the run this is bounded below by ``steps x barrier + the busiest core's total work``,
    which is what is returned (exact when the same core is the busiest in every step).
    """
    placed = _placed(counts, mapping)
    if cores is None:
        cores = footprint(counts, mapping, chip)[0]
    timing = chip.timing
    has_work_model = all(k in timing for k in ("synaptic_op", "neuron_update", "barrier"))
    if not has_work_model and "min_step" not in timing:
        return None
    floor = counts.steps * timing["min_step"].seconds() if "min_step" in timing else 0.0
    if not has_work_model:
        return floor
    driven = _driven_updates(counts, placed)
    work = counts.steps * timing["barrier"].seconds() + _busiest_core_work_s(counts, mapping, chip, placed, cores, driven)
    return max(floor, work)


def _wall_time(counts: Any, mapping: Any, chip: ChipModel, regime: str, cores: int, chips: int,
               report: EnergyReport) -> float:
    """Wall time of the whole run in ``regime`` (see :mod:`hardware.regimes`), with notes on the report."""
    real = counts.duration_ms / 1000.0
    fast = latency_wall_s(counts, mapping, chip, cores)
    if fast is None:
        if chip.native_regime != "real_time":
            raise HardwareModelError(
                f"chip {chip.name!r} has no timing model (timing.synaptic_op, neuron_update and barrier, or "
                f"timing.min_step) for the {regime} regime; use regime='real_time'")
        if regime != "real_time":
            report.notes.append(f"{chip.name} has no sourced per-event timing and runs in real time (one dt per tick): "
                                f"its {regime} regime uses real-time wall time")
        fast = real
    if regime == "real_time":
        if fast > real * (1 + 1e-9):
            report.notes.append(f"{chip.name} cannot keep up with real time here: its steps take "
                                f"{fast / max(counts.steps, 1) * 1e6:.3g} µs for a dt of {counts.dt * 1e3:.3g} µs; "
                                "wall time is its own (slower) time")
            return fast
        return real
    if regime == "latency":
        return fast
    per_chip = chip.limit("cores_per_chip")
    copies = copies_in_flight(per_chip, chips, cores)
    report.extra["copies_in_flight"] = copies
    report.notes.append(f"throughput regime: {copies} cop{'y' if copies == 1 else 'ies'} of the network run side by "
                        f"side on the {chips} chip(s) it occupies ({cores} of {per_chip or '?'} cores each)")
    return fast / copies


def _estimate_digital(counts: Any, mapping: Any, chip: ChipModel, inferences: int, regime: str, include_static: bool,
                      include_management: bool, spikes_per_neuron: dict[str, np.ndarray] | None,
                      given: tuple[int | None, int | None] = (None, None)) -> EnergyReport:
    report = EnergyReport(chip.name, chip.kind, chip.scope, regime=regime, label=chip.label, inferences=inferences)
    energy = chip.energy

    def price(term: str, count: float, unit: str, key: str | None = None) -> None:
        key = key or term
        coefficient = energy[key]
        report.add(term, count, unit, coefficient.pj(), f"energy.{key}", coefficient.citation())

    placed = _placed(counts, mapping)
    updates = sum(v for p, v in counts.neuron_updates.items() if p in placed)
    driven = _driven_updates(counts, placed)
    synaptic_events = counts.total_synaptic_events
    plasticity = sum((counts.plasticity_updates or {}).values())
    cores, chips_used, how = footprint(counts, mapping, chip, given)
    report.wall_time_s = _wall_time(counts, mapping, chip, regime, cores, chips_used, report)
    report.extra["footprint"] = {"cores_used": cores, "chips_used": chips_used, "from": how}
    if mapping is not None:
        report.extra["mapping"] = {"cores_used": mapping.cores_used, "chips_used": mapping.chips_used}

    if chip.scope == "all-in":
        if "synaptic_event_all_in" in energy:
            price("synaptic_event_all_in", synaptic_events, "synaptic events")
        if "neuron_ms_all_in" in energy:
            price("neuron_ms_all_in", updates * counts.dt, "neuron-ms")
        report.notes.append("all-in scope: routing, neuron updates, memory and static power are inside the all-in "
                            "figures and are not added again; the static part cannot be separated (reported as dynamic)")
        if regime != "real_time":
            report.notes.append("the all-in figure was measured in real time; in another regime its hidden static "
                                "share would change, which an all-in figure cannot follow")
        _operating_point_notes(report, counts, chip, placed)
        return report

    if "synaptic_op" in energy:
        price("synaptic_op", synaptic_events, "synaptic events")
    elif synaptic_events:
        report.unpriced.append(f"{synaptic_events} synaptic events (no synaptic_op coefficient)")
    if "weight_fetch" in energy:
        price("weight_fetch", synaptic_events, "synaptic events")
    _price_neuron_updates(report, chip, updates, driven, price)
    spikes_placed = sum(v for p, v in counts.spikes.items() if p in placed)
    if "spike_out" in energy:
        price("spike_out", spikes_placed, "spikes")
    _price_routing(report, counts, mapping, chip, price, spikes_per_neuron)
    if plasticity:
        if "learning_update" in energy:
            price("learning_update", plasticity, "plasticity updates")
        else:
            report.unpriced.append(f"{plasticity} plasticity updates (no sourced learning_update for {chip.name})")
    price_power(report, chip, chips_used, include_static, include_management)
    return report


def _price_neuron_updates(report: EnergyReport, chip: ChipModel, updates: int, driven: dict[str, int] | None,
                          price: Any) -> None:
    """Driven updates at the active cost and the others at the idle cost, where the chip has both."""
    energy = chip.energy
    if "neuron_update_active" in energy and "neuron_update_idle" in energy:
        if driven is None:
            price("neuron_update_active", updates, "neuron updates (all priced active)")
            idle_pj = energy["neuron_update_idle"].pj()
            report.notes.append(
                "counts carry no driven/idle split of neuron updates (counts.neuron_updates_driven): all priced at "
                f"the active cost (upper bound); all-idle lower bound for this term: {updates * idle_pj * 1e-12:.4g} J"
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


def _operating_point_notes(report: EnergyReport, counts: Any, chip: ChipModel, placed: set[str]) -> None:
    point = chip.operating_point
    if "mean_rate_hz" not in point:
        return
    neurons = sum(v for p, v in counts.population_sizes.items() if p in placed)
    seconds = counts.duration_ms / 1000.0
    if neurons and seconds:
        rate = sum(v for p, v in counts.spikes.items() if p in placed) / (neurons * seconds)
        reference = point["mean_rate_hz"].value
        report.extra["mean_rate_hz"] = rate
        if not 0.5 * reference <= rate <= 2.0 * reference:
            report.notes.append(
                f"the all-in figure was measured at {reference:g} Hz mean rate; this run's is {rate:.3g} Hz, so the "
                "figure does not transfer (static power is spread over a different event rate)"
            )
