"""Place a network's populations onto the cores of a digital neuromorphic chip.

Each core holds a contiguous block of one population. Every core meets every per-core limit the
chip states: neurons, stored synapses, synaptic memory bits, fan-in axons (distinct pre-synaptic
neurons) and fan-out axons (neuron -> destination core pairs); every neuron reaches at most
``max_target_cores_per_neuron`` cores; cores fill chips in order and more chips are used when
one is not enough. Neurons, synapses and fan-in depend only on the block, so a greedy split
handles them; fan-out depends on how the *target* populations are split, so the largest core
size of each population is searched iteratively (:func:`_search_core_sizes`). Spike-source
populations live off-chip: their spikes enter at the input port (tile (0, 0) of chip 0) and
consume input axons (fan-in) on the cores they reach; they use no fan-out axons of a core. A
network that cannot fit raises :class:`HardwareModelError` naming the limit, the population and
the numbers.

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
from hardware.routing import RoutingStats, first_of_each_target_core, routing_for_population, synapses_by_pre


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
    core_limits : dict of str -> dict
        Per placed population: ``cores``, ``largest_core`` (neurons) and ``limit``, the per-core
        limit that ends most of its blocks (``"population end"`` when one core holds it all).
    """

    chip: ChipModel
    network: Any
    blocks: list[CoreBlock]
    neuron_core: dict[str, np.ndarray]
    routing: dict[str, RoutingStats] = field(default_factory=dict)
    quantisation: dict[str, QuantisationReport] = field(default_factory=dict)
    fan_out: dict[int, int] = field(default_factory=dict)
    core_limits: dict[str, dict[str, Any]] = field(default_factory=dict)

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
                              ("fan_in_per_core", block.fan_in),
                              ("fan_out_per_core", self.fan_out.get(block.core, 0))):
                if limits[key]:
                    entry[f"utilisation_{key}"] = used / limits[key]
            cores.append(entry)
        per_chip = limits["cores_per_chip"]
        return {
            "chip": chip.name, "cores_used": self.cores_used, "chips_used": self.chips_used,
            "core_utilisation_of_chips": self.cores_used / (per_chip * self.chips_used) if per_chip else None,
            "limits": limits, "cores": cores, "populations": self.core_limits,
            "routing": {name: stats.to_dict() for name, stats in self.routing.items()},
            "weight_quantisation": {name: q.to_dict() for name, q in self.quantisation.items()},
        }


def _incoming(network: Any, population: Any, offsets: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Global pre ids and local post ids of every synapse into ``population``, sorted by post."""
    pre_ids, post_ids = [], []
    for projection in network.projections:
        if projection.post is population:
            pre_ids.append(projection.synapses.pre.astype(np.int64) + offsets[projection.pre.name])
            post_ids.append(projection.synapses.post)
    if not pre_ids:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    pre = np.concatenate(pre_ids)
    post = np.concatenate(post_ids)
    # Only the grouping by post matters (not the order inside a group): a 16-bit key sorts by
    # radix in O(n) for populations up to 65,536 neurons.
    key = post.astype(np.uint16) if population.size <= 2**16 else post
    order = np.argsort(key, kind="stable")
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


# Labels of what ends a block, besides the chip's limit names.
_POPULATION_END = "population end"


class _Splitter:
    """Contiguous blocks of one population under the per-core limits that depend only on the block itself.

    The largest block starting at neuron ``start`` is set by ``neurons_per_core``, the synapse
    capacity (``synapses_per_core`` or synaptic memory / weight bits) and ``fan_in_per_core``
    (distinct pre-synaptic neurons, sources included). All three only grow when a block grows,
    so the greedy split (each block as long as allowed) uses the fewest cores, and a smaller
    neuron cap never gives fewer cores. Fan-in is found by doubling the block, then bisecting, so
    the work is proportional to the block's synapses; results are cached per start neuron.
    """

    def __init__(self, chip: ChipModel, name: str, size: int, pre: np.ndarray, post: np.ndarray) -> None:
        self.chip, self.name, self.size = chip, name, size
        self.in_degree = np.bincount(post, minlength=size).astype(np.int64)
        self.row = np.zeros(size + 1, np.int64)
        np.cumsum(self.in_degree, out=self.row[1:])
        self.pre = pre
        self._marks = np.zeros(int(pre.max()) + 1 if pre.size else 0, bool)
        self.neuron_cap = min(chip.limit("neurons_per_core") or size, size)
        self.synapse_cap, self.synapse_limit = _synapse_capacity(chip)
        self.fan_in_cap = chip.limit("fan_in_per_core")
        # start -> (largest stop known to meet fan-in, whether it is the largest possible)
        self._fan_in_ok: dict[int, tuple[int, bool]] = {}
        self._splits: dict[int, list[tuple[int, int, str]]] = {}
        self.largest: int | None = None  # largest block under the neuron, synapse and fan-in limits

    def fan_in(self, start: int, stop: int) -> int:
        """Distinct pre-synaptic neurons of neurons ``start:stop`` (marked in a reused flag array:
        no sort, no hash table)."""
        ids = self.pre[self.row[start]:self.row[stop]]
        if ids.size < 2:
            return int(ids.size)
        self._marks[ids] = True
        distinct = int(np.count_nonzero(self._marks))
        self._marks[ids] = False
        return distinct

    def _stop(self, start: int, cap: int) -> tuple[int, str]:
        """End of the largest block from ``start`` with at most ``cap`` neurons, and what ends it."""
        stop, limit = self.size, _POPULATION_END
        if start + self.neuron_cap < stop:
            stop, limit = start + self.neuron_cap, "neurons_per_core"
        if start + cap < stop:
            stop, limit = start + cap, "fan_out_per_core"
        if self.synapse_cap is not None:
            fits = int(np.searchsorted(self.row[start + 1:stop + 1] - self.row[start], self.synapse_cap, side="right"))
            if fits == 0:
                raise HardwareModelError(
                    f"population {self.name!r} does not fit on {self.chip.name}: neuron {start} has "
                    f"{self.in_degree[start]} incoming synapses but one core stores at most {self.synapse_cap} "
                    f"({self.synapse_limit})"
                )
            if start + fits < stop:
                stop, limit = start + fits, self.synapse_limit.split(" ")[0]
        if self.fan_in_cap is None:
            return stop, limit
        good, exact = self._fan_in_ok.get(start, (start, False))
        if exact or good >= stop:
            return (stop, limit) if stop <= good else (good, "fan_in_per_core")
        if good == start:
            if self.fan_in(start, start + 1) > self.fan_in_cap:
                raise HardwareModelError(
                    f"population {self.name!r} does not fit on {self.chip.name}: neuron {start} receives input "
                    f"from {self.fan_in(start, start + 1)} distinct neurons but fan_in_per_core is {self.fan_in_cap}"
                )
            good = start + 1
        bad = None
        while good < stop:  # double the block until fan-in breaks or the other limits end it
            probe = min(stop, start + 2 * (good - start))
            if self.fan_in(start, probe) <= self.fan_in_cap:
                good = probe
            else:
                bad = probe
                break
        if bad is None:
            self._fan_in_ok[start] = (good, False)
            return stop, limit
        while bad - good > 1:  # fan-in grows with the block: bisect between a good and a bad end
            middle = (good + bad) // 2
            if self.fan_in(start, middle) <= self.fan_in_cap:
                good = middle
            else:
                bad = middle
        self._fan_in_ok[start] = (good, True)
        return good, "fan_in_per_core"

    def split(self, cap: int) -> list[tuple[int, int, str]]:
        """Greedy blocks ``(start, stop, limit that ended the block)`` of at most ``cap`` neurons each."""
        cap = max(1, min(int(cap), self.neuron_cap))
        if self.largest is not None and cap >= self.largest:
            cap = self.neuron_cap  # the same blocks; their ends are labelled by the limits that set them
        if cap not in self._splits:
            blocks, start = [], 0
            while start < self.size:
                stop, limit = self._stop(start, cap)
                blocks.append((start, stop, limit))
                start = stop
            self._splits[cap] = blocks
            if cap == self.neuron_cap:
                self.largest = max(stop - start for start, stop, _ in blocks)
        return self._splits[cap]


def _block_cores(blocks: list[tuple[int, int, str]], size: int) -> np.ndarray:
    """Block index (0, 1, ...) of every neuron of a population split into ``blocks`` (int32)."""
    sizes = np.array([stop - start for start, stop, _ in blocks], np.int64)
    return np.repeat(np.arange(len(blocks), dtype=np.int32), sizes)


@dataclass
class _OutGroup:
    """All synapses from one placed population to one population, sorted by pre then post."""

    post: str
    pre: np.ndarray
    post_ids: np.ndarray
    n_pre: int

    @classmethod
    def build(cls, projections: list[Any]) -> "_OutGroup":
        pre, post = synapses_by_pre(projections)
        return cls(projections[0].post.name, pre, post, projections[0].pre.size)

    def destinations(self, post_cores: np.ndarray) -> np.ndarray:
        """Distinct destination cores of every pre-synaptic neuron, given the post population's cores."""
        if self.pre.size == 0:
            return np.zeros(self.n_pre, np.int64)
        first = first_of_each_target_core(self.pre, self.post_ids, post_cores)
        return np.bincount(self.pre[first], minlength=self.n_pre).astype(np.int64)


def _out_groups(network: Any, placed: list[str]) -> dict[str, list[_OutGroup]]:
    """Per placed population: its outgoing synapses grouped by target population."""
    grouped: dict[tuple[str, str], list[Any]] = {}
    for projection in network.projections:
        if projection.pre.name in placed:
            grouped.setdefault((projection.pre.name, projection.post.name), []).append(projection)
    groups: dict[str, list[_OutGroup]] = {name: [] for name in placed}
    for (pre_name, _), projections in grouped.items():
        groups[pre_name].append(_OutGroup.build(projections))
    return groups


@dataclass
class _Violation:
    """A limit broken by one candidate placement."""

    limit: str
    population: str
    detail: str
    excess: int = 0  # how far over the limit (fan-out axons), to report the closest miss


def _core_size_candidates(size: int, largest: int) -> np.ndarray:
    """Caps (neurons per core) worth trying for a population of ``size`` whose blocks the other limits
    keep at most ``largest``: ``ceil(size / k)``, the smallest cap that splits it into ``k`` cores,
    for every ``k``; descending."""
    values = -(-size // np.arange(1, size + 1, dtype=np.int64))
    return np.unique(np.append(values[values <= largest], largest))[::-1]


class _FanOutSearch:
    """Evaluates candidate caps (neurons per core, one per population) against the limits that
    depend on the whole placement: fan-out per core, target cores per neuron and system size."""

    def __init__(self, chip: ChipModel, network: Any, splitters: dict[str, _Splitter]) -> None:
        self.chip, self.splitters = chip, splitters
        self.fan_out_cap = chip.limit("fan_out_per_core")
        self.per_neuron_cap = chip.limit("max_target_cores_per_neuron")
        self.groups = _out_groups(network, list(splitters))
        self._cores: dict[tuple[str, int], np.ndarray] = {}
        self._destinations: dict[tuple[str, int, int], np.ndarray] = {}

    def splits(self, caps: dict[str, int]) -> dict[str, list[tuple[int, int, str]]]:
        return {name: splitter.split(caps[name]) for name, splitter in self.splitters.items()}

    def _block_cores(self, name: str, cap: int) -> np.ndarray:
        key = (name, cap)
        if key not in self._cores:
            self._cores[key] = _block_cores(self.splitters[name].split(cap), self.splitters[name].size)
        return self._cores[key]

    def destinations(self, name: str, caps: dict[str, int]) -> np.ndarray:
        """Destination cores of every neuron of ``name`` (its output axons) under ``caps``."""
        total = np.zeros(self.splitters[name].size, np.int64)
        for index, group in enumerate(self.groups[name]):
            key = (name, index, caps[group.post])
            if key not in self._destinations:
                self._destinations[key] = group.destinations(self._block_cores(group.post, caps[group.post]))
            total += self._destinations[key]
        return total

    def violation(self, caps: dict[str, int]) -> _Violation | None:
        """The first limit the placement under ``caps`` breaks, or None. Raises at once if it needs
        more cores than the system has (a smaller cap never needs fewer)."""
        splits = self.splits(caps)
        _check_system_size(self.chip, splits)
        for name, blocks in splits.items():
            if not self.groups[name]:
                continue
            destinations = self.destinations(name, caps)
            if self.per_neuron_cap is not None and destinations.max() > self.per_neuron_cap:
                neuron = int(np.argmax(destinations))
                return _Violation("max_target_cores_per_neuron", name,
                                  f"neuron {neuron} targets {int(destinations[neuron])} cores but "
                                  f"max_target_cores_per_neuron is {self.per_neuron_cap}")
            if self.fan_out_cap is not None:
                starts = np.array([start for start, _, _ in blocks], np.int64)
                per_core = np.add.reduceat(destinations, starts)
                worst = int(np.argmax(per_core))
                if per_core[worst] > self.fan_out_cap:
                    start, stop, _ = blocks[worst]
                    return _Violation("fan_out_per_core", name,
                                      f"neurons {start}:{stop} on one core need {int(per_core[worst])} output axons "
                                      f"(neuron -> destination core pairs) but fan_out_per_core is {self.fan_out_cap}",
                                      int(per_core[worst]) - self.fan_out_cap)
        return None


def _search_core_sizes(chip: ChipModel, network: Any,
                       splitters: dict[str, _Splitter]) -> dict[str, list[tuple[int, int, str]]]:
    """Blocks of every placed population such that every limit, fan-out included, holds.

    Neurons, synapses and fan-in depend only on a block: :class:`_Splitter` gives each
    population its largest blocks under them. Fan-out of a core (the destination cores of its
    neurons, summed) depends on how the *target* populations are split: in a randomly connected
    network a neuron reaches nearly every core, so a core of ``c`` neurons needs about ``c`` x (all
    cores) axons, and shrinking one population alone adds cores that every other core then has to
    reach. So the search runs in two steps, each candidate re-placed and re-routed exactly:

    1. One common cap (neurons per core) for all populations, tried from the largest down over
       the values ``ceil(size / k)`` (the smallest cap that gives ``k`` cores); the first at
       which every limit holds is kept. Cores can only grow as the cap falls, so the search stops
       as soon as they exceed the system.
    2. Each population in turn gets back the largest cap (fewest cores) that keeps every limit,
       with the others fixed; repeated until nothing changes (each change frees cores).

    Deterministic. Raises :class:`HardwareModelError` naming the limit when no cap fits.
    """
    largest = {name: max(stop - start for start, stop, _ in splitter.split(splitter.neuron_cap))
               for name, splitter in splitters.items()}
    caps = dict(largest)
    search = _FanOutSearch(chip, network, splitters)
    if search.fan_out_cap is None and search.per_neuron_cap is None:
        splits = search.splits(caps)
        _check_system_size(chip, splits)
        return splits
    candidates = {name: _core_size_candidates(splitters[name].size, largest[name]) for name in splitters}
    common = np.unique(np.concatenate(list(candidates.values()) or [np.zeros(0, np.int64)]))[::-1]
    found = closest = None
    for cap in common:
        caps = {name: min(int(cap), largest[name]) for name in splitters}
        found = search.violation(caps)
        if found is None:
            break
        if closest is None or found.excess < closest[1].excess:
            closest = (int(cap), found)
        if found.limit != "fan_out_per_core":  # fewer target cores is impossible: coarser never helps
            per_population = {name: len(blocks) for name, blocks in search.splits(caps).items()}
            raise HardwareModelError(
                f"population {found.population!r} does not fit on {chip.name}: {found.detail}, with the "
                f"populations on {per_population} cores (the fewest that meet the per-core limits"
                f"{'' if caps == largest else ' and fan_out_per_core'}; add relay neurons or reduce its targets)"
            )
    if found is not None:
        cap, miss = closest
        raise HardwareModelError(
            f"population {miss.population!r} does not fit on {chip.name}: no core size from "
            f"{int(common[0])} down to 1 neuron per core meets fan_out_per_core; the closest, {cap} neurons "
            f"per core: {miss.detail}"
        )
    changed = True
    while changed:
        changed = False
        for name, splitter in splitters.items():
            cores_now = len(splitter.split(caps[name]))
            for cap in candidates[name]:
                if cap <= caps[name]:
                    break
                if len(splitter.split(int(cap))) >= cores_now:
                    continue
                trial = {**caps, name: int(cap)}
                if search.violation(trial) is None:
                    caps, changed = trial, True
                    break
    return search.splits(caps)


def _binding_limit(blocks: list[tuple[int, int, str]]) -> str:
    """The limit that ends most of a population's blocks (the last block, cut by the population's
    end, counts only when it is the only one)."""
    limits = [limit for _, _, limit in blocks if limit != _POPULATION_END] or [_POPULATION_END]
    return max(dict.fromkeys(limits), key=limits.count)


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

    Every core meets every per-core limit the chip states (neurons, stored synapses, synaptic
    memory bits, fan-in and fan-out axons), every neuron reaches at most
    ``max_target_cores_per_neuron`` cores, and the cores fit ``cores_per_chip x max_chips``.
    Each population gets the largest core size at which this holds (see
    :func:`_search_core_sizes`); the result is deterministic.

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
        If no split meets a limit: the message names the limit, the population and the numbers.
    """
    if chip.kind != "digital":
        raise HardwareModelError(f"map_network places on digital chips; {chip.name!r} is {chip.kind} "
                                 "(use hardware.crossbar.map_crossbars for analog chips)")
    offsets, total = {}, 0
    for name, population in network.populations.items():
        offsets[name] = total
        total += population.size
    splitters = {name: _Splitter(chip, name, population.size, *_incoming(network, population, offsets))
                 for name, population in network.populations.items() if not population.is_source}
    splits = _search_core_sizes(chip, network, splitters)
    blocks: list[CoreBlock] = []
    neuron_core: dict[str, np.ndarray] = {}
    core_limits: dict[str, dict[str, Any]] = {}
    for name, population_blocks in splits.items():
        splitter = splitters[name]
        cores = np.empty(splitter.size, np.int64)
        for start, stop, _ in population_blocks:
            core = len(blocks)
            chip_index, x, y = tile_position(chip, core)
            synapses = int(splitter.row[stop] - splitter.row[start])
            blocks.append(CoreBlock(core, chip_index, x, y, name, start, stop, synapses, splitter.fan_in(start, stop)))
            cores[start:stop] = core
        neuron_core[name] = cores
        core_limits[name] = {"cores": len(population_blocks),
                             "largest_core": max(stop - start for start, stop, _ in population_blocks),
                             "limit": _binding_limit(population_blocks)}
    mapping = Mapping(chip, network, blocks, neuron_core, core_limits=core_limits)
    for name, population in network.populations.items():
        stats = routing_for_population(network, chip, mapping, name)
        if stats is not None:
            mapping.routing[name] = stats
    _check_fan_out(chip, mapping)
    if quantise and chip.limit("weight_bits"):
        mapping.quantisation = quantise_network_weights(network, chip.limit("weight_bits"))
    return mapping


def _check_system_size(chip: ChipModel, splits: dict[str, list[tuple[int, int, str]]]) -> None:
    """Raise if the blocks need more cores than ``cores_per_chip x max_chips``, naming what sets each
    population's core size."""
    per_chip = chip.limit("cores_per_chip")
    max_chips = chip.limit("max_chips")
    needed = sum(len(blocks) for blocks in splits.values())
    if per_chip and max_chips and needed > per_chip * max_chips:
        per_population = {name: len(blocks) for name, blocks in splits.items()}
        sizes = ", ".join(f"{name}: {max(stop - start for start, stop, _ in blocks)} by {_binding_limit(blocks)}"
                          for name, blocks in splits.items())
        raise HardwareModelError(
            f"network does not fit on {chip.name}: it needs {needed} cores {per_population} but the system "
            f"has {per_chip} cores per chip x {max_chips} chips (max_chips) = {per_chip * max_chips} "
            f"(largest neurons per core and the limit that sets it: {sizes})"
        )


def _check_fan_out(chip: ChipModel, mapping: Mapping) -> None:
    """Fill ``mapping.fan_out`` from the routing and check ``max_target_cores_per_neuron`` and
    ``fan_out_per_core`` (the search already meets fan-out; this is the final check on the result)."""
    fan_out_cap = chip.limit("fan_out_per_core")
    per_neuron_cap = chip.limit("max_target_cores_per_neuron")
    for name, stats in mapping.routing.items():
        placed = name in mapping.neuron_core  # sources send from the host: one packet per destination
        if placed and per_neuron_cap is not None and stats.destinations.size and stats.destinations.max() > per_neuron_cap:
            neuron = int(np.argmax(stats.destinations))
            raise HardwareModelError(
                f"population {name!r} does not fit on {chip.name}: neuron {neuron} targets "
                f"{int(stats.destinations[neuron])} cores but max_target_cores_per_neuron is {per_neuron_cap} "
                "even with its targets' populations on the fewest cores the per-core limits allow "
                "(add relay neurons or reduce its targets)"
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
