"""Delivery strategies: how the static rows of a step's spiking neurons reach the input buffer.

All take the same arguments and give identical results (on XLA:CPU the scatter adds its
updates in order, and all add rows in ascending neuron order):

* ``"native"`` (:class:`NativeRows`, the CPU default where it builds): one custom call that
  walks the set bits of the packed spikes and adds each row in C++
  (:mod:`spikenet.engine.native`); the loop below where no C++ compiler is found or with
  ``SPIKENET_NATIVE=0``. Measured 2.5-4x faster than the loop on COBA rows of 70-130 synapses.
* ``"loop"`` (:class:`SpikeLoop`): a loop with one iteration per spike, each
  finding its neuron by rank/select over the packed spike bits and adding that row
  (:func:`spikenet.propagation.deliver_events`). Work is spikes x row width; nothing can
  overflow. On XLA:CPU this measured 3x faster than a fixed-capacity scatter.
* ``"compacted"`` (:class:`CompactedRows`, the default on accelerators): the spiking neurons of
  the step are compacted into the smallest of a few capacity tiers that holds them all (chosen
  per step with ``lax.switch``) and their rows are added by one scatter. Past the largest tier
  the step falls back to the loop, so no burst can drop a spike. Its speed on a GPU has not
  been measured yet.

Plastic projections always use the loop (each spike updates its row after delivering it).

Static groups stored in degree buckets (a few hub neurons: see
:func:`spikenet.engine.layout.bucket_plan`) call ``deliver`` once per bucket, with the packed
spikes of that bucket's members and its rows (:func:`spikenet.engine.step.deliver_static`): the
loop runs over that bucket's spikes only; ``CompactedRows`` compacts per bucket (its tiers count
the bucket's spikes; past the largest, the loop over that bucket). The strategies need nothing
more. With buckets the additions run by bucket, then by ascending neuron, not in one ascending
order over the population as with a single table: floating-point sums may differ in the last
bits from an unbucketed layout (the two strategies still agree exactly with each other), while
event counts are the same integers.
"""

from __future__ import annotations

import warnings
from typing import Protocol

import jax
import jax.numpy as jnp
from jax import lax

from spikenet.engine.native import TARGETS, deliver_native, native_disabled, native_library, take_slot
from spikenet.propagation import _ranks, _select, deliver_events
from spikenet.validation import SpikenetError


class Delivery(Protocol):
    """Adds the rows of the neurons whose bits are set in ``words`` to ``buffer``; returns the
    buffer and the int32 events per counter (see :func:`spikenet.propagation.deliver_events`).
    A row's synapses fill its first slots and its padding follows them (the layout of
    :func:`spikenet.propagation.build_rows`; the native kernel ends a row at its first padding)."""

    name: str

    def deliver(self, buffer, words, targets, weights, out_degrees, shift=None, wrap=None): ...


class SpikeLoop:
    """One loop iteration per spike (rank/select over the packed bits)."""

    name = "loop"

    def deliver(self, buffer, words, targets, weights, out_degrees, shift=None, wrap=None):
        return deliver_events(buffer, words, targets, weights, out_degrees, shift=shift, wrap=wrap)


class NativeRows:
    """The native CPU kernel (:func:`spikenet.engine.native.deliver_native`); the loop for a
    dtype pair the kernel does not cover. Refused where the kernel cannot be built."""

    name = "native"

    def __init__(self) -> None:
        available, reason = native_library()
        if not available:
            raise SpikenetError(f"delivery='native' is not available: {reason}")

    def deliver(self, buffer, words, targets, weights, out_degrees, shift=None, wrap=None):
        if jax.default_backend() != "cpu" or (buffer.dtype, targets.dtype) not in TARGETS:
            return deliver_events(buffer, words, targets, weights, out_degrees, shift=shift, wrap=wrap)
        return deliver_native(buffer, words, targets, weights, out_degrees, shift=shift, wrap=wrap)

    def take_slot(self, ring, slot, size: int):
        """The ring's row ``slot`` (of ``size``) and the ring with that row zeroed (in place on a CPU)."""
        if jax.default_backend() != "cpu" or ring.dtype not in (jnp.float32, jnp.float64):
            return take_slot_jax(ring, slot, size)
        return take_slot(ring, slot, size)


def take_slot_jax(ring, slot, size: int):
    """(ring with row ``slot`` zeroed, that row) for the ring viewed as (slots, ``size``). 2-D row
    indexing: a flat dynamic_slice/dynamic_update_slice pair on the ring was miscompiled by
    XLA:CPU (jaxlib 0.10.2) inside the step."""
    rows = ring.reshape(-1, size)
    return rows.at[slot].set(0.0).reshape(-1), rows[slot]


class CompactedRows:
    """Spiking neurons compacted into capacity tiers, one scatter per step; the loop past the
    largest tier. ``tiers``: capacities in spikes per step (ascending)."""

    name = "compacted"

    def __init__(self, tiers: tuple[int, ...] = (16, 128, 1024)) -> None:
        if not tiers or any(not isinstance(t, int) or isinstance(t, bool) or t < 1 for t in tiers) or list(tiers) != sorted(set(tiers)):
            raise SpikenetError(f"CompactedRows tiers must be ascending positive integers; got {tiers!r}")
        self.tiers = tuple(tiers)

    def deliver(self, buffer, words, targets, weights, out_degrees, shift=None, wrap=None):
        n_pre = targets.shape[0] - 1
        word_counts, cumulative, total = _ranks(words)
        capacities = [t for t in self.tiers if t < n_pre] + ([n_pre] if n_pre <= self.tiers[-1] else [])

        def tier(capacity: int):
            def run(buffer):
                # the spiking neurons in ascending order, found by rank in the packed words (one
                # vectorised select of `capacity` ranks); the padding row past the last spike
                rows = _select(words, word_counts, cumulative, jnp.arange(capacity, dtype=jnp.int32), n_pre)
                row_targets = targets[rows]
                if shift is not None:
                    row_targets = row_targets + shift
                    row_targets = jnp.where((row_targets >= wrap) & (row_targets < 2 * wrap), row_targets - wrap, row_targets)
                buffer = buffer.at[row_targets.reshape(-1)].add(weights[rows].reshape(-1), mode="drop")
                return buffer, jnp.sum(out_degrees[:, rows], axis=1, dtype=jnp.int32)
            return run

        branches = [tier(c) for c in capacities]
        if n_pre > self.tiers[-1]:  # a burst past the largest tier: one iteration per spike
            branches.append(lambda buffer: deliver_events(buffer, words, targets, weights, out_degrees, shift=shift, wrap=wrap))
        index = jnp.searchsorted(jnp.asarray(capacities, jnp.int32), total, side="left")
        return lax.switch(jnp.minimum(index, len(branches) - 1), branches, buffer)


DELIVERIES = {"native": NativeRows, "loop": SpikeLoop, "compacted": CompactedRows}


def delivery_strategy(delivery: "str | Delivery | None") -> Delivery:
    """The strategy for ``compile(delivery=...)``: a name, an instance, or None (by backend)."""
    if delivery is None:
        if jax.default_backend() != "cpu":
            return CompactedRows()
        available, reason = native_library()
        if not available and not native_disabled():
            warnings.warn(f"spikenet: {reason}; static rows are delivered by the (slower) JAX loop", RuntimeWarning, stacklevel=3)
        return NativeRows() if available else SpikeLoop()
    if isinstance(delivery, str):
        if delivery not in DELIVERIES:
            raise SpikenetError(f"delivery must be one of {sorted(DELIVERIES)} or a Delivery instance; got {delivery!r}")
        return DELIVERIES[delivery]()
    if not callable(getattr(delivery, "deliver", None)) or not isinstance(getattr(delivery, "name", None), str):
        raise SpikenetError(f"delivery must be one of {sorted(DELIVERIES)} or have a name and deliver(); got {delivery!r}")
    return delivery
