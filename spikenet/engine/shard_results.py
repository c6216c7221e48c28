"""The host side of a sharded run: counts summed over shards, spikes, states and weights put back
in the whole network's neuron and synapse order (see :mod:`spikenet.engine.shard`)."""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from spikenet.engine.partition import GhostSource
from spikenet.engine.result import Result
from spikenet.engine.runner import add_event_counts
from spikenet.engine.state import from_carry
from spikenet.propagation import unpack_spikes
from spikenet.validation import SimulationError


class ShardedResults:
    """Mixin of :class:`~spikenet.engine.shard.ShardedCompiledNetwork`: turns the shards' outputs into one Result."""

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
        add_event_counts(layout, counts, np.asarray(outputs["events"]).astype(np.int64).sum(axis=(0, 1)))
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
                weights[self.kept[d][name]] = compiled.plastic_weights(from_carry(state), name)
            result.weights[name] = weights
