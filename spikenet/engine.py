"""The JAX event engine: compile a :class:`~spikenet.Network` into pure jitted step functions
and run them in chunks of ``lax.scan``.

Update order within one step (Brian2's default schedule ``groups, thresholds, synapses,
resets``; with float64 and the same connectivity and initial state this gives Brian2's spikes):

1. **groups** — every neuron population integrates one step of dt from the values at the
   start of the step: ``model.update(state, drive)``, with ``drive`` computed from the
   synaptic channels and injected currents at time t; the channels decay (exactly, or by
   forward Euler when the population's integration is ``"euler"``).
2. **thresholds** — ``model.threshold`` emits spikes (and starts refractoriness); Poisson and
   explicit spike sources emit theirs.
3. **synapses** — each spike is delivered: zero-delay events in this step, others into a
   ring buffer that is read in the step ``delay`` later. Weights are added to the channel
   (or, for :class:`~spikenet.Delta`, to the target variable) after the update, so they act
   from the next step on.
4. **resets** — ``model.reset`` for the neurons that spiked.

Driven neuron updates (``ActivityCounts.neuron_updates_driven``): a neuron is driven in a step
when the deliveries of step 3 change one of its channels or delta targets (the channel after the
step's deliveries differs from the decayed channel before them, in the run's precision), or its
injected current is non-zero: one compare per neuron and step, accumulated per neuron over a
chunk. Deliveries still add straight into the decayed channels, so the numerics are those of a
run without the count. Populations with a non-zero constant current on every neuron are driven
in every step and are counted on the host.

Event path (default): the cost of step 3 is proportional to spikes x out-degree (see
:mod:`spikenet.propagation`). Dense path (``engine="dense"``): the same step with
``spikes @ W`` over dense matrices — the reference and the compute baseline.
"""

from __future__ import annotations

import math
import os
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from spikenet.counts import ActivityCounts
from spikenet.monitors import PopulationRateMonitor, SpikeMonitor, StateMonitor
from spikenet.network import Network, Population, channel_name
from spikenet.neuron_protocol import SynapticDrive
from spikenet.progress import ProgressBar
from spikenet.plasticity import StepContext, check_update, modulator_schedule, on_step_takes_context
from spikenet.propagation import (WORD_BITS, build_rows, deliver_and_learn_pre, deliver_events, lazy_synapse_traces,
                                  learn_post, pack_spikes, unpack_spikes)
from spikenet.sources import PoissonSource, SpikeSource
from spikenet.synapses import ALPHA_SYNAPSES, CONDUCTANCE_SYNAPSES, Delta
from spikenet.validation import SimulationError, SpikenetError, steps_from_duration, steps_on_grid

PRECISIONS = {"float32": np.float32, "float64": np.float64}
ENGINES = ("event", "dense")
DENSE_MEMORY_LIMIT_BYTES = int(os.environ.get("SPIKENET_DENSE_LIMIT_BYTES", 4 * 2**30))
MONITOR_BYTES_PER_CHUNK = 64 * 2**20
MAX_CHUNK_STEPS = 10000


@dataclass
class Result:
    """What a run returns.

    Attributes
    ----------
    spikes : dict
        Population name -> (times in ms, neuron indices) for each :class:`SpikeMonitor`.
    states : dict
        Population name -> {"t": times in ms, variable: array (samples, neurons)} per :class:`StateMonitor`.
    rates : dict
        Population name -> (times in ms, rate in Hz per step) per :class:`PopulationRateMonitor`.
    counts : ActivityCounts
        Exact spikes, neuron updates, synaptic events of the run.
    weights : dict
        Projection name -> final weights (synapse order) of every plastic projection.
    final_state : dict
        Host copy of the state at the end (pass to ``run(..., resume=result)`` to continue).
    compile_seconds, run_seconds : float
        Wall-clock time spent compiling and simulating.
    """

    spikes: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    states: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    rates: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    counts: ActivityCounts | None = None
    weights: dict[str, np.ndarray] = field(default_factory=dict)
    final_state: Any = None
    end_step: int = 0
    compile_seconds: float = 0.0
    run_seconds: float = 0.0


@dataclass
class _Outgoing:
    """Merged rows of all projections leaving one population."""

    population: Population
    projections: list
    delayed: bool
    targets: Any = None
    weights: Any = None
    out_degrees: Any = None
    dense: list = field(default_factory=list)  # (delay_steps, matrix) for the dense path
    plastic: bool = False
    post_index: Any = None       # (n_pre + 1, K) post-synaptic neuron of each slot (n_post = padding)
    column_slots: Any = None     # (n_post + 1, K_in) flat slot of each incoming synapse
    in_degree: Any = None        # (n_post + 1,) incoming synapses per post neuron
    synapse_slots: Any = None    # (n_synapses,) flat slot of each synapse, in CSR order
    front_size: int = 0          # inbox entries at the front of the plastic arena
    static_span: tuple = (0, 0)  # flat-buffer range [lo, hi) of the fused static rows' inbox
    static_weights: Any = None   # (n_pre + 1, K_static) fused static rows (event engine), or None


def _decayed_traces(traces: dict, factors: dict) -> dict:
    """Traces after one step's decay (``factors``: exp(-dt / tau) per trace); a factor of exactly 1
    (tau = math.inf, an accumulator) leaves the trace as it is."""
    return {k: v * factors[k] if factors[k] != 1.0 else v for k, v in traces.items()}


class CompiledNetwork:
    """A network turned into jitted step functions; create with :meth:`Network.compile`."""

    def __init__(self, network: Network, precision: str = "float32", engine: str = "event") -> None:
        if precision not in PRECISIONS:
            raise SpikenetError(f"precision must be one of {sorted(PRECISIONS)}; got {precision!r}")
        if engine not in ENGINES:
            raise SpikenetError(f"engine must be one of {ENGINES}; got {engine!r}")
        if not network.populations:
            raise SpikenetError("the network has no population")
        self.network = network
        self.precision = precision
        self.engine = engine
        self.dtype = PRECISIONS[precision]
        self.dt = network.dt
        self.populations = list(network.populations.values())
        self.neuron_populations = [p for p in self.populations if not p.is_source]
        self.projections = list(network.projections)
        self._layout()
        self._build_rows()
        self._functions: dict = {}
        self._compiled_chunks: dict = {}
        self._params: dict | None = None

    # -- layout --------------------------------------------------------------------------
    def _layout(self) -> None:
        """Assign every synaptic channel, then every delta target, a segment of one flat buffer:
        channels [0, channel_size) (the layout of the channel state, population by population;
        ``channel_regions`` holds each population's range), delta targets [channel_size,
        buffer_size) (per-step increments of the target variables)."""
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
        if self.ring_slots * self.buffer_size >= 2**30:
            raise SpikenetError(
                f"delay ring buffer would need {self.ring_slots} x {self.buffer_size} entries; the maximum delay "
                f"({max_delay * self.dt} ms) or the network is too large for it"
            )

    def _target_offset(self, projection) -> int:
        """Where deliveries of a projection (or of a PoissonInput) add in the flat buffer."""
        post = projection.post if hasattr(projection, "post") else projection.population
        if isinstance(projection.synapse, Delta):
            return self.delta_offsets[(post.name, projection.synapse.target)]
        return self.channel_offsets[(post.name, projection.synapse)]

    def _driven_plan(self) -> tuple[set[str], dict[str, list[int]]]:
        """How the engine counts driven neuron updates (``ActivityCounts.neuron_updates_driven``).

        Returns ``(always, offsets)``: ``always`` are the populations whose injected current is
        constant and non-zero (in the run's precision) for every neuron — driven in every step,
        counted on the host as size x steps with no work in the step; ``offsets`` maps every
        other integrated population that receives any input (synapses, PoissonInput or current)
        to where its deliveries land in the step's inbox (each channel's delivery segment — the
        rise variable of an alpha channel — and each delta target). Those populations carry one
        int32 counter per neuron through a chunk (one fused compare-and-add per step)."""
        constant: dict[str, np.ndarray] = {}
        varying: set[str] = set()
        for current in self.network.currents:
            name = current.population.name
            if current.is_constant:
                constant[name] = constant.get(name, 0.0) + current.values
            else:
                varying.add(name)
        always = {name for name, values in constant.items()
                  if name not in varying and np.all(np.asarray(values, dtype=self.dtype) != 0)}
        offsets = {}
        for population in self.neuron_populations:
            name = population.name
            segments = sorted({self.channel_offsets[(name, c)] for c in self.channels[name]}
                              | {o for (target, _), o in self.delta_offsets.items() if target == name})
            if name not in always and (segments or name in constant or name in varying):
                offsets[name] = segments
        return always, offsets

    def _build_rows(self) -> None:
        self.outgoing: list[_Outgoing] = []
        total_dense_bytes = 0
        groups = []
        for population in self.populations:
            leaving = [p for p in self.projections if p.pre is population and p.n_synapses > 0]
            static = [p for p in leaving if p.plasticity is None]
            if static:
                groups.append((population, static, False))
            groups += [(population, [p], True) for p in leaving if p.plasticity is not None]
        for population, projections, plastic in groups:
            delayed = any(int(p.delay_steps.max()) > 0 for p in projections)
            out = _Outgoing(population, projections, delayed, plastic=plastic)
            n_pre = population.size
            degrees = np.zeros((2 * len(projections), n_pre + 1), dtype=np.int64)
            for k, projection in enumerate(projections):
                degrees[k, :n_pre] = projection.synapses.out_degree()
                degrees[len(projections) + k, :n_pre] = np.bincount(
                    projection.synapses.pre[projection.delay_steps > 0], minlength=n_pre)
            if degrees.max(initial=0) * max(n_pre, 1) >= 2**31:
                raise SpikenetError(f"population {population.name!r}: too many synapses per step to count in int32")
            out.out_degrees = degrees.astype(np.int32)
            if plastic:
                self._build_plastic_rows(out)
            elif self.engine == "event":
                wrap = self.ring_slots * self.buffer_size
                sentinel = 2 * wrap if delayed else self.buffer_size
                if sentinel >= 2**31:
                    raise SpikenetError(f"population {population.name!r}: synapse index space exceeds int32")
                targets = (self._target_offset(p) + p.synapses.post + (p.delay_steps.astype(np.int64) * self.buffer_size if delayed else 0)
                           for p in projections)
                ell_targets, (ell_weights,) = build_rows(
                    n_pre, [p.synapses.pre for p in projections], targets, [[p.weights for p in projections]], sentinel,
                    target_dtype=np.int32, value_dtypes=[self.dtype])
                out.targets = ell_targets
                out.weights = ell_weights
            else:
                delays = sorted({int(d) for p in projections for d in np.unique(p.delay_steps)})
                itemsize = np.dtype(self.dtype).itemsize
                needed = len(delays) * n_pre * self.buffer_size * itemsize
                total_dense_bytes += needed
                if total_dense_bytes > DENSE_MEMORY_LIMIT_BYTES:
                    raise SpikenetError(
                        f"the dense path would need {total_dense_bytes / 2**30:.2f} GiB for its weight matrices "
                        f"(limit {DENSE_MEMORY_LIMIT_BYTES / 2**30:.2f} GiB, set SPIKENET_DENSE_LIMIT_BYTES); "
                        f"use engine='event'"
                    )
                for delay in delays:
                    matrix = np.zeros((n_pre, self.buffer_size), dtype=np.float64)
                    for p in projections:
                        chosen = p.delay_steps == delay
                        np.add.at(matrix, (p.synapses.pre[chosen], self._target_offset(p) + p.synapses.post[chosen]),
                                  p.weights[chosen])
                    out.dense.append((delay, matrix.astype(self.dtype)))
            self.outgoing.append(out)
        self._fuse_static_rows()

    def _fuse_static_rows(self) -> None:
        """Event engine: a population's static, undelayed rows ride in the loop of its plastic
        projection (one loop iteration and one scatter per spike instead of two of each). Their
        weights join that projection's arena after the plastic rows; their targets go to a second
        inbox at the arena's front, which covers the span [lo, hi) of the flat buffer they reach
        and is added into the buffer at the end of the step. ``fused_static`` maps the plastic
        group's index to the static group's."""
        self.fused_static: dict[int, int] = {}
        if self.engine != "event":
            return
        for index, out in enumerate(self.outgoing):
            if not out.plastic:
                continue
            for other_index, other in enumerate(self.outgoing):
                if (other.plastic or other.delayed or other.population is not out.population
                        or other_index in self.fused_static.values()):
                    continue
                n_post = out.projections[0].post.size
                n_rows, width = out.post_index.shape
                static_targets = other.targets.astype(np.int64)
                reached = static_targets < self.buffer_size
                lo = int(static_targets[reached].min(initial=0))
                hi = int(static_targets[reached].max(initial=-1)) + 1 if reached.any() else lo
                front_size = n_post + hi - lo
                arena_size = front_size + n_rows * (width + static_targets.shape[1])
                if arena_size >= 2**31:
                    break  # too large for int32 indices: keep the two loops
                plastic_targets = np.where(out.post_index < n_post, out.post_index, arena_size)
                static_inbox = np.where(reached, static_targets - lo + n_post, arena_size)
                out.targets = np.concatenate([plastic_targets, static_inbox], axis=1).astype(np.int32)
                out.front_size, out.static_span, out.static_weights = front_size, (lo, hi), other.weights
                other.targets = other.weights = None  # now in the plastic group (not passed to the step twice)
                self.fused_static[index] = other_index
                break

    def _build_plastic_rows(self, out: _Outgoing) -> None:
        """Rows of one plastic projection (never merged: its weights are state), with the column
        index of synapse slots that ``on_post`` uses to touch only a spiking neuron's inputs."""
        projection = out.projections[0]
        n_pre, n_post = projection.pre.size, projection.post.size
        synapses = projection.synapses
        # Targets index the projection's own inbox (one entry per post-synaptic neuron) at the
        # front of its arena; padding points past the arena and is dropped.
        post_index, (synapse_number,) = build_rows(
            n_pre, [synapses.pre], [synapses.post], [[np.arange(synapses.n_synapses)]], n_post, target_dtype=np.int64)
        width = post_index.shape[1]
        arena_size = n_post + (n_pre + 1) * width
        valid = post_index < n_post
        targets = np.where(valid, post_index, arena_size)
        post_index = np.where(valid, post_index, n_post)
        rows, cols = np.nonzero(valid)
        slots = rows * width + cols
        out.synapse_slots = np.empty(synapses.n_synapses, dtype=np.int64)
        out.synapse_slots[synapse_number[rows, cols]] = slots
        in_degree = np.bincount(post_index[rows, cols], minlength=n_post)
        width_in = max(int(in_degree.max(initial=0)), 1)
        order = np.argsort(post_index[rows, cols], kind="stable")
        sorted_post = post_index[rows, cols][order]
        starts = np.zeros(n_post + 1, np.int64)
        np.cumsum(in_degree, out=starts[1:])
        position = np.arange(order.size) - starts[sorted_post]
        column_slots = np.full((n_post + 1, width_in), n_pre * width, dtype=np.int64)
        column_slots[sorted_post, position] = slots[order]
        weights = np.zeros((n_pre + 1, width))
        weights[rows, cols] = projection.weights[synapse_number[rows, cols]]
        if arena_size >= 2**31:
            raise SpikenetError(f"plastic projection {projection.name!r} is too large for int32 slot indices")
        out.targets = targets.astype(np.int32)
        out.weights = weights.astype(self.dtype)
        out.front_size = n_post
        out.post_index = post_index.astype(np.int32)
        out.column_slots = column_slots.astype(np.int32)
        out.in_degree = np.concatenate([in_degree, [0]]).astype(np.int32)

    def plastic_weights(self, state: dict, projection_name: str) -> np.ndarray:
        """Weights of a plastic projection in synapse (CSR) order, from a run's state."""
        out = self._plastic_group(projection_name)
        return np.asarray(state["plastic"][projection_name]["arena"])[out.front_size:][out.synapse_slots]

    def _plastic_group(self, projection_name: str) -> _Outgoing:
        for out in self.outgoing:
            if out.plastic and out.projections[0].name == projection_name:
                return out
        raise SpikenetError(f"projection {projection_name!r} has no plasticity rule; plastic: "
                            f"{[o.projections[0].name for o in self.outgoing if o.plastic]}")

    def _trace_kind(self, out: _Outgoing, trace: str, kind: str) -> None:
        if kind not in ("pre", "post", "synapse"):
            raise SpikenetError(f"kind must be 'pre', 'post' or 'synapse'; got {kind!r}")
        declared = getattr(out.projections[0].plasticity, f"{kind}_traces")
        if trace not in declared:
            raise SpikenetError(f"the rule of {out.projections[0].name!r} has no {kind} trace {trace!r}; declared: {sorted(declared)}")

    @staticmethod
    def _checked_values(label: str, values: Any, size: int) -> np.ndarray:
        """``values`` as float64 (size,), finite, or a SpikenetError naming ``label``."""
        values = np.asarray(values, dtype=np.float64)
        if values.shape != (size,):
            raise SpikenetError(f"{label} must have shape ({size},); got {values.shape}")
        if not np.all(np.isfinite(values)):
            raise SpikenetError(f"{label} must be finite")
        return values

    def _synapse_traces_now(self, state: dict, out: _Outgoing) -> dict:
        """A plastic projection's synapse traces as of the state's step: lazily decaying ones
        (stored as of ``synapse_step``) decayed in closed form; others as stored."""
        plastic = state["plastic"][out.projections[0].name]
        traces = {k: np.asarray(v) for k, v in plastic["synapse"].items()}
        if "synapse_step" not in plastic:
            return traces
        elapsed = int(np.asarray(state.get("t", 0))) - np.asarray(plastic["synapse_step"]).astype(np.float64)
        taus = out.projections[0].plasticity.synapse_traces
        return {k: (v * np.exp(-elapsed * self.dt / taus[k])).astype(v.dtype) for k, v in traces.items()}

    def plastic_trace(self, state: dict, projection_name: str, trace: str, kind: str = "synapse") -> np.ndarray:
        """A plasticity trace of a plastic projection, from a run's state (``result.final_state``):
        ``kind="synapse"`` (n_synapses,) in synapse (CSR) order, like :meth:`plastic_weights`;
        ``"pre"`` (n_pre,) or ``"post"`` (n_post,) per neuron (padding dropped). Lazily decaying
        synapse traces (rules without ``on_step``) are decayed in closed form to the state's step."""
        out = self._plastic_group(projection_name)
        self._trace_kind(out, trace, kind)
        if kind != "synapse":
            return np.asarray(state["plastic"][projection_name][kind][trace])[:-1].copy()
        return self._synapse_traces_now(state, out)[trace].reshape(-1)[out.synapse_slots]

    def with_plastic_trace(self, state: dict, projection_name: str, trace: str, values: Any, kind: str = "synapse") -> dict:
        """A copy of ``state`` in which a trace of plastic projection ``projection_name`` holds
        ``values``: ``kind="synapse"`` (n_synapses,) in synapse order, ``"pre"`` (n_pre,), ``"post"``
        (n_post,); the inverse of :meth:`plastic_trace`. Pass the state to ``run(..., resume=state)``."""
        out = self._plastic_group(projection_name)
        self._trace_kind(out, trace, kind)
        projection = out.projections[0]
        size = {"pre": projection.pre.size, "post": projection.post.size, "synapse": projection.n_synapses}[kind]
        values = self._checked_values(f"{kind} trace {trace!r} of {projection_name!r}", values, size)
        plastic = dict(state["plastic"][projection_name])
        if kind == "synapse" and "synapse_step" in plastic:
            # Lazily decaying traces share one step per synapse: bring all of them to the state's
            # step (closed form), so the new values and the others hold as of that step.
            plastic["synapse"] = self._synapse_traces_now(state, out)
            plastic["synapse_step"] = np.full_like(np.asarray(plastic["synapse_step"]), int(np.asarray(state.get("t", 0))))
        array = np.array(plastic[kind][trace])
        if kind == "synapse":
            array.reshape(-1)[out.synapse_slots] = values
        else:
            array[:-1] = values
        plastic[kind] = {**plastic[kind], trace: array}
        return {**state, "plastic": {**state["plastic"], projection_name: plastic}}

    # -- state ---------------------------------------------------------------------------
    def initial_state(self) -> dict:
        """The state at t = 0 as numpy arrays: neuron states, synaptic channels and the delay buffer."""
        neurons = {}
        channels = np.zeros(self.channel_size, dtype=self.dtype)
        for population in self.neuron_populations:
            state = {k: np.asarray(v) for k, v in population.model.initial_state(population.size, self.dt).items()}
            for name, value in population.initial.items():
                if name in state:
                    state[name] = value
            neurons[population.name] = {
                k: (v.astype(self.dtype) if np.issubdtype(v.dtype, np.floating) else v.astype(np.int32)) for k, v in state.items()
            }
            for k, channel in enumerate(self.channels[population.name]):
                name = channel_name(channel, k)
                for variable, offset in ((name, self.drive_offsets[(population.name, channel)]),
                                         (name + "_rise", self.channel_offsets[(population.name, channel)])):
                    if variable in population.initial and (variable == name or isinstance(channel, ALPHA_SYNAPSES)):
                        channels[offset:offset + population.size] = population.initial[variable]
        ring = np.zeros(self.ring_slots * self.buffer_size, dtype=self.dtype)
        plastic = {}
        for out in self.outgoing:
            if out.plastic:
                projection = out.projections[0]
                rule = projection.plasticity
                n_pre, n_post = projection.pre.size, projection.post.size
                plastic[projection.name] = {
                    "arena": np.concatenate([np.zeros(out.front_size, self.dtype), out.weights.reshape(-1)]
                                            + ([] if out.static_weights is None else [out.static_weights.reshape(-1)])),
                    "pre": {k: np.zeros(n_pre + 1, self.dtype) for k in rule.pre_traces},
                    "post": {k: np.zeros(n_post + 1, self.dtype) for k in rule.post_traces},
                    "synapse": {k: np.zeros(out.weights.shape, self.dtype) for k in rule.synapse_traces},
                    # Lazy synapse traces (rules without on_step): the step of each value.
                    **({"synapse_step": np.zeros(out.weights.shape, np.int32)} if lazy_synapse_traces(rule) else {}),
                    "modulator": np.zeros((), self.dtype),
                }
        return {"neurons": neurons, "channels": channels, "ring": ring, "plastic": plastic}

    def channel_values(self, channels: Any, population: str, variable: str) -> Any:
        """The values of channel ``variable`` (e.g. ``g_syn0``) of ``population`` in a flat channel array."""
        size = self.network.populations[population].size
        for k, channel in enumerate(self.channels[population]):
            if channel_name(channel, k) == variable:
                offset = self.drive_offsets[(population, channel)]
                return channels[offset:offset + size]
            if isinstance(channel, ALPHA_SYNAPSES) and channel_name(channel, k) + "_rise" == variable:
                offset = self.channel_offsets[(population, channel)]
                return channels[offset:offset + size]
        raise SpikenetError(f"population {population!r} has no synaptic channel {variable!r}")

    def _precision_context(self):
        return jax.enable_x64(True) if self.precision == "float64" else nullcontext()

    # -- the step ------------------------------------------------------------------------
    def _make_step(self, key, record_words: tuple[str, ...], params: dict | None = None):
        """Build the step function. Arrays (connectivity, weights, tables) are not closed over —
        XLA would embed them as constants in the executable, doubling memory and compile time —
        but read from ``params``, which the jitted chunk function takes as an argument. Called
        with ``params=None`` it returns the host arrays to pass: ``(step, host_params)``."""
        collected: dict[str, np.ndarray] = {}

        def const(name: str, value, value_dtype=None):
            if params is not None:
                return params[name]
            collected[name] = np.asarray(value, dtype=value_dtype) if value_dtype is not None else np.asarray(value)
            return collected[name]

        dt = self.dt
        dtype = self.dtype
        buffer_size = self.buffer_size
        ring_slots = self.ring_slots
        population_index = {p.name: i for i, p in enumerate(self.populations)}
        # The decay factor of every channel entry, as one flat vector (forward Euler or exact).
        decay = np.ones(self.channel_size)
        alpha_couplings = []  # (drive offset, rise offset, size, coefficient)
        for population in self.neuron_populations:
            euler = population.model.integration == "euler"
            for channel in self.channels[population.name]:
                factor = 1.0 - dt / channel.tau if euler else math.exp(-dt / channel.tau)
                for offset in {self.channel_offsets[(population.name, channel)], self.drive_offsets[(population.name, channel)]}:
                    decay[offset:offset + population.size] = factor
                if isinstance(channel, ALPHA_SYNAPSES):
                    # dg/dt = (e x - g)/tau: forward Euler adds e (dt/tau) x; exponential Euler
                    # (Brian2's scheme: x held over the step) adds e (1 - exp(-dt/tau)) x.
                    coefficient = math.e * (dt / channel.tau if euler else 1.0 - math.exp(-dt / channel.tau))
                    alpha_couplings.append((self.drive_offsets[(population.name, channel)],
                                            self.channel_offsets[(population.name, channel)], population.size, coefficient))
        decay = const("decay", decay, dtype)
        channel_size = self.channel_size
        constant_currents = {}
        varying_currents = {}
        for current in self.network.currents:
            name = current.population.name
            if current.is_constant:
                constant_currents[name] = constant_currents.get(name, 0.0) + current.values
            else:
                steps_per_value = int(round(current.dt_values / dt))
                index = len(varying_currents.get(name, []))
                varying_currents.setdefault(name, []).append(
                    (const(f"varying_current/{name}/{index}", current.values, dtype), steps_per_value))
        constant_currents = {k: const(f"constant_current/{k}", v, dtype) for k, v in constant_currents.items()}
        outgoing = [
            (out, const(f"targets/{i}", out.targets) if out.targets is not None else None,
             # (a plastic group's weights live in its state's arena)
             const(f"weights/{i}", out.weights) if out.weights is not None and not out.plastic else None,
             const(f"out_degrees/{i}", out.out_degrees),
             [(d, const(f"dense/{i}/{d}", m)) for d, m in out.dense])
            for i, out in enumerate(self.outgoing)
        ]
        plastic_consts = {}
        for out in self.outgoing:
            if out.plastic:
                projection = out.projections[0]
                rule = projection.plasticity
                plastic_consts[projection.name] = {
                    "rule": rule,
                    "pre_decay": {k: math.exp(-dt / tau) for k, tau in rule.pre_traces.items()},
                    "post_decay": {k: math.exp(-dt / tau) for k, tau in rule.post_traces.items()},
                    "synapse_decay": {k: math.exp(-dt / tau) for k, tau in rule.synapse_traces.items()},
                    "lazy": lazy_synapse_traces(rule),
                    "synapse_rates": {k: dt / tau for k, tau in rule.synapse_traces.items()},
                    "modulator_decay": (math.exp(-dt / getattr(rule, "modulator_tau", math.inf))
                                        if callable(getattr(rule, "on_step", None)) else 1.0),
                    "step_context": on_step_takes_context(rule),
                    "pre_name": projection.pre.name, "post_name": projection.post.name,
                    "post_index": const(f"plastic/{projection.name}/post_index", out.post_index),
                    "column_slots": const(f"plastic/{projection.name}/column_slots", out.column_slots),
                    "in_degree": const(f"plastic/{projection.name}/in_degree", out.in_degree),
                    "n_synapses": projection.n_synapses, "n_post": projection.post.size,
                    "front_size": out.front_size, "width": out.post_index.shape[1], "static_span": out.static_span,
                    "n_pre": projection.pre.size, "target_offset": self._target_offset(projection),
                    "dense_targets": const(
                        f"plastic/{projection.name}/dense_targets",
                        self._target_offset(projection) + np.minimum(out.post_index, projection.post.size).astype(np.int64)
                        + np.where(out.post_index >= projection.post.size, buffer_size, 0)),
                }
        fused_static = self.fused_static  # plastic group -> static group delivered in its loop
        _, delivery_offsets = self._driven_plan()
        external = [(drive, self._target_offset(drive), const(f"external/{k}", drive.count_table(dt), dtype))
                    for k, drive in enumerate(self.network.poisson_inputs)]
        poisson_probabilities = {
            p.name: const(f"poisson/{p.name}", p.model.rates_array(p.size) * dt / 1000.0, dtype)
            for p in self.populations if isinstance(p.model, PoissonSource)
        }

        def step(carry, raster):
            neurons, channels, ring, t = carry["neurons"], carry["channels"], carry["ring"], carry["t"]
            neurons = dict(neurons)
            plastic = {}
            for name, consts in plastic_consts.items():
                # Traces decay exactly over the step; the modulator also receives this step's events
                # (the rule's schedule and the run's ``modulator=`` events, summed on the host).
                state = carry["plastic"][name]
                modulator = state["modulator"] * consts["modulator_decay"]
                if name in raster["modulator"]:
                    modulator = modulator + raster["modulator"][name]
                plastic[name] = {
                    "arena": state["arena"],
                    "pre": _decayed_traces(state["pre"], consts["pre_decay"]),
                    "post": _decayed_traces(state["post"], consts["post_decay"]),
                    # Synapse traces decay here only for rules with on_step (which touch every
                    # synapse every step anyway); otherwise lazily, in closed form at their events.
                    "synapse": (state["synapse"] if consts["lazy"] else
                                _decayed_traces(state["synapse"], consts["synapse_decay"])),
                    **({"synapse_step": state["synapse_step"]} if consts["lazy"] else {}),
                    "modulator": modulator.astype(dtype),
                }
            # 1. groups: integrate from the values at the start of the step.
            driven = {}  # population -> bool (size,): neurons driven in this step (see ActivityCounts)
            for population in self.neuron_populations:
                name = population.name
                size = population.size
                current = constant_currents.get(name, jnp.zeros(size, dtype))
                for values, steps_per_value in varying_currents.get(name, []):
                    row = jnp.minimum(t // steps_per_value, values.shape[0] - 1)
                    current = current + lax.dynamic_index_in_dim(values, row, keepdims=False)
                if name in delivery_offsets and (name in constant_currents or name in varying_currents):
                    driven[name] = current != 0  # injected current (a biased neuron integrates every step)
                conductance = jnp.zeros(size, dtype)
                for channel in self.channels[name]:
                    offset = self.drive_offsets[(name, channel)]
                    values = channels[offset:offset + size]
                    if isinstance(channel, CONDUCTANCE_SYNAPSES):
                        conductance = conductance + values
                        current = current + channel.e_rev * values
                    else:
                        current = current + values
                neurons[name] = population.model.update(neurons[name], SynapticDrive(current, conductance), dt)
            if channel_size:
                decayed = channels * decay
                for drive_offset, rise_offset, size, coefficient in alpha_couplings:
                    decayed = decayed.at[drive_offset:drive_offset + size].add(
                        coefficient * channels[rise_offset:rise_offset + size])
                channels = decayed
            # 2. thresholds.
            spiked = {}
            for population in self.populations:
                name = population.name
                if not population.is_source:
                    neurons[name], spiked[name] = population.model.threshold(neurons[name], dt)
                elif isinstance(population.model, PoissonSource):
                    step_key = jax.random.fold_in(jax.random.fold_in(key, t), population_index[name])
                    spiked[name] = jax.random.uniform(step_key, (population.size,), dtype) < poisson_probabilities[name]
                else:
                    spiked[name] = raster["spikes"][name]
            words = {p.name: pack_spikes(spiked[p.name]) for p in self.populations}
            # 3. synapses: zero-delay events, PoissonInput events and the delay ring's slot of this
            # step add into the inbox: the decayed channel state itself (in place) and per-step
            # increments of delta targets.
            delta_size = buffer_size - channel_size
            inbox = jnp.concatenate([channels, jnp.zeros(delta_size, dtype)]) if delta_size else channels
            before_delivery = inbox  # the decayed channels: a neuron is driven where its deliveries change them
            events_by_group = {}
            slot = t % ring_slots if ring_slots else 0
            plasticity_updates = []
            for index, (out, targets, weights, degrees, dense) in enumerate(outgoing):
                name = out.population.name
                if index in fused_static.values():
                    continue  # delivered in the loop of its population's plastic projection
                if out.plastic and index in fused_static:
                    # The source's static rows ride along in the plastic loop (one loop per spike, not two).
                    projection_name = out.projections[0].name
                    consts = plastic_consts[projection_name]
                    static_index = fused_static[index]
                    static_degrees = outgoing[static_index][3]
                    plastic[projection_name], ev, updates, events_by_group[static_index] = deliver_and_learn_pre(
                        words[name], targets, plastic[projection_name], consts["front_size"], consts["post_index"], degrees,
                        consts["rule"], deliver=True, static_degrees=static_degrees,
                        lazy=(t, consts["synapse_rates"]) if consts["lazy"] else None)
                    plasticity_updates.append(updates)
                elif out.plastic:
                    projection_name = out.projections[0].name
                    consts = plastic_consts[projection_name]
                    n_post, offset = consts["n_post"], consts["target_offset"]
                    if self.engine == "dense":
                        # Clock-driven reference: every synapse every step, weighted by its source's spike.
                        front, width = consts["front_size"], consts["width"]
                        rows = plastic[projection_name]["arena"][front:front + (consts["n_pre"] + 1) * width].reshape(-1, width)
                        spikes = jnp.concatenate([spiked[name], jnp.zeros(1, bool)]).astype(dtype)
                        inbox = inbox.at[consts["dense_targets"].reshape(-1)].add((rows * spikes[:, None]).reshape(-1), mode="drop")
                    plastic[projection_name], ev, updates = deliver_and_learn_pre(
                        words[name], targets, plastic[projection_name], consts["front_size"], consts["post_index"], degrees,
                        consts["rule"], deliver=self.engine == "event",
                        lazy=(t, consts["synapse_rates"]) if consts["lazy"] else None)
                    plasticity_updates.append(updates)
                elif self.engine == "event":
                    if out.delayed:
                        ring, ev = deliver_events(ring, words[name], targets, weights, degrees,
                                                  shift=slot * buffer_size, wrap=ring_slots * buffer_size)
                    else:
                        inbox, ev = deliver_events(inbox, words[name], targets, weights, degrees)
                else:
                    spikes_float = spiked[name].astype(dtype)
                    for delay, matrix in dense:
                        contribution = spikes_float @ matrix
                        if out.delayed:
                            # 2-D row indexing: a flat dynamic_slice/dynamic_update_slice pair on
                            # the ring was miscompiled by XLA:CPU (jaxlib 0.10.2) inside the step.
                            target_slot = (slot + delay) % ring_slots
                            ring = ring.reshape(ring_slots, buffer_size).at[target_slot].add(contribution).reshape(-1)
                        else:
                            inbox = inbox + contribution
                    spikes_int = jnp.concatenate([spiked[name].astype(jnp.int32), jnp.zeros(1, jnp.int32)])
                    ev = degrees @ spikes_int
                events_by_group[index] = ev
            events = [events_by_group[index] for index in range(len(outgoing))]
            # Post pathway of plastic projections, after every pre-synaptic update of the step.
            for k, (projection_name, consts) in enumerate(plastic_consts.items()):
                post_name = next(p.post.name for p in self.projections if p.name == projection_name)
                plastic[projection_name], updates = learn_post(
                    words[post_name], plastic[projection_name], consts["front_size"], consts["width"], consts["column_slots"],
                    consts["in_degree"], consts["n_pre"], consts["rule"],
                    lazy=(t, consts["synapse_rates"]) if consts["lazy"] else None)
                plasticity_updates[k] = plasticity_updates[k] + updates
                # Move the step's deliveries from the projection's inbox (the front of its arena,
                # untouched by the post pathway) into the input buffer and clear it for the next
                # step. Done last: reading the arena between its in-place loops made XLA:CPU copy
                # the whole arena every step.
                arena = plastic[projection_name]["arena"]
                n_post, offset, front = consts["n_post"], consts["target_offset"], consts["front_size"]
                inbox = inbox.at[offset:offset + n_post].add(arena[:n_post])
                lo, hi = consts["static_span"]
                if hi > lo:  # the inbox of the fused static rows
                    inbox = inbox.at[lo:hi].add(arena[n_post:front])
                # The clear depends on the reads' result (times 0): XLA:CPU then orders the reads
                # before the in-place clear instead of copying the whole arena every step.
                cleared = jnp.zeros(front, dtype) * inbox[offset]
                plastic[projection_name] = {
                    **plastic[projection_name], "arena": lax.dynamic_update_slice(arena, cleared, (0,))}
                if callable(getattr(consts["rule"], "on_step", None)):
                    state = plastic[projection_name]
                    front, rows_end = consts["front_size"], consts["front_size"] + (consts["n_pre"] + 1) * consts["width"]
                    weight = state["arena"][front:rows_end].reshape(consts["n_pre"] + 1, consts["width"])
                    arguments = (weight, state["synapse"], state["modulator"], dt)
                    if consts["step_context"]:  # on_step(..., context): the step's network state, read-only
                        previous = carry["plastic"][projection_name]
                        arguments += (StepContext(
                            pre=state["pre"], post=state["post"], pre_previous=previous["pre"], post_previous=previous["post"],
                            post_state=dict(neurons[consts["post_name"]]), pre_spiked=spiked[consts["pre_name"]],
                            post_spiked=spiked[consts["post_name"]], step=t, post_index=consts["post_index"],
                            n_post=consts["n_post"]),)
                    new_weight, synapse = consts["rule"].on_step(*arguments)
                    shape = (consts["n_pre"] + 1, consts["width"])
                    check_update(consts["rule"], "on_step", "synapse", synapse, state["synapse"], shape)
                    # Per synapse and step: the weight if on_step made a new one, and every synapse
                    # trace decayed here (finite tau) or written by on_step, once each.
                    touched = {name for name, value in synapse.items() if value is not state["synapse"][name]}
                    touched |= {name for name, tau in consts["rule"].synapse_traces.items() if math.isfinite(tau)}
                    weight_changed = new_weight is not weight
                    values_per_synapse = len(touched) + weight_changed
                    weight = new_weight
                    arena = state["arena"]
                    if weight_changed:  # (rebuilding the arena copies it)
                        arena = jnp.concatenate([arena[:front], jnp.broadcast_to(weight, shape).astype(dtype).reshape(-1),
                                                 arena[rows_end:]])
                    plastic[projection_name] = {**state, "arena": arena, "synapse": {  # omitted traces: unchanged
                        **state["synapse"], **{k2: jnp.broadcast_to(v, shape).astype(dtype) for k2, v in synapse.items()}}}
                    plasticity_updates[k] = plasticity_updates[k] + consts["n_synapses"] * values_per_synapse
            external_events = []
            for k, (drive, offset, table) in enumerate(external):
                # Binomial(n_sources, rate dt) events per neuron by inverting the tabulated CDF.
                size = drive.population.size
                uniform = jax.random.uniform(jax.random.fold_in(jax.random.fold_in(key, t), 2**20 + k), (size,), dtype)
                events_here = jnp.sum(uniform[:, None] >= table[None, :-1], axis=1, dtype=jnp.int32)
                inbox = inbox.at[offset:offset + size].add(drive.weight * events_here.astype(dtype))
                external_events.append(jnp.sum(events_here, dtype=jnp.int32))
            if ring_slots:
                ring_rows = ring.reshape(ring_slots, buffer_size)  # see the note on the dense path
                inbox = inbox + ring_rows[slot]
                ring = ring_rows.at[slot].set(0.0).reshape(-1)
            # Driven neurons: a delivery that changed any channel or delta target, or a non-zero
            # injected current; counted per neuron in the chunk's carry (no reduction per step).
            driven_so_far = carry.get("driven")
            if driven_so_far is not None:
                driven_so_far = dict(driven_so_far)
                for name, offsets in delivery_offsets.items():
                    size = self.network.populations[name].size
                    mask = driven.get(name)
                    for offset in offsets:
                        received = inbox[offset:offset + size] != before_delivery[offset:offset + size]
                        mask = received if mask is None else mask | received
                    driven_so_far[name] = driven_so_far[name] + mask.astype(jnp.int32)
            channels = inbox[:channel_size] if delta_size else inbox
            for (target_population, variable), offset in self.delta_offsets.items():
                population = self.network.populations[target_population]
                increment = inbox[offset:offset + population.size]
                if hasattr(population.model, "apply_delta"):
                    neurons[target_population] = population.model.apply_delta(neurons[target_population], variable, increment)
                else:
                    state = neurons[target_population]
                    neurons[target_population] = {**state, variable: state[variable] + increment}
            # 4. resets.
            for population in self.neuron_populations:
                neurons[population.name] = population.model.reset(neurons[population.name], spiked[population.name])
            spike_counts = jnp.stack([jnp.sum(lax.population_count(words[p.name]), dtype=jnp.int32) for p in self.populations])
            outputs = {
                "spike_counts": spike_counts,
                "events": jnp.concatenate(events) if events else jnp.zeros(0, jnp.int32),
                "plasticity": jnp.stack(plasticity_updates) if plasticity_updates else jnp.zeros(0, jnp.int32),
                "external": jnp.stack(external_events) if external_events else jnp.zeros(0, jnp.int32),
                "words": {name: words[name] for name in record_words},
            }
            new_carry = {"neurons": neurons, "channels": channels, "ring": ring, "plastic": plastic, "t": t + 1}
            if driven_so_far is not None:
                new_carry["driven"] = driven_so_far
            return new_carry, outputs

        return step, collected

    def _chunk_function(self, n_steps: int, every: int, record_words: tuple[str, ...],
                        state_records: tuple[tuple[str, str, Any], ...], batched: bool):
        """The jitted chunk ``(carry, rasters, params, key) -> (carry, outputs)``; the seed's key is an
        argument (a new seed does not recompile). ``batched``: vmapped over a leading seed axis of
        ``carry`` and ``key`` (host inputs and parameters shared)."""
        cache_key = (n_steps, every, record_words, state_records, batched)
        if cache_key in self._functions:
            return self._functions[cache_key], cache_key
        with self._precision_context():
            record_indices = [(p, v, np.asarray(i, np.int32)) for p, v, i in state_records]

            _, driven_offsets = self._driven_plan()

            def run_chunk(carry, rasters, params, key):
                step, _ = self._make_step(key, record_words, params)
                # Per-neuron counters of driven updates, carried through the chunk's steps and
                # returned once per chunk (outputs["driven"]), not part of the network state.
                carry = {**carry, "driven": {name: jnp.zeros(self.network.populations[name].size, jnp.int32)
                                             for name in driven_offsets}}
                if not state_records:
                    carry, outputs = lax.scan(step, carry, rasters, length=n_steps)
                    driven = carry.pop("driven")
                    return carry, {**outputs, "driven": driven}

                def block(carry, block_rasters):
                    recorded = []
                    for population, variable, indices in record_indices:
                        if variable in carry["neurons"][population]:
                            values = carry["neurons"][population][variable]
                        else:
                            values = self.channel_values(carry["channels"], population, variable)
                        recorded.append(values[indices])
                    carry, outputs = lax.scan(step, carry, block_rasters, length=every)
                    return carry, (tuple(recorded), outputs)

                blocked = jax.tree_util.tree_map(lambda r: r.reshape(n_steps // every, every, *r.shape[1:]), rasters)
                carry, (recorded, outputs) = lax.scan(block, carry, blocked, length=n_steps // every)
                outputs = jax.tree_util.tree_map(lambda o: o.reshape(n_steps, *o.shape[2:]), outputs)
                driven = carry.pop("driven")
                return carry, (recorded, {**outputs, "driven": driven})

            function = jax.jit(jax.vmap(run_chunk, in_axes=(0, None, None, 0)) if batched else run_chunk)
        self._functions[cache_key] = function
        return function, cache_key

    def _device_params(self) -> dict:
        """The step's arrays on the device, built once per compiled network and precision."""
        if self._params is None:
            _, host = self._make_step(jax.random.PRNGKey(0), ())
            self._params = {name: jnp.asarray(value) for name, value in host.items()}
        return self._params

    def _modulated_projections(self) -> dict[str, Any]:
        """Plastic projections whose rule has ``on_step`` (they receive modulator events): name -> rule."""
        return {out.projections[0].name: out.projections[0].plasticity for out in self.outgoing
                if out.plastic and callable(getattr(out.projections[0].plasticity, "on_step", None))}

    def _rasters(self, first_step: int, n_steps: int, input_spikes: dict, modulator: dict) -> dict:
        """Per-step inputs of one chunk: source spikes (n_steps, size) and modulator jumps (n_steps,)."""
        spikes = {}
        for p in self.populations:
            if isinstance(p.model, SpikeSource):
                raster = p.model.raster(p.size, self.dt, first_step, n_steps)
                if p.name in input_spikes:
                    steps, indices = input_spikes[p.name]
                    inside = (steps >= first_step) & (steps < first_step + n_steps)
                    raster[steps[inside] - first_step, indices[inside]] = True
                spikes[p.name] = raster
        jumps = {}
        for name, rule in self._modulated_projections().items():
            values = np.zeros(n_steps, dtype=self.dtype)
            schedules = [modulator_schedule(rule, self.dt)]
            if name in modulator:
                schedules.append(modulator[name])
            for steps, amounts in schedules:
                inside = (steps >= first_step) & (steps < first_step + n_steps)
                np.add.at(values, steps[inside] - first_step, amounts[inside])
            jumps[name] = values
        return {"spikes": spikes, "modulator": jumps}

    def _check_run_inputs(self, input_spikes: Any, modulator: Any, start_step: int, n_steps: int) -> tuple[dict, dict]:
        """Validate ``run``'s host-driven inputs; returns them as step indices (raises SpikenetError)."""
        end_ms = (start_step + n_steps) * self.dt
        window = f"[{start_step * self.dt:g}, {end_ms:g}) ms"

        def times_to_steps(label: str, times: Any) -> np.ndarray:
            times = np.asarray(times, dtype=np.float64)
            if times.ndim != 1:
                raise SpikenetError(f"{label}: times must be a 1-D array in ms; got shape {times.shape}")
            if not np.all(np.isfinite(times)):
                raise SpikenetError(f"{label}: times must be finite (ms)")
            steps = steps_on_grid(f"{label}: times", times, self.dt).astype(np.int64)
            outside = (steps < start_step) | (steps >= start_step + n_steps)
            if outside.any():
                raise SpikenetError(f"{label}: times must lie in this run's window {window}; got {float(times[outside][0])!r} ms")
            return steps

        def pair(label: str, value: Any, second: str) -> tuple[Any, Any]:
            try:
                first, other = value
            except (TypeError, ValueError):
                raise SpikenetError(f"{label} must be a pair (times in ms, {second})") from None
            return first, other

        spikes_by_step = {}
        sources = {p.name: p for p in self.populations if isinstance(p.model, SpikeSource)}
        for name, value in dict(input_spikes or {}).items():
            label = f"input_spikes[{name!r}]"
            if name not in sources:
                raise SpikenetError(f"{label}: not a SpikeSource population; valid: {sorted(sources) or 'none'}")
            times, indices = pair(label, value, "neuron indices")
            indices = np.asarray(indices)
            steps = times_to_steps(label, times)
            if indices.shape != steps.shape or (indices.size and not np.issubdtype(indices.dtype, np.integer)):
                raise SpikenetError(f"{label}: indices must be integers, one per time; got shape {indices.shape} for {steps.size} times")
            size = sources[name].size
            if indices.size and (indices.min() < 0 or indices.max() >= size):
                raise SpikenetError(f"{label}: indices must be in [0, {size - 1}]; got [{indices.min()}, {indices.max()}]")
            keys = steps * size + indices
            own = sources[name].model
            own_keys = own.steps(self.dt) * size + np.asarray(own.indices, np.int64)
            if np.unique(keys).size != keys.size or np.intersect1d(keys, own_keys).size:
                raise SpikenetError(f"{label}: two spikes of one neuron in the same step (also counting the source's own spikes)")
            spikes_by_step[name] = (steps, indices.astype(np.int64))
        jumps = {}
        modulated = self._modulated_projections()
        for name, value in dict(modulator or {}).items():
            label = f"modulator[{name!r}]"
            if name not in modulated:
                raise SpikenetError(f"{label}: not a plastic projection whose rule has on_step; valid: {sorted(modulated) or 'none'}")
            times, amounts = pair(label, value, "amounts")
            steps = times_to_steps(label, times)
            amounts = np.asarray(amounts, dtype=np.float64)
            if amounts.shape != steps.shape or not np.all(np.isfinite(amounts)):
                raise SpikenetError(f"{label}: amounts must be finite, one per time; got shape {amounts.shape} for {steps.size} times")
            jumps[name] = (steps, amounts)
        return spikes_by_step, jumps

    def with_plastic_weights(self, state: dict, projection_name: str, weights: Any) -> dict:
        """A copy of ``state`` whose plastic projection ``projection_name`` has ``weights``
        (synapse order, the projection's weight unit); pass it to ``run(..., resume=state)``."""
        out = self._plastic_group(projection_name)
        weights = self._checked_values(f"weights for {projection_name!r}", weights, out.projections[0].n_synapses)
        arena = np.array(state["plastic"][projection_name]["arena"])
        arena[out.front_size:][out.synapse_slots] = weights
        plastic = {**state["plastic"], projection_name: {**state["plastic"][projection_name], "arena": arena}}
        return {**state, "plastic": plastic}

    # -- running -------------------------------------------------------------------------
    def run(self, duration: float, seed: int = 0, monitors: Sequence[Any] = (), chunk_steps: int | None = None,
            progress: bool | None = None, resume: Result | dict | None = None,
            input_spikes: dict[str, tuple[Any, Any]] | None = None,
            modulator: dict[str, tuple[Any, Any]] | None = None) -> Result:
        """Simulate ``duration`` ms.

        Parameters
        ----------
        duration : float
            Biological time in ms; a multiple of dt.
        seed : int
            Seed of the run's randomness (Poisson sources); the same seed gives the same spikes.
        monitors : sequence of SpikeMonitor, StateMonitor, PopulationRateMonitor
        chunk_steps : int, optional
            Steps per ``lax.scan`` chunk (results do not depend on it); default: bounded by
            monitor memory (64 MiB per chunk) and 10,000 steps.
        progress : bool, optional
            Show a progress bar with steps/s on stderr (default: for runs over 20,000 steps).
        resume : Result or state dict, optional
            Continue from the end of an earlier run of this network (its ``Result``, or a state
            such as ``result.final_state`` edited with :meth:`with_plastic_weights`).
        input_spikes : dict, optional
            Host-driven spikes for this run: population name -> (times in ms, neuron indices),
            for populations whose model is a :class:`SpikeSource` (e.g. ``SpikeSource.empty()``);
            times inside this run's window, at most one spike per neuron and step. Use it to drive
            a network from the host between runs (closed loops, presentations).
        modulator : dict, optional
            Host-driven neuromodulator jumps for this run: plastic projection name -> (times in
            ms, amounts), added to the rule's own ``modulator_events`` (e.g. rewards computed
            from the spikes of an earlier run).
        """
        return self._run(duration, [seed], False, monitors, chunk_steps, progress, resume, input_spikes, modulator)[0]

    def run_seeds(self, duration: float, seeds: Sequence[int], monitors: Sequence[Any] = (),
                  chunk_steps: int | None = None, progress: bool | None = None,
                  input_spikes: dict[str, tuple[Any, Any]] | None = None,
                  modulator: dict[str, tuple[Any, Any]] | None = None, vectorize: bool | None = None) -> list[Result]:
        """Simulate ``duration`` ms once per seed (a sweep over seeds; connectivity, weights and
        host inputs shared). Returns one :class:`Result` per seed, each equal to
        ``run(duration, seed=seed, ...)`` (same spikes, counts and weights).

        ``vectorize=True`` runs all seeds in one ``jax.vmap`` over the seed's key and state: each
        step's spike loop then runs as often as the busiest seed needs, for every seed. On
        XLA:CPU that measured 1.7x (COBA-400) and 3.3x (COBA-4000) slower than one run after the
        other (8 seeds, ``python -m benchmarks.run_seeds``), so the default (``None``) vectorises
        only on an accelerator backend (not measured here); the loop reuses one compiled function
        (the seed is an argument, not a constant). Parameters as in :meth:`run` (no ``resume``).
        """
        seeds = list(seeds) if not isinstance(seeds, (str, bytes)) else [seeds]
        if not seeds or any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) for s in seeds):
            raise SpikenetError(f"seeds must be a non-empty sequence of integers; got {seeds!r}")
        seeds = [int(s) for s in seeds]
        if vectorize is None:
            vectorize = jax.default_backend() != "cpu"
        if vectorize:
            return self._run(duration, seeds, True, monitors, chunk_steps, progress, None, input_spikes, modulator)
        return [self._run(duration, [seed], False, monitors, chunk_steps, progress, None, input_spikes, modulator)[0]
                for seed in seeds]

    def _run(self, duration: float, seeds: list[int], batched: bool, monitors: Sequence[Any], chunk_steps: int | None,
             progress: bool | None, resume: Any, input_spikes: Any, modulator: Any) -> list[Result]:
        n_steps = steps_from_duration("duration", duration, self.dt)
        resolved = [m.resolve(self.network) for m in monitors]
        for monitor in resolved:
            if not isinstance(monitor, (SpikeMonitor, StateMonitor, PopulationRateMonitor)):
                raise SpikenetError(f"unknown monitor type {type(monitor).__name__}")
        spike_monitors = [m for m in resolved if isinstance(m, SpikeMonitor)]
        state_monitors = [m for m in resolved if isinstance(m, StateMonitor)]
        rate_monitors = [m for m in resolved if isinstance(m, PopulationRateMonitor)]
        every = math.gcd(*[m.every for m in state_monitors]) if state_monitors else 1
        record_words = tuple(sorted({m.population for m in spike_monitors}))
        state_records = tuple((m.population, v, tuple(m.indices.tolist())) for m in state_monitors for v in m.variables)
        if isinstance(resume, dict):
            start_step = int(np.asarray(resume.get("t", 0)))
        else:
            start_step = resume.end_step if resume is not None else 0
        if start_step + n_steps >= 2**31 - 1:
            raise SpikenetError(f"duration too long: {start_step + n_steps} steps exceed the int32 step counter")
        if state_monitors and start_step % every:
            raise SpikenetError("resume with state monitors must start at a multiple of their 'every'")
        host_spikes, host_modulator = self._check_run_inputs(input_spikes, modulator, start_step, n_steps)

        sizes = {p.name: p.size for p in self.populations}
        bytes_per_step = sum(4 * -(-sizes[n] // WORD_BITS) for n in record_words)
        bytes_per_step += sum(sizes[p.name] for p in self.populations if isinstance(p.model, SpikeSource))
        bytes_per_step += 8 * len(self._modulated_projections())
        bytes_per_step += sum(8 * len(i) for _, _, i in state_records) / every
        if chunk_steps is None:
            chunk_steps = int(min(MAX_CHUNK_STEPS, max(1, MONITOR_BYTES_PER_CHUNK // max(bytes_per_step, 1))))
            chunk_steps = max(every, chunk_steps - chunk_steps % every)
            chunk_steps = min(chunk_steps, max(n_steps, every))
            # Prefer a chunk that divides the run, so one compiled function serves every chunk.
            for candidate in range(chunk_steps, max(every, chunk_steps // 2) - 1, -every):
                if n_steps % candidate == 0:
                    chunk_steps = candidate
                    break
        elif isinstance(chunk_steps, bool) or not isinstance(chunk_steps, int) or chunk_steps < 1 or chunk_steps % every:
            raise SpikenetError(f"chunk_steps must be a positive integer multiple of the state monitors' every = {every}; got {chunk_steps!r}")

        def new_counts() -> ActivityCounts:
            counts = ActivityCounts(dt=self.dt)
            counts.steps = n_steps
            for population in self.populations:
                counts.population_sizes[population.name] = population.size
                counts.spikes[population.name] = 0
                counts.neuron_updates[population.name] = 0 if population.is_source else population.size * n_steps
            counts.neuron_updates_driven = {population.name: 0 for population in self.populations}
            for drive in self.network.poisson_inputs:
                counts.external_events[drive.name] = 0
            for projection in self.projections:
                counts.synaptic_events[projection.name] = 0
                counts.delayed_events[projection.name] = 0
                counts.plasticity_updates[projection.name] = 0
                counts.synapse_counts[projection.name] = projection.n_synapses
                counts.projection_endpoints[projection.name] = (projection.pre.name, projection.post.name)
            return counts

        event_names = []
        for out in self.outgoing:
            event_names += [p.name for p in out.projections]
            event_names += [("delayed", p.name) for p in out.projections]

        plastic_names = [out.projections[0].name for out in self.outgoing if out.plastic]
        always_driven, _ = self._driven_plan()
        results = [Result(counts=new_counts()) for _ in seeds]
        spike_pieces = [{name: [] for name in record_words} for _ in seeds]
        state_pieces = [{(p, v): [] for p, v, _ in state_records} for _ in seeds]
        rate_pieces = [{m.population: [] for m in rate_monitors} for _ in seeds]
        population_position = {p.name: i for i, p in enumerate(self.populations)}

        def accumulate(b: int, outputs: dict, recorded: tuple, first_step: int, length: int) -> None:
            """Add one seed's chunk to its result (host, Python ints: exact on any run length)."""
            counts = results[b].counts
            spike_counts = outputs["spike_counts"].astype(np.int64)
            for population in self.populations:
                counts.spikes[population.name] += int(spike_counts[:, population_position[population.name]].sum())
            events = outputs["events"].astype(np.int64).sum(axis=0)
            for name, value in zip(event_names, events):
                if isinstance(name, tuple):
                    counts.delayed_events[name[1]] += int(value)
                else:
                    counts.synaptic_events[name] += int(value)
            for name, per_neuron in outputs["driven"].items():
                counts.neuron_updates_driven[name] += int(np.asarray(per_neuron).astype(np.int64).sum())
            for name in always_driven:
                counts.neuron_updates_driven[name] += sizes[name] * length
            for drive, value in zip(self.network.poisson_inputs, outputs["external"].astype(np.int64).sum(axis=0)):
                counts.external_events[drive.name] += int(value)
            plasticity = outputs["plasticity"].astype(np.int64).sum(axis=0)
            for name, value in zip(plastic_names, plasticity):
                counts.plasticity_updates[name] += int(value)
            steps_here = np.arange(first_step, first_step + length)
            for name in record_words:
                raster = unpack_spikes(outputs["words"][name], sizes[name])
                step_index, neuron_index = np.nonzero(raster)
                spike_pieces[b][name].append((steps_here[step_index], neuron_index))
            for (population, variable, _), values in zip(state_records, recorded):
                state_pieces[b][(population, variable)].append(np.asarray(values))
            for name in rate_pieces[b]:
                rate_pieces[b][name].append(spike_counts[:, population_position[name]])

        def seed_slice(tree: Any, b: int) -> Any:
            return jax.tree_util.tree_map(lambda x: x[b], tree) if batched else tree

        with self._precision_context():
            if resume is not None:
                state = dict(resume) if isinstance(resume, dict) else dict(resume.final_state)
                state.setdefault("t", np.asarray(start_step, np.int32))
                carry = jax.tree_util.tree_map(jnp.asarray, state)
            else:
                carry = jax.tree_util.tree_map(jnp.asarray, self.initial_state())
                carry["t"] = jnp.asarray(0, jnp.int32)
            keys = [jax.random.PRNGKey(seed) for seed in seeds]
            if batched:
                carry = jax.tree_util.tree_map(lambda x: jnp.broadcast_to(x, (len(seeds), *jnp.shape(x))), carry)
                key = jnp.stack(keys)
            else:
                key = keys[0]
            show = progress if progress is not None else n_steps > 20000
            bar = ProgressBar(n_steps, enabled=show)
            compile_seconds = run_seconds = 0.0
            done = 0
            while done < n_steps:
                length = min(chunk_steps, n_steps - done)
                function, cache_key = self._chunk_function(length, every, record_words, state_records, batched)
                if batched:
                    cache_key = (*cache_key, len(seeds))
                rasters = self._rasters(start_step + done, length, host_spikes, host_modulator)
                rasters_device = jax.tree_util.tree_map(jnp.asarray, rasters)
                chunk_start = carry
                params = self._device_params()
                if cache_key not in self._compiled_chunks:
                    t0 = time.perf_counter()
                    self._compiled_chunks[cache_key] = function.lower(carry, rasters_device, params, key).compile()
                    compile_seconds += time.perf_counter() - t0
                function = self._compiled_chunks[cache_key]
                t0 = time.perf_counter()
                carry, outputs = function(carry, rasters_device, params, key)
                if state_records:
                    recorded, outputs = outputs
                else:
                    recorded = ()
                outputs = jax.device_get(outputs)
                recorded = jax.device_get(recorded)
                run_seconds += time.perf_counter() - t0
                for b, seed in enumerate(seeds):
                    self._check_finite(seed_slice(carry, b), seed_slice(chunk_start, b), rasters_device,
                                       start_step + done, length, seed)
                    accumulate(b, seed_slice(outputs, b), seed_slice(recorded, b), start_step + done, length)
                done += length
                bar.update(done)
            bar.close()
            final_state = jax.device_get(carry)
        for b, result in enumerate(results):
            result.compile_seconds, result.run_seconds = compile_seconds, run_seconds
            result.final_state = seed_slice(final_state, b)
            result.end_step = start_step + n_steps
            for name in plastic_names:
                result.weights[name] = self.plastic_weights(result.final_state, name)
            for monitor in spike_monitors:
                pieces = spike_pieces[b][monitor.population]
                steps = np.concatenate([s for s, _ in pieces]) if pieces else np.zeros(0, np.int64)
                neurons = np.concatenate([n for _, n in pieces]) if pieces else np.zeros(0, np.int64)
                if monitor.indices is not None:
                    keep = np.isin(neurons, monitor.indices)
                    steps, neurons = steps[keep], neurons[keep]
                result.spikes[monitor.population] = (steps * self.dt, neurons)
            for monitor in state_monitors:
                recorded = {"t": (start_step + np.arange(0, n_steps, every)) * self.dt, "indices": monitor.indices}
                for variable in monitor.variables:
                    values = np.concatenate(state_pieces[b][(monitor.population, variable)], axis=0)
                    recorded[variable] = values[:: monitor.every // every]
                recorded["t"] = recorded["t"][:: monitor.every // every]
                result.states[monitor.population] = recorded
            for monitor in rate_monitors:
                per_step = np.concatenate(rate_pieces[b][monitor.population])
                size = sizes[monitor.population]
                result.rates[monitor.population] = (
                    (start_step + np.arange(n_steps)) * self.dt,
                    per_step / (size * self.dt / 1000.0),
                )
        return results

    # -- failure diagnosis ---------------------------------------------------------------
    def _check_finite(self, carry, chunk_start, rasters, first_step: int, length: int, seed: int) -> None:
        bad = []
        for name, state in carry["neurons"].items():
            for variable, values in state.items():
                if jnp.issubdtype(values.dtype, jnp.floating) and not bool(jnp.all(jnp.isfinite(values))):
                    bad.append((name, variable))
        if carry["channels"].size and not bool(jnp.all(jnp.isfinite(carry["channels"]))):
            bad.append(("(synaptic channels)", "synaptic channel"))
        if not bad:
            return
        # Re-run the chunk one step at a time to find the first non-finite step.
        key = jax.random.PRNGKey(seed)
        step = jax.jit(lambda state, raster, params: self._make_step(key, (), params)[0](state, raster))
        params = self._device_params()
        state = chunk_start
        for k in range(length):
            raster = jax.tree_util.tree_map(lambda r: r[k], rasters)
            state, _ = step(state, raster, params)
            for name, population_state in state["neurons"].items():
                for variable, values in population_state.items():
                    if jnp.issubdtype(values.dtype, jnp.floating) and not bool(jnp.all(jnp.isfinite(values))):
                        index = int(np.nonzero(~np.isfinite(np.asarray(values)))[0][0])
                        raise SimulationError(
                            f"non-finite {variable} in population {name!r} (neuron {index}) at step {first_step + k} "
                            f"(t = {(first_step + k) * self.dt:g} ms): the state diverged; try a smaller dt "
                            f"(now {self.dt} ms) or check the parameters"
                        )
        name, variable = bad[0]
        raise SimulationError(f"non-finite {variable} in population {name!r} in steps {first_step}..{first_step + length - 1}")
