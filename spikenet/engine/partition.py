"""Cutting a network into shard networks (post-side ownership); see :mod:`spikenet.engine.shard`.

Every neuron population is cut into one contiguous slice per shard, balancing 1 + in-degree per
neuron; a shard network holds its slices (padded to one length per population), every spike
source in full, and a ghost source per neuron population from which its incoming synapses hang.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import jax
import numpy as np

from spikenet.connectivity import ProjectionIndices, Synapses
from spikenet.engine.compiled import CompiledNetwork
from spikenet.network import Network, Projection, hand_over, is_handed_over
from spikenet.validation import SpikenetError, return_freed_memory

AXIS = "shards"
GHOST_SUFFIX = "__all"


@dataclass(frozen=True, eq=False)
class GhostSource:
    """The whole of a sharded population, as seen by one shard: its spikes come from the exchange."""

    owner: str
    is_source = True

    def validate(self, size: int, dt: float) -> None:
        return None


@dataclass
class ShardPlan:
    """What the step of a shard network needs to exchange spikes (see :func:`spikenet.engine.step.exchange_spikes`)."""

    axis: str
    owned: list[str]
    ghosts: dict[str, str]                        # ghost -> the owned population it mirrors
    external_sizes: dict[int, int] = field(default_factory=dict)  # PoissonInput k -> whole population size
    count: int = 1                                # shards
    window: int = 1                               # steps per exchange (spikenet.engine.exchange)
    deferred: tuple[int, ...] = ()                # groups delivered at a window's end (window > 1)


def resolve_devices(devices: Any) -> list:
    """``devices``: a number of devices (the first ones of ``jax.devices()``), a list of devices or a Mesh."""
    if isinstance(devices, jax.sharding.Mesh):
        return list(np.asarray(devices.devices).ravel())
    if isinstance(devices, (int, np.integer)) and not isinstance(devices, bool):
        available = jax.devices()
        if not 1 <= devices <= len(available):
            raise SpikenetError(
                f"devices must be in [1, {len(available)}] (the {jax.default_backend()} devices JAX sees); got {devices}. "
                f"For several CPU devices set XLA_FLAGS=--xla_force_host_platform_device_count=N before importing jax")
        return available[:int(devices)]
    if isinstance(devices, (list, tuple)) and devices and all(hasattr(d, "platform") for d in devices):
        return list(devices)
    raise SpikenetError(f"devices must be a positive number of devices, a list of jax devices or a jax.sharding.Mesh; got {devices!r}")


def partition(network: Network, shards: int) -> dict[str, np.ndarray]:
    """Slice boundaries (shards + 1,) of every neuron population: contiguous slices of about equal
    weight, a neuron weighing 1 + its in-degree (synapses balance, neurons break ties)."""
    bounds = {}
    for population in network.populations.values():
        if population.is_source:
            continue
        weight = np.ones(population.size, dtype=np.float64)
        for projection in network.projections:
            if projection.post is population and projection.n_synapses:
                weight += np.bincount(projection.synapses.post, minlength=population.size)
        cumulative = np.concatenate([[0.0], np.cumsum(weight)])
        targets = cumulative[-1] * np.arange(1, shards) / shards
        inner = np.searchsorted(cumulative, targets, side="left")
        bounds[population.name] = np.concatenate([[0], np.clip(inner, 0, population.size), [population.size]]).astype(np.int64)
    return bounds


def local_sizes(bounds: dict[str, np.ndarray]) -> dict[str, int]:
    """Every shard's slice length of each population: the longest slice plus at least one padding
    neuron, rounded up to whole 32-bit words, so that the shards' packed spike words, gathered in
    shard order, are the ghost's packed spike words with no repacking."""
    return {name: int(-(-(int(np.max(np.diff(b))) + 1) // 32) * 32) for name, b in bounds.items()}


def flat_index(bounds: np.ndarray, local: int) -> np.ndarray:
    """Neuron ``g`` of a population -> its position in the ghost (shard ``d``'s slice at ``d * local``).
    Increasing in ``g``: delivery runs in the same neuron order as on one device."""
    shards = len(bounds) - 1
    return np.concatenate([d * local + np.arange(bounds[d + 1] - bounds[d]) for d in range(shards)]).astype(np.int64)


def _padded(values: np.ndarray, start: int, stop: int, length: int, fill: Any = None) -> np.ndarray:
    """values[start:stop] (along axis -1) padded to ``length`` with ``fill`` (default: a value of the slice)."""
    part = np.asarray(values)[..., start:stop]
    if fill is None:
        fill = part[..., :1] if part.shape[-1] else np.asarray(values)[..., :1]
    pad = np.broadcast_to(np.asarray(fill), part.shape[:-1] + (length - part.shape[-1],))
    return np.concatenate([part, pad.astype(part.dtype)], axis=-1)


def _sliced_model(model: Any, size: int, start: int, stop: int, length: int) -> Any:
    """The model with its per-neuron parameter arrays (shape (size,)) cut to the slice and padded."""
    if not dataclasses.is_dataclass(model):
        return model
    changes = {}
    for f in dataclasses.fields(model):
        value = getattr(model, f.name)
        if isinstance(value, (np.ndarray, list, tuple)) and np.ndim(value) == 1 and len(value) == size and size > 1:
            changes[f.name] = _padded(np.asarray(value), start, stop, length)
    return dataclasses.replace(model, **changes) if changes else model


def _shard_skeleton(network: Network, shard: int, bounds: dict[str, np.ndarray], local: dict[str, int]) -> Network:
    """Shard ``shard``'s network without its projections: its slices, the sources, the ghosts, currents and Poisson drives."""
    sub = Network(dt=network.dt, seed=network.seed)
    for population in network.populations.values():
        if population.is_source:
            sub._add_population(population.name, population.size, population.model)
            continue
        start, stop = (int(x) for x in bounds[population.name][shard:shard + 2])
        length = local[population.name]
        added = sub.population(population.name, length, _sliced_model(population.model, population.size, start, stop, length))
        for variable, values in population.initial.items():
            added.initial[variable] = _padded(np.asarray(values), start, stop, length)
    for population in network.populations.values():
        if not population.is_source and any(p.pre is population for p in network.projections):
            ghost_size = local[population.name] * (len(bounds[population.name]) - 1)
            sub._add_population(population.name + GHOST_SUFFIX, ghost_size, GhostSource(population.name))
    for current in network.currents:
        name = current.population.name
        start, stop = (int(x) for x in bounds[name][shard:shard + 2])
        sub.current(sub.populations[name], _padded(np.asarray(current.values), start, stop, local[name], fill=0.0),
                    dt_values=current.dt_values)
    for drive in network.poisson_inputs:
        sub.poisson_input(sub.populations[drive.population.name], drive.n_sources, drive.rate, drive.weight, drive.synapse)
    return sub


def _shard_projection(sub: Network, projection: Any, shard: int, bounds: dict[str, np.ndarray],
                      local: dict[str, int], kept: dict) -> None:
    """The part of ``projection`` onto shard ``shard``'s slice, connected in ``sub`` (its synapse order kept)."""
    post = projection.post
    start, stop = (int(x) for x in bounds[post.name][shard:shard + 2])
    chosen = np.flatnonzero((projection.synapses.post >= start) & (projection.synapses.post < stop))
    if projection.plasticity is not None:  # (for the plastic weights of the results; 8 bytes per synapse)
        kept[projection.name] = chosen
    pre = projection.synapses.pre[chosen]
    if projection.pre.is_source:
        pre_name = projection.pre.name
    else:
        pre_name = projection.pre.name + GHOST_SUFFIX
        pre = flat_index(bounds[projection.pre.name], local[projection.pre.name])[pre]
    post_local = projection.synapses.post[chosen]
    post_local -= post_local.dtype.type(start)
    # (built directly, not through Network.connect: the arrays were checked when the whole
    # network was connected, and a subset of a CSR list in its order is in CSR order)
    synapses = Synapses(pre, post_local, sub.populations[pre_name].size, sub.populations[post.name].size)
    sub.projections.append(Projection(projection.name, sub.populations[pre_name], sub.populations[post.name],
                                      ProjectionIndices(synapses), projection.synapse, synapses,
                                      projection.weights[chosen], projection.delay_steps[chosen], projection.plasticity))


def shard_network(network: Network, shard: int, bounds: dict[str, np.ndarray], local: dict[str, int]) -> tuple[Network, dict]:
    """Shard ``shard``'s network and, per plastic projection, the global synapse numbers it holds (in its order)."""
    sub, kept = _shard_skeleton(network, shard, bounds, local), {}
    for projection in network.projections:
        _shard_projection(sub, projection, shard, bounds, local, kept)
    return sub, kept


def shard_networks_handing_over(network: Network, bounds: dict[str, np.ndarray], local: dict[str, int]) -> list[tuple[Network, dict]]:
    """Every shard's network (as :func:`shard_network`), projection by projection, each of the
    network's projections handed over (:func:`spikenet.network.hand_over`) once every shard holds
    its part: the whole network's synapses and the shards' never coexist (memory)."""
    shards = len(next(iter(bounds.values()))) - 1
    built = [(_shard_skeleton(network, d, bounds, local), {}) for d in range(shards)]
    for projection in network.projections:
        for d, (sub, kept) in enumerate(built):
            _shard_projection(sub, projection, d, bounds, local, kept)
        hand_over(projection)
        return_freed_memory()
    return built


def floors_from_degrees(network: Network, bounds: dict[str, np.ndarray]) -> "dict | None":
    """The merged floors of :func:`shard_floors` over the shards, counted from the whole network's
    synapses (a shard's static row width is its largest count of synapses from one source neuron
    into the shard's slice), without building any shard; None when a projection is plastic (the
    plastic and fused tables have more floors: the shards are compiled to learn them)."""
    if any(p.plasticity is not None for p in network.projections):
        return None
    floors: dict = {"ring": 0}
    for population in network.populations.values():
        leaving = [p for p in network.projections if p.pre is population]
        if not leaving:
            continue
        name = "static:" + (population.name if population.is_source else population.name + GHOST_SUFFIX)
        widest = 0
        for d in range(len(next(iter(bounds.values()))) - 1):  # (one shard at a time: small temporaries)
            counts = np.zeros(population.size, np.int64)
            for projection in leaving:
                post, (start, stop) = projection.synapses.post, bounds[projection.post.name][d:d + 2]
                counts += np.bincount(projection.synapses.pre[(post >= start) & (post < stop)], minlength=population.size)
            widest = max(widest, int(counts.max(initial=0)))
        floors[("width", name)] = widest
        longest = max((int(p.delay_steps.max()) for p in leaving if p.n_synapses), default=0)
        floors[("delayed", name)] = longest > 0
        floors["ring"] = max(floors["ring"], longest + 1 if longest > 0 else 0)
    return floors


def shard_floors(compiled: CompiledNetwork) -> dict:
    """One shard's ring, row widths and fused spans (merged over the shards by :func:`merge_floors`)."""
    floors: dict = {"ring": compiled.layout.ring_slots, "groups": len(compiled.layout.outgoing)}
    for out in compiled.layout.outgoing:
        floors[("width", out.name)] = out.width
        floors[("delayed", out.name)] = out.delayed
        if out.plastic:
            floors[("width_in", out.name)] = out.column_slots.shape[1]
            if out.fused is not None:
                floors[("span", out.name)] = tuple(out.static_span)
    return floors


def merge_floors(per_shard: list[dict]) -> dict:
    """The largest ring, row widths and fused spans over the shards (every shard is padded to them)."""
    if len({f["groups"] for f in per_shard}) != 1:
        raise SpikenetError("internal: the shard networks have different row groups")  # pragma: no cover
    merged: dict = {}
    for floors in per_shard:
        for key, value in floors.items():
            if key == "groups":
                continue
            if key not in merged:
                merged[key] = value
            elif isinstance(key, tuple) and key[0] == "span":
                merged[key] = (min(merged[key][0], value[0]), max(merged[key][1], value[1]))
            elif isinstance(key, tuple) and key[0] == "delayed":
                merged[key] = merged[key] or value
            else:
                merged[key] = max(merged[key], value)
    return merged


def release_static_synapses(compiled: CompiledNetwork) -> None:
    """A shard's static projections once its step arguments are built: their synapse arrays (and
    the run values' weights) are not read again with devices (no ``parameters=`` overrides, and
    results take static weights from the whole network), so they are replaced by empty arrays.
    Static rows fused into a plastic group's loop are kept (the plastic state is built from them)."""
    for out in compiled.layout.outgoing:
        if out.plastic or out.fused_into is not None or any(is_handed_over(p) for p in out.projections):
            continue
        for projection in out.projections:
            synapses, empty = projection.synapses, (lambda a: np.empty(0, a.dtype))  # (not views: they keep the arrays)
            projection.synapses = Synapses(empty(synapses.post), empty(synapses.post), synapses.n_pre, synapses.n_post)
            projection.rule = ProjectionIndices(projection.synapses)
            projection.weights, projection.delay_steps = empty(projection.weights), empty(projection.delay_steps)
            compiled.base_values.weights[projection.name] = projection.weights
