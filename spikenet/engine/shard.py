"""The sharded engine: one network on several devices (CPU cores, GPUs, hosts).

Partition (post-side ownership, as NEST does). Every neuron population is cut into one contiguous
slice per shard; a shard owns its slices' neuron state and all their *incoming* synapses, so
delivery and plasticity stay local. Slice boundaries balance synapses and neurons: a neuron weighs
1 + its in-degree. Each shard runs an ordinary compiled network (its *shard network*): its slices
(padded to one length per population, the padding never spikes), every spike source in full
(Poisson and explicit sources are cheap and identical on every shard), and for every neuron
population a *ghost source* of the whole population from which its incoming synapses hang.

Exchange. After the thresholds of a step, each shard packs its slices' spikes into 32-bit words
and one ``all_gather`` per population hands every shard the whole population's spikes (the
ghost's). Pre-synaptic traces of plastic projections are kept per ghost, i.e. redundantly on every
shard; post-synaptic traces and weights live with their synapses. The step is the single-device
step otherwise, so the results do not depend on the number of shards: the same spikes, weights and
counts (counts are exact integers summed over shards; sources are counted once).

Shapes. The shards' compiled steps must be one program: row tables, delay rings and plastic
arenas are padded to the widest shard (:class:`~spikenet.engine.layout.Layout` ``floors``), and
static groups keep a single ELL (no degree buckets).

``resume=`` continues a run of the same sharded network. Not (yet) supported with devices: the
dense engine, ``parameters`` overrides,
``run_seeds``/``run_sweep``; exchange is per step (the min-delay window of NEST is not used).
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from spikenet.connectivity import FromIndices
from spikenet.engine import inputs
from spikenet.engine.chunk import chunk_function, plan_chunks
from spikenet.engine.compiled import CompiledNetwork
from spikenet.engine.result import Result
from spikenet.engine.runner import bytes_per_step, new_counts, progress_bar, resolve_monitors, shapes_of, timed_compile
from spikenet.engine.state import to_carry
from spikenet.network import Network
from spikenet.propagation import unpack_spikes
from spikenet.validation import SimulationError, SpikenetError, steps_from_duration

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
    ghosts: dict[str, tuple[str, np.ndarray]]     # ghost -> (owned slice, global neuron -> flat index over shards)
    external_sizes: dict[int, int] = field(default_factory=dict)  # PoissonInput k -> whole population size


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


def shard_network(network: Network, shard: int, bounds: dict[str, np.ndarray], local: dict[str, int]) -> tuple[Network, dict]:
    """Shard ``shard``'s network and, per projection, the global synapse numbers it holds (in its order)."""
    sub = Network(dt=network.dt, seed=network.seed)
    kept: dict[str, np.ndarray] = {}
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
            sub._add_population(population.name + GHOST_SUFFIX, population.size, GhostSource(population.name))
    for projection in network.projections:
        post = projection.post
        start, stop = (int(x) for x in bounds[post.name][shard:shard + 2])
        chosen = np.flatnonzero((projection.synapses.post >= start) & (projection.synapses.post < stop))
        kept[projection.name] = chosen
        pre_name = projection.pre.name if projection.pre.is_source else projection.pre.name + GHOST_SUFFIX
        sub.connect(sub.populations[pre_name], sub.populations[post.name],
                    FromIndices(projection.synapses.pre[chosen].astype(np.int64), projection.synapses.post[chosen].astype(np.int64) - start),
                    synapse=projection.synapse, weight=projection.weights[chosen], delay=projection.delay_steps[chosen] * network.dt,
                    name=projection.name, plasticity=projection.plasticity)
    for current in network.currents:
        name = current.population.name
        start, stop = (int(x) for x in bounds[name][shard:shard + 2])
        sub.current(sub.populations[name], _padded(np.asarray(current.values), start, stop, local[name], fill=0.0),
                    dt_values=current.dt_values)
    for drive in network.poisson_inputs:
        sub.poisson_input(sub.populations[drive.population.name], drive.n_sources, drive.rate, drive.weight, drive.synapse)
    return sub, kept


def _floors(compiled: list[CompiledNetwork]) -> dict:
    """The largest ring, row widths and fused spans over the shards (every shard is padded to them)."""
    floors: dict = {"ring": max(c.layout.ring_slots for c in compiled)}
    groups = [c.layout.outgoing for c in compiled]
    if len({len(g) for g in groups}) != 1:
        raise SpikenetError("internal: the shard networks have different row groups")  # pragma: no cover
    for outs in zip(*groups):
        name = outs[0].name
        floors[("width", name)] = max(o.width for o in outs)
        floors[("delayed", name)] = any(o.delayed for o in outs)
        if outs[0].plastic:
            floors[("width_in", name)] = max(o.column_slots.shape[1] for o in outs)
            fused = [o for o in outs if o.fused is not None]
            if fused:
                floors[("span", name)] = (min(o.static_span[0] for o in fused), max(o.static_span[1] for o in fused))
        if outs[0].fused is not None or outs[0].fused_into is not None:
            pass
    return floors


@dataclass
class ShardedState:
    """The state of every shard at the end of a sharded run (``Result.final_state``); pass the
    Result (or this) as ``resume=`` to continue on the same compiled network."""

    carry: Any
    owner: Any = field(repr=False)

    @property
    def t(self) -> int:
        return int(np.asarray(self.carry["t"])[0])


def _stack(trees: list) -> Any:
    return jax.tree_util.tree_map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *trees)


class ShardedCompiledNetwork:
    """A network compiled for several devices (:meth:`spikenet.Network.compile` with ``devices``).

    ``devices``: a number of devices (the first ``jax.devices()``), a list of devices or a
    ``jax.sharding.Mesh`` (one axis). Results equal the single-device engine's (see the module
    docstring for how the network is cut and what is exchanged)."""

    def __init__(self, network: Network, precision: str = "float32", engine: str = "event", delivery: Any = None,
                 devices: Any = 1) -> None:
        if engine != "event":
            raise SpikenetError(f"engine must be 'event' with devices (the dense reference runs on one device); got {engine!r}")
        self.network, self.precision, self.dt = network, precision, network.dt
        self.devices = resolve_devices(devices)
        self.mesh = jax.sharding.Mesh(np.array(self.devices), (AXIS,))
        shards = len(self.devices)
        self.bounds = partition(network, shards)
        self.local = {name: int(np.max(np.diff(b))) + 1 for name, b in self.bounds.items()}  # >= 1 padding neuron
        built = [shard_network(network, d, self.bounds, self.local) for d in range(shards)]
        self.shard_networks = [b[0] for b in built]
        self.kept = [b[1] for b in built]
        first = [CompiledNetwork(n, precision, "event", delivery, floors={}) for n in self.shard_networks]
        self.floors = _floors(first)
        self.shards = [CompiledNetwork(n, precision, "event", delivery, floors=self.floors) for n in self.shard_networks]
        owned = [p.name for p in network.populations.values() if not p.is_source]
        ghosts = {}
        for population in network.populations.values():
            name = population.name + GHOST_SUFFIX
            if name in self.shard_networks[0].populations:
                b = self.bounds[population.name]
                flat = np.concatenate([d * self.local[population.name] + np.arange(b[d + 1] - b[d]) for d in range(shards)])
                ghosts[name] = (population.name, flat.astype(np.int32))
        external = {k: drive.population.size for k, drive in enumerate(network.poisson_inputs)}
        self.shard_plan = ShardPlan(AXIS, owned, ghosts, external)
        for compiled in self.shards:
            compiled.layout.shard = self.shard_plan
        self.plans = [c.plan(c.base_values) for c in self.shards]
        signatures = {p.signature for p in self.plans}
        self.arguments = [self._arguments(d) for d in range(shards)]
        shapes = {shapes_of(a) for a in self.arguments}
        if len(signatures) != 1 or len(shapes) != 1:
            raise SpikenetError("internal: the shards' compiled steps differ in shape; please report this network")  # pragma: no cover
        self.compiled_chunks: dict = {}
        self._device_arguments = None

    def _arguments(self, shard: int) -> dict:
        compiled = self.shards[shard]
        host = dict(compiled.arguments(compiled.base_values))
        valid = {}
        for name, b in self.bounds.items():
            mask = np.zeros(self.local[name], dtype=bool)
            mask[:b[shard + 1] - b[shard]] = True
            valid[name] = mask
        starts = {k: np.int32(self.bounds[drive.population.name][shard]) for k, drive in enumerate(self.network.poisson_inputs)}
        host["shard"] = {"valid": valid, "external_start": starts}
        return host

    def precision_context(self):
        return self.shards[0].precision_context()

    @property
    def layout(self) -> Any:
        """The shard networks' common layout (shard 0's)."""
        return self.shards[0].layout

    def _sharding(self, tree: Any, spec: Any = None) -> Any:
        """Host arrays as global arrays split over the mesh along their first axis (``spec`` None),
        or replicated (``spec`` = PartitionSpec()); with several processes each one places only
        the parts of its own devices (every process holds the whole host array)."""
        sharding = jax.sharding.NamedSharding(self.mesh, jax.sharding.PartitionSpec(AXIS) if spec is None else spec)

        def place(x):
            x = np.asarray(x)
            return jax.make_array_from_callback(x.shape, sharding, lambda index: x[index])

        return jax.tree_util.tree_map(place, tree)

    @staticmethod
    def _host(tree: Any) -> Any:
        """Global arrays back on the host (gathered from every process when there are several)."""
        if jax.process_count() == 1:
            return jax.device_get(tree)
        from jax.experimental import multihost_utils

        return jax.tree_util.tree_map(np.asarray, multihost_utils.process_allgather(tree, tiled=True))

    def run(self, duration: float, seed: int = 0, monitors: Sequence[Any] = (), chunk_steps: int | None = None,
            progress: bool | None = None, input_spikes: dict | None = None, modulator: dict | None = None,
            resume: Any = None, parameters: dict | None = None) -> Result:
        """Simulate ``duration`` ms on the devices; as :meth:`spikenet.CompiledNetwork.run` (without
        ``resume`` and ``parameters``). Spikes, counts, recorded states and plastic weights are
        those of the whole network, in its neuron and synapse order."""
        from spikenet.validation import check_seed

        if parameters is not None:
            raise SpikenetError("parameters= is not supported with devices yet; run on one device")
        start_state = getattr(resume, "final_state", resume)
        if resume is not None and not (isinstance(start_state, ShardedState) and start_state.owner is self):
            raise SpikenetError("resume= takes a Result (or its final_state) of an earlier run of this same sharded network")
        start_step = 0 if resume is None else start_state.t
        check_seed("seed", seed)
        network, shard0 = self.network, self.shards[0]
        n_steps = steps_from_duration("duration", duration, self.dt)
        spike_monitors, state_monitors, rate_monitors = resolve_monitors(network, monitors)
        every = math.gcd(*[m.every for m in state_monitors]) if state_monitors else 1
        record_words = tuple(sorted({m.population for m in spike_monitors}))
        recorded_states = tuple((m.population, v) for m in state_monitors for v in m.variables)
        state_records = tuple((p, v, tuple(range(self.local[p] if p in self.local else network.populations[p].size)))
                              for p, v in recorded_states)
        if start_step + n_steps >= 2**31 - 1:
            raise SpikenetError(f"duration too long: {start_step + n_steps} steps exceed the int32 step counter")
        host_spikes, host_modulator = inputs.check_run_inputs(shard0.layout, input_spikes or {}, modulator or {}, start_step, n_steps)
        chunk_steps = plan_chunks(n_steps, every, bytes_per_step(shard0.layout, record_words, state_records, every), chunk_steps)
        plan = self.plans[0]
        global_layout = SimpleNamespace(dt=self.dt, populations=list(network.populations.values()), network=network,
                                        projections=list(network.projections))
        result = Result(counts=new_counts(global_layout, n_steps))
        spikes = {name: [] for name in record_words}
        states = {key: [] for key in recorded_states}
        rates = {m.population: [] for m in rate_monitors}
        with self.precision_context():
            if self._device_arguments is None:
                self._device_arguments = self._sharding(_stack(self.arguments))
            arguments = self._device_arguments
            if resume is None:
                carry = self._sharding(_stack([to_carry(c.starting_state(c.base_values, None)) for c in self.shards]))
            else:
                carry = self._sharding(start_state.carry)
            key = self._sharding(np.asarray(jax.random.PRNGKey(seed)), jax.sharding.PartitionSpec())
            bar = progress_bar(n_steps, progress)
            compile_seconds = run_seconds = 0.0
            done = 0
            while done < n_steps:
                length = min(chunk_steps, n_steps - done)
                function = chunk_function(plan, length, every, record_words, state_records, None, mesh=self.mesh)
                rasters = inputs.rasters(shard0.layout, start_step + done, length, host_spikes, host_modulator)
                rasters = self._sharding(rasters, jax.sharding.PartitionSpec())
                cache_key = (plan.signature, length, every, record_words, state_records, shapes_of(arguments))
                executable, seconds = timed_compile(self.compiled_chunks, cache_key, function, carry, rasters, arguments, key)
                compile_seconds += seconds
                t0 = time.perf_counter()
                carry, outputs = executable(carry, rasters, arguments, key)
                recorded, outputs = outputs if state_records else ((), outputs)
                outputs, recorded = self._host(outputs), self._host(recorded)
                run_seconds += time.perf_counter() - t0
                self._check_finite(self._host(carry["neurons"]), start_step + done, length)
                self._accumulate(result.counts, outputs, plan)
                self._collect(spikes, states, rates, outputs, recorded, recorded_states, start_step + done)
                done += length
                bar.update(done)
            bar.close()
            final = self._host(carry)
        result.compile_seconds, result.run_seconds, result.end_step = compile_seconds, run_seconds, start_step + n_steps
        result.final_state = ShardedState(final, self)
        self._assemble(result, final, spikes, states, rates, spike_monitors, state_monitors, rate_monitors, start_step, n_steps, every)
        return result

    # -- host side -------------------------------------------------------------------------------
    def _check_finite(self, neurons: Any, first_step: int, length: int) -> None:
        for name, population_state in neurons.items():
            for variable, values in population_state.items():
                if np.issubdtype(values.dtype, np.floating) and not bool(np.all(np.isfinite(values))):
                    raise SimulationError(f"non-finite {variable} in population {name!r} in steps {first_step}..{first_step + length - 1}: "
                                          f"the state diverged; try a smaller dt (now {self.dt} ms) or check the parameters")

    def _accumulate(self, counts: Any, outputs: dict, plan: Any) -> None:
        layout = self.shards[0].layout
        spike_counts = np.asarray(outputs["spike_counts"]).astype(np.int64)  # (shards, steps, populations)
        for k, population in enumerate(layout.populations):
            if isinstance(population.model, GhostSource):
                continue
            if population.is_source:
                counts.spikes[population.name] += int(spike_counts[0, :, k].sum())
            else:
                counts.spikes[population.name] += int(spike_counts[:, :, k].sum())
        event_names = [n for out in layout.outgoing for n in [p.name for p in out.projections] + [("delayed", p.name) for p in out.projections]]
        for name, value in zip(event_names, np.asarray(outputs["events"]).astype(np.int64).sum(axis=(0, 1))):
            if isinstance(name, tuple):
                counts.delayed_events[name[1]] += int(value)
            else:
                counts.synaptic_events[name] += int(value)
        for name, per_neuron in outputs["driven"].items():
            counts.neuron_updates_driven[name] += int(np.asarray(per_neuron).astype(np.int64).sum())
        for name in plan.always_driven:  # (padding gets no current, so a sharded population is never "always" driven)
            counts.neuron_updates_driven[name] += self.network.populations[name].size * spike_counts.shape[1]
        for drive, value in zip(self.network.poisson_inputs, np.asarray(outputs["external"]).astype(np.int64).sum(axis=(0, 1))):
            counts.external_events[drive.name] += int(value)
        position = {p.name: k for k, p in enumerate(layout.populations)}
        for name, value in zip(plan.plastic, np.asarray(outputs["plasticity"]).astype(np.int64).sum(axis=(0, 1))):
            # Every shard updates the pre-synaptic traces of a spiking source (kept redundantly):
            # the network did it once.
            p = plan.plastic[name]
            pre_spikes = int(spike_counts[0, :, position[p.pre_name]].sum())
            redundant = (len(self.devices) - 1) * len(p.rule.pre_traces) * pre_spikes
            counts.plasticity_updates[name] += int(value) - redundant

    def _collect(self, spikes: dict, states: dict, rates: dict, outputs: dict, recorded: tuple, recorded_states: tuple,
                 first_step: int) -> None:
        for name in spikes:
            words = np.asarray(outputs["words"][name])  # (shards, steps, words)
            if name not in self.bounds:  # a source: the same on every shard
                raster = unpack_spikes(words[0], self.network.populations[name].size)
            else:
                b = self.bounds[name]
                raster = np.concatenate([unpack_spikes(words[d], self.local[name])[:, :b[d + 1] - b[d]]
                                         for d in range(len(self.devices))], axis=1)
            step_index, neuron = np.nonzero(raster)
            spikes[name].append((first_step + step_index, neuron))
        for (population, variable), values in zip(recorded_states, recorded):
            values = np.asarray(values)  # (shards, samples, local)
            if population in self.bounds:
                b = self.bounds[population]
                values = np.concatenate([values[d, :, :b[d + 1] - b[d]] for d in range(len(self.devices))], axis=1)
            else:
                values = values[0]
            states[(population, variable)].append(values)
        position = {p.name: k for k, p in enumerate(self.shards[0].layout.populations)}
        for name in rates:
            per_shard = np.asarray(outputs["spike_counts"])[:, :, position[name]]
            rates[name].append(per_shard[0] if name not in self.bounds else per_shard.sum(axis=0))

    def _assemble(self, result: Result, final: Any, spikes: dict, states: dict, rates: dict, spike_monitors: list,
                  state_monitors: list, rate_monitors: list, start_step: int, n_steps: int, every: int) -> None:
        dt = self.dt
        for monitor in spike_monitors:
            chunks = spikes[monitor.population]
            steps = np.concatenate([s for s, _ in chunks]) if chunks else np.zeros(0, np.int64)
            neurons = np.concatenate([n for _, n in chunks]) if chunks else np.zeros(0, np.int64)
            order = np.lexsort((neurons, steps))
            steps, neurons = steps[order], neurons[order]
            if monitor.indices is not None:
                keep = np.isin(neurons, monitor.indices)
                steps, neurons = steps[keep], neurons[keep]
            result.spikes[monitor.population] = (steps * dt, neurons)
        for monitor in state_monitors:
            stride = monitor.every // every
            indices = monitor.indices if monitor.indices is not None else np.arange(self.network.populations[monitor.population].size)
            recorded = {"t": ((start_step + np.arange(0, n_steps, every)) * dt)[::stride], "indices": monitor.indices}
            for variable in monitor.variables:
                recorded[variable] = np.concatenate(states[(monitor.population, variable)], axis=0)[::stride][:, indices]
            result.states[monitor.population] = recorded
        for monitor in rate_monitors:
            per_step = np.concatenate(rates[monitor.population])
            size = self.network.populations[monitor.population].size
            result.rates[monitor.population] = ((start_step + np.arange(n_steps)) * dt, per_step / (size * dt / 1000.0))
        for name in self.plans[0].plastic:
            weights = np.zeros(next(p for p in self.network.projections if p.name == name).n_synapses)
            for d, compiled in enumerate(self.shards):
                state = jax.tree_util.tree_map(lambda x, d=d: x[d], final)
                from spikenet.engine.state import from_carry

                weights[self.kept[d][name]] = compiled.plastic_weights(from_carry(state), name)
            result.weights[name] = weights
