"""The sharded engine: one network on several devices (CPU cores, GPUs, hosts).

Partition (post-side ownership, as NEST does). Every neuron population is cut into one contiguous
slice per shard; a shard owns its slices' neuron state and all their *incoming* synapses, so
delivery and plasticity stay local. Slice boundaries balance synapses and neurons: a neuron weighs
1 + its in-degree. Each shard runs an ordinary compiled network (its *shard network*): its slices
(padded to one length per population, the padding never spikes), every spike source in full
(Poisson and explicit sources are cheap and identical on every shard), and for every neuron
population a *ghost source* of the whole population from which its incoming synapses hang.

Exchange (:mod:`spikenet.engine.exchange`). After the thresholds of a step, each shard packs its slices' spikes into 32-bit words
(slices padded to whole words) and one ``all_gather`` of every population's words per step (or per window) hands
every shard the whole populations' spikes: the gathered words are the ghosts' words as they are
(ghost neuron ``d * local + i`` is shard ``d``'s neuron ``i``). Pre-synaptic traces of plastic projections are kept per ghost, i.e. redundantly on every
shard; post-synaptic traces and weights live with their synapses. The step is the single-device
step otherwise, so the results do not depend on the number of shards: the same spikes, weights and
counts (counts are exact integers summed over shards; sources are counted once).

Shapes. The shards' compiled steps must be one program: row tables, delay rings and plastic
arenas are padded to the widest shard (:class:`~spikenet.engine.layout.Layout` ``floors``), and
static groups keep a single ELL (no degree buckets).

``resume=`` continues a run of the same sharded network. Not (yet) supported with devices: the
dense engine, ``parameters`` overrides, ``run_seeds``/``run_sweep`` and the state accessors;
spikes are exchanged once per window of ``d`` steps when every delay between devices allows it
(NEST's min-delay communication, :mod:`spikenet.engine.exchange`). Host memory: the whole network's
description stays beside the shard networks' unless ``keep_synapses=False`` hands its synapse arrays
over (each projection freed once every shard holds its part; the shards' static arrays are freed once
their row tables exist either way).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Sequence

import jax
import numpy as np

from spikenet.engine import inputs
from spikenet.engine.chunk import chunk_function, plan_chunks
from spikenet.engine.compiled import CompiledNetwork
from spikenet.engine.exchange import check_windowable, deferred_groups, exchange_window, pending_words
from spikenet.engine.partition import (AXIS, GHOST_SUFFIX, ShardPlan, floors_from_degrees, local_sizes, merge_floors, partition, release_static_synapses,
                                       shard_networks_handing_over,
                                       resolve_devices, shard_floors, shard_network)
from spikenet.engine.result import Result
from spikenet.engine.shard_results import ShardedResults
from spikenet.engine.runner import bytes_per_step, new_counts, progress_bar, resolve_monitors, shapes_of, timed_compile
from spikenet.engine.state import to_carry
from spikenet.network import Network
from spikenet.validation import SpikenetError, return_freed_memory, steps_from_duration


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


class ShardedCompiledNetwork(ShardedResults):
    """A network compiled for several devices (:meth:`spikenet.Network.compile` with ``devices``).

    ``devices``: a number of devices (the first ``jax.devices()``), a list of devices or a
    ``jax.sharding.Mesh`` (one axis). Results equal the single-device engine's (see the module
    docstring for how the network is cut and what is exchanged)."""

    def __init__(self, network: Network, precision: str = "float32", engine: str = "event", delivery: Any = None,
                 devices: Any = 1, exchange_every: int | None = None, keep_synapses: bool = True) -> None:
        if engine != "event":
            raise SpikenetError(f"engine must be 'event' with devices (the dense reference runs on one device); got {engine!r}")
        self.network, self.precision, self.dt = network, precision, network.dt
        self.devices = resolve_devices(devices)
        self.mesh = jax.sharding.Mesh(np.array(self.devices), (AXIS,))
        shards = len(self.devices)
        self.bounds = partition(network, shards)
        self.local = local_sizes(self.bounds)
        # The widest shard's row widths: counted from the whole network's synapses (static networks),
        # or (with plasticity) each shard's description built, compiled unpadded and dropped, one at
        # a time. Then shard by shard: description, compiled padded to those widths, step arguments,
        # static synapse arrays released (only the row tables stay; memory). keep_synapses=False:
        # every shard's description first, the network's projections handed over one by one.
        self.smallest_delays = {p.name: int(p.delay_steps.min()) for p in network.projections if p.n_synapses}
        self.floors = floors_from_degrees(network, self.bounds)
        descriptions = None if keep_synapses else shard_networks_handing_over(network, self.bounds, self.local)

        def description(d: int) -> tuple:
            return shard_network(network, d, self.bounds, self.local) if descriptions is None else descriptions[d]

        if self.floors is None:
            widths = []
            for d in range(shards):
                widths.append(shard_floors(CompiledNetwork(description(d)[0], precision, "event", delivery, floors={})))
                return_freed_memory()  # (this shard's tables)
            self.floors = merge_floors(widths)
        self.shards, self.kept, self.arguments = [], [], []
        for d in range(shards):
            shard_description, kept = description(d)
            if descriptions is not None:
                descriptions[d] = None
            self.shards.append(CompiledNetwork(shard_description, precision, "event", delivery, floors=self.floors,
                                               keep_synapses=keep_synapses))
            self.kept.append(kept)
            self.arguments.append(self._arguments(d))
            release_static_synapses(self.shards[d])
            del shard_description
            return_freed_memory()  # (the released arrays)
        owned = [p.name for p in network.populations.values() if not p.is_source]
        ghosts = {population.name + GHOST_SUFFIX: population.name for population in network.populations.values()
                  if population.name + GHOST_SUFFIX in self.shards[0].network.populations}
        external = {k: drive.population.size for k, drive in enumerate(network.poisson_inputs)}
        self.shard_plan = ShardPlan(AXIS, owned, ghosts, external, count=shards)
        for compiled in self.shards:
            compiled.layout.shard = self.shard_plan
        layout = self.shards[0].layout
        check_windowable(layout)
        self.shard_plan.window = exchange_window(layout, self.smallest_delays, exchange_every) if ghosts else 1
        self.shard_plan.deferred = deferred_groups(layout) if self.shard_plan.window > 1 else ()
        self.pending = pending_words(layout) if self.shard_plan.window > 1 else {}
        self.plans = [c.plan(c.base_values) for c in self.shards]
        signatures = {p.signature for p in self.plans}
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

    _SINGLE_DEVICE_ONLY = ("run_seeds", "run_sweep", "initial_state", "with_plastic_weights", "with_plastic_trace",
                           "plastic_trace", "plastic_weights", "channel_values")

    def __getattr__(self, name: str) -> Any:
        if name in ShardedCompiledNetwork._SINGLE_DEVICE_ONLY:
            raise SpikenetError(f"{name} is not supported with devices yet; compile without devices= (one device) for it")
        raise AttributeError(name)

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

    def _place_arguments(self) -> Any:
        """The shards' arguments as global arrays (shard axis first), leaf by leaf; each leaf's host
        tables are released once placed, and no stacked host copy is made (memory: the host tables
        and the devices' never coexist for more than one leaf)."""
        sharding = jax.sharding.NamedSharding(self.mesh, jax.sharding.PartitionSpec(AXIS))
        flat = [jax.tree_util.tree_flatten(a) for a in self.arguments]
        leaves, treedef = [f[0] for f in flat], flat[0][1]
        self.arguments = None
        for compiled in self.shards:
            compiled._base_arguments = None
            for out in compiled.layout.outgoing:
                if not out.plastic:
                    out.targets = None  # (the same table as the arguments'; never read again with devices)
        placed = []
        for i in range(len(leaves[0])):
            parts = [np.asarray(leaves[d][i]) for d in range(len(leaves))]
            for d in range(len(leaves)):
                leaves[d][i] = None
            shape = (len(parts),) + parts[0].shape
            placed.append(jax.make_array_from_callback(shape, sharding, lambda index, parts=parts: parts[index[0].start or 0][None]))
            del parts
        return jax.tree_util.tree_unflatten(treedef, placed)

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
                self._device_arguments = self._place_arguments()
            arguments = self._device_arguments
            if resume is None:
                pending = {name: np.zeros((self.shard_plan.window, n), np.uint32) for name, n in self.pending.items()}
                carry = self._sharding(_stack([{**to_carry(c.starting_state(c.base_values, None)), **({"pending": pending} if pending else {})}
                                               for c in self.shards]))
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
                # (XLA may give an empty array, e.g. no channels, a replicated sharding: split it again)
                own = jax.sharding.NamedSharding(self.mesh, jax.sharding.PartitionSpec(AXIS))
                carry = jax.tree_util.tree_map(lambda x: x if x.sharding == own else jax.device_put(x, own), carry)
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
