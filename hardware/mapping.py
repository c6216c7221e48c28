"""Place a network's populations onto the cores of a digital neuromorphic chip.

Each core holds a contiguous block of one population. A population is split across cores as
soon as one more neuron would break a per-core limit (neurons, stored synapses, synaptic
memory bits, fan-in axons); cores fill chips in order and more chips are used when one is not
enough. Spike-source populations live off-chip: their spikes enter at the input port (tile
(0, 0) of chip 0) and consume input axons (fan-in) on the cores they reach. A network that
cannot fit raises :class:`HardwareModelError` naming the limit, the population and the numbers.

Mesh geometry: core ``k`` of the system sits on chip ``k // cores_per_chip``; inside a chip,
``cores_per_tile`` cores share a router, and tiles are numbered row by row on a
``mesh_cols x mesh_rows`` grid. Chips are placed side by side along x, so a global tile
position is ``(chip * mesh_cols + tile_x, tile_y)``. Messages follow dimension-ordered (X then
Y) routing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hardware.chip import ChipModel
from hardware.coefficients import HardwareModelError
from hardware.quantisation import QuantisationReport, quantise_network_weights
from hardware.routing import RoutingStats, routing_for_population


@dataclass(frozen=True)
class CoreBlock:
    """Neurons ``start:stop`` of ``population`` on one core.

    Attributes
    ----------
    core : int
        Global core index across all chips.
    chip : int
        Chip index.
    tile_x, tile_y : int
        Global router (tile) coordinates.
    synapses : int
        Incoming synapses stored on this core.
    fan_in : int
        Distinct pre-synaptic neurons (input axons) reaching this core.
    """

    core: int
    chip: int
    tile_x: int
    tile_y: int
    population: str
    start: int
    stop: int
    synapses: int
    fan_in: int

    @property
    def neurons(self) -> int:
        return self.stop - self.start


@dataclass
class Mapping:
    """Result of :func:`map_network`: placement, routing and weight quantisation.

    Attributes
    ----------
    chip : ChipModel
    network : spikenet.Network
    blocks : list of CoreBlock
    neuron_core : dict of str -> numpy.ndarray
        Global core index of every neuron of each placed population.
    routing : dict of str -> RoutingStats
        Per pre-synaptic population (sources included): messages and hops per spike.
    quantisation : dict of str -> QuantisationReport
        Per projection: the change made by quantising weights to the chip's precision.
    fan_out : dict of int -> int
        Output axons (neuron -> destination core pairs) per core.
    """

    chip: ChipModel
    network: Any
    blocks: list[CoreBlock]
    neuron_core: dict[str, np.ndarray]
    routing: dict[str, RoutingStats] = field(default_factory=dict)
    quantisation: dict[str, QuantisationReport] = field(default_factory=dict)
    fan_out: dict[int, int] = field(default_factory=dict)

    @property
    def cores_used(self) -> int:
        return len(self.blocks)

    @property
    def chips_used(self) -> int:
        return 1 + max((b.chip for b in self.blocks), default=0)

    def report(self) -> dict[str, Any]:
        """Cores used, utilisation against each limit, and per-core fan-in/out, as plain data."""
        chip = self.chip
        limits = {key: chip.limit(key) for key in ("neurons_per_core", "synapses_per_core", "fan_in_per_core",
                                                   "fan_out_per_core", "cores_per_chip")}
        cores = []
        for block in self.blocks:
            entry = {"core": block.core, "chip": block.chip, "tile": [block.tile_x, block.tile_y],
                     "population": block.population, "neurons": [block.start, block.stop],
                     "synapses": block.synapses, "fan_in": block.fan_in, "fan_out": self.fan_out.get(block.core, 0)}
            for key, used in (("neurons_per_core", block.neurons), ("synapses_per_core", block.synapses),
                              ("fan_in_per_core", block.fan_in)):
                if limits[key]:
                    entry[f"utilisation_{key}"] = used / limits[key]
            cores.append(entry)
        per_chip = limits["cores_per_chip"]
        return {
            "chip": chip.name, "cores_used": self.cores_used, "chips_used": self.chips_used,
            "core_utilisation_of_chips": self.cores_used / (per_chip * self.chips_used) if per_chip else None,
            "limits": limits, "cores": cores,
            "routing": {name: stats.to_dict() for name, stats in self.routing.items()},
            "weight_quantisation": {name: q.to_dict() for name, q in self.quantisation.items()},
        }


def _incoming(network: Any, population: Any, offsets: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Global pre ids and local post ids of every synapse into ``population``, sorted by post."""
    pre_ids, post_ids = [], []
    for projection in network.projections:
        if projection.post is population:
            pre_ids.append(projection.synapses.pre + offsets[projection.pre.name])
            post_ids.append(projection.synapses.post)
    if not pre_ids:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    pre = np.concatenate(pre_ids)
    post = np.concatenate(post_ids)
    order = np.argsort(post, kind="stable")
    return pre[order], post[order]


def _synapse_capacity(chip: ChipModel) -> tuple[int | None, str]:
    """Synapses one core can store and the limit that sets it."""
    candidates = []
    if chip.limit("synapses_per_core"):
        candidates.append((chip.limit("synapses_per_core"), "synapses_per_core"))
    memory_bits = chip.limit("synapse_memory_bits_per_core")
    if memory_bits:
        bits = chip.limit("weight_bits") or 1
        candidates.append((memory_bits // bits, f"synapse_memory_bits_per_core ({memory_bits} bits / {bits}-bit weights)"))
    return min(candidates) if candidates else (None, "")


def _split_population(chip: ChipModel, name: str, size: int, pre: np.ndarray, post: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Greedy contiguous blocks ``(start, stop, synapses, fan_in)`` respecting the per-core limits."""
    in_degree = np.bincount(post, minlength=size).astype(np.int64)
    row = np.zeros(size + 1, np.int64)
    np.cumsum(in_degree, out=row[1:])
    neuron_cap = chip.limit("neurons_per_core") or size
    synapse_cap, synapse_limit = _synapse_capacity(chip)
    fan_in_cap = chip.limit("fan_in_per_core")

    def fan_in(start: int, stop: int) -> int:
        return int(np.unique(pre[row[start]:row[stop]]).size)

    blocks = []
    start = 0
    while start < size:
        stop = min(size, start + neuron_cap)
        if synapse_cap is not None:
            fits = int(np.searchsorted(row[start + 1:stop + 1] - row[start], synapse_cap, side="right"))
            if fits == 0:
                raise HardwareModelError(
                    f"population {name!r} does not fit on {chip.name}: neuron {start} has {in_degree[start]} incoming "
                    f"synapses but one core stores at most {synapse_cap} ({synapse_limit})"
                )
            stop = start + fits
        if fan_in_cap is not None and fan_in(start, stop) > fan_in_cap:
            low, high = start, stop  # largest stop with fan_in <= cap, by bisection (fan-in grows with stop)
            while high - low > 1:
                middle = (low + high) // 2
                if fan_in(start, middle) <= fan_in_cap:
                    low = middle
                else:
                    high = middle
            if low == start:
                raise HardwareModelError(
                    f"population {name!r} does not fit on {chip.name}: neuron {start} receives input from "
                    f"{fan_in(start, start + 1)} distinct neurons but fan_in_per_core is {fan_in_cap}"
                )
            stop = low
        blocks.append((start, stop, int(row[stop] - row[start]), fan_in(start, stop)))
        start = stop
    return blocks


def tile_position(chip: ChipModel, core: int) -> tuple[int, int, int]:
    """``(chip_index, global tile_x, tile_y)`` of a global core index."""
    per_chip = chip.limit("cores_per_chip") or 1
    per_tile = chip.limit("cores_per_tile") or 1
    cols = chip.limit("mesh_cols") or 1
    chip_index, local = divmod(core, per_chip)
    tile = local // per_tile
    return chip_index, chip_index * cols + tile % cols, tile // cols


def map_network(network: Any, chip: ChipModel, quantise: bool = True) -> Mapping:
    """Place ``network`` on ``chip``, count routing hops and quantise the weights.

    Parameters
    ----------
    network : spikenet.Network
    chip : ChipModel
        A ``digital`` chip.
    quantise : bool
        Quantise weights to ``limits.weight_bits`` and report the change (weights of the
        network are not modified; see :func:`hardware.quantisation.quantise_weights`).

    Returns
    -------
    Mapping

    Raises
    ------
    HardwareModelError
        If a limit cannot be met: the message names the limit, the population and the numbers.
    """
    if chip.kind != "digital":
        raise HardwareModelError(f"map_network places on digital chips; {chip.name!r} is {chip.kind} "
                                 "(use hardware.crossbar.map_crossbars for analog chips)")
    offsets, total = {}, 0
    for name, population in network.populations.items():
        offsets[name] = total
        total += population.size
    blocks: list[CoreBlock] = []
    neuron_core: dict[str, np.ndarray] = {}
    for name, population in network.populations.items():
        if population.is_source:
            continue
        pre, post = _incoming(network, population, offsets)
        cores = np.empty(population.size, np.int64)
        for start, stop, synapses, fan_in in _split_population(chip, name, population.size, pre, post):
            core = len(blocks)
            chip_index, x, y = tile_position(chip, core)
            blocks.append(CoreBlock(core, chip_index, x, y, name, start, stop, synapses, fan_in))
            cores[start:stop] = core
        neuron_core[name] = cores
    _check_system_size(chip, network, blocks)
    mapping = Mapping(chip, network, blocks, neuron_core)
    for name, population in network.populations.items():
        stats = routing_for_population(network, chip, mapping, name)
        if stats is not None:
            mapping.routing[name] = stats
    _check_fan_out(chip, mapping)
    if quantise and chip.limit("weight_bits"):
        mapping.quantisation = quantise_network_weights(network, chip.limit("weight_bits"))
    return mapping


def _check_system_size(chip: ChipModel, network: Any, blocks: list[CoreBlock]) -> None:
    per_chip = chip.limit("cores_per_chip")
    max_chips = chip.limit("max_chips")
    if per_chip and max_chips and len(blocks) > per_chip * max_chips:
        per_population: dict[str, int] = {}
        for block in blocks:
            per_population[block.population] = per_population.get(block.population, 0) + 1
        raise HardwareModelError(
            f"network does not fit on {chip.name}: it needs {len(blocks)} cores {per_population} but the system "
            f"has {per_chip} cores per chip x {max_chips} chips (max_chips) = {per_chip * max_chips}"
        )


def _check_fan_out(chip: ChipModel, mapping: Mapping) -> None:
    fan_out_cap = chip.limit("fan_out_per_core")
    per_neuron_cap = chip.limit("max_target_cores_per_neuron")
    for name, stats in mapping.routing.items():
        placed = name in mapping.neuron_core  # sources send from the host: one packet per destination
        if placed and per_neuron_cap is not None and stats.destinations.size and stats.destinations.max() > per_neuron_cap:
            neuron = int(np.argmax(stats.destinations))
            raise HardwareModelError(
                f"population {name!r} does not fit on {chip.name}: neuron {neuron} targets "
                f"{int(stats.destinations[neuron])} cores but max_target_cores_per_neuron is {per_neuron_cap} "
                "(split the population or add relay neurons)"
            )
        if name in mapping.neuron_core:
            axons = np.bincount(mapping.neuron_core[name], weights=stats.destinations,
                                minlength=mapping.cores_used).astype(np.int64)
            for core in np.nonzero(axons)[0]:
                mapping.fan_out[int(core)] = mapping.fan_out.get(int(core), 0) + int(axons[core])
    if fan_out_cap is not None:
        for core, axons in mapping.fan_out.items():
            if axons > fan_out_cap:
                block = mapping.blocks[core]
                raise HardwareModelError(
                    f"population {block.population!r} does not fit on {chip.name}: core {core} (neurons "
                    f"{block.start}:{block.stop}) needs {axons} output axons but fan_out_per_core is {fan_out_cap}"
                )
