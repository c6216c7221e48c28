"""Spike exchange of the sharded engine (:mod:`spikenet.engine.shard`): every step, or once per
window of ``d`` steps when every delay allows it (NEST's min-delay communication).

Every step (``window == 1``). After the thresholds each shard packs its slices' spikes and one
``all_gather`` of all populations' packed words hands every shard the ghosts' words. Where every
device is a CPU device of this process (one thread each: ``--xla_force_host_platform_device_count``)
the native :func:`gather_words` does it instead: the same words through a
spinning barrier in shared memory, ordered by a carried ``exchange_order`` (XLA's in-process
rendezvous measured ~100 us per step on the 2-core project VM, ~8 % of COBA-400,000's step on 2
devices). Several processes (``jax.distributed``) and accelerators keep ``lax.all_gather``.

Once per window (``window == d > 1``). A spike emitted at step ``t`` through a synapse of delay
``D >= d`` steps is due at ``t + D``, after the end of its window (``t + d - 1`` at the latest),
so delivering it at the window's end, into the ring slot it would have had, changes nothing. Each
shard keeps the packed words of the window's steps (``carry["pending"]``: its owned slices, and the
sources of delayed groups); at the window's last step, one ``all_gather`` of the whole window's
words, then every deferred group is delivered step by step in the window, group by group in layout
order: each ring slot receives its additions in the single-device order, so sums are bitwise equal.
Deferred: every group from a ghost and every delayed static group (also from a local source: were
it delivered at once, a slot's additions would change order). ``d`` is at most the smallest delay of
those groups' synapses; with a plastic group among them (a pre-synaptic spike updates its row when
it arrives) ``d`` is 1. A chunk ends with a flush of the partial window (the final state holds no
pending spike, and the events are counted in the run that emitted them); windows are aligned on
``t % d``, so ``resume=`` continues them.
"""

from __future__ import annotations

import itertools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from spikenet.engine.native import native_library
from spikenet.propagation import WORD_BITS, pack_spikes
from spikenet.validation import SpikenetError

#: seconds a shard waits for the others in :func:`gather_words` before the run fails
GATHER_TIMEOUT_SECONDS = 600.0
_gather_keys = itertools.count(1)


def in_process_exchange() -> bool:
    """Whether :func:`gather_words` can replace ``lax.all_gather`` here: the native library is
    available, the backend is the CPU and every device belongs to this process (one thread each)."""
    return native_library()[0] and jax.default_backend() == "cpu" and jax.process_count() == 1


def gather_words(words, axis: str, shards: int, order):
    """``(lax.all_gather(words, axis), order + 1)``: the gathered words (shape ``(shards,
    len(words))``, shard order) for the CPU devices of one process, as one custom call with a
    spinning barrier (the kernel ``GatherWords`` in :mod:`spikenet.engine.native`). ``order``
    (int32, shape (1,)) must be the previous call's: it orders a shard's exchanges. Every call
    site gets its own exchange buffer; one run of a compiled network at a time."""
    call = jax.ffi.ffi_call("spikenet_gather_words", (jax.ShapeDtypeStruct((shards, words.shape[0]), jnp.uint32),
                                                      jax.ShapeDtypeStruct((1,), jnp.int32)),
                            vmap_method="sequential", has_side_effect=True)
    shard = jnp.reshape(lax.axis_index(axis), (1,)).astype(jnp.int32)
    return call(words.astype(jnp.uint32), shard, order, key=np.int64(next(_gather_keys)), shards=np.int64(shards),
                timeout_seconds=np.float64(GATHER_TIMEOUT_SECONDS))


def window_limit(layout: Any, smallest_delays: dict[str, int]) -> int:
    """The largest exchange window (steps) the network allows: the smallest delay (steps) of the
    deferred groups' synapses over the whole network (``smallest_delays``: per projection with
    synapses, its smallest delay; 1 if a deferred group is plastic or undelayed)."""
    limit = None
    for out in (layout.outgoing[i] for i in deferred_groups(layout, fused=True)):
        if out.plastic:
            return 1
        for projection in out.projections:
            if projection.name in smallest_delays:
                smallest = smallest_delays[projection.name]
                limit = smallest if limit is None else min(limit, smallest)
    return max(1, limit if limit is not None else 1)


def exchange_window(layout: Any, smallest_delays: dict[str, int], requested: Any) -> int:
    """``exchange_every`` checked against :func:`window_limit` (None: the limit)."""
    limit = window_limit(layout, smallest_delays)
    if requested is None:
        return limit
    if isinstance(requested, bool) or not isinstance(requested, (int, np.integer)) or not 1 <= requested <= limit:
        raise SpikenetError(f"exchange_every must be an integer in [1, {limit}] steps for this network (its smallest delay "
                            f"between devices, 1 with plasticity or zero delays); got {requested!r}")
    return int(requested)


def deferred_groups(layout: Any, fused: bool = False) -> tuple[int, ...]:
    """Indices (in ``layout.outgoing``) of the groups delivered at the end of a window (with
    ``fused``, also the static groups fused into a plastic group's loop that would be)."""
    shard = layout.shard
    return tuple(i for i, out in enumerate(layout.outgoing)
                 if (fused or out.fused_into is None) and (out.population.name in shard.ghosts or out.delayed))


def pending_words(layout: Any) -> dict[str, int]:
    """Population -> packed words per step kept in ``carry["pending"]`` (owned slices and the
    local sources of deferred groups)."""
    shard, sizes = layout.shard, {}
    for i in deferred_groups(layout):
        name = layout.outgoing[i].population.name
        name = shard.ghosts.get(name, name)
        sizes[name] = -(-layout.network.populations[name].size // WORD_BITS)
    for owner in shard.ghosts.values():
        sizes[owner] = -(-layout.network.populations[owner].size // WORD_BITS)
    return sizes


def own_spikes(plan: Any, spiked: dict, arguments: dict) -> dict:
    """The owned slices' spikes without padding, packed (as on one device: padding never spikes)."""
    words = {}
    for name in plan.layout.shard.owned:
        spiked[name] = spiked[name] & arguments["shard"]["valid"][name]
        words[name] = pack_spikes(spiked[name])
    return words


def exchange_spikes(plan: Any, spiked: dict, arguments: dict, order: Any = None) -> tuple[dict, dict, Any]:
    """Every step: the ghosts' spikes from one ``all_gather`` of all owned populations' words.

    Each shard owns a slice of every neuron population (padded to whole 32-bit words). The
    gathered words of a population, in shard order, are its ghost's packed words (ghost neuron
    ``d * local + i`` is shard ``d``'s neuron ``i``). Returns the spike vectors (the ghosts'
    unpacked, used only by plasticity), the packed words of the owned populations and the ghosts,
    and ``order`` (the carried ``"exchange_order"``: see :func:`exchange_order`) after this step's
    exchange. With a window the ghosts get no words here (:func:`store_and_exchange` delivers them)."""
    shard = plan.layout.shard
    words = own_spikes(plan, spiked, arguments)
    if not shard.ghosts:
        return spiked, words, order
    if shard.window > 1:
        for ghost, owner in shard.ghosts.items():
            words[ghost] = jnp.zeros(words[owner].shape[0] * shard.count, jnp.uint32)
        return spiked, words, order
    # One collective per step for every population (a collective costs tens of microseconds on CPU).
    local = jnp.concatenate([words[owner] for owner in shard.ghosts.values()])
    if order is not None:  # the devices are threads of this process: a spinning barrier, not XLA's rendezvous
        gathered, order = gather_words(local, shard.axis, shard.count, order)
    else:
        gathered = lax.all_gather(local, shard.axis)
    start = 0
    for ghost, owner in shard.ghosts.items():  # (gathered: shards x the words of every population)
        size = words[owner].shape[0]
        words[ghost] = gathered[:, start:start + size].reshape(-1)
        start += size
        bits = (words[ghost][:, None] >> jnp.arange(32, dtype=jnp.uint32)) & jnp.uint32(1)
        spiked[ghost] = bits.reshape(-1).astype(bool)
    return spiked, words, order


def exchange_order(layout: Any) -> dict:
    """The carry entry that orders the native exchanges (:func:`gather_words`)
    of a sharded network whose devices are all threads of this process: ``{"exchange_order":
    int32 (1,)}``; empty where ``lax.all_gather`` exchanges (several processes, not a CPU, no
    native library, no ghosts, or a window of several steps)."""
    shard = getattr(layout, "shard", None)
    if shard is None or not shard.ghosts or shard.window > 1 or not in_process_exchange():
        return {}
    return {"exchange_order": jnp.zeros(1, jnp.int32)}


def no_events(plan: Any, arguments: dict) -> dict:
    """Zero events for every deferred group (:attr:`ShardPlan.deferred`)."""
    return {i: jnp.zeros(arguments["rows"][i]["out_degrees"].shape[0], jnp.int32) for i in plan.layout.shard.deferred}


def deliver_window(plan: Any, pending: dict, ring: Any, arguments: dict, first_step: Any) -> tuple[Any, dict]:
    """One ``all_gather`` of the window's owned words, then every deferred group delivered step by
    step (``first_step + j``), group by group in layout order. Returns the ring and the events per group."""
    layout, shard = plan.layout, plan.layout.shard
    window = shard.window
    owners = list(shard.ghosts.values())
    step_words = {name: pending[name] for name in pending if name not in owners}  # local sources
    if owners:
        gathered = lax.all_gather(jnp.concatenate([pending[o] for o in owners], axis=1), shard.axis)  # (shards, window, all)
        start = 0
        for ghost, owner in shard.ghosts.items():
            size = pending[owner].shape[1]
            step_words[ghost] = jnp.swapaxes(gathered[:, :, start:start + size], 0, 1).reshape(window, -1)
            start += size
    groups = shard.deferred
    wrap = layout.ring_slots * layout.buffer_size

    def one_step(carry, xs):
        ring, events = carry
        j, words = xs
        shift = ((first_step + j) % layout.ring_slots) * layout.buffer_size
        events = dict(events)
        for index in groups:
            out, rows = layout.outgoing[index], arguments["rows"][index]
            ring, added = plan.delivery.deliver(ring, words[out.population.name], rows["targets"], rows["weights"],
                                                rows["out_degrees"], shift=shift, wrap=wrap)
            events[index] = events[index] + added
        return (ring, events), None

    events = no_events(plan, arguments)
    xs = (jnp.arange(window, dtype=jnp.int32), {layout.outgoing[i].population.name: step_words[layout.outgoing[i].population.name]
                                                for i in groups})
    (ring, events), _ = lax.scan(one_step, (ring, events), xs)
    return ring, events


def store_and_exchange(plan: Any, pending: dict, words: dict, ring: Any, arguments: dict, t: Any) -> tuple[Any, dict, dict]:
    """Keep this step's words in the window; at the window's last step, deliver it (:func:`deliver_window`)."""
    window = plan.layout.shard.window
    position = t % window
    pending = {name: buffer.at[position].set(words[name]) for name, buffer in pending.items()}

    def exchange(operand):
        ring, pending = operand
        ring, events = deliver_window(plan, pending, ring, arguments, t - position)
        return ring, {name: jnp.zeros_like(b) for name, b in pending.items()}, events

    def wait(operand):
        ring, pending = operand
        return ring, pending, no_events(plan, arguments)

    return lax.cond(position == window - 1, exchange, wait, (ring, pending))


def flush(plan: Any, carry: dict, outputs: dict, arguments: dict) -> tuple[dict, dict]:
    """End of a chunk: deliver the partial window (the steps since the last exchange); its events
    are added to the chunk's last step."""
    last = carry["t"] - 1
    ring, events = deliver_window(plan, carry["pending"], carry["ring"], arguments, last - last % plan.layout.shard.window)
    pending = {name: jnp.zeros_like(b) for name, b in carry["pending"].items()}
    every_group = jnp.concatenate([events[i] if i in events else jnp.zeros(rows["out_degrees"].shape[0], jnp.int32)
                                   for i, rows in enumerate(arguments["rows"])])
    outputs = {**outputs, "events": outputs["events"].at[-1].add(every_group)}
    return {**carry, "ring": ring, "pending": pending}, outputs


def check_windowable(layout: Any) -> None:
    """Sharded static groups keep one ELL (no degree buckets): what :func:`deliver_window` assumes."""
    for i in deferred_groups(layout):
        if layout.outgoing[i].buckets is not None:  # pragma: no cover
            raise SpikenetError("internal: a deferred group of a sharded network has degree buckets; please report this network")
