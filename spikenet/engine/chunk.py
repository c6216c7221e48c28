"""The compiled unit of a run: a chunk of steps in one ``lax.scan``, with state monitors sampled
every ``every`` steps (at the start of the step, as Brian2's StateMonitor does)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from spikenet.engine.exchange import exchange_order, flush
from spikenet.engine.state import channel_values
from spikenet.engine.step import make_step
from spikenet.validation import SpikenetError

MONITOR_BYTES_PER_CHUNK = 64 * 2**20
MAX_CHUNK_STEPS = 10000
#: Steps per loop iteration of networks with at least UNROLL_MIN_NEURONS neurons (per device).
#: XLA:CPU copies every carried state array once per iteration of a ``lax.scan``; four steps per
#: iteration removed three of four copies: COBA fan-in 80, N = 400,000, float32, one core,
#: 200 ms: 5.0 -> 4.0 s; N = 120,000: 1.34 -> 1.08 s; but N = 40,000 (state in the L2 cache):
#: 0.20 -> 0.24 s, and compiling four copies of the step doubled the compile time of small tests.
UNROLL = 4
UNROLL_MIN_NEURONS = 100_000


def plan_chunks(n_steps: int, every: int, bytes_per_step: float, chunk_steps: Any) -> int:
    """Steps per chunk: bounded by monitor memory and MAX_CHUNK_STEPS, a multiple of the state
    monitors' ``every``, preferably dividing the run (one compiled function serves every chunk)."""
    if chunk_steps is not None:
        if isinstance(chunk_steps, bool) or not isinstance(chunk_steps, (int, np.integer)) or chunk_steps < 1 or chunk_steps % every:
            raise SpikenetError(f"chunk_steps must be a positive integer multiple of the state monitors' every = {every} steps; "
                                f"got {chunk_steps!r}")
        return int(chunk_steps)
    chunk = int(min(MAX_CHUNK_STEPS, max(1, MONITOR_BYTES_PER_CHUNK // max(bytes_per_step, 1))))
    chunk = max(every, chunk - chunk % every)
    chunk = min(chunk, max(every * -(-n_steps // every), every))
    for candidate in range(chunk, max(every, chunk // 2) - 1, -every):
        if n_steps % candidate == 0:
            return candidate
    return chunk


def steps_per_iteration(layout: Any) -> int:
    """UNROLL for a network (a shard's, sharded) of at least UNROLL_MIN_NEURONS neurons, else 1."""
    return UNROLL if sum(p.size for p in layout.neuron_populations) >= UNROLL_MIN_NEURONS else 1


def scan_steps(step: Any, carry: Any, rasters: Any, length: int, unroll: int):
    """``lax.scan(step, carry, rasters, length=length)`` with ``unroll`` steps per loop iteration:
    ``length // unroll`` iterations of ``unroll`` steps, then the remaining steps one per
    iteration in a separate loop; fewer than ``2 * unroll`` steps: all one per iteration. XLA
    inlines a loop of one iteration (and ``lax.scan(unroll=...)`` runs the remainder as
    straight-line code) and then fuses across the steps differently, which changed float32 results
    in the last bit with the chunk length; so the unrolled steps run only in a loop of at least
    two iterations here (tests/test_engine.py checks chunk lengths 1 to 700 bit for bit)."""
    full, rest = divmod(length, unroll) if unroll > 1 and length >= 2 * unroll else (0, length)
    pieces = []
    if full:
        def body(c, r):
            outs = []
            for i in range(unroll):
                c, o = step(c, jax.tree_util.tree_map(lambda x: x[i], r))
                outs.append(o)
            return c, jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *outs)

        head = jax.tree_util.tree_map(lambda r: r[:full * unroll].reshape(full, unroll, *r.shape[1:]), rasters)
        carry, outputs = lax.scan(body, carry, head, length=full)
        pieces.append(jax.tree_util.tree_map(lambda o: o.reshape(full * unroll, *o.shape[2:]), outputs))
    if rest:
        tail = jax.tree_util.tree_map(lambda r: r[full * unroll:], rasters)
        carry, outputs = lax.scan(step, carry, tail, length=rest)
        pieces.append(outputs)
    if len(pieces) == 1:
        return carry, pieces[0]
    return carry, jax.tree_util.tree_map(lambda a, b: jnp.concatenate([a, b]), *pieces)


def chunk_function(plan: Any, n_steps: int, every: int, record_words: tuple, state_records: tuple, batched: Any,
                   mesh: Any = None):
    """The jitted chunk ``(carry, rasters, arguments, key) -> (carry, outputs)``; the key and the
    arguments are inputs (a new seed or parameter value does not recompile). ``batched``: None,
    or the ``in_axes`` of the arguments for a vmap over a leading axis of carry and key.
    ``mesh`` (sharded engine): carry, arguments and outputs have a leading shard axis split over
    the mesh's devices; rasters and key are the same on every shard."""
    layout = plan.layout
    unroll = steps_per_iteration(layout)

    def record(carry):
        recorded = []
        for population, variable, indices in state_records:
            if variable in carry["neurons"][population]:
                values = carry["neurons"][population][variable]
            else:
                values = channel_values(layout, carry["channels"], population, variable)
            recorded.append(values[np.asarray(indices, np.int32)])
        return tuple(recorded)

    def run_chunk(carry, rasters, arguments, key):
        step = make_step(plan, key, record_words)
        scan_step = lambda c, r: step(c, r, arguments)  # noqa: E731
        # Per-neuron counters of driven updates, carried through the chunk and returned once.
        carry = {**carry, "driven": {name: jnp.zeros(layout.network.populations[name].size, jnp.int32)
                                     for name in plan.driven_offsets}, **exchange_order(layout)}
        if not state_records:
            carry, outputs = scan_steps(scan_step, carry, rasters, n_steps, unroll)
            if "pending" in carry:  # sharded, exchange once per window: the partial window
                carry, outputs = flush(plan, carry, outputs, arguments)
            driven = carry.pop("driven")
            carry.pop("exchange_order", None)
            return carry, {**outputs, "driven": driven}

        def block(carry, block_rasters, length):
            recorded = record(carry)
            carry, outputs = scan_steps(scan_step, carry, block_rasters, length, unroll)
            return carry, (recorded, outputs)

        full, rest = divmod(n_steps, every)
        head = jax.tree_util.tree_map(lambda r: r[:full * every].reshape(full, every, *r.shape[1:]), rasters)
        carry, (recorded, outputs) = lax.scan(lambda c, r: block(c, r, every), carry, head, length=full)
        outputs = jax.tree_util.tree_map(lambda o: o.reshape(full * every, *o.shape[2:]), outputs)
        if rest:  # a last, partial block: one more sample, then the remaining steps
            tail = jax.tree_util.tree_map(lambda r: r[full * every:], rasters)
            carry, (last, more) = block(carry, tail, rest)
            recorded = tuple(jnp.concatenate([a, b[None]]) for a, b in zip(recorded, last))
            outputs = jax.tree_util.tree_map(lambda a, b: jnp.concatenate([a, b]), outputs, more)
        if "pending" in carry:
            carry, outputs = flush(plan, carry, outputs, arguments)
        driven = carry.pop("driven")
        carry.pop("exchange_order", None)
        return carry, (recorded, {**outputs, "driven": driven})

    if mesh is not None:
        from jax.sharding import PartitionSpec

        axis = plan.layout.shard.axis
        own, same = PartitionSpec(axis), PartitionSpec()

        def per_shard(carry, rasters, arguments, key):
            local = jax.tree_util.tree_map(lambda x: x[0], (carry, arguments))
            carry, outputs = run_chunk(local[0], rasters, local[1], key)
            return jax.tree_util.tree_map(lambda x: x[None], (carry, outputs))

        return jax.jit(jax.shard_map(per_shard, mesh=mesh, in_specs=(own, same, own, same), out_specs=own, check_vma=False))
    if batched is None:
        return jax.jit(run_chunk)
    return jax.jit(jax.vmap(run_chunk, in_axes=(0, None, batched, 0)))
