"""Running a compiled network: chunk planning, the compile cache, the host loop over chunks,
counting, finiteness checks and assembling :class:`Result` objects.

A run is a sequence of chunks, each one call of a compiled ``lax.scan`` over ``chunk_steps``
steps. Between chunks the host adds the chunk's counts (Python ints: exact on any run length),
unpacks recorded spikes and checks that the state stayed finite. Several runs (seeds, sweep
points) either loop over one compiled function or share one ``jax.vmap`` ("batched").
"""

from __future__ import annotations

import math
import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from spikenet.counts import ActivityCounts
from spikenet.engine import inputs
from spikenet.engine.chunk import chunk_function, plan_chunks
from spikenet.engine.result import Result
from spikenet.engine.state import as_state, from_carry, to_carry
from spikenet.engine.step import make_step
from spikenet.monitors import PopulationRateMonitor, SpikeMonitor, StateMonitor, check_monitors_memory
from spikenet.progress import ProgressBar
from spikenet.propagation import WORD_BITS, unpack_spikes
from spikenet.sources import SpikeSource
from spikenet.validation import SimulationError, SpikenetError, steps_from_duration

def new_counts(layout: Any, n_steps: int) -> ActivityCounts:
    counts = ActivityCounts(dt=layout.dt)
    counts.steps = n_steps
    for population in layout.populations:
        counts.population_sizes[population.name] = population.size
        counts.spikes[population.name] = 0
        counts.neuron_updates[population.name] = 0 if population.is_source else population.size * n_steps
    counts.neuron_updates_driven = {population.name: 0 for population in layout.populations}
    for drive in layout.network.poisson_inputs:
        counts.external_events[drive.name] = 0
    for projection in layout.projections:
        counts.synaptic_events[projection.name] = 0
        counts.delayed_events[projection.name] = 0
        counts.plasticity_updates[projection.name] = 0
        counts.synapse_counts[projection.name] = projection.n_synapses
        counts.projection_endpoints[projection.name] = (projection.pre.name, projection.post.name)
    return counts


def add_event_counts(layout: Any, counts: ActivityCounts, events: np.ndarray) -> None:
    """Add summed per-counter events (the step's ``events`` output: per group, its projections'
    events then their delayed events) to ``counts``."""
    names = [n for out in layout.outgoing for n in [p.name for p in out.projections] + [("delayed", p.name) for p in out.projections]]
    for name, value in zip(names, events):
        if isinstance(name, tuple):
            counts.delayed_events[name[1]] += int(value)
        else:
            counts.synaptic_events[name] += int(value)


def accumulate(plan: Any, counts: ActivityCounts, outputs: dict, length: int) -> None:
    """Add one chunk's counts to a run's (host, Python ints)."""
    layout = plan.layout
    spike_counts = outputs["spike_counts"].astype(np.int64)
    for k, population in enumerate(layout.populations):
        counts.spikes[population.name] += int(spike_counts[:, k].sum())
    add_event_counts(layout, counts, outputs["events"].astype(np.int64).sum(axis=0))
    for name, per_neuron in outputs["driven"].items():
        counts.neuron_updates_driven[name] += int(np.asarray(per_neuron).astype(np.int64).sum())
    for name in plan.always_driven:
        counts.neuron_updates_driven[name] += layout.network.populations[name].size * length
    for drive, value in zip(layout.network.poisson_inputs, outputs["external"].astype(np.int64).sum(axis=0)):
        counts.external_events[drive.name] += int(value)
    for name, value in zip(plan.plastic, outputs["plasticity"].astype(np.int64).sum(axis=0)):
        counts.plasticity_updates[name] += int(value)


def bytes_per_step(layout: Any, record_words: tuple, state_records: tuple, every: int) -> float:
    sizes = {p.name: p.size for p in layout.populations}
    total = sum(4 * -(-sizes[n] // WORD_BITS) for n in record_words)
    total += sum(sizes[p.name] for p in layout.populations if isinstance(p.model, SpikeSource))
    total += 8 * len(inputs.modulated_projections(layout))
    return total + sum(8 * len(i) for _, _, i in state_records) / every


def check_finite(plan: Any, carry: dict, chunk_start: dict, rasters: Any, arguments: Any, key: Any, first_step: int, length: int) -> None:
    """Raise SimulationError naming what became non-finite in a chunk: a plastic projection's
    weights or traces (naming the projection and its rule), or a neuron state variable (re-running
    the chunk step by step to find the first bad step and neuron)."""
    for name, p in plan.plastic.items():
        state = carry["plastic"][name]
        for label, values in [("weights", state["arena"])] + [(f"{kind} trace {k!r}", v) for kind in ("pre", "post", "synapse")
                                                                 for k, v in state[kind].items()]:
            if not bool(jnp.all(jnp.isfinite(values))):
                raise SimulationError(
                    f"non-finite {label} of plastic projection {name!r} (rule {type(p.rule).__name__}) in steps "
                    f"{first_step}..{first_step + length - 1}: the rule produced NaN or infinity; check its parameters "
                    f"and bounds (e.g. w_max)")
    bad = [(name, variable) for name, state in carry["neurons"].items() for variable, values in state.items()
           if jnp.issubdtype(values.dtype, jnp.floating) and not bool(jnp.all(jnp.isfinite(values)))]
    if carry["channels"].size and not bool(jnp.all(jnp.isfinite(carry["channels"]))):
        bad.append(("(synaptic channels)", "synaptic channel"))
    if not bad:
        return
    step = jax.jit(make_step(plan, key, ()))
    state = {**chunk_start}
    for k in range(length):
        state, _ = step(state, jax.tree_util.tree_map(lambda r: r[k], rasters), arguments)
        for name, population_state in state["neurons"].items():
            for variable, values in population_state.items():
                if jnp.issubdtype(values.dtype, jnp.floating) and not bool(jnp.all(jnp.isfinite(values))):
                    index = int(np.nonzero(~np.isfinite(np.asarray(values)))[0][0])
                    raise SimulationError(
                        f"non-finite {variable} in population {name!r} (neuron {index}) at step {first_step + k} "
                        f"(t = {(first_step + k) * plan.layout.dt:g} ms): the state diverged; try a smaller dt "
                        f"(now {plan.layout.dt} ms) or check the parameters")
    name, variable = bad[0]
    raise SimulationError(f"non-finite {variable} in population {name!r} in steps {first_step}..{first_step + length - 1}")


def seed_slice(tree: Any, b: int, batched: bool) -> Any:
    return jax.tree_util.tree_map(lambda x: x[b], tree) if batched else tree


def timed_compile(cache: dict, cache_key: Any, function: Any, *arguments: Any) -> tuple[Any, float]:
    """The compiled executable for ``cache_key`` (lowered and compiled once) and the seconds spent."""
    if cache_key in cache:
        return cache[cache_key], 0.0
    start = time.perf_counter()
    cache[cache_key] = function.lower(*arguments).compile()
    return cache[cache_key], time.perf_counter() - start


def shapes_of(tree: Any) -> tuple:
    return tuple((jnp.shape(x), str(jnp.result_type(x))) for x in jax.tree_util.tree_leaves(tree)) + (
        str(jax.tree_util.tree_structure(tree)),)


def progress_bar(n_steps: int, progress: Any) -> ProgressBar:
    return ProgressBar(n_steps, enabled=progress if progress is not None else n_steps > 20000)



def resolve_monitors(network: Any, monitors: Any) -> tuple[list, list, list]:
    """Spike, state and rate monitors, resolved; two of one kind on one population are refused
    (results are keyed by population)."""
    if isinstance(monitors, (SpikeMonitor, StateMonitor, PopulationRateMonitor)):
        monitors = [monitors]
    kinds = (SpikeMonitor, StateMonitor, PopulationRateMonitor)
    resolved, seen = [], {}
    for monitor in monitors:
        if not isinstance(monitor, kinds):
            raise SpikenetError(f"monitors must be SpikeMonitor, StateMonitor or PopulationRateMonitor; got {type(monitor).__name__}")
        monitor = monitor.resolve(network)
        key = (type(monitor).__name__, monitor.population)
        if key in seen:
            raise SpikenetError(f"two {key[0]}s on population {key[1]!r}: results are keyed by population; use one monitor "
                                f"(a StateMonitor records several variables)")
        seen[key] = monitor
        resolved.append(monitor)
    return ([m for m in resolved if isinstance(m, SpikeMonitor)], [m for m in resolved if isinstance(m, StateMonitor)],
            [m for m in resolved if isinstance(m, PopulationRateMonitor)])


def execute(compiled: Any, duration: float, runs: list, batched: bool, monitors: Any, chunk_steps: Any, progress: Any,
            resume: Any, input_spikes: Any, modulator: Any) -> list:
    """Simulate ``duration`` ms for each ``(values, seed)`` of ``runs`` (one after the other, or
    batched in one vmap when ``batched``); returns one Result per run."""
    layout = compiled.layout
    n_steps = steps_from_duration("duration", duration, layout.dt)
    spike_monitors, state_monitors, rate_monitors = resolve_monitors(layout.network, monitors)
    every = math.gcd(*[m.every for m in state_monitors]) if state_monitors else 1
    record_words = tuple(sorted({m.population for m in spike_monitors}))
    state_records = tuple((m.population, v, tuple(m.indices.tolist())) for m in state_monitors for v in m.variables)
    start_step = 0 if resume is None else int(np.asarray(as_state(resume).t))
    if start_step + n_steps >= 2**31 - 1:
        raise SpikenetError(f"duration too long: {start_step + n_steps} steps exceed the int32 step counter")
    check_monitors_memory(spike_monitors + state_monitors + rate_monitors, n_steps, layout.dt, np.dtype(layout.dtype).itemsize, len(runs))
    host_spikes, host_modulator = inputs.check_run_inputs(layout, input_spikes, modulator, start_step, n_steps)
    chunk_steps = plan_chunks(n_steps, every, bytes_per_step(layout, record_words, state_records, every), chunk_steps)
    plans = [compiled.plan(values) for values, _ in runs]
    carries = [to_carry(compiled.starting_state(values, resume)) for values, _ in runs]
    arguments = [compiled.arguments(values) for values, _ in runs]
    keys = [jax.random.PRNGKey(seed) for _, seed in runs]
    plan = plans[0]
    results = [Result(counts=new_counts(layout, n_steps)) for _ in runs]
    pieces = [{"spikes": {n: [] for n in record_words}, "states": {(p, v): [] for p, v, _ in state_records},
               "rates": {m.population: [] for m in rate_monitors}} for _ in runs]
    position = {p.name: k for k, p in enumerate(layout.populations)}
    with compiled.precision_context():
        if batched:
            flat, structure = zip(*[jax.tree_util.tree_flatten(a) for a in arguments])
            axes = [None if all(np.array_equal(x, column[0]) for x in column) else 0 for column in zip(*flat)]
            in_axes = structure[0].unflatten(axes)
            arguments_device = structure[0].unflatten([jnp.asarray(column[0]) if axis is None else jnp.stack(column)
                                                       for axis, column in zip(axes, zip(*flat))])
            carry = jax.tree_util.tree_map(lambda *xs: jnp.stack([jnp.asarray(x) for x in xs]), *carries)
            key = jnp.stack(keys)
        else:
            in_axes, arguments_device, carry, key = None, compiled.device_arguments(arguments[0]), \
                jax.tree_util.tree_map(jnp.asarray, carries[0]), keys[0]
            arguments = [arguments_device]  # (the host tables can be freed during the run)
        bar = progress_bar(n_steps, progress)
        compile_seconds = run_seconds = 0.0
        done = 0
        while done < n_steps:
            length = min(chunk_steps, n_steps - done)
            function = chunk_function(plan, length, every, record_words, state_records, in_axes)
            cache_key = (plan.signature, length, every, record_words, state_records, batched and len(runs),
                         shapes_of(arguments_device), str(jax.tree_util.tree_structure(in_axes)))
            rasters = jax.tree_util.tree_map(jnp.asarray, inputs.rasters(layout, start_step + done, length, host_spikes, host_modulator))
            executable, seconds = timed_compile(compiled.compiled_chunks, cache_key, function, carry, rasters, arguments_device, key)
            compile_seconds += seconds
            chunk_start = carry
            t0 = time.perf_counter()
            carry, outputs = executable(carry, rasters, arguments_device, key)
            recorded, outputs = outputs if state_records else ((), outputs)
            outputs, recorded = jax.device_get(outputs), jax.device_get(recorded)
            run_seconds += time.perf_counter() - t0
            for b in range(len(runs)):
                check_finite(plans[b], seed_slice(carry, b, batched), seed_slice(chunk_start, b, batched), rasters,
                             arguments[b], keys[b], start_step + done, length)
                chunk_outputs = seed_slice(outputs, b, batched)
                accumulate(plan, results[b].counts, chunk_outputs, length)
                collect(layout, pieces[b], chunk_outputs, seed_slice(recorded, b, batched), state_records, position,
                        start_step + done, length)
            done += length
            bar.update(done)
        bar.close()
        final = jax.device_get(carry)
    for b, result in enumerate(results):
        result.compile_seconds, result.run_seconds = compile_seconds, run_seconds
        result.final_state = from_carry(seed_slice(final, b, batched))
        result.end_step = start_step + n_steps
        for name in plan.plastic:
            result.weights[name] = compiled.plastic_weights(result.final_state, name)
        assemble(layout, result, pieces[b], spike_monitors, state_monitors, rate_monitors, start_step, n_steps, every)
    return results


def collect(layout: Any, pieces: dict, outputs: dict, recorded: tuple, state_records: tuple, position: dict,
            first_step: int, length: int) -> None:
    """Keep one chunk's recorded spikes, states and rates (host)."""
    steps_here = np.arange(first_step, first_step + length)
    for name in pieces["spikes"]:
        raster = unpack_spikes(outputs["words"][name], layout.network.populations[name].size)
        step_index, neuron_index = np.nonzero(raster)
        pieces["spikes"][name].append((steps_here[step_index], neuron_index))
    for (population, variable, _), values in zip(state_records, recorded):
        pieces["states"][(population, variable)].append(np.asarray(values))
    for name in pieces["rates"]:
        pieces["rates"][name].append(outputs["spike_counts"][:, position[name]])


def assemble(layout: Any, result: Any, pieces: dict, spike_monitors: list, state_monitors: list, rate_monitors: list,
             start_step: int, n_steps: int, every: int) -> None:
    """Fill a Result's spikes, states and rates from the collected pieces."""
    dt = layout.dt
    for monitor in spike_monitors:
        chunks = pieces["spikes"][monitor.population]
        steps = np.concatenate([s for s, _ in chunks]) if chunks else np.zeros(0, np.int64)
        neurons = np.concatenate([n for _, n in chunks]) if chunks else np.zeros(0, np.int64)
        if monitor.indices is not None:
            keep = np.isin(neurons, monitor.indices)
            steps, neurons = steps[keep], neurons[keep]
        result.spikes[monitor.population] = (steps * dt, neurons)
    for monitor in state_monitors:
        stride = monitor.every // every
        recorded = {"t": ((start_step + np.arange(0, n_steps, every)) * dt)[::stride], "indices": monitor.indices}
        for variable in monitor.variables:
            recorded[variable] = np.concatenate(pieces["states"][(monitor.population, variable)], axis=0)[::stride]
        result.states[monitor.population] = recorded
    for monitor in rate_monitors:
        per_step = np.concatenate(pieces["rates"][monitor.population])
        size = layout.network.populations[monitor.population].size
        result.rates[monitor.population] = ((start_step + np.arange(n_steps)) * dt, per_step / (size * dt / 1000.0))
