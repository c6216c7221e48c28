"""Event propagation: deliver the spikes of one step, touching only the rows of neurons that spiked.

Spikes are packed into 32-bit words; the j-th spike of the step is found by a rank/select
search over per-word bit counts (no cumulative sum over neurons, no sort). A loop runs once
per spike and adds that neuron's row, so the work is spikes x fan-out and no event buffer
exists that could overflow: no spike can be dropped, whatever the burst size. (On XLA:CPU a
loop of one-row scatters measured 3x faster than one scatter of a fixed-capacity buffer of
rows chosen by ``lax.switch`` among 16/64/256/... rows, and needs no capacity.)

Rows are stored ELL style: ``targets[N_pre + 1, K]`` (indices into the flat input buffer of
the run, padded with an out-of-range sentinel that the scatter drops) and ``weights``; the
extra last row is all padding and stands in for "no spike". A static group with hub neurons is
stored as several such ELLs, one per out-degree bucket, each delivered by its own call over the
spikes of its own neurons (:func:`spikenet.engine.layout.bucket_plan`), so memory follows the
number of synapses rather than n_pre x the largest out-degree.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from spikenet.connectivity import Synapses
from spikenet.plasticity import check_update

WORD_BITS = 32


def pack_spikes(spiked: jnp.ndarray) -> jnp.ndarray:
    """Pack a boolean vector into uint32 words (bit b of word w is neuron 32 w + b)."""
    n = spiked.shape[0]
    n_words = -(-n // WORD_BITS)
    padded = jnp.pad(spiked, (0, n_words * WORD_BITS - n)).reshape(n_words, WORD_BITS)
    shifts = jnp.arange(WORD_BITS, dtype=jnp.uint32)
    return jnp.sum(padded.astype(jnp.uint32) << shifts, axis=1, dtype=jnp.uint32)


def unpack_spikes(words: np.ndarray, n: int) -> np.ndarray:
    """Host inverse of :func:`pack_spikes` for an array (..., n_words) of words -> (..., n) bool."""
    as_bytes = np.ascontiguousarray(words.astype("<u4")).view(np.uint8)
    bits = np.unpackbits(as_bytes.reshape(*words.shape[:-1], -1), axis=-1, bitorder="little")
    return bits[..., :n].astype(bool)


SELECT_BLOCK_WORDS = 128  # words per block of the two-level search in _select (measured best of 64, 128, 256)


def _ranks(words: jnp.ndarray):
    """Rank/select set-up of a step's packed spikes: (spikes per word, cumulative counts, number of
    spikes). Above ``SELECT_BLOCK_WORDS`` words the cumulative counts are padded to whole blocks
    with the int32 maximum (once per step, for :func:`_select`'s two-level search)."""
    word_counts = lax.population_count(words).astype(jnp.int32)
    cumulative = jnp.cumsum(word_counts)
    total = cumulative[-1]
    n_words = words.shape[0]
    if n_words > SELECT_BLOCK_WORDS:
        padding = -n_words % SELECT_BLOCK_WORDS
        cumulative = jnp.concatenate([cumulative, jnp.full(padding, jnp.iinfo(jnp.int32).max, jnp.int32)])
    return word_counts, cumulative, total


def _select(words: jnp.ndarray, word_counts: jnp.ndarray, cumulative: jnp.ndarray, ranks: jnp.ndarray, n_pre: int) -> jnp.ndarray:
    """Neuron index of the ``ranks``-th spike (0-based); ``n_pre`` (the padding row) past the last spike."""
    n_words = words.shape[0]
    if n_words <= SELECT_BLOCK_WORDS:
        word = jnp.searchsorted(cumulative, ranks, side="right", method="compare_all").astype(jnp.int32)
    else:
        # searchsorted(side="right") in two levels of whole-vector comparisons (blocks of words,
        # then the words of one block): a few fused operations per spike instead of the ~14
        # dependent steps of a binary search, each a separate kernel on XLA:CPU.
        # (cumulative comes from _ranks padded to whole blocks.)
        block = SELECT_BLOCK_WORDS
        n_blocks = cumulative.shape[0] // block
        block_ends = cumulative[block - 1::block]                                          # (n_blocks,)
        before = jnp.sum(block_ends[None, :] <= ranks[:, None], axis=1, dtype=jnp.int32)   # whole blocks <= rank
        start = jnp.minimum(before, n_blocks - 1) * block
        inside = jax.vmap(lambda s: lax.dynamic_slice(cumulative, (s,), (block,)))(start)   # (ranks, block)
        word = jnp.where(before < n_blocks, start + jnp.sum(inside <= ranks[:, None], axis=1, dtype=jnp.int32), n_words)
    valid = word < n_words
    word = jnp.minimum(word, n_words - 1)
    rank_in_word = (ranks - (cumulative[word] - word_counts[word])).astype(jnp.uint32)
    bits = words[word]
    base = jnp.zeros_like(rank_in_word)
    for width in (16, 8, 4, 2, 1):
        mask = jnp.uint32((1 << width) - 1)
        low = lax.population_count((bits >> base) & mask)
        go_high = rank_in_word >= low
        rank_in_word = jnp.where(go_high, rank_in_word - low, rank_in_word)
        base = jnp.where(go_high, base + width, base)
    index = word * WORD_BITS + base.astype(jnp.int32)
    return jnp.where(valid, index, n_pre)


def deliver_events(buffer: jnp.ndarray, words: jnp.ndarray, targets: jnp.ndarray, weights: jnp.ndarray,
                   out_degrees: jnp.ndarray, shift: jnp.ndarray | None = None, wrap: int | None = None):
    """Scatter-add the rows of the neurons whose bits are set in ``words`` into ``buffer``.

    A ``fori_loop`` runs once per spike of the step (its trip count is the spike count, so no
    buffer can overflow and no spike can be dropped); each iteration finds the neuron of that
    rank and adds its row. Work is spikes x row width.

    Parameters
    ----------
    buffer : flat float array receiving the weights.
    words : packed spikes of the pre-synaptic population.
    targets, weights : ELL rows (n_pre + 1, K); ``targets`` index ``buffer``; out-of-range entries
        (the padding) are dropped.
    out_degrees : (n_counters, n_pre + 1) int32 synapses per row for each event counter.
    shift, wrap : for the delay ring buffer: ``targets`` hold ``target + delay * T`` and the index
        used is ``(targets + shift) mod wrap`` (one subtraction: both terms are below ``wrap``);
        padding must then be >= 2 * wrap.

    Returns
    -------
    buffer, events : the updated buffer and the int32 events per counter in this step.
    """
    n_pre = targets.shape[0] - 1
    word_counts, cumulative, total = _ranks(words)

    def body(rank, carry):
        buffer, events = carry
        row = _select(words, word_counts, cumulative, rank[None], n_pre)[0]
        row_targets = targets[row]
        if shift is not None:
            row_targets = row_targets + shift
            row_targets = jnp.where((row_targets >= wrap) & (row_targets < 2 * wrap), row_targets - wrap, row_targets)
        buffer = buffer.at[row_targets].add(weights[row], mode="drop")
        return buffer, events + out_degrees[:, row]

    return lax.fori_loop(0, total, body, (buffer, jnp.zeros(out_degrees.shape[0], jnp.int32)))


def _pre(item) -> np.ndarray:
    """A synapse list's pre indices: ``item`` is a pre array or a :class:`~spikenet.connectivity.Synapses`
    (whose pre is rebuilt from its row pointer on each access: a temporary)."""
    return item.pre if isinstance(item, Synapses) else item


def _degrees(item, n_pre: int) -> np.ndarray:
    """A synapse list's out-degrees (pre array or Synapses, see :func:`_pre`)."""
    return item.out_degree() if isinstance(item, Synapses) else np.bincount(item, minlength=n_pre)


def row_slots(n_pre: int, pre_lists: list, dtype=np.int64, width: int = 0):
    """Per synapse list (each sorted by pre; a pre array or a Synapses), the column each synapse
    takes in its row when the lists fill the rows one after another (a list's synapses in their
    order): the layout of :func:`build_rows`, also used to find a synapse's slot again without
    storing it. With ``width``, the flat slot ``pre * width + column`` instead. Temporaries: two
    ``dtype`` values per synapse of one list (int32 needs every result and the list's length below
    2**31), and its pre indices when rebuilt from a Synapses."""
    for item, base in zip(pre_lists, _slot_bases(n_pre, (_degrees(item, n_pre) for item in pre_lists), width, dtype)):
        slot = base[_pre(item)]
        slot += np.arange(slot.size, dtype=dtype)
        yield slot


def _slot_bases(n_pre: int, degree_lists, width: int, dtype):
    """Per synapse list (its out-degrees; the lists fill the rows one after another), ``base`` with
    synapse j of the list (sorted by pre) at ``base[pre[j]] + j``: row ``pre[j]``, column j - (its
    row's first synapse) + (slots its row already holds), flat slot ``pre * width + column``."""
    filled = np.zeros(n_pre, dtype=np.int64)  # slots already used in each row by earlier lists
    rows = np.arange(n_pre, dtype=np.int64) * width
    for degrees in degree_lists:
        yield (rows + filled - np.cumsum(degrees) + degrees).astype(dtype)
        filled += degrees


def host_table(shape: tuple, dtype, fill) -> np.ndarray:
    """A new array of ``shape`` filled with ``fill``, its data 64-byte aligned: ``jax.device_put``
    on the CPU then uses the array in place (no device copy beside the host table)."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = np.empty(nbytes + 64, np.uint8)
    start = -raw.ctypes.data % 64
    array = raw[start:start + nbytes].view(dtype).reshape(shape)
    array.fill(fill)
    return array


BUILD_CHUNK_SYNAPSES = 1 << 22
"""Synapses placed per pass of :func:`build_rows` (4 M): its temporaries (slot, target) stay a few
tens of MB whatever the list's length."""


def build_rows(n_pre: int, pre_lists: list, target_lists: list, value_lists: list[list[np.ndarray]],
               sentinel: int, target_dtype=np.int32, value_dtypes: list | None = None,
               positions: list | None = None, min_width: int = 1, placed: Any = None) -> tuple[np.ndarray, list[np.ndarray]]:
    """Merge several synapse lists sharing one pre-synaptic population into padded ELL rows.

    Each list (a pre array, or a :class:`~spikenet.connectivity.Synapses` whose pre indices are
    rebuilt one list at a time) must be sorted by pre-synaptic index (CSR order). Returns ``targets``
    (n_pre + 1, K) padded with ``sentinel`` and one (n_pre + 1, K) array per entry of
    ``value_lists`` (padded with 0), filled list by list without concatenating or sorting, in
    passes of :data:`BUILD_CHUNK_SYNAPSES` synapses (memory: the output arrays, one list's pre
    indices and a pass's temporaries). ``target_lists`` (a sequence or an iterator, read one list
    at a time) holds arrays or functions ``(start, stop) -> targets of synapses [start, stop)``
    (computed pass by pass). With ``positions`` (a list), the flat position ``pre * K + slot`` of
    each synapse of each list is appended to it (to place new values of a list later without
    rebuilding the rows). ``min_width``: K is at least this (shards
    of one network pad their rows to a common width). ``placed(k)`` is called once list ``k`` is
    in the rows, after this function dropped its references to that list's arrays (the caller may
    free them: drop its own entries of the lists and the arrays).
    """
    degrees = [_degrees(item, n_pre) for item in pre_lists]
    total_degree = np.zeros(n_pre, np.int64)
    for count in degrees:
        total_degree += count
    width = max(int(total_degree.max()) if total_degree.size else 0, 1, int(min_width))
    targets = host_table((n_pre + 1, width), target_dtype, sentinel)
    value_dtypes = value_dtypes or [None] * len(value_lists)
    value_arrays = [host_table((n_pre + 1, width), dtype or np.asarray(values[0]).dtype if values else np.float64, 0)
                    for values, dtype in zip(value_lists, value_dtypes)]
    index = np.int32 if (n_pre + 1) * width < 2**31 and int(total_degree.sum()) < 2**31 else np.int64
    flat_targets, flat_values = targets.reshape(-1), [array.reshape(-1) for array in value_arrays]
    target_lists = iter(target_lists)  # (a generator computes one list's targets at a time)
    for k, base in enumerate(_slot_bases(n_pre, degrees, width, index)):
        item, target = pre_lists[k], next(target_lists)
        if isinstance(item, Synapses):  # (pre rebuilt pass by pass from the row pointer, or a view)
            pre, size = item.pre_range, item.n_synapses
            sorted_ = item.sorted_by_pre
        else:
            pre, size = (lambda start, stop, item=item: item[start:stop]), item.size
            sorted_ = bool(np.all(item[1:] >= item[:-1]))
        del item
        if not sorted_:
            raise ValueError("build_rows needs synapse lists sorted by pre-synaptic index")
        position = np.empty(size, dtype=index) if positions is not None else None
        for start in range(0, size, BUILD_CHUNK_SYNAPSES):
            stop = min(start + BUILD_CHUNK_SYNAPSES, size)
            flat = base[pre(start, stop)]
            flat += np.arange(start, stop, dtype=index)
            flat_targets[flat] = target(start, stop) if callable(target) else target[start:stop]
            for array, values in zip(flat_values, value_lists):
                array[flat] = values[k][start:stop]
            if position is not None:
                position[start:stop] = flat
            del flat
        if positions is not None:
            positions.append(position)  # (int32 where the table allows: 4 bytes per synapse)
        del pre, target, base, position
        if placed is not None:
            placed(k)
    return targets, value_arrays


def lazy_synapse_traces(rule) -> bool:
    """Whether a rule's synapse traces decay lazily: it has some and no ``on_step`` (which reads
    every synapse every step, so its traces are decayed every step instead)."""
    return bool(rule.synapse_traces) and not callable(getattr(rule, "on_step", None))


def _decayed(values: jnp.ndarray, last_step: jnp.ndarray, step: jnp.ndarray, rate: float) -> jnp.ndarray:
    """A lazily decaying trace at ``step``: its value at ``last_step`` times exp(-(step - last_step) dt / tau)
    (``rate`` = dt / tau), the closed form of the per-step decay."""
    return values * jnp.exp(-(step - last_step).astype(values.dtype) * rate)


PLASTIC_BATCH = 8  # post-synaptic spikes handled together per iteration of the post pathway (fastest of 2-16 on COBA-4000)




def deliver_and_learn_pre(words: jnp.ndarray, targets: jnp.ndarray, plastic: dict, front_size: int,
                          post_index: jnp.ndarray, out_degrees: jnp.ndarray, rule, deliver: bool,
                          static_degrees: jnp.ndarray | None = None, lazy: tuple | None = None):
    """Deliver the spikes of a plastic projection's source and apply ``rule.on_pre`` to each
    spiking neuron's outgoing row, after delivering it with the old weights (Brian2's
    ``on_pre = 'g += w; ... w = ...'``).

    The projection's state keeps its inboxes (the first ``front_size`` entries) and its weight
    rows in one flat ``arena``: delivering (a scatter into the inbox) and updating a row then
    modify one array in sequence, which XLA:CPU does in place — with the weights in a separate
    loop-carried array it copied all of them at every spike. The arena is
    ``[inboxes | plastic rows (n_pre + 1) x K | static rows (n_pre + 1) x K_static]``; ``targets``
    (n_pre + 1, K + K_static) index the inboxes (padding points past the arena and is dropped).
    Static rows (the source's non-plastic, undelayed projections, ``K_static`` > 0) are
    delivered by the same scatter, so a spike costs one loop iteration and one scatter.

    ``lazy`` = (step, {trace: dt / tau}): synapse traces are stored as of their last event
    (``plastic["synapse_step"]``) and decayed in closed form when a row is read.

    Returns the plastic state, events per counter, the number of plasticity updates and, with
    ``static_degrees`` (the static rows' out-degrees per counter), the static events per counter.
    """
    n_pre, width = post_index.shape[0] - 1, post_index.shape[1]
    static_width = targets.shape[1] - width
    static_start = front_size + (n_pre + 1) * width
    word_counts, cumulative, total = _ranks(words)
    arena_dtype = plastic["arena"].dtype
    # Which synapse traces on_pre writes (from its output structure): needed for the update count.
    _, _, written = jax.eval_shape(
        rule.on_pre, jax.ShapeDtypeStruct((width,), arena_dtype),
        {k: jax.ShapeDtypeStruct((), v.dtype) for k, v in plastic["pre"].items()},
        {k: jax.ShapeDtypeStruct((width,), v.dtype) for k, v in plastic["post"].items()},
        {k: jax.ShapeDtypeStruct((width,), v.dtype) for k, v in plastic["synapse"].items()})
    # Every counter of a spike in one table, so that counting costs one add per spike: events per
    # counter, plasticity updates (each synapse's weight and written traces, the neuron's traces),
    # static events per counter.
    n_counters = out_degrees.shape[0]
    tables = [out_degrees, (out_degrees[0] * (1 + len(written)) + len(rule.pre_traces))[None]]
    if static_degrees is not None:
        tables.append(static_degrees)
    counter_table = jnp.concatenate(tables).astype(jnp.int32)

    def body(rank, carry):
        arena, pre, synapse, counters, synapse_step = carry
        row = _select(words, word_counts, cumulative, rank[None], n_pre)[0]
        start = front_size + row * width
        if deliver:
            values = lax.dynamic_slice(arena, (start,), (width,))
            if static_width:
                values = jnp.concatenate([values, lax.dynamic_slice(arena, (static_start + row * static_width,), (static_width,))])
            arena = arena.at[targets[row]].add(values, mode="drop")
        weight = lax.dynamic_slice(arena, (start,), (width,))
        pre_values = {k: v[row] for k, v in pre.items()}
        post_values = {k: v[post_index[row]] for k, v in plastic["post"].items()}
        if lazy is not None:
            step, rates = lazy
            last = synapse_step[row]
            synapse_values = {k: _decayed(v[row], last, step, rates[k]) for k, v in synapse.items()}
            synapse_step = synapse_step.at[row].set(jnp.full_like(last, step))
        else:
            synapse_values = {k: v[row] for k, v in synapse.items()}
        new_weight, new_pre, new_synapse = rule.on_pre(weight, pre_values, post_values, synapse_values)
        check_update(rule, "on_pre", "pre", new_pre, pre, ())
        check_update(rule, "on_pre", "synapse", new_synapse, synapse, weight.shape)
        check_update(rule, "on_pre", "weight", {"weight": new_weight}, {"weight": None}, weight.shape)
        arena = lax.dynamic_update_slice(arena, jnp.broadcast_to(new_weight, weight.shape).astype(arena_dtype), (start,))
        pre = {k: v.at[row].set(new_pre[k].astype(v.dtype)) if k in new_pre else v for k, v in pre.items()}
        synapse = {k: v.at[row].set(jnp.broadcast_to(new_synapse[k] if k in new_synapse else synapse_values[k],
                                                      weight.shape).astype(v.dtype))
                   if (k in new_synapse or lazy is not None) else v for k, v in synapse.items()}
        return arena, pre, synapse, counters + counter_table[:, row], synapse_step

    synapse_step = plastic["synapse_step"] if lazy is not None else jnp.zeros(0, jnp.int32)
    arena, pre, synapse, counters, synapse_step = lax.fori_loop(
        0, total, body, (plastic["arena"], plastic["pre"], plastic["synapse"],
                         jnp.zeros(counter_table.shape[0], jnp.int32), synapse_step))
    learned = {**plastic, "arena": arena, "pre": pre, "synapse": synapse}
    if lazy is not None:
        learned["synapse_step"] = synapse_step
    events, updates = counters[:n_counters], counters[n_counters]
    if static_degrees is not None:
        return learned, events, updates, counters[n_counters + 1:]
    return learned, events, updates


def learn_post(words: jnp.ndarray, plastic: dict, front_size: int, width: int, column_slots: jnp.ndarray,
               in_degree: jnp.ndarray, padding_row: int, rule, batch: int = PLASTIC_BATCH, lazy: tuple | None = None):
    """Apply ``rule.on_post`` to the incoming column of every spiking post-synaptic neuron
    (``column_slots`` index the plastic weight rows, of ``width`` slots each, that start at
    ``front_size`` in the arena; a slot's pre-synaptic neuron is ``slot // width``, padding
    slots point at the padding row), ``batch`` neurons per loop
    iteration (columns of different neurons are disjoint; ``rule.on_post`` is vmapped over the
    batch, so a batch gives the result of one neuron at a time; lanes past the last spike
    write back what they read)."""
    n_post = column_slots.shape[0] - 1
    word_counts, cumulative, total = _ranks(words)
    n_batches, lanes = (total + batch - 1) // batch, jnp.arange(batch, dtype=jnp.int32)
    n_post_traces = len(rule.post_traces)

    def one(weight, pre_values, post_values, synapse_values):
        new_weight, new_post, new_synapse = rule.on_post(weight, pre_values, post_values, synapse_values)
        check_update(rule, "on_post", "post", new_post, post_values, ())
        check_update(rule, "on_post", "synapse", new_synapse, synapse_values, weight.shape)
        check_update(rule, "on_post", "weight", {"weight": new_weight}, {"weight": None}, weight.shape)
        return (jnp.broadcast_to(new_weight, weight.shape),
                {k: jnp.asarray(v) for k, v in new_post.items()},
                {k: jnp.broadcast_to(v, weight.shape) for k, v in new_synapse.items()})

    def body(b, carry):
        arena, post, synapse, updates, synapse_step = carry
        neurons = _select(words, word_counts, cumulative, b * batch + lanes, n_post)   # (B,), n_post past the last
        live = neurons < n_post
        slots = column_slots[neurons]                                                # (B, K_in)
        rows = slots // width                                                        # padding slots -> padding row
        weight = arena[front_size + slots]
        pre_values = {k: v[rows] for k, v in plastic["pre"].items()}
        post_values = {k: v[neurons] for k, v in post.items()}
        if lazy is not None:
            step, rates = lazy
            last = synapse_step.reshape(-1)[slots]
            synapse_values = {k: _decayed(v.reshape(-1)[slots], last, step, rates[k]) for k, v in synapse.items()}
            synapse_step = synapse_step.reshape(-1).at[slots].set(jnp.full_like(last, step)).reshape(synapse_step.shape)
        else:
            synapse_values = {k: v.reshape(-1)[slots] for k, v in synapse.items()}
        new_weight, new_post, new_synapse = jax.vmap(one)(weight, pre_values, post_values, synapse_values)
        # Padding entries of a column point at the padding row (never delivered); keep it zero.
        valid = rows < padding_row
        arena = arena.at[front_size + slots].set(jnp.where(valid, new_weight, 0.0).astype(arena.dtype))
        post = {k: v.at[neurons].set(jnp.where(live, new_post[k], post_values[k]).astype(v.dtype)) if k in new_post else v
                for k, v in post.items()}
        synapse = {k: v.reshape(-1).at[slots].set(
                       jnp.where(valid, new_synapse[k] if k in new_synapse else synapse_values[k], 0.0).astype(v.dtype)
                   ).reshape(v.shape) if (k in new_synapse or lazy is not None) else v for k, v in synapse.items()}
        touched = jnp.sum(in_degree[neurons], dtype=jnp.int32) * (1 + len(new_synapse)) + n_post_traces * jnp.sum(live, dtype=jnp.int32)
        return arena, post, synapse, updates + touched, synapse_step

    synapse_step = plastic["synapse_step"] if lazy is not None else jnp.zeros(0, jnp.int32)
    arena, post, synapse, updates, synapse_step = lax.fori_loop(
        0, n_batches, body, (plastic["arena"], plastic["post"], plastic["synapse"], jnp.zeros((), jnp.int32), synapse_step))
    learned = {**plastic, "arena": arena, "post": post, "synapse": synapse}
    if lazy is not None:
        learned["synapse_step"] = synapse_step
    return learned, updates
