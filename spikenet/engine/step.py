"""One step of the network, built from named phases in Brian2's schedule order.

``make_step(plan, key, record_words)`` returns ``step(carry, raster, arguments)``: a pure
function of the state (a dict pytree, see :mod:`spikenet.engine.state`), the step's host inputs
and the run's arguments (:func:`spikenet.engine.params.step_arguments`). Nothing numeric is
closed over: XLA would embed arrays as constants (doubling memory and compile time) and a new
parameter value would recompile.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

from spikenet.engine.delivery import take_slot_jax
from spikenet.engine.exchange import exchange_spikes, store_and_exchange
from spikenet.engine.leaves import signature, with_leaves
from spikenet.engine.plastic import PlasticPlan, decay_traces, post_pathway, pre_pathway
from spikenet.neuron_protocol import SynapticDrive
from spikenet.propagation import pack_spikes
from spikenet.sources import PoissonSource
from spikenet.synapses import ALPHA_SYNAPSES, CONDUCTANCE_SYNAPSES


class StepPlan:
    """Everything static about the step of one compiled network and one set of run values."""

    def __init__(self, layout: Any, values: Any, leaves: dict, delivery: Any, accumulators: dict) -> None:
        self.layout, self.delivery = layout, delivery
        self.models = values.models
        self.leaves = leaves
        self.channel_types = {name: [type(c) for c in channels] for name, channels in values.channels.items()}
        self.couplings = _couplings(layout)
        self.varying_steps = {}
        for current in layout.network.currents:
            if not current.is_constant:
                self.varying_steps.setdefault(current.population.name, []).append(int(round(current.dt_values / layout.dt)))
        self.plastic = {out.projections[0].name: PlasticPlan(out, values.rules[out.projections[0].name],
                                                             leaves.get(out.projections[0].name, ()),
                                                             accumulators[out.projections[0].name],
                                                             layout.target_offset(out.projections[0]))
                        for out in layout.outgoing if out.plastic}
        self.always_driven, self.driven_offsets = layout.driven_plan(
            _constant_currents(layout), set(self.varying_steps))
        self.has_constant_current = {c.population.name for c in layout.network.currents if c.is_constant}
        self.signature = (delivery.name, tuple((p.name, signature(self.models[p.name], leaves.get(p.name, ())))
                                           for p in layout.neuron_populations),
                          tuple((n, signature(p.rule, p.leaves), tuple(tuple(sorted(v)) for v in p.accumulators.values()))
                                for n, p in sorted(self.plastic.items())))


def _couplings(layout: Any) -> list:
    out = []
    for population in layout.neuron_populations:
        for channel in layout.channels[population.name]:
            if isinstance(channel, ALPHA_SYNAPSES):
                key = (population.name, channel)
                out.append((layout.drive_offsets[key], layout.channel_offsets[key], population.size))
    return out


def _constant_currents(layout: Any) -> dict:
    values: dict = {}
    for current in layout.network.currents:
        if current.is_constant:
            values[current.population.name] = values.get(current.population.name, 0.0) + current.values
    return values


def integrate_groups(plan: StepPlan, neurons: dict, channels: Any, arguments: dict, t: Any, dtype: Any):
    """Phase 1 (groups): every population integrates one step from the values at the start of
    the step. Returns the neurons and the populations driven by an injected current."""
    layout, driven = plan.layout, {}
    for population in layout.neuron_populations:
        name, size = population.name, population.size
        current = arguments["constant_current"].get(name, jnp.zeros(size, dtype))
        for values, steps_per_value in zip(arguments["varying_current"].get(name, []), plan.varying_steps.get(name, [])):
            row = jnp.minimum(t // steps_per_value, values.shape[0] - 1)
            current = current + lax.dynamic_index_in_dim(values, row, keepdims=False)
        if name in plan.driven_offsets and (name in plan.has_constant_current or name in plan.varying_steps):
            driven[name] = current != 0  # injected current (a biased neuron integrates every step)
        conductance = jnp.zeros(size, dtype)
        for k, channel in enumerate(layout.channels[name]):
            offset = layout.drive_offsets[(name, channel)]
            values = channels[offset:offset + size]
            if isinstance(channel, CONDUCTANCE_SYNAPSES):
                conductance = conductance + values
                current = current + arguments["e_rev"][f"{name}/{k}"] * values
            else:
                current = current + values
        model = with_leaves(plan.models[name], arguments["neurons"][name])
        neurons[name] = model.update(neurons[name], SynapticDrive(current, conductance), layout.dt)
    return neurons, driven


def decay_channels(plan: StepPlan, channels: Any, arguments: dict) -> Any:
    """Channels decay over the step (alpha channels also receive their rise variable)."""
    if not plan.layout.channel_size:
        return channels
    decayed = channels * arguments["decay"]
    for k, (drive_offset, rise_offset, size) in enumerate(plan.couplings):
        decayed = decayed.at[drive_offset:drive_offset + size].add(arguments["alpha"][k] * channels[rise_offset:rise_offset + size])
    return decayed


def thresholds(plan: StepPlan, neurons: dict, raster: dict, arguments: dict, key: Any, t: Any, dtype: Any):
    """Phase 2 (thresholds): spikes of neurons, Poisson sources and explicit spike sources."""
    spiked = {}
    shard = getattr(plan.layout, "shard", None)
    for index, population in enumerate(plan.layout.populations):
        name = population.name
        if shard is not None and name in shard.ghosts:
            continue  # filled by exchange_spikes from every shard's spikes
        if not population.is_source:
            model = with_leaves(plan.models[name], arguments["neurons"][name])
            neurons[name], spiked[name] = model.threshold(neurons[name], plan.layout.dt)
        elif isinstance(population.model, PoissonSource):
            step_key = jax.random.fold_in(jax.random.fold_in(key, t), index)
            spiked[name] = jax.random.uniform(step_key, (population.size,), dtype) < arguments["poisson"][name]
        else:
            spiked[name] = raster["spikes"][name]
    return neurons, spiked


def deliver_static(plan: StepPlan, out: Any, rows: dict, words: Any, spiked: Any, inbox: Any, ring: Any, slot: Any, dtype: Any):
    """Phase 3 (synapses) for a static group: into this step's inbox or the delay ring.

    A group stored in degree buckets (``out.buckets``) is delivered bucket by bucket: the spikes
    of a bucket's members are packed on their own (bit r: the bucket's r-th member, i.e. row r
    of its tables) and handed to the delivery strategy with that bucket's rows, so additions run
    by bucket, then by ascending neuron; the events are the sum of the buckets' (exact integers)."""
    layout = plan.layout
    if layout.engine == "event":
        parts = [(words, rows)] if out.buckets is None else [(pack_spikes(spiked[b["members"]]), b) for b in rows["buckets"]]
        events = None
        for part_words, part in parts:
            if out.delayed:
                ring, part_events = plan.delivery.deliver(ring, part_words, part["targets"], part["weights"], part["out_degrees"],
                                                          shift=slot * layout.buffer_size, wrap=layout.ring_slots * layout.buffer_size)
            else:
                inbox, part_events = plan.delivery.deliver(inbox, part_words, part["targets"], part["weights"], part["out_degrees"])
            events = part_events if events is None else events + part_events
        return inbox, ring, events
    spikes_float = spiked.astype(dtype)
    for delay, matrix in zip(out.dense_delays, rows["dense"]):
        contribution = spikes_float @ matrix
        if out.delayed:
            # 2-D row indexing: a flat dynamic_slice/dynamic_update_slice pair on the ring was
            # miscompiled by XLA:CPU (jaxlib 0.10.2) inside the step.
            target_slot = (slot + delay) % layout.ring_slots
            ring = ring.reshape(layout.ring_slots, layout.buffer_size).at[target_slot].add(contribution).reshape(-1)
        else:
            inbox = inbox + contribution
    spikes_int = jnp.concatenate([spiked.astype(jnp.int32), jnp.zeros(1, jnp.int32)])
    return inbox, ring, rows["out_degrees"] @ spikes_int


def external_inputs(plan: StepPlan, inbox: Any, arguments: dict, key: Any, t: Any, dtype: Any):
    """PoissonInput: Binomial(n_sources, rate dt) events per neuron by inverting the tabulated CDF."""
    counts = []
    shard = getattr(plan.layout, "shard", None)
    for k, drive in enumerate(plan.layout.network.poisson_inputs):
        size, offset, table = drive.population.size, plan.layout.target_offset(drive), arguments["external"][k]
        draw_key = jax.random.fold_in(jax.random.fold_in(key, t), 2**20 + k)
        if shard is not None:  # the whole population's draws (as on one device), then this shard's slice
            whole = jax.random.uniform(draw_key, (shard.external_sizes[k],), dtype)
            whole = jnp.concatenate([whole, jnp.ones(size, dtype)])  # padding: past the table, no event
            uniform = lax.dynamic_slice(whole, (arguments["shard"]["external_start"][k],), (size,))
            uniform = jnp.where(arguments["shard"]["valid"][drive.population.name], uniform, 0.0)
        else:
            uniform = jax.random.uniform(draw_key, (size,), dtype)
        events_here = jnp.sum(uniform[:, None] >= table[None, :-1], axis=1, dtype=jnp.int32)
        inbox = inbox.at[offset:offset + size].add(arguments["external_weight"][k] * events_here.astype(dtype))
        counts.append(jnp.sum(events_here, dtype=jnp.int32))
    return inbox, counts


def count_driven(plan: StepPlan, so_far: dict, driven: dict, inbox: Any, before: Any) -> dict:
    """Driven neurons: a delivery that changed any channel or delta target, or a non-zero
    injected current; counted per neuron in the chunk's carry (no reduction per step)."""
    so_far = dict(so_far)
    for name, offsets in plan.driven_offsets.items():
        size = plan.layout.network.populations[name].size
        mask = driven.get(name)
        for offset in offsets:
            received = inbox[offset:offset + size] != before[offset:offset + size]
            mask = received if mask is None else mask | received
        so_far[name] = so_far[name] + mask.astype(jnp.int32)
    return so_far


def apply_deltas_and_resets(plan: StepPlan, neurons: dict, inbox: Any, spiked: dict, arguments: dict) -> dict:
    """End of phase 3 (delta targets receive their increments) and phase 4 (resets)."""
    layout = plan.layout
    for (target_population, variable), offset in layout.delta_offsets.items():
        population = layout.network.populations[target_population]
        increment = inbox[offset:offset + population.size]
        model = with_leaves(plan.models[target_population], arguments["neurons"][target_population])
        if hasattr(model, "apply_delta"):
            neurons[target_population] = model.apply_delta(neurons[target_population], variable, increment)
        else:
            neurons[target_population] = {**neurons[target_population], variable: neurons[target_population][variable] + increment}
    for population in layout.neuron_populations:
        model = with_leaves(plan.models[population.name], arguments["neurons"][population.name])
        neurons[population.name] = model.reset(neurons[population.name], spiked[population.name])
    return neurons


def make_step(plan: StepPlan, key: Any, record_words: tuple[str, ...]):
    """The step ``(carry, raster, arguments) -> (carry, outputs)`` in Brian2's schedule order."""
    layout = plan.layout
    dtype, buffer_size, ring_slots, channel_size = layout.dtype, layout.buffer_size, layout.ring_slots, layout.channel_size
    index_of = {id(out): i for i, out in enumerate(layout.outgoing)}
    shard = getattr(layout, "shard", None)
    deferred = shard.deferred if shard is not None and shard.window > 1 else ()

    def step(carry, raster, arguments):
        t, ring = carry["t"], carry["ring"]
        plastic = {name: decay_traces(p, carry["plastic"][name], arguments, raster["modulator"].get(name), dtype)
                   for name, p in plan.plastic.items()}
        # 1. groups, then the channels decay.
        neurons, driven = integrate_groups(plan, dict(carry["neurons"]), carry["channels"], arguments, t, dtype)
        channels = decay_channels(plan, carry["channels"], arguments)
        # 2. thresholds.
        neurons, spiked = thresholds(plan, neurons, raster, arguments, key, t, dtype)
        exchanged = {}
        if shard is not None:
            spiked, exchanged, order = exchange_spikes(plan, spiked, arguments, carry.get("exchange_order"))
        words = {p.name: exchanged[p.name] if p.name in exchanged else pack_spikes(spiked[p.name]) for p in layout.populations}
        # 3. synapses: zero-delay events, PoissonInput events and the ring's slot of this step add
        # into the inbox: the decayed channels themselves (in place) and delta increments.
        delta_size = buffer_size - channel_size
        inbox = jnp.concatenate([channels, jnp.zeros(delta_size, dtype)]) if delta_size else channels
        before_delivery = inbox
        slot = t % ring_slots if ring_slots else 0
        events, updates = {}, {}
        for index, out in enumerate(layout.outgoing):
            rows, name = arguments["rows"][index], out.population.name
            if out.fused_into is not None or index in deferred:
                continue  # delivered in the loop of its population's plastic projection, or at the window's end
            if out.plastic:
                p = plan.plastic[out.projections[0].name]
                if layout.engine == "dense":
                    # Clock-driven reference: every synapse every step, weighted by its source's spike.
                    weights = plastic[p.name]["arena"][p.front_size:p.front_size + (p.n_pre + 1) * p.width].reshape(-1, p.width)
                    spikes = jnp.concatenate([spiked[name], jnp.zeros(1, bool)]).astype(dtype)
                    inbox = inbox.at[arguments["plastic"][p.name]["dense_targets"].reshape(-1)].add(
                        (weights * spikes[:, None]).reshape(-1), mode="drop")
                if out.fused is not None:
                    fused = index_of[id(out.fused)]
                    plastic[p.name], events[index], updates[p.name], events[fused] = pre_pathway(
                        p, plastic[p.name], words[name], rows, arguments, t, True, arguments["rows"][fused]["out_degrees"])
                else:
                    plastic[p.name], events[index], updates[p.name] = pre_pathway(
                        p, plastic[p.name], words[name], rows, arguments, t, layout.engine == "event")
            else:
                inbox, ring, events[index] = deliver_static(plan, out, rows, words[name], spiked[name], inbox, ring, slot, dtype)
        # Post pathway of plastic projections, after every pre-synaptic update of the step.
        for name, p in plan.plastic.items():
            context = SimpleNamespace(dt=layout.dt, fields=dict(  # (pre and post: after on_post, filled in there)
                pre_previous=carry["plastic"][name]["pre"],
                post_previous=carry["plastic"][name]["post"], post_state=dict(neurons[p.post_name]),
                pre_spiked=spiked[p.pre_name], post_spiked=spiked[p.post_name], step=t,
                post_index=arguments["plastic"][name]["post_index"], n_post=p.n_post))
            plastic[name], inbox, more = post_pathway(p, plastic[name], words[p.post_name], inbox, arguments, t,
                                                      p.target_offset, dtype, context)
            updates[name] = updates[name] + more
        if deferred:  # sharded, exchange once per window (spikenet.engine.exchange)
            ring, pending, deferred_events = store_and_exchange(plan, carry["pending"], words, ring, arguments, t)
            events.update(deferred_events)
        inbox, external_events = external_inputs(plan, inbox, arguments, key, t, dtype)
        if ring_slots:
            ring, arrived = getattr(plan.delivery, "take_slot", take_slot_jax)(ring, slot, buffer_size)
            inbox = inbox + arrived
        new_carry = {"neurons": None, "channels": inbox[:channel_size] if delta_size else inbox, "ring": ring,
                     "plastic": plastic, "t": t + 1}
        if deferred:
            new_carry["pending"] = pending
        if "exchange_order" in carry:
            new_carry["exchange_order"] = order
        if "driven" in carry:
            new_carry["driven"] = count_driven(plan, carry["driven"], driven, inbox, before_delivery)
        # End of 3 (delta targets) and 4. resets.
        new_carry["neurons"] = apply_deltas_and_resets(plan, neurons, inbox, spiked, arguments)
        outputs = {
            "spike_counts": jnp.stack([jnp.sum(lax.population_count(words[p.name]), dtype=jnp.int32) for p in layout.populations]),
            "events": jnp.concatenate([events[i] for i in range(len(layout.outgoing))]) if layout.outgoing else jnp.zeros(0, jnp.int32),
            "plasticity": jnp.stack([updates[n] for n in plan.plastic]) if plan.plastic else jnp.zeros(0, jnp.int32),
            "external": jnp.stack(external_events) if external_events else jnp.zeros(0, jnp.int32),
            "words": {name: words[name] for name in record_words},
        }
        return new_carry, outputs

    return step
