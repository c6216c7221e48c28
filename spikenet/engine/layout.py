"""Where everything lives in the step's arrays (numpy only, built once per compiled network).

One flat input buffer holds every synaptic channel (population by population; an alpha channel
has a second, "rise", segment) followed by every delta target (per-step increments of a state
variable). Outgoing synapses are stored as ELL rows per source population: the static
projections of a source are merged into one group, every plastic projection is its own group
(its weights are state), and a source's static undelayed rows ride in the loop of its plastic
group ("fused static rows"). Weights are not part of the layout: :meth:`Layout.rows_weights`
places any set of weights (the network's, or a run's overrides) into the rows' slots.

Memory follows the synapses: a static group whose single ELL (every row padded to the largest
out-degree) would waste much (:func:`bucket_plan`) is split into degree buckets, each an ELL of
its own width over the rows of its neurons (:class:`RowBucket`). Before any row table is
allocated, :meth:`Layout._check_rows_memory` (in :mod:`spikenet.engine.rows`) estimates the bytes of all of them and refuses
(:func:`spikenet.validation.check_memory`) naming the group that needs the most.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from spikenet.network import Network
from spikenet.propagation import host_table, row_slots
from spikenet.engine.rows import BUCKET_SLACK_ENTRIES, Outgoing, RowBucket, RowTables, bucket_plan
from spikenet.synapses import ALPHA_SYNAPSES, Delta
from spikenet.validation import SpikenetError

__all__ = ["Layout", "Outgoing", "RowBucket", "bucket_plan", "BUCKET_SLACK_ENTRIES", "DENSE_MEMORY_LIMIT_BYTES"]

DENSE_MEMORY_LIMIT_BYTES = int(os.environ.get("SPIKENET_DENSE_LIMIT_BYTES", 4 * 2**30))


def static_positions(out: Outgoing):
    """Per projection of a single-table static group, the flat slot (pre * width + column) of each
    synapse where :func:`spikenet.propagation.build_rows` put it (:func:`~spikenet.propagation.row_slots`).
    Recomputed when weights are placed instead of stored (4 bytes per synapse)."""
    index = np.int32 if (out.population.size + 1) * out.width < 2**31 else np.int64  # (int32: half the temporaries)
    yield from row_slots(out.population.size, [projection.synapses for projection in out.projections], index, out.width)


def fusable(out: "Outgoing") -> bool:
    """Whether a group's rows may ride in its population's plastic loop (:meth:`Layout._fuse_static_rows`):
    static, undelayed, one table (bucketed rows keep their own loops: no padding to a hub's width)."""
    return not out.plastic and not out.delayed and out.buckets is None


class Layout(RowTables):
    """Buffer offsets and synapse rows of a network; ``engine`` is ``"event"`` or ``"dense"``."""

    def __init__(self, network: Network, dtype: Any, engine: str, floors: dict | None = None, hand_over: bool = False) -> None:
        self.network = network
        # floors (sharded engine): minimum ring slots, row widths and fused spans so that every
        # shard's tables have the same shapes; None for a network on one device.
        self.floors = floors
        self.dtype = dtype
        self.engine = engine
        self.dt = network.dt
        self.populations = list(network.populations.values())
        self.neuron_populations = [p for p in self.populations if not p.is_source]
        self.projections = list(network.projections)
        self._assign_buffer()
        self._build_rows(hand_over)

    # -- the flat buffer ------------------------------------------------------------------
    def _assign_buffer(self) -> None:
        """Channels [0, channel_size) population by population, then delta targets."""
        offset = 0
        self.channels: dict[str, list] = {}
        self.channel_regions: dict[str, tuple[int, int]] = {}
        self.channel_offsets: dict[tuple[str, Any], int] = {}   # where deliveries add
        self.drive_offsets: dict[tuple[str, Any], int] = {}     # what the neuron receives
        self.delta_offsets: dict[tuple[str, str], int] = {}
        for population in self.neuron_populations:
            start = offset
            channels = self.network.channels(population)
            self.channels[population.name] = channels
            for channel in channels:
                self.drive_offsets[(population.name, channel)] = offset
                if isinstance(channel, ALPHA_SYNAPSES):  # a second segment: the rise variable
                    offset += population.size
                self.channel_offsets[(population.name, channel)] = offset
                offset += population.size
            self.channel_regions[population.name] = (start, offset)
        self.channel_size = offset
        users = [(p.post, p.synapse) for p in self.projections] + [(d.population, d.synapse) for d in self.network.poisson_inputs]
        for population in self.neuron_populations:
            for post, synapse in users:
                if post is population and isinstance(synapse, Delta):
                    key = (population.name, synapse.target)
                    if key not in self.delta_offsets:
                        self.delta_offsets[key] = offset
                        offset += population.size
        self.buffer_size = offset
        max_delay = max((int(p.delay_steps.max()) for p in self.projections if p.n_synapses), default=0)
        self.ring_slots = max_delay + 1 if max_delay > 0 else 0
        if self.floors is not None:
            self.ring_slots = max(self.ring_slots, self.floors.get("ring", 0))
        if self.ring_slots * self.buffer_size >= 2**30:
            raise SpikenetError(
                f"delay ring buffer would need {self.ring_slots} x {self.buffer_size} entries; the maximum delay "
                f"({max_delay * self.dt} ms) or the network is too large for it"
            )

    def floor(self, key: Any) -> int:
        """A shard's floor for ``key`` (0 without floors)."""
        return int(self.floors.get(key, 0)) if self.floors is not None else 0

    def target_offset(self, projection: Any) -> int:
        """Where deliveries of a projection (or of a PoissonInput) add in the flat buffer."""
        post = projection.post if hasattr(projection, "post") else projection.population
        if isinstance(projection.synapse, Delta):
            return self.delta_offsets[(post.name, projection.synapse.target)]
        return self.channel_offsets[(post.name, projection.synapse)]

    def driven_plan(self, constant_currents: dict[str, np.ndarray], varying: set[str]) -> tuple[set[str], dict[str, list[int]]]:
        """How driven neuron updates are counted (``ActivityCounts.neuron_updates_driven``).

        Returns ``(always, offsets)``: ``always`` are the populations whose injected current is
        constant and non-zero (in the run's precision) for every neuron, counted on the host;
        ``offsets`` maps every other integrated population that receives any input to where its
        deliveries land in the step's inbox (one compare-and-add per neuron and step)."""
        always = {name for name, values in constant_currents.items()
                  if name not in varying and np.all(np.asarray(values, dtype=self.dtype) != 0)}
        offsets = {}
        for population in self.neuron_populations:
            name = population.name
            segments = sorted({self.channel_offsets[(name, c)] for c in self.channels[name]}
                              | {o for (target, _), o in self.delta_offsets.items() if target == name})
            if name not in always and (segments or name in constant_currents or name in varying):
                offsets[name] = segments
        return always, offsets

    # -- rows -------------------------------------------------------------------------------
    def _build_rows(self, hand_over: bool) -> None:
        self.outgoing: list[Outgoing] = []
        dense_bytes = 0
        for population in self.populations:
            # A shard keeps its empty projections: every shard's groups must be the same.
            leaving = [p for p in self.projections if p.pre is population and (p.n_synapses > 0 or self.floors is not None)]
            static = [p for p in leaving if p.plasticity is None]
            groups = ([(static, False)] if static else []) + [([p], True) for p in leaving if p.plasticity is not None]
            for projections, plastic in groups:
                delayed = any(int(p.delay_steps.max(initial=0)) > 0 for p in projections)
                out = Outgoing(population, projections, delayed, plastic)
                if self.floors is not None:
                    out.delayed = delayed or self.floors.get(("delayed", out.name), False)
                out.out_degrees = self._out_degrees(population, projections)
                if plastic:
                    pass  # built after the memory check, like every group
                elif self.engine == "event":
                    # (shards keep one ELL per group: every shard's tables must have the same shapes)
                    plan = None if self.floors is not None else bucket_plan(out.out_degrees[:len(projections), :population.size].sum(axis=0))
                    if plan is not None:
                        offsets = np.cumsum([0] + [(members.size + 1) * width for members, width in plan])
                        out.buckets = [RowBucket(members, width, int(offset)) for (members, width), offset in zip(plan, offsets)]
                else:
                    out.dense_delays = sorted({int(d) for p in projections for d in np.unique(p.delay_steps)})
                    dense_bytes += len(out.dense_delays) * population.size * self.buffer_size * np.dtype(self.dtype).itemsize
                    if dense_bytes > DENSE_MEMORY_LIMIT_BYTES:
                        raise SpikenetError(
                            f"the dense path would need {dense_bytes / 2**30:.2f} GiB for its weight matrices "
                            f"(limit {DENSE_MEMORY_LIMIT_BYTES / 2**30:.2f} GiB, set SPIKENET_DENSE_LIMIT_BYTES); "
                            f"use engine='event'")
                self.outgoing.append(out)
        self.rows_bytes = self._check_rows_memory()
        handed = self._hand_over_static_groups() if hand_over else []
        for out in self.outgoing:
            if any(out is group for group in handed):
                continue
            if out.plastic:
                self._build_plastic_rows(out)
            elif self.engine == "event":
                self._build_static_rows(out)
        if self.engine == "event":
            self._fuse_static_rows()

    def _hand_over_static_groups(self) -> list[Outgoing]:
        """``compile(keep_synapses=False)``: group by group (smallest first), a static group's target
        and weight rows are built and each of its projections is handed over
        (:func:`spikenet.network.hand_over`) as soon as it is in them (:func:`build_rows`, ``placed``),
        so the description and the tables never coexist in full. Plastic groups
        and the static rows that may ride in a plastic group's loop (undelayed, unbucketed, of a
        population with a plastic projection) keep their synapses. Returns the groups handed over."""
        from spikenet.network import hand_over, is_handed_over
        from spikenet.validation import return_freed_memory

        if self.engine != "event":
            return []
        learning = {out.population.name for out in self.outgoing if out.plastic}
        handed = [out for out in self.outgoing if not out.plastic and not (fusable(out) and out.population.name in learning)]
        for out in sorted(handed, key=lambda out: int(out.out_degrees[:len(out.projections)].sum())):
            self._build_static_rows(out, hand_over=hand_over)
            for projection in out.projections:
                if not is_handed_over(projection):  # (a bucketed group's, after its weights)
                    hand_over(projection)
            return_freed_memory()
        return handed

    def _fuse_static_rows(self) -> None:
        """A population's static, undelayed rows ride in the loop of its plastic projection (one
        loop iteration and one scatter per spike instead of two of each). Their weights join the
        arena after the plastic rows; their targets go to a second inbox at the arena's front,
        covering the span [lo, hi) of the flat buffer they reach, added into the buffer at the
        end of the step."""
        for out in self.outgoing:
            if not out.plastic:
                continue
            for other in self.outgoing:
                if not fusable(other) or other.population is not out.population or other.fused_into is not None:
                    continue
                n_post = out.projections[0].post.size
                n_rows, width = out.post_index.shape
                static_targets = other.targets.astype(np.int64)
                reached = static_targets < self.buffer_size
                lo = int(static_targets[reached].min(initial=0))
                hi = int(static_targets[reached].max(initial=-1)) + 1 if reached.any() else lo
                if self.floors is not None and ("span", out.name) in self.floors:  # every shard: the same span
                    lo, hi = self.floors[("span", out.name)]
                front_size = n_post + hi - lo
                arena_size = front_size + n_rows * (width + static_targets.shape[1])
                if arena_size >= 2**31:
                    break  # too large for int32 indices: keep the two loops
                plastic_targets = np.where(out.post_index < n_post, out.post_index, arena_size)
                static_inbox = np.where(reached, static_targets - lo + n_post, arena_size)
                out.targets = np.concatenate([plastic_targets, static_inbox], axis=1).astype(np.int32)
                out.front_size, out.static_span = front_size, (lo, hi)
                out.fused, other.fused_into = other, out
                break

    # -- weights ------------------------------------------------------------------------------
    def rows_weights(self, out: Outgoing, weights: dict[str, np.ndarray]) -> "np.ndarray | list[np.ndarray]":
        """The (n_pre + 1, K) weight rows of a group, from per-projection weights (synapse order);
        for a bucketed static group, the (n_b + 1, W_b) rows of each bucket (views of one table)."""
        rows = host_table((out.entries,), self.dtype, 0)  # (aligned: placed on a CPU device without a copy)
        positions = out.positions if out.positions else static_positions(out)
        for projection, position in zip(out.projections, positions):
            rows[position] = weights[projection.name]
        if out.buckets is not None:
            return [rows[b.offset:b.offset + b.entries].reshape(b.members.size + 1, b.width) for b in out.buckets]
        return rows.reshape(out.population.size + 1, out.width)

    def dense_matrices(self, out: Outgoing, weights: dict[str, np.ndarray]) -> list[tuple[int, np.ndarray]]:
        """The dense path's (n_pre, buffer) matrices of a static group, one per delay."""
        matrices = []
        for delay in out.dense_delays:
            matrix = np.zeros((out.population.size, self.buffer_size), dtype=np.float64)
            for p in out.projections:
                chosen = p.delay_steps == delay
                np.add.at(matrix, (p.synapses.pre[chosen], self.target_offset(p) + p.synapses.post[chosen]), weights[p.name][chosen])
            matrices.append((delay, matrix.astype(self.dtype)))
        return matrices

    def plastic_group(self, projection_name: str) -> Outgoing:
        for out in self.outgoing:
            if out.plastic and out.projections[0].name == projection_name:
                return out
        raise SpikenetError(f"projection {projection_name!r} has no plasticity rule; plastic: "
                            f"{[o.projections[0].name for o in self.outgoing if o.plastic]}")
