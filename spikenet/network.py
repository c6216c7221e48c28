"""The network description: plain, validated data with no JAX state.

Units everywhere: time ms, voltage mV, current pA, conductance nS, capacitance pF, rate Hz.

Examples
--------
>>> import spikenet as sn
>>> from neurons import LIF
>>> net = sn.Network(dt=0.1)
>>> exc = net.population("exc", 80, LIF(tau_m=20.0, v_rest=-60.0, v_threshold=-50.0, v_reset=-60.0, refractory=5.0))
>>> net.connect(exc, exc, sn.FixedProbability(0.1), synapse=sn.ConductanceExp(tau=5.0, e_rev=0.0), weight=6.0)
Projection('exc->exc', ...)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from spikenet.connectivity import ConnectivityRule, FromIndices, ProjectionIndices, Synapses, connection_estimate
from spikenet.distributions import Normal, Uniform
from spikenet.neuron_protocol import check_neuron_model
from spikenet.sources import PoissonSource, SpikeSource
from spikenet.synapses import (ALPHA_SYNAPSES, CONDUCTANCE_SYNAPSES, ConductanceAlpha, ConductanceExp, CurrentAlpha,
                               CurrentExp, Delta, SynapseModel)
from spikenet.validation import (
    SpikenetError,
    check_memory,
    check_seed,
    delay_steps_on_grid,
    format_bytes,
    require_finite,
    require_positive,
    require_positive_int,
    steps_from_duration,
)


_COMPILER: Any = None
"""The engine's compile function, registered by :mod:`spikenet.engine` (the description never
imports the engine: dependencies run one way, engine -> description)."""


_SHARDED_COMPILER: Any = None


def register_compiler(compiler: Any, sharded: Any = None) -> None:
    """Called by :mod:`spikenet.engine` on import: ``compiler(network, precision, engine, delivery)``
    and ``sharded(network, precision, engine, delivery, devices)``."""
    global _COMPILER, _SHARDED_COMPILER
    _COMPILER = compiler
    _SHARDED_COMPILER = sharded


@dataclass(eq=False)
class Population:
    """A group of neurons sharing one model. Created by :meth:`Network.population`."""

    name: str
    size: int
    model: Any
    network: "Network" = field(repr=False)
    initial: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def is_source(self) -> bool:
        return bool(getattr(self.model, "is_source", False))

    def set_initial(self, **values: Any) -> "Population":
        """Set initial values of state variables (scalar or array of shape (size,)), e.g. ``v=-60.0``
        or a synaptic channel such as ``g_exc=...`` (names from :meth:`state_names`)."""
        known = self.state_names()
        for name, value in values.items():
            if name not in known:
                raise SpikenetError(f"population {self.name!r} has no state variable {name!r}; known: {sorted(known)}")
            array = np.asarray(value, dtype=np.float64)
            if array.ndim == 0:
                array = np.full(self.size, float(array))
            if array.shape != (self.size,):
                raise SpikenetError(
                    f"initial value of {self.name}.{name} must be a scalar or have shape ({self.size},); got shape {array.shape}"
                )
            require_finite(f"initial value of {self.name}.{name}", array)
            self.initial[name] = array
        return self

    def state_names(self) -> set[str]:
        if self.is_source:
            return set()
        names = set(self.model.state_units())
        names.update(self.network.channel_names(self))
        return names

    def __len__(self) -> int:
        return self.size


@dataclass(eq=False)
class Projection:
    """Synapses from one population to another. Created by :meth:`Network.connect`.

    Attributes
    ----------
    rule : connectivity rule
        The rule given to :meth:`Network.connect`; for :class:`FromIndices`, one over the
        projection's own ``synapses.pre`` and ``.post`` (CSR order; the caller's arrays are not kept).
    synapses : Synapses
        The realised synapse list (CSR order).
    weights : numpy.ndarray
        Per synapse, in the synapse model's weight unit (mV, pA or nS): float64, or float32 when
        given as a float32 array.
    delay_steps : numpy.ndarray
        Transmission delay in steps of dt per synapse, in the smallest unsigned integer type that
        holds the longest (uint8 below 256 steps).
    """

    name: str
    pre: Population
    post: Population
    rule: Any
    synapse: SynapseModel
    synapses: Synapses
    weights: np.ndarray = field(repr=False)
    delay_steps: np.ndarray = field(repr=False)
    plasticity: Any = None

    @property
    def n_synapses(self) -> int:
        return self.synapses.n_synapses

    def delays_ms(self) -> np.ndarray:
        return self.delay_steps * self.pre.network.dt

    def __repr__(self) -> str:
        return f"Projection({self.name!r}, {self.n_synapses} synapses, {type(self.synapse).__name__})"


class HandedOver:
    """Stands for a projection's synapse arrays once :meth:`Network.compile` with
    ``keep_synapses=False`` took them: any use raises a SpikenetError saying so."""

    def __init__(self, projection: str, what: str) -> None:
        self._message = (f"the {what} of projection {projection!r} were handed to the engine by "
                         f"compile(keep_synapses=False) and freed; build the network again to read them")

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise SpikenetError(self._message)

    __array__ = __len__ = __getitem__ = __iter__ = __float__ = __int__ = _refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _refuse
    __lt__ = __le__ = __gt__ = __ge__ = __neg__ = __abs__ = _refuse

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        self._refuse()

    def __repr__(self) -> str:
        return "<handed over>"


@dataclass(frozen=True)
class HandedOverSynapses:
    """A projection's :class:`Synapses` after ``compile(keep_synapses=False)``: the counts stay
    (synapse counts, energy estimates), the index arrays are gone."""

    n_synapses: int
    n_pre: int
    n_post: int
    pre: Any
    post: Any

    def out_degree(self) -> np.ndarray:
        return self.pre._refuse()

    in_degree = out_degree


def hand_over(projection: Projection) -> None:
    """Free a projection's synapse arrays (indices, weights, delays), keeping its sizes and counts;
    reading them afterwards raises (see :class:`HandedOver`)."""
    name = projection.name
    synapses = projection.synapses
    projection.synapses = HandedOverSynapses(synapses.n_synapses, synapses.n_pre, synapses.n_post,
                                             HandedOver(name, "synapse indices"), HandedOver(name, "synapse indices"))
    if isinstance(projection.rule, FromIndices):
        projection.rule = HandedOver(name, "FromIndices lists")
    projection.weights, projection.delay_steps = HandedOver(name, "weights"), HandedOver(name, "delays")


def is_handed_over(projection: Projection) -> bool:
    return isinstance(projection.synapses, HandedOverSynapses)


@dataclass(eq=False)
class CurrentInput:
    """An injected current (pA): constant, or a table of values sampled every ``dt_values`` ms.

    ``values`` has shape (size,) or () for a constant, (T,) or (T, size) for a time-varying
    current (value ``values[k]`` applies for t in [k * dt_values, (k + 1) * dt_values); the last
    value holds afterwards, as Brian2's ``TimedArray`` does).
    """

    population: Population
    values: np.ndarray
    dt_values: float | None

    @property
    def is_constant(self) -> bool:
        return self.dt_values is None


def csr_sort(pre: np.ndarray, post: np.ndarray, n_pre: int, n_post: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``(order, pre[order], post[order])`` with ``order`` the stable permutation that sorts
    synapses by pre, then post (``np.lexsort((post, pre))``), or None when they already are.
    Fewer than 2**32 synapses between populations of n_pre * n_post <= 2**32: one sort of unique
    64-bit keys ((pre * n_post + post) << 32 | position: stable by construction, numpy's vectorised
    integer sort, 2.2x faster than two 16-bit radix argsorts on 20 M synapses), the sorted indices
    decoded from the keys (no gathers); otherwise one stable argsort of pre * n_post + post."""
    if pre.size < 2:
        return None
    if np.all(pre[1:] >= pre[:-1]):
        same_row = pre[1:] == pre[:-1]
        if np.all(post[1:][same_row] >= post[:-1][same_row]):
            return None
    index = np.int32 if max(n_pre, n_post) < 2**31 else np.int64
    if pre.size < 2**32 and n_pre * n_post <= 2**32:
        key = pre.astype(np.uint64)
        key *= np.uint64(n_post)
        key += post.astype(np.uint64)
        key <<= np.uint64(32)
        key |= np.arange(pre.size, dtype=np.uint64)
        key.sort()
        pair = (key >> np.uint64(32)).astype(np.uint32)  # pre * n_post + post < n_pre * n_post <= 2**32
        key &= np.uint64(2**32 - 1)
        order = key.view(np.int64)  # (positions < 2**32: the same bits)
        sorted_pre, sorted_post = np.divmod(pair, pair.dtype.type(n_post))
        return order, sorted_pre.astype(index), sorted_post.astype(index)
    order = np.argsort(pre.astype(np.int64) * n_post + post, kind="stable")
    return order, pre[order].astype(index), post[order].astype(index)


def csr_order(pre: np.ndarray, post: np.ndarray, n_pre: int, n_post: int) -> np.ndarray | None:
    """The stable permutation that sorts synapses by pre, then post (``np.lexsort((post, pre))``),
    or None when they already are (see :func:`csr_sort`)."""
    result = csr_sort(pre, post, n_pre, n_post)
    return None if result is None else result[0]


def _given_array(name: str, value: Any, n: int) -> np.ndarray:
    """A per-synapse array given by the caller (float32 kept, anything else as float64), checked."""
    array = np.asarray(value)
    array = array if array.dtype == np.float32 else np.asarray(value, dtype=np.float64)
    if array.shape != (n,):
        raise SpikenetError(f"{name} array must have shape ({n},) (one per synapse); got shape {array.shape}")
    require_finite(name, array)
    return array


def _realise_values(name: str, value: Any, n: int, rng: np.random.Generator, order: np.ndarray | None) -> np.ndarray:
    if isinstance(value, (Uniform, Normal)):
        return value.sample(rng, n)
    # A float32 array stays float32 (half the memory of large projections; exact in float64 runs).
    if np.ndim(value) == 0:
        array = np.asarray(value, dtype=np.float64)
        require_finite(name, array)
        return np.full(n, float(array))
    array = _given_array(name, value, n)
    return array[order] if order is not None else array.copy()


def _realise_delay_steps(name: str, delay: Any, n: int, rng: np.random.Generator, order: np.ndarray | None,
                         dt: float) -> np.ndarray:
    """Per-synapse delays (ms: scalar, array in the rule's order or distribution) as steps in the
    smallest unsigned type; an array is converted before it is put in CSR order (one byte moved
    per synapse, not eight)."""
    if isinstance(delay, (Uniform, Normal)):
        return delay_steps_on_grid(name, delay.sample(rng, n), dt)
    if np.ndim(delay) == 0:  # (checked once: no per-synapse temporaries)
        step = delay_steps_on_grid(name, np.asarray([float(delay)]), dt)
        return np.full(n, step[0], step.dtype)
    steps = delay_steps_on_grid(name, _given_array(name, delay, n), dt)
    return steps[order] if order is not None else steps


@dataclass(eq=False)
class PoissonInput:
    """Binomially distributed input events from ``n_sources`` virtual Poisson trains per neuron
    (see :meth:`Network.poisson_input`)."""

    name: str
    population: Population
    n_sources: int
    rate: float
    weight: float
    synapse: Any

    def count_table(self, dt: float) -> np.ndarray:
        """Cumulative probabilities P(k <= j) of Binomial(n_sources, rate * dt), j = 0, 1, ...,
        up to where the remaining tail is below 1e-15 (or j = n_sources)."""
        p = self.rate * dt / 1000.0
        if p <= 0.0:
            return np.ones(1)
        if p >= 1.0:
            return np.concatenate([np.zeros(self.n_sources), [1.0]])
        log_pmf = self.n_sources * np.log1p(-p)
        cdf, total, k = [], 0.0, 0
        ratio = p / (1.0 - p)
        while k <= self.n_sources:
            total += float(np.exp(log_pmf))
            cdf.append(min(total, 1.0))
            if 1.0 - total < 1e-15 or k == self.n_sources:
                break
            log_pmf += np.log((self.n_sources - k) / (k + 1) * ratio)
            k += 1
        cdf[-1] = 1.0
        return np.asarray(cdf)


class Network:
    """A spiking network description.

    Parameters
    ----------
    dt : float
        Time step in ms (> 0).
    seed : int
        Seed for connectivity and random parameters drawn at description time: an integer in
        [0, 2**32 - 1] (:func:`spikenet.validation.check_seed`).
    """

    def __init__(self, dt: float = 0.1, seed: int = 0) -> None:
        require_positive("dt (ms)", dt)
        self.dt = float(dt)
        self.seed = check_seed("Network seed", seed)
        self.populations: dict[str, Population] = {}
        self.projections: list[Projection] = []
        self.currents: list[CurrentInput] = []
        self.poisson_inputs: list[PoissonInput] = []
        self._connect_counter = 0
        self._compiled: dict = {}

    # -- populations ---------------------------------------------------------------------
    def _add_population(self, name: str, size: int, model: Any) -> Population:
        if not isinstance(name, str) or not name.isidentifier():
            raise SpikenetError(f"population name must be a Python identifier; got {name!r}")
        if name in self.populations:
            raise SpikenetError(f"population name {name!r} is already used in this network")
        size = require_positive_int(f"size of population {name!r}", size)
        check_neuron_model(model, name)
        if getattr(model, "is_source", False):
            model.validate(size, self.dt)
        elif hasattr(model, "validate"):
            model.validate(self.dt)
        population = Population(name, size, model, self)
        self.populations[name] = population
        self._compiled.clear()
        return population

    def population(self, name: str, size: int, model: Any) -> Population:
        """Add ``size`` neurons of ``model`` (e.g. :class:`neurons.LIF`)."""
        return self._add_population(name, size, model)

    def poisson_source(self, name: str, size: int, rates: float | np.ndarray) -> Population:
        """Add ``size`` independent Poisson spike trains with the given rates (Hz)."""
        return self._add_population(name, size, PoissonSource(rates))

    def spike_source(self, name: str, size: int, indices: np.ndarray, times: np.ndarray) -> Population:
        """Add ``size`` neurons that spike at the given times (ms) — Brian2's SpikeGeneratorGroup."""
        return self._add_population(name, size, SpikeSource(np.asarray(indices), np.asarray(times, dtype=np.float64)))

    def _check_own(self, population: Any, role: str) -> Population:
        if not isinstance(population, Population):
            raise SpikenetError(f"{role} must be a Population of this network; got {type(population).__name__}")
        if population.network is not self or self.populations.get(population.name) is not population:
            raise SpikenetError(f"{role} population {population.name!r} belongs to another network")
        return population

    # -- projections ---------------------------------------------------------------------
    def connect(
        self,
        pre: Population,
        post: Population,
        rule: ConnectivityRule,
        synapse: SynapseModel = Delta(),
        weight: Any = 1.0,
        delay: Any = 0.0,
        name: str | None = None,
        seed: int | None = None,
        plasticity: Any = None,
    ) -> Projection:
        """Connect ``pre`` to ``post``.

        Parameters
        ----------
        rule : connectivity rule
            :class:`FixedProbability`, :class:`FixedInDegree`, :class:`FixedOutDegree`,
            :class:`OneToOne`, :class:`AllToAll` or :class:`FromIndices`.
        synapse : synapse model
            :class:`Delta`, :class:`CurrentExp`, :class:`ConductanceExp`, :class:`CurrentAlpha`
            or :class:`ConductanceAlpha`.
        weight : float, array (one per synapse, in the rule's order) or distribution
            In the synapse model's unit (mV for Delta onto v, pA for CurrentExp, nS for ConductanceExp).
        delay : float, array or distribution
            Transmission delay in ms: >= 0 and a multiple of dt.
        name : str, optional
            The projection's name, unique in the network (default ``"pre->post"``, with ``#k``
            appended when that is taken). An explicit name already in use is refused.
        seed : int, optional
            Seed for this projection's random draws, in [0, 2**32 - 1] (default: derived from
            the network seed).
        plasticity : plasticity rule, optional
            A rule following :mod:`spikenet.plasticity` (e.g. ``learning_rules.PairSTDP``); the
            projection's weights then change during runs (delay must be 0).
        """
        pre = self._check_own(pre, "pre")
        post = self._check_own(post, "post")
        if post.is_source:
            raise SpikenetError(f"post population {post.name!r} is a spike source and cannot receive synapses")
        if not isinstance(synapse, (Delta, CurrentExp, ConductanceExp, CurrentAlpha, ConductanceAlpha)):
            raise SpikenetError(
                f"synapse must be Delta, CurrentExp, ConductanceExp, CurrentAlpha or ConductanceAlpha; got {type(synapse).__name__}")
        if isinstance(synapse, Delta) and synapse.target not in post.model.state_units():
            raise SpikenetError(
                f"Delta.target {synapse.target!r} is not a state variable of {post.name!r}; known: {sorted(post.model.state_units())}"
            )
        if not hasattr(rule, "build"):
            raise SpikenetError(f"rule must be a connectivity rule; got {type(rule).__name__}")
        taken = {p.name: p for p in self.projections}
        if name is None:
            name = f"{pre.name}->{post.name}"
            if name in taken:
                k = len(self.projections)
                while f"{name}#{k}" in taken:
                    k += 1
                name = f"{name}#{k}"
        elif not isinstance(name, str) or not name:
            raise SpikenetError(f"projection name must be a non-empty string; got {name!r}")
        elif name in taken:
            existing = taken[name]
            raise SpikenetError(
                f"projection name {name!r} is already used in this network (by the projection "
                f"{existing.pre.name} -> {existing.post.name} with {existing.n_synapses} synapses); "
                f"projection names must be unique: give another name, or leave name out for an automatic one")
        if seed is not None:
            seed = check_seed(f"seed of projection {name!r}", seed)
        self._check_connection_memory(name, pre, post, rule)
        if seed is None:
            seed_sequence = np.random.SeedSequence([self.seed, self._connect_counter])
        else:
            seed_sequence = np.random.SeedSequence(seed)
        self._connect_counter += 1
        rng = np.random.default_rng(seed_sequence)
        synapses = rule.build(pre.size, post.size, rng, same_population=pre is post)
        order = None
        if isinstance(rule, FromIndices):
            in_order = csr_sort(synapses.pre, synapses.post, pre.size, post.size)
            if in_order is not None:
                order = in_order[0]
                synapses = Synapses(in_order[1], in_order[2], pre.size, post.size)
            elif np.may_share_memory(synapses.pre, rule.pre) or np.may_share_memory(synapses.post, rule.post):
                synapses = Synapses(synapses.pre.copy(), synapses.post.copy(), pre.size, post.size)  # not the caller's arrays
        n = synapses.n_synapses
        weights = _realise_values(f"weight of projection {name!r}", weight, n, rng, order)
        delay_steps = _realise_delay_steps(f"delay of projection {name!r}", delay, n, rng, order, self.dt)
        del order
        if plasticity is not None:
            from spikenet.plasticity import check_rule

            check_rule(plasticity, name, delay_steps)
        if isinstance(rule, FromIndices):
            # Not the caller's arrays (8 bytes per synapse kept alive): the same list read from the
            # projection's own synapses, in CSR order.
            rule = ProjectionIndices(synapses)
        projection = Projection(name, pre, post, rule, synapse, synapses, weights, delay_steps, plasticity)
        self.projections.append(projection)
        self._compiled.clear()
        return projection

    def _check_connection_memory(self, name: str, pre: Population, post: Population, rule: Any) -> None:
        """Refuse, before sampling, a projection whose synapses would not fit in memory."""
        estimate = connection_estimate(rule, pre.size, post.size, pre is post)
        if estimate is None:  # a user-written rule: its size is unknown before it builds
            return
        n_synapses, peak_bytes, kept_bytes = estimate
        mantissa, exponent = f"{n_synapses:.1e}".split("e")
        count = f"{n_synapses:,}" if n_synapses < 10**6 else f"{mantissa.removesuffix('.0')}e{int(exponent)}"
        check_memory(
            peak_bytes,
            f"projection {name!r} ({type(rule).__name__}, {pre.size} x {post.size} neurons): about {count} synapses",
            f"while building ({format_bytes(kept_bytes)} kept: indices, weights, delays)",
            advice="use smaller populations or a sparser rule",
        )

    # -- currents ------------------------------------------------------------------------
    def current(self, population: Population, amplitude: Any, dt_values: float | None = None) -> CurrentInput:
        """Inject a current in pA.

        ``amplitude`` is a scalar or (size,) array for a constant current, or — with
        ``dt_values`` (ms) — a (T,) or (T, size) table of values, value k applying from
        ``k * dt_values`` ms (the last one holds afterwards).
        """
        population = self._check_own(population, "population")
        if population.is_source:
            raise SpikenetError(f"population {population.name!r} is a spike source and takes no current")
        values = np.asarray(amplitude, dtype=np.float64)
        require_finite(f"current amplitude for {population.name!r} (pA)", values)
        if dt_values is None:
            if values.ndim == 0:
                values = np.full(population.size, float(values))
            if values.shape != (population.size,):
                raise SpikenetError(
                    f"constant current for {population.name!r} must be a scalar or have shape ({population.size},); got {values.shape}"
                )
        else:
            require_positive("dt_values (ms)", dt_values)
            steps_from_duration("dt_values", dt_values, self.dt, allow_zero=False)
            if values.ndim == 1:
                values = np.repeat(values[:, None], population.size, axis=1)
            if values.ndim != 2 or values.shape[1] != population.size or values.shape[0] < 1:
                raise SpikenetError(
                    f"time-varying current for {population.name!r} must have shape (T,) or (T, {population.size}); got {np.shape(amplitude)}"
                )
        current = CurrentInput(population, values, None if dt_values is None else float(dt_values))
        self.currents.append(current)
        self._compiled.clear()
        return current

    def poisson_input(self, population: Population, n_sources: int, rate: float, weight: float,
                      synapse: SynapseModel = Delta()) -> "PoissonInput":
        """Drive every neuron of ``population`` with ``n_sources`` independent Poisson spike trains
        of ``rate`` Hz, each event adding ``weight`` through ``synapse`` — Brian2's ``PoissonInput``:
        per step each neuron receives Binomial(n_sources, rate * dt) events (no source population
        is simulated). Counted in ``ActivityCounts.external_events``."""
        population = self._check_own(population, "population")
        if population.is_source:
            raise SpikenetError(f"population {population.name!r} is a spike source and takes no input")
        n_sources = require_positive_int("PoissonInput.n_sources", n_sources)
        require_finite("PoissonInput.rate (Hz)", rate)
        if rate < 0 or rate * self.dt / 1000.0 > 1.0:
            raise SpikenetError(f"PoissonInput.rate must be in [0, {1000.0 / self.dt:g}] Hz (1/dt); got {rate!r}")
        require_finite("PoissonInput.weight", weight)
        if not isinstance(synapse, (Delta, CurrentExp, ConductanceExp, CurrentAlpha, ConductanceAlpha)):
            raise SpikenetError(f"PoissonInput.synapse must be a synapse model; got {type(synapse).__name__}")
        if isinstance(synapse, Delta) and synapse.target not in population.model.state_units():
            raise SpikenetError(f"Delta.target {synapse.target!r} is not a state variable of {population.name!r}")
        drive = PoissonInput(f"poisson_input:{population.name}#{len(self.poisson_inputs)}", population, n_sources,
                             float(rate), float(weight), synapse)
        self.poisson_inputs.append(drive)
        self._compiled.clear()
        return drive

    # -- derived facts -------------------------------------------------------------------
    def channels(self, population: Population) -> list[Any]:
        """The synaptic channels of a population: one per distinct non-delta synapse model, in order of first use."""
        channels: list[Any] = []
        users = [(p.post, p.synapse) for p in self.projections] + [(d.population, d.synapse) for d in self.poisson_inputs]
        for post, synapse in users:
            if post is population and not isinstance(synapse, Delta) and synapse not in channels:
                channels.append(synapse)
        return channels

    def channel_names(self, population: Population) -> list[str]:
        """State names of the population's synaptic channels: ``I_syn<k>`` (pA) or ``g_syn<k>`` (nS),
        plus ``<name>_rise`` for the second variable of alpha synapses."""
        names = []
        for k, channel in enumerate(self.channels(population)):
            names.append(channel_name(channel, k))
            if isinstance(channel, ALPHA_SYNAPSES):
                names.append(channel_name(channel, k) + "_rise")
        return names

    # -- running -------------------------------------------------------------------------
    def with_weights(self, weights: dict[str, Any]) -> "Network":
        """A copy of the network whose projections named in ``weights`` carry new weights
        (projection name -> one value per synapse, synapse order, in the synapse model's weight
        unit: mV, pA or nS). Populations, connectivity, delays and rules are shared with this
        network, which is left untouched; the copy compiles afresh. Use it to re-run a network
        with trained, quantised or chip-perturbed weights."""
        import copy
        from dataclasses import replace

        if not isinstance(weights, dict):
            raise SpikenetError(f"weights must be a dict of projection name -> array; got {type(weights).__name__}")
        names = {p.name for p in self.projections}
        unknown = sorted(set(weights) - names)
        if unknown:
            raise SpikenetError(f"no projection named {unknown}; projections: {sorted(names)}")
        projections = []
        for projection in self.projections:
            if projection.name in weights:
                new = np.asarray(weights[projection.name], dtype=np.float64)
                if new.shape != projection.weights.shape:
                    raise SpikenetError(f"weights for projection {projection.name!r} must have shape "
                                        f"{projection.weights.shape}; got {new.shape}")
                require_finite(f"weights for projection {projection.name!r}", new)
                projection = replace(projection, weights=new.copy())
            projections.append(projection)
        clone = copy.copy(self)
        clone.projections = projections
        clone.populations = dict(self.populations)
        clone.currents = list(self.currents)
        clone.poisson_inputs = list(self.poisson_inputs)
        clone._compiled = {}
        return clone

    def compile(self, precision: str = "float32", engine: str = "event", delivery: Any = None, devices: Any = None,
                exchange_every: int | None = None, keep_synapses: bool = True):
        """Build the jitted engine for this network (cached until the description changes).

        Parameters
        ----------
        precision : ``"float32"`` (default, fast) or ``"float64"`` (parity tests).
        engine : ``"event"`` (only rows of spiking neurons are touched) or ``"dense"``
            (the reference path, ``spikes @ W`` every step).
        delivery : ``"native"`` (CPU default: a C++ kernel, built once with the system compiler),
            ``"loop"`` (JAX; the CPU fallback), ``"compacted"`` (accelerator default) or a strategy
            object: how the event engine delivers spikes (see :mod:`spikenet.engine.delivery`).
        devices : int, list of jax devices or ``jax.sharding.Mesh``, optional
            Run on several devices (:mod:`spikenet.engine.shard`): every population is split over
            them, each device owning its neurons and their incoming synapses; results equal one
            device's. On the CPU, N devices are N cores with
            ``XLA_FLAGS=--xla_force_host_platform_device_count=N`` set before jax is imported.
            ``devices=1`` is the single-device engine (a list or Mesh of one device is sharded).
        exchange_every : int, optional
            With ``devices``: steps between two exchanges of spikes between devices. Default: the
            smallest delay (steps) of the synapses between neurons (NEST's min-delay
            communication; 1 with plasticity or zero delays); results are the same for any
            allowed value (see :mod:`spikenet.engine.exchange`).
        keep_synapses : bool
            ``False``: the engine takes the projections' synapse arrays (memory of large networks):
            on one device each static group's arrays are freed once its row tables exist; with
            ``devices`` each projection is freed once every device's description holds its part.
            The projections keep their names and counts; reading their arrays, overriding their
            weights with ``parameters=``, compiling the network again or exporting it raises
            afterwards. Plastic projections (and static rows sharing their loop) keep theirs on one device.
        """
        if _COMPILER is None:
            raise SpikenetError("no engine is registered: import spikenet (which registers spikenet.engine) first")
        key = (precision, engine, delivery if delivery is None or isinstance(delivery, str) else id(delivery))
        if exchange_every is not None and (devices is None or isinstance(exchange_every, bool)
                                           or not isinstance(exchange_every, (int, np.integer)) or exchange_every < 1):
            raise SpikenetError(f"exchange_every must be a positive integer (steps) and needs devices=; got exchange_every={exchange_every!r} "
                                f"with devices={devices!r}")
        if not isinstance(keep_synapses, (bool, np.bool_)):
            raise SpikenetError(f"keep_synapses must be True or False; got {keep_synapses!r}")
        if isinstance(devices, int) and not isinstance(devices, bool) and devices == 1:
            devices = None  # one device: the single-device engine (nothing to exchange)
        if not keep_synapses and engine != "event":
            raise SpikenetError(f"keep_synapses=False needs engine='event' (the dense reference builds its matrices from the "
                                f"network's arrays at every run); got engine={engine!r}")
        if devices is not None:
            key = key + ("devices", devices if isinstance(devices, int) else id(devices), exchange_every)
        if key not in self._compiled:
            handed = [p.name for p in self.projections if is_handed_over(p)]
            if handed:
                raise SpikenetError(f"the synapses of projection {handed[0]!r} were handed to an earlier compile(keep_synapses=False); "
                                    f"build the network again to compile it another way")
            if devices is not None:
                self._compiled[key] = _SHARDED_COMPILER(self, precision=precision, engine=engine, delivery=delivery, devices=devices,
                                                        exchange_every=exchange_every, keep_synapses=bool(keep_synapses))
            else:
                self._compiled[key] = _COMPILER(self, precision=precision, engine=engine, delivery=delivery,
                                                keep_synapses=bool(keep_synapses))
        return self._compiled[key]

    def run(self, duration: float, seed: int = 0, monitors: tuple = (), precision: str = "float32",
            engine: str = "event", chunk_steps: int | None = None, progress: bool | None = None, resume=None,
            input_spikes: dict | None = None, modulator: dict | None = None, parameters: dict | None = None,
            delivery: Any = None, devices: Any = None, exchange_every: int | None = None):
        """Simulate ``duration`` ms from the initial state (or from the end of ``resume``, an
        earlier Result or state); returns a :class:`spikenet.Result`. ``input_spikes`` and
        ``modulator`` drive the run from the host; ``parameters`` overrides values without
        recompiling; ``devices`` shards the network and ``exchange_every`` sets its steps
        between exchanges (see :meth:`compile`). See
        :meth:`spikenet.CompiledNetwork.run`."""
        check_seed("seed of Network.run", seed)  # before compiling
        return self.compile(precision=precision, engine=engine, delivery=delivery, devices=devices,
                            exchange_every=exchange_every).run(
            duration, seed=seed, monitors=monitors, chunk_steps=chunk_steps, progress=progress, resume=resume,
            input_spikes=input_spikes, modulator=modulator, parameters=parameters,
        )


def channel_name(synapse: Any, index: int) -> str:
    return f"{'g' if isinstance(synapse, CONDUCTANCE_SYNAPSES) else 'I'}_syn{index}"
