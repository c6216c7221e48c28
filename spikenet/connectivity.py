"""Connectivity rules. Each rule, given the two population sizes and a numpy random
generator, builds a sparse synapse list: never an N x N matrix.

The result is a :class:`Synapses` list sorted by pre-synaptic index (CSR order): the engine
turns it into padded rows (ELL) and the Brian2 exporter passes the same arrays to
``Synapses.connect(i=..., j=...)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spikenet.validation import SpikenetError, require_finite, require_in_range


class Synapses:
    """A sparse synapse list in CSR order.

    Attributes
    ----------
    pre, post : numpy.ndarray
        Integer arrays (int32, or int64 for populations of 2**31 neurons or more) of equal length: synapse ``k`` connects ``pre[k] -> post[k]``; sorted by
        ``pre`` then ``post``.
    n_pre, n_post : int
        Sizes of the source and target populations.

    Storage: a list sorted by ``pre`` (every list a projection keeps) stores its CSR row pointer
    (``n_pre + 1`` int64) instead of ``pre``, 4 bytes per synapse less (a network's description is
    int32 ``post``, weight and delay: 9 bytes per synapse with float32 weights); ``pre`` is then
    rebuilt from it on each access (a new read-only array). An unsorted list (a
    :class:`FromIndices` list before :meth:`Network.connect` sorts it) keeps ``pre`` as given.
    """

    __slots__ = ("_pre", "_offsets", "post", "n_pre", "n_post")

    def __init__(self, pre: np.ndarray, post: np.ndarray, n_pre: int, n_post: int) -> None:
        # int32 indices when the populations allow it: half the memory of large projections.
        index_dtype = np.int32 if max(n_pre, n_post) < 2**31 else np.int64
        pre = np.asarray(pre)
        offsets = None
        if pre.ndim == 1 and np.issubdtype(pre.dtype, np.integer) and (
                pre.size == 0 or (0 <= pre[0] and pre[-1] < n_pre and bool(np.all(pre[1:] >= pre[:-1])))):
            offsets = np.zeros(n_pre + 1, dtype=np.int64)
            np.cumsum(np.bincount(pre, minlength=n_pre), out=offsets[1:])
        setattr_ = object.__setattr__
        setattr_(self, "_offsets", offsets)
        setattr_(self, "_pre", None if offsets is not None else pre.astype(index_dtype, copy=False))
        setattr_(self, "post", np.asarray(post).astype(index_dtype, copy=False))
        setattr_(self, "n_pre", int(n_pre))
        setattr_(self, "n_post", int(n_post))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Synapses is immutable (cannot set {name!r})")

    def __repr__(self) -> str:
        return f"Synapses({self.n_synapses:,} synapses, {self.n_pre} -> {self.n_post})"

    @property
    def pre(self) -> np.ndarray:
        if self._pre is not None:
            return self._pre
        index_dtype = np.int32 if max(self.n_pre, self.n_post) < 2**31 else np.int64
        pre = np.repeat(np.arange(self.n_pre, dtype=index_dtype), np.diff(self._offsets))
        pre.flags.writeable = False  # (a fresh array: writing into it would change nothing)
        return pre

    @property
    def n_synapses(self) -> int:
        return int(self.post.shape[0])

    @property
    def sorted_by_pre(self) -> bool:
        """Whether the list is in CSR order (pre non-decreasing)."""
        return self._offsets is not None or bool(np.all(self._pre[1:] >= self._pre[:-1]))

    def pre_range(self, start: int, stop: int) -> np.ndarray:
        """``pre[start:stop]`` without rebuilding the whole of ``pre`` (a view when it is stored)."""
        if self._pre is not None:
            return self._pre[start:stop]
        stop = min(stop, self.n_synapses)
        if start >= stop:
            return np.zeros(0, self.post.dtype)
        first, last = np.searchsorted(self._offsets, [start, stop - 1], side="right") - 1
        counts = np.diff(np.clip(self._offsets[first:last + 2], start, stop))
        return np.repeat(np.arange(first, last + 1, dtype=self.post.dtype), counts)

    def out_degree(self, where: np.ndarray | None = None) -> np.ndarray:
        """Number of outgoing synapses of every pre-synaptic neuron (int64, length n_pre); with
        ``where`` (bool per synapse), of those synapses only."""
        if where is not None:
            if self._offsets is None:
                return np.bincount(self._pre[where], minlength=self.n_pre).astype(np.int64)
            counts = np.zeros(self.n_pre, np.int64)
            rows = np.flatnonzero(np.diff(self._offsets))  # (rows with synapses: their segments are consecutive)
            if rows.size:
                counts[rows] = np.add.reduceat(where.view(np.uint8), self._offsets[rows], dtype=np.int64)
            return counts
        if self._offsets is not None:
            return np.diff(self._offsets)
        return np.bincount(self._pre, minlength=self.n_pre).astype(np.int64)

    def in_degree(self) -> np.ndarray:
        """Number of incoming synapses of every post-synaptic neuron (int64, length n_post)."""
        return np.bincount(self.post, minlength=self.n_post).astype(np.int64)

    def row_offsets(self) -> np.ndarray:
        """CSR row pointer (length n_pre + 1)."""
        if self._offsets is not None:
            return self._offsets.copy()
        offsets = np.zeros(self.n_pre + 1, dtype=np.int64)
        np.cumsum(self.out_degree(), out=offsets[1:])
        return offsets


def _sorted_synapses(pre: np.ndarray, post: np.ndarray, n_pre: int, n_post: int) -> Synapses:
    pre = np.asarray(pre, dtype=np.int64)
    post = np.asarray(post, dtype=np.int64)
    order = np.lexsort((post, pre))
    return Synapses(pre[order], post[order], n_pre, n_post)


def _drop_autapses(pre: np.ndarray, post: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = pre != post
    return pre[keep], post[keep]


@dataclass(frozen=True)
class FixedProbability:
    """Each possible pair (i, j) is connected independently with probability ``p``.

    Parameters
    ----------
    p : float
        Connection probability in [0, 1].
    allow_autapses : bool
        Whether i -> i is allowed when a population projects onto itself (Brian2 and NEST
        allow it by default).
    """

    p: float
    allow_autapses: bool = True

    def __post_init__(self) -> None:
        require_in_range("FixedProbability.p", self.p, 0.0, 1.0)

    def build(self, n_pre: int, n_post: int, rng: np.random.Generator, same_population: bool) -> Synapses:
        total = n_pre * n_post
        if self.p == 0.0 or total == 0:
            flat = np.zeros(0, dtype=np.int64)
        elif self.p == 1.0:
            flat = np.arange(total, dtype=np.int64)
        else:
            # A Bernoulli process over the flattened pair index, generated by geometric gaps:
            # exact, O(number of synapses) memory, never O(n_pre * n_post).
            pieces = []
            position = -1
            while True:
                remaining = (total - position - 1) * self.p
                batch = int(remaining + 6 * np.sqrt(remaining) + 64)
                gaps = rng.geometric(self.p, size=batch).astype(np.int64)
                positions = position + np.cumsum(gaps)
                inside = positions < total
                pieces.append(positions[inside])
                if not inside.all():
                    break
                position = int(positions[-1])
            flat = np.concatenate(pieces)
        pre, post = flat // n_post, flat % n_post
        if same_population and not self.allow_autapses:
            pre, post = _drop_autapses(pre, post)
        return _sorted_synapses(pre, post, n_pre, n_post)


def _distinct_choices(rng: np.random.Generator, rows: int, population: int, k: int,
                      forbidden: np.ndarray | None) -> np.ndarray:
    """``rows`` x ``k`` matrix; each row holds k distinct ints from [0, population) that avoid
    ``forbidden[row]`` when given. Vectorised rejection of duplicates."""
    if k == 0:
        return np.zeros((rows, 0), dtype=np.int64)
    if k > population // 2:
        # Dense regime: a random permutation per row is cheaper than rejection.
        keys = rng.random((rows, population))
        if forbidden is not None:
            keys[np.arange(rows), forbidden] = np.inf
        return np.argsort(keys, axis=1)[:, :k].astype(np.int64)
    choice = rng.integers(0, population, size=(rows, k), dtype=np.int64)
    while True:
        sorted_choice = np.sort(choice, axis=1)
        duplicate = np.zeros_like(choice, dtype=bool)
        duplicate_sorted = sorted_choice[:, 1:] == sorted_choice[:, :-1]
        bad_rows = duplicate_sorted.any(axis=1)
        if forbidden is not None:
            bad_rows |= (choice == forbidden[:, None]).any(axis=1)
        if not bad_rows.any():
            return choice
        # Redraw only the offending entries of the bad rows.
        rows_idx = np.nonzero(bad_rows)[0]
        for r in rows_idx:
            row = choice[r]
            _, first = np.unique(row, return_index=True)
            duplicate[r] = True
            duplicate[r, first] = False
            if forbidden is not None:
                duplicate[r] |= row == forbidden[r]
        choice[duplicate] = rng.integers(0, population, size=int(duplicate.sum()), dtype=np.int64)


@dataclass(frozen=True)
class FixedInDegree:
    """Every post-synaptic neuron receives exactly ``k`` synapses from distinct sources.

    Parameters
    ----------
    k : int
        In-degree; at most the pre-synaptic population size (minus one without autapses).
    allow_autapses : bool
        Whether i -> i is allowed when a population projects onto itself.
    """

    k: int
    allow_autapses: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.k, bool) or not isinstance(self.k, (int, np.integer)) or self.k < 0:
            raise SpikenetError(f"FixedInDegree.k must be an integer >= 0; got {self.k!r}")

    def build(self, n_pre: int, n_post: int, rng: np.random.Generator, same_population: bool) -> Synapses:
        available = n_pre - (1 if same_population and not self.allow_autapses else 0)
        if self.k > available:
            raise SpikenetError(
                f"FixedInDegree.k must be <= {available} (pre-synaptic population size"
                f"{' minus the excluded autapse' if available < n_pre else ''}, drawn without replacement); "
                f"got {self.k}"
            )
        forbidden = np.arange(n_post) if same_population and not self.allow_autapses else None
        pre = _distinct_choices(rng, n_post, n_pre, int(self.k), forbidden)
        post = np.repeat(np.arange(n_post, dtype=np.int64), self.k)
        return _sorted_synapses(pre.ravel(), post, n_pre, n_post)


@dataclass(frozen=True)
class FixedOutDegree:
    """Every pre-synaptic neuron makes exactly ``k`` synapses onto distinct targets.

    Parameters
    ----------
    k : int
        Out-degree; at most the post-synaptic population size (minus one without autapses).
    allow_autapses : bool
        Whether i -> i is allowed when a population projects onto itself.
    """

    k: int
    allow_autapses: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.k, bool) or not isinstance(self.k, (int, np.integer)) or self.k < 0:
            raise SpikenetError(f"FixedOutDegree.k must be an integer >= 0; got {self.k!r}")

    def build(self, n_pre: int, n_post: int, rng: np.random.Generator, same_population: bool) -> Synapses:
        available = n_post - (1 if same_population and not self.allow_autapses else 0)
        if self.k > available:
            raise SpikenetError(
                f"FixedOutDegree.k must be <= {available} (post-synaptic population size"
                f"{' minus the excluded autapse' if available < n_post else ''}, drawn without replacement); "
                f"got {self.k}"
            )
        forbidden = np.arange(n_pre) if same_population and not self.allow_autapses else None
        post = _distinct_choices(rng, n_pre, n_post, int(self.k), forbidden)
        pre = np.repeat(np.arange(n_pre, dtype=np.int64), self.k)
        return _sorted_synapses(pre, post.ravel(), n_pre, n_post)


@dataclass(frozen=True)
class OneToOne:
    """Neuron i connects to neuron i; both populations must have the same size."""

    def build(self, n_pre: int, n_post: int, rng: np.random.Generator, same_population: bool) -> Synapses:
        if n_pre != n_post:
            raise SpikenetError(
                f"OneToOne needs populations of equal size; got {n_pre} pre-synaptic and {n_post} post-synaptic neurons"
            )
        index = np.arange(n_pre, dtype=np.int64)
        return Synapses(index, index.copy(), n_pre, n_post)


@dataclass(frozen=True)
class AllToAll:
    """Every pre-synaptic neuron connects to every post-synaptic neuron (stored sparse, n_pre * n_post synapses)."""

    allow_autapses: bool = True

    def build(self, n_pre: int, n_post: int, rng: np.random.Generator, same_population: bool) -> Synapses:
        pre = np.repeat(np.arange(n_pre, dtype=np.int64), n_post)
        post = np.tile(np.arange(n_post, dtype=np.int64), n_pre)
        if same_population and not self.allow_autapses:
            pre, post = _drop_autapses(pre, post)
        return Synapses(pre, post, n_pre, n_post)


@dataclass(frozen=True, eq=False)
class FromIndices:
    """Explicit synapse list: ``pre[k] -> post[k]`` (e.g. the arrays of a Brian2 ``Synapses``).

    Weights or delays given as arrays to :meth:`Network.connect` follow the order given here.
    """

    pre: np.ndarray
    post: np.ndarray

    def build(self, n_pre: int, n_post: int, rng: np.random.Generator, same_population: bool) -> Synapses:
        pre = np.asarray(self.pre)
        post = np.asarray(self.post)
        if pre.ndim != 1 or post.ndim != 1 or pre.shape != post.shape:
            raise SpikenetError(
                f"FromIndices.pre and .post must be 1-D arrays of equal length; got shapes {pre.shape} and {post.shape}"
            )
        require_finite("FromIndices.pre", pre)
        require_finite("FromIndices.post", post)
        if not (np.issubdtype(pre.dtype, np.integer) and np.issubdtype(post.dtype, np.integer)):
            raise SpikenetError("FromIndices.pre and .post must be integer arrays")
        if pre.size and (pre.min() < 0 or pre.max() >= n_pre):
            raise SpikenetError(f"FromIndices.pre must be in [0, {n_pre - 1}]; got values in [{pre.min()}, {pre.max()}]")
        if post.size and (post.min() < 0 or post.max() >= n_post):
            raise SpikenetError(
                f"FromIndices.post must be in [0, {n_post - 1}]; got values in [{post.min()}, {post.max()}]"
            )
        # Keep the user's order: weights/delays arrays are given in it. The projection
        # stores the permutation that sorts it.
        return Synapses(pre, post, n_pre, n_post)  # (int32 indices where they fit: no int64 copies)


class ProjectionIndices(FromIndices):
    """The :class:`FromIndices` list of a projection's own :class:`Synapses` (``Projection.rule``
    of a FromIndices projection): ``pre`` and ``post`` are read from them, so the rule keeps no
    arrays of its own."""

    def __init__(self, synapses: Synapses) -> None:
        object.__setattr__(self, "synapses", synapses)

    pre = property(lambda self: self.synapses.pre)
    post = property(lambda self: self.synapses.post)

    def __repr__(self) -> str:
        return f"FromIndices({self.synapses!r})"


ConnectivityRule = FixedProbability | FixedInDegree | FixedOutDegree | OneToOne | AllToAll | FromIndices


# -- memory estimates ----------------------------------------------------------------------

# Bytes per synapse kept by a projection besides its indices: weight (float64) + delay (int32).
WEIGHT_AND_DELAY_BYTES = 8 + 4
# Peak bytes per synapse while a rule builds its list and the projection realises weights and
# delays (int64 indices, sampling batches, the sort permutation and the sorted copies, then the
# kept arrays), int32 indices. Measured with tracemalloc (peak / synapses, about 1e6 synapses):
# FixedProbability 81, FixedIn/OutDegree 48, AllToAll 24-33, OneToOne 24, FromIndices 28 (its
# own arrays, already in memory, not counted); the figures below add a margin.
BUILD_BYTES_PER_SYNAPSE = {
    FixedProbability: 88,
    FixedInDegree: 56,
    FixedOutDegree: 56,
    AllToAll: 40,
    OneToOne: 32,
    FromIndices: 32,
}


def expected_synapses(rule: object, n_pre: int, n_post: int, same_population: bool) -> int | None:
    """Number of synapses ``rule`` will make between populations of ``n_pre`` and ``n_post``
    neurons: the mean for :class:`FixedProbability`, exact for the other built-in rules; None for
    a rule not known here, or one whose parameters its ``build`` will refuse."""
    no_autapses = same_population and not getattr(rule, "allow_autapses", True)
    if isinstance(rule, FixedProbability):
        pairs = n_pre * n_post - (min(n_pre, n_post) if no_autapses else 0)
        return int(round(float(rule.p) * pairs))
    if isinstance(rule, FixedInDegree):
        return int(rule.k) * n_post if rule.k <= n_pre - (1 if no_autapses else 0) else None
    if isinstance(rule, FixedOutDegree):
        return int(rule.k) * n_pre if rule.k <= n_post - (1 if no_autapses else 0) else None
    if isinstance(rule, AllToAll):
        return n_pre * n_post - (min(n_pre, n_post) if no_autapses else 0)
    if isinstance(rule, OneToOne):
        return n_pre if n_pre == n_post else None
    if isinstance(rule, FromIndices):
        return int(np.size(rule.pre))
    return None


def connection_estimate(rule: object, n_pre: int, n_post: int,
                        same_population: bool) -> tuple[int, int, int] | None:
    """``(synapses, peak bytes while building, bytes kept)`` for a projection made by ``rule``
    (see :func:`expected_synapses`); None when the rule's size is unknown before it builds.

    Kept: post indices (int32, int64 from 2**31 neurons), weight (float64) and delay (int32, an
    upper bound) per synapse, and the row pointer (``n_pre + 1`` int64; pre indices are not
    stored, see :class:`Synapses`). Peak: :data:`BUILD_BYTES_PER_SYNAPSE` per synapse, or the kept bytes
    plus one more weight array (a drawn distribution) if that is more."""
    n_synapses = expected_synapses(rule, n_pre, n_post, same_population)
    if n_synapses is None:
        return None
    index_bytes = 4 if max(n_pre, n_post) < 2**31 else 8
    kept = n_synapses * (index_bytes + WEIGHT_AND_DELAY_BYTES) + (n_pre + 1) * 8
    per_synapse = BUILD_BYTES_PER_SYNAPSE.get(type(rule), 88) + (2 * (index_bytes - 4))
    peak = max(n_synapses * per_synapse, kept + 8 * n_synapses)
    return n_synapses, int(peak), int(kept)
