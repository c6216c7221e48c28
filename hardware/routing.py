"""Spike routing on a 2-D mesh: messages and router hops per spike of each neuron.

A spike of neuron ``i`` must reach every core that holds one of its targets. With ``unicast``
routing (Loihi, TrueNorth) one message goes to each destination core along the
dimension-ordered X-then-Y path, so the hops are the sum of Manhattan distances. With
``multicast_tree`` routing one message is replicated in the routers, and the hops are the
number of distinct mesh links in the union of the X-then-Y paths. Destinations in the sender's
own tile cost no hop (a within-tile delivery). Spikes of a source population enter at the
input port, tile (0, 0) of chip 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class RoutingStats:
    """Per-neuron routing of one pre-synaptic population (arrays of length population size).

    Attributes
    ----------
    destinations : numpy.ndarray
        Destination cores (messages under unicast) per spike.
    local : numpy.ndarray
        Destination cores in the sender's own tile (no hop).
    hops_ew, hops_ns : numpy.ndarray
        East-west / north-south router hops per spike.
    offchip : numpy.ndarray
        Chip boundaries crossed per spike.
    """

    destinations: np.ndarray
    local: np.ndarray
    hops_ew: np.ndarray
    hops_ns: np.ndarray
    offchip: np.ndarray

    def mean(self, field: str) -> float:
        """Mean over the population's neurons of a per-spike quantity (exact if firing is uniform)."""
        values = getattr(self, field)
        return float(values.mean()) if values.size else 0.0

    def per_spikes(self, field: str, spikes_per_neuron: np.ndarray | None, total_spikes: int) -> float:
        """Total of ``field`` over a run: exact with per-neuron spike counts, else mean x spikes."""
        if spikes_per_neuron is not None:
            return float(np.dot(getattr(self, field), spikes_per_neuron))
        return self.mean(field) * total_spikes

    def to_dict(self) -> dict[str, float]:
        return {f"mean_{name}_per_spike": self.mean(name)
                for name in ("destinations", "local", "hops_ew", "hops_ns", "offchip")}


def xy_route_links(source: tuple[int, int], destination: tuple[int, int]) -> list[tuple[int, int, int, int]]:
    """Directed mesh links ``(x0, y0, x1, y1)`` of the X-then-Y path from ``source`` to ``destination``."""
    (x, y), (tx, ty) = source, destination
    links = []
    step = 1 if tx > x else -1
    while x != tx:
        links.append((x, y, x + step, y))
        x += step
    step = 1 if ty > y else -1
    while y != ty:
        links.append((x, y, x, y + step))
        y += step
    return links


def synapses_by_pre(projections: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Pre and post ids of the synapses of ``projections`` (all between the same two populations),
    sorted by pre then post: a single projection already is (CSR order) and is not copied."""
    if len(projections) == 1:
        pre, post = projections[0].synapses.pre, projections[0].synapses.post
    else:
        pre = np.concatenate([p.synapses.pre for p in projections])
        post = np.concatenate([p.synapses.post for p in projections])
    if pre.size > 1:
        pre_step = np.diff(pre)
        if len(projections) > 1 or np.any((pre_step < 0) | ((pre_step == 0) & (np.diff(post) < 0))):
            order = np.lexsort((post, pre))
            pre, post = pre[order], post[order]
    return pre, post


def first_of_each_target_core(pre: np.ndarray, post: np.ndarray, post_cores: np.ndarray) -> np.ndarray:
    """Mask of the synapses (sorted by pre then post) that are the first of their (pre neuron,
    destination core) pair. Populations sit on contiguous blocks numbered in neuron order, so
    one neuron's destination cores come sorted and neighbours suffice: no sort, no hash."""
    first = np.ones(pre.size, bool)
    if pre.size < 2:
        return first
    cores = post_cores[post]
    if np.any(np.diff(post_cores) < 0):  # not block-contiguous: sort each neuron's cores first
        order = np.lexsort((cores, pre))
        sorted_cores, sorted_pre = cores[order], pre[order]
        new = np.ones(pre.size, bool)
        new[1:] = (sorted_pre[1:] != sorted_pre[:-1]) | (sorted_cores[1:] != sorted_cores[:-1])
        first[order] = new
        return first
    np.not_equal(pre[1:], pre[:-1], out=first[1:])
    first[1:] |= cores[1:] != cores[:-1]
    return first


def routing_for_population(network: Any, chip: Any, mapping: Any, name: str) -> RoutingStats | None:
    """Routing statistics of population ``name`` under ``mapping``; None if it has no outgoing synapse."""
    population = network.populations[name]
    by_target: dict[str, list[Any]] = {}
    for projection in network.projections:
        if projection.pre is population:
            by_target.setdefault(projection.post.name, []).append(projection)
    if not by_target:
        return None
    neurons, cores = [], []
    for target, projections in by_target.items():  # distinct target populations sit on distinct cores
        pre, post = synapses_by_pre(projections)
        post_cores = mapping.neuron_core[target]
        first = first_of_each_target_core(pre, post, post_cores)
        neurons.append(pre[first].astype(np.int64))
        cores.append(post_cores[post[first]])
    neuron = np.concatenate(neurons)
    core = np.concatenate(cores)
    n = population.size
    block_x = np.array([b.tile_x for b in mapping.blocks], np.int64)
    block_y = np.array([b.tile_y for b in mapping.blocks], np.int64)
    block_chip = np.array([b.chip for b in mapping.blocks], np.int64)
    if population.is_source:
        src_x = np.zeros(neuron.size, np.int64)
        src_y = np.zeros(neuron.size, np.int64)
        src_chip = np.zeros(neuron.size, np.int64)
    else:
        own = mapping.neuron_core[name][neuron]
        src_x, src_y, src_chip = block_x[own], block_y[own], block_chip[own]
    dx = np.abs(block_x[core] - src_x)
    dy = np.abs(block_y[core] - src_y)
    same_tile = (dx == 0) & (dy == 0) & (not population.is_source)
    destinations = np.bincount(neuron, minlength=n).astype(float)
    local = np.bincount(neuron, weights=same_tile.astype(float), minlength=n)
    offchip = np.bincount(neuron, weights=np.abs(block_chip[core] - src_chip), minlength=n)
    if chip.routing == "multicast_tree":
        hops_ew, hops_ns = _tree_hops(n, neuron, src_x, src_y, block_x[core], block_y[core])
    else:
        hops_ew = np.bincount(neuron, weights=dx, minlength=n)
        hops_ns = np.bincount(neuron, weights=dy, minlength=n)
    return RoutingStats(destinations, local, hops_ew, hops_ns, offchip)


def _tree_hops(n: int, neuron: np.ndarray, src_x: np.ndarray, src_y: np.ndarray,
               dst_x: np.ndarray, dst_y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """EW and NS links of the union of X-then-Y paths, per neuron (cached by identical trees)."""
    hops_ew = np.zeros(n)
    hops_ns = np.zeros(n)
    cache: dict[tuple, tuple[int, int]] = {}
    order = np.argsort(neuron, kind="stable")
    bounds = np.searchsorted(neuron[order], np.arange(n + 1))
    for i in range(n):
        rows = order[bounds[i]:bounds[i + 1]]
        if rows.size == 0:
            continue
        source = (int(src_x[rows[0]]), int(src_y[rows[0]]))
        targets = tuple(sorted({(int(dst_x[r]), int(dst_y[r])) for r in rows}))
        key = (source, targets)
        if key not in cache:
            links = set()
            for target in targets:
                links.update(xy_route_links(source, target))
            ew = sum(1 for link in links if link[1] == link[3])
            cache[key] = (ew, len(links) - ew)
        hops_ew[i], hops_ns[i] = cache[key]
    return hops_ew, hops_ns
