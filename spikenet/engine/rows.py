"""Synapse row tables of one compiled network (numpy only): ELL rows per group of projections
leaving one population, degree buckets for groups with hub neurons, plastic rows with their
column index, and the memory estimate checked before any table is allocated (the fusion of
static rows into a plastic loop is :meth:`spikenet.engine.layout.Layout._fuse_static_rows`).
:class:`RowTables` is the part of :class:`spikenet.engine.layout.Layout` that builds them."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from spikenet.network import Population
from spikenet.propagation import build_rows
from spikenet.validation import SpikenetError, check_memory, format_bytes

BUCKET_SLACK_ENTRIES = 2**22
"""Padding entries a static group's single ELL may have beyond 2 x synapses + one per row before
the group is split into degree buckets (:func:`bucket_plan`): 4 M entries (32 MB of int32 targets
and float32 weights). Below that the single table costs less than the buckets' extra loops per
step and keeps the group fusable into its source's plastic loop (splitting COBA-4000's exc->inh
rows, max out-degree 37 for a mean of 16, made COBA + STDP 1.5x slower)."""


@dataclass
class RowBucket:
    """The rows of the neurons of one out-degree range of a static group: an ELL of its own width."""

    members: np.ndarray          # (n_b,) int32 source neurons whose rows these are, ascending
    width: int                   # W_b: the bucket's rows are (n_b + 1, W_b); the last row is padding
    offset: int                  # where the bucket starts in the group's flat weight table
    targets: Any = None          # (n_b + 1, W_b) int32, as Outgoing.targets
    out_degrees: Any = None      # (n_counters, n_b + 1) int32: the group's out_degrees of the members, 0 for padding

    @property
    def entries(self) -> int:
        return (self.members.size + 1) * self.width


def bucket_plan(degrees: np.ndarray, slack: int | None = None) -> list[tuple[np.ndarray, int]] | None:
    """Degree buckets for rows of out-degrees ``degrees`` (n_pre,), or None to keep one ELL.

    One ELL padded to the largest degree K has (n_pre + 1) x K entries; it is kept when that is at
    most 2 x synapses + n_pre + 1 + ``slack`` (uniform networks: one table, one loop per step).
    Otherwise the rows with synapses are classed by ceil(log2(degree)) (class k: degrees in
    (2^(k-1), 2^k], so a row is padded to less than twice its degree), each class an ELL as wide as
    its largest row plus a padding row; then adjacent classes are merged, cheapest first, while the
    total stays within max(2 x synapses + ``slack``, the classes' total), so that few buckets (few
    loops per step) remain. Rows without synapses are in no bucket (they deliver nothing).
    Returns ``[(members, width)]`` by ascending width, members ascending int32 neuron indices.
    """
    slack = BUCKET_SLACK_ENTRIES if slack is None else slack  # (read at call time: tests lower it)
    degrees = np.asarray(degrees, dtype=np.int64)
    n_pre, n_synapses = degrees.size, int(degrees.sum())
    single = (n_pre + 1) * max(int(degrees.max(initial=0)), 1)
    if single <= 2 * n_synapses + n_pre + 1 + slack:
        return None
    nonzero = np.flatnonzero(degrees)
    # ceil(log2(d)) exactly: the bit length of d - 1 (frexp's exponent; 0 for d = 1).
    classes = np.frexp((degrees[nonzero] - 1).astype(np.float64))[1].astype(np.int64)
    buckets = []  # [rows, width, classes]
    for label in np.unique(classes):
        chosen = classes == label
        buckets.append([int(chosen.sum()), int(degrees[nonzero][chosen].max()), [int(label)]])
    total = sum((n + 1) * w for n, w, _ in buckets)
    budget = max(2 * n_synapses + slack, total)
    while len(buckets) > 1:
        # Merging a class into the next wider one pads its rows to the wider width and saves a padding row.
        costs = [n_low * w_high - (n_low + 1) * w_low for (n_low, w_low, _), (_, w_high, _) in zip(buckets, buckets[1:])]
        k = int(np.argmin(costs))
        if total + costs[k] > budget:
            break
        total += costs[k]
        low, high = buckets[k], buckets[k + 1]
        buckets[k:k + 2] = [[low[0] + high[0], high[1], low[2] + high[2]]]
    if total >= single:
        return None
    return [(nonzero[np.isin(classes, labels)].astype(np.int32), width) for _, width, labels in buckets]


@dataclass
class Outgoing:
    """The rows of one group of projections leaving one population."""

    population: Population
    projections: list
    delayed: bool
    plastic: bool = False
    targets: Any = None          # (n_pre + 1, K) int32 indices into the buffer / ring / arena (None if bucketed)
    positions: list = field(default_factory=list)  # per projection: flat slot of each synapse in the rows
    width: int = 0               # K (the rows' weights are (n_pre + 1, K)); 0 if bucketed
    buckets: "list[RowBucket] | None" = None  # static: degree buckets replacing the single ELL (see bucket_plan)
    out_degrees: Any = None      # (2 x n_projections, n_pre + 1) synapses and delayed synapses per row
    dense_delays: list = field(default_factory=list)  # delays (steps) of the dense path's matrices
    post_index: Any = None       # plastic: (n_pre + 1, K) post-synaptic neuron of each slot (n_post = padding)
    column_slots: Any = None     # plastic: (n_post + 1, K_in) flat slot of each incoming synapse
    in_degree: Any = None        # plastic: (n_post + 1,) incoming synapses per post neuron
    synapse_slots: Any = None    # plastic: (n_synapses,) flat slot of each synapse, in CSR order
    front_size: int = 0          # plastic: inbox entries at the front of the arena
    static_span: tuple = (0, 0)  # plastic: buffer range [lo, hi) of the fused static rows' inbox
    fused: "Outgoing | None" = None  # plastic: the static group delivered in this group's loop
    fused_into: "Outgoing | None" = None  # static: the plastic group that delivers it
    weight_rows: Any = None      # static, keep_synapses=False: the weight rows built before the synapses were handed over

    @property
    def name(self) -> str:
        return self.projections[0].name if self.plastic else f"static:{self.population.name}"

    @property
    def entries(self) -> int:
        """Slots of the group's weight table (all buckets, or the single (n_pre + 1) x K ELL)."""
        if self.buckets is not None:
            return sum(bucket.entries for bucket in self.buckets)
        return (self.population.size + 1) * self.width


class RowTables:
    """Builds the row tables of a :class:`~spikenet.engine.layout.Layout` (which provides the
    buffer offsets, ``dtype``, ``engine`` and ``outgoing``)."""

    def _describe(self, out: Outgoing) -> str:
        degrees = out.out_degrees[:len(out.projections), :out.population.size].sum(axis=0)
        n_synapses, widest = int(degrees.sum()), int(degrees.max(initial=0))
        if out.plastic:
            return (f"the synapse rows of plastic projection {out.projections[0].name!r} ({n_synapses:,} synapses, "
                    f"every row padded to the largest out-degree {widest:,})")
        names = ", ".join(repr(p.name) for p in out.projections)
        return (f"the synapse rows of population {out.population.name!r} (static projection{'s' if len(out.projections) > 1 else ''} "
                f"{names}: {n_synapses:,} synapses, out-degree up to {widest:,})")

    def _rows_bytes(self, out: Outgoing) -> tuple[int, int]:
        """(kept, building) bytes of a group's row tables, from its degrees alone: ``kept`` for the
        run (indices, one weight table, positions, counters), ``building`` the extra temporaries
        of building them."""
        itemsize = np.dtype(self.dtype).itemsize
        n_pre, n_projections = out.population.size, len(out.projections)
        degrees = out.out_degrees[:n_projections, :n_pre].astype(np.int64).sum(axis=0)
        n_synapses, widest = int(degrees.sum()), max(int(degrees.max(initial=0)), 1)
        counters = out.out_degrees.nbytes
        if out.plastic:
            projection = out.projections[0]
            n_post = projection.post.size
            width_in = max(int(np.bincount(projection.synapses.post, minlength=n_post).max(initial=0)), 1)
            rows = (n_pre + 1) * widest
            traces = len(projection.plasticity.synapse_traces)
            # targets + post_index (int32), the arena and the synapse traces, their last step (int32)
            kept = (rows * (4 + 4 + itemsize * (1 + traces) + (4 if traces else 0)) + n_post * itemsize
                    + (n_post + 1) * width_in * 4 + n_synapses * 16 + counters)
            building = rows * 8 * 4 + (n_post + 1) * width_in * 8   # int64 rows, slot numbers, masks; int64 columns
            return kept, building
        if self.engine != "event":
            matrices = len(out.dense_delays) * n_pre * self.buffer_size
            return matrices * itemsize + counters, n_pre * self.buffer_size * 8   # one float64 matrix while built
        if out.buckets is not None:
            entries = sum(b.entries for b in out.buckets)
            kept = entries * (4 + itemsize) + n_synapses * 4 + sum(b.members.size for b in out.buckets) * 4 + 2 * counters
        else:
            kept = (n_pre + 1) * widest * (4 + itemsize) + counters
        largest = max(int(p.n_synapses) for p in out.projections)
        return kept, largest * 8 * 4   # per projection: targets, slots, row numbers (int64)

    def _check_rows_memory(self) -> int:
        """Refuse, before any row table is allocated, a network whose synapse rows and delay ring
        would not fit in the available memory (:func:`spikenet.validation.check_memory`); the
        message names the group that needs the most. Returns the bytes estimated."""
        sizes = []
        for out in self.outgoing:
            kept, building = self._rows_bytes(out)
            sizes.append((kept, building, self._describe(out)))
        if self.ring_slots:
            sizes.append((self.ring_slots * self.buffer_size * np.dtype(self.dtype).itemsize, 0,
                          f"the delay ring buffer ({self.ring_slots} slots x {self.buffer_size:,} entries)"))
        if not sizes:
            return 0
        # Everything kept, plus the temporaries of the group whose building needs the most.
        total = sum(kept for kept, _, _ in sizes) + max(building for _, building, _ in sizes)
        biggest = max(range(len(sizes)), key=lambda k: sizes[k][0] + sizes[k][1])
        what = sizes[biggest][2]
        if len(sizes) > 1:
            others = sum(kept for k, (kept, _, _) in enumerate(sizes) if k != biggest)
            what += (f" ({format_bytes(sizes[biggest][0] + sizes[biggest][1])}) with {len(sizes) - 1} other "
                     f"table{'s' if len(sizes) > 2 else ''} ({format_bytes(others)})")
        check_memory(total, what, f"for the {self.engine} engine's tables ({np.dtype(self.dtype).name} weights, int32 indices)",
                     advice="use smaller or sparser projections, precision='float32', or shorter delays")
        return total

    @staticmethod
    def _out_degrees(population: Population, projections: list) -> np.ndarray:
        n_pre = population.size
        degrees = np.zeros((2 * len(projections), n_pre + 1), dtype=np.int64)
        for k, projection in enumerate(projections):
            degrees[k, :n_pre] = projection.synapses.out_degree()
            degrees[len(projections) + k, :n_pre] = projection.synapses.out_degree(where=projection.delay_steps > 0)
        if degrees.max(initial=0) * max(n_pre, 1) >= 2**31:
            raise SpikenetError(f"population {population.name!r}: too many synapses per step to count in int32")
        return degrees.astype(np.int32)

    def _build_static_rows(self, out: Outgoing, hand_over: Any = None) -> None:
        """A static group's targets. With ``hand_over`` (:func:`spikenet.network.hand_over`), its weight
        rows too (``out.weight_rows``), a single table's projections handed over once in its rows."""
        wrap = self.ring_slots * self.buffer_size
        sentinel = 2 * wrap if out.delayed else self.buffer_size
        if sentinel >= 2**31:
            raise SpikenetError(f"population {out.population.name!r}: synapse index space exceeds int32")

        def targets(p, start=0, stop=None):  # int32 (sentinel < 2**31), synapses [start, stop)
            index = p.synapses.post[start:stop] + np.int32(self.target_offset(p))
            if out.delayed:
                index += np.multiply(p.delay_steps[start:stop], self.buffer_size, dtype=np.int32)
            return index

        if out.buckets is None:
            # (positions not stored: Layout.rows_weights recomputes them, 4 bytes per synapse saved)
            lists, weights = [p.synapses for p in out.projections], [p.weights for p in out.projections]

            def placed(k):  # (the last references to projection k's arrays)
                lists[k] = weights[k] = None
                hand_over(out.projections[k])
            out.targets, values = build_rows(out.population.size, lists, [functools.partial(targets, p) for p in out.projections],
                                             [weights] if hand_over else [], sentinel, target_dtype=np.int32, value_dtypes=[self.dtype],
                                             min_width=self.floor(("width", out.name)), placed=placed if hand_over else None)
            out.width = out.targets.shape[1]
            out.weight_rows = values[0] if hand_over else None
            return
        # Degree buckets: each an ELL over its members' rows (row r of bucket b is neuron members[r]);
        # a synapse's position is its flat slot in the group's table, buckets one after another.
        n_pre, n_counters = out.population.size, out.out_degrees.shape[0]
        bucket_of = np.full(n_pre, -1, dtype=np.int32)
        row_of = np.zeros(n_pre, dtype=np.int64)
        for b, bucket in enumerate(out.buckets):
            bucket_of[bucket.members] = b
            row_of[bucket.members] = np.arange(bucket.members.size)
        index = np.int32 if sum(b.entries for b in out.buckets) < 2**31 else np.int64
        out.positions = [np.empty(int(p.n_synapses), dtype=index) for p in out.projections]
        for b, bucket in enumerate(out.buckets):
            chosen = [np.flatnonzero(bucket_of[p.synapses.pre] == b) for p in out.projections]
            local: list = []
            bucket.targets, _ = build_rows(bucket.members.size, [row_of[p.synapses.pre[c]] for p, c in zip(out.projections, chosen)],
                                           (targets(p)[c] for p, c in zip(out.projections, chosen)), [], sentinel,
                                           target_dtype=np.int32, positions=local)
            if bucket.targets.shape[1] != bucket.width:
                raise AssertionError("bucket width differs from its plan")  # pragma: no cover
            for position, c, slots in zip(out.positions, chosen, local):
                position[c] = bucket.offset + slots
            bucket.out_degrees = np.concatenate([out.out_degrees[:, bucket.members], np.zeros((n_counters, 1), np.int32)], axis=1)
        if hand_over:  # (the layout hands the bucketed group's projections over)
            out.weight_rows = self.rows_weights(out, {p.name: p.weights for p in out.projections})

    def _build_plastic_rows(self, out: Outgoing) -> None:
        """Rows of one plastic projection, with the column index of synapse slots that ``on_post``
        uses to touch only a spiking neuron's inputs."""
        projection = out.projections[0]
        n_pre, n_post = projection.pre.size, projection.post.size
        synapses = projection.synapses
        # Targets index the projection's own inbox (one entry per post-synaptic neuron) at the
        # front of its arena; padding points past the arena and is dropped.
        post_index, (synapse_number,) = build_rows(
            n_pre, [synapses.pre], [synapses.post], [[np.arange(synapses.n_synapses)]], n_post, target_dtype=np.int64,
            min_width=self.floor(("width", out.name)))
        width = post_index.shape[1]
        arena_size = n_post + (n_pre + 1) * width
        if arena_size >= 2**31:
            raise SpikenetError(f"plastic projection {projection.name!r} is too large for int32 slot indices")
        valid = post_index < n_post
        targets = np.where(valid, post_index, arena_size)
        post_index = np.where(valid, post_index, n_post)
        rows, cols = np.nonzero(valid)
        slots = rows * width + cols
        out.synapse_slots = np.empty(synapses.n_synapses, dtype=np.int64)
        out.synapse_slots[synapse_number[rows, cols]] = slots
        out.positions = [out.synapse_slots]
        in_degree = np.bincount(post_index[rows, cols], minlength=n_post)
        width_in = max(int(in_degree.max(initial=0)), 1, self.floor(("width_in", out.name)))
        order = np.argsort(post_index[rows, cols], kind="stable")
        sorted_post = post_index[rows, cols][order]
        starts = np.zeros(n_post + 1, np.int64)
        np.cumsum(in_degree, out=starts[1:])
        position = np.arange(order.size) - starts[sorted_post]
        column_slots = np.full((n_post + 1, width_in), n_pre * width, dtype=np.int64)
        column_slots[sorted_post, position] = slots[order]
        out.width = width
        out.targets = targets.astype(np.int32)
        out.front_size = n_post
        out.post_index = post_index.astype(np.int32)
        out.column_slots = column_slots.astype(np.int32)
        out.in_degree = np.concatenate([in_degree, [0]]).astype(np.int32)
