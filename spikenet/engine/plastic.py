"""The plastic phases of the step: trace decay, the pre pathway (deliver with the old weight,
then ``on_pre``), the post pathway (``on_post`` after every pre update of the step), the move of
the step's deliveries out of the arena, and ``on_step`` (reward-modulated rules)."""

from __future__ import annotations

import math
from typing import Any

import jax.numpy as jnp
from jax import lax

from spikenet.engine.leaves import with_leaves
from spikenet.plasticity import StepContext, check_update, on_step_takes_context
from spikenet.propagation import deliver_and_learn_pre, lazy_synapse_traces, learn_post


class PlasticPlan:
    """Static facts of one plastic projection (its rule's non-leaf attributes are baked in)."""

    def __init__(self, out: Any, rule: Any, leaves: tuple[str, ...], accumulators: dict[str, set[str]], target_offset: int) -> None:
        projection = out.projections[0]
        self.name, self.rule, self.leaves, self.accumulators = projection.name, rule, leaves, accumulators
        self.pre_name, self.post_name = projection.pre.name, projection.post.name
        self.target_offset = target_offset  # where its deliveries land in the step's input buffer
        self.n_pre, self.n_post, self.n_synapses = projection.pre.size, projection.post.size, projection.n_synapses
        self.front_size, self.width, self.static_span = out.front_size, out.width, out.static_span
        self.lazy = lazy_synapse_traces(rule)
        self.has_on_step = callable(getattr(rule, "on_step", None))
        self.step_context = on_step_takes_context(rule)

    def traced_rule(self, arguments: dict) -> Any:
        return with_leaves(self.rule, arguments["rules"][self.name])


def _decayed(traces: dict, factors: dict, skip: set[str]) -> dict:
    return {k: v if k in skip else v * factors[k] for k, v in traces.items()}


def decay_traces(plan: PlasticPlan, state: dict, arguments: dict, modulator_jump: Any, dtype: Any) -> dict:
    """A plastic projection's state at the start of the step: traces decayed exactly over the
    step (synapse traces only for rules with on_step; the others decay lazily at their events),
    the modulator decayed and given this step's events."""
    tables = arguments["plastic"][plan.name]
    modulator = state["modulator"] * tables["modulator_decay"]
    if modulator_jump is not None:
        modulator = modulator + modulator_jump
    decayed = {
        "arena": state["arena"],
        "pre": _decayed(state["pre"], tables["pre_decay"], plan.accumulators["pre"]),
        "post": _decayed(state["post"], tables["post_decay"], plan.accumulators["post"]),
        "synapse": state["synapse"] if plan.lazy else _decayed(state["synapse"], tables["synapse_decay"], plan.accumulators["synapse"]),
        "modulator": modulator.astype(dtype),
    }
    if plan.lazy:
        decayed["synapse_step"] = state["synapse_step"]
    return decayed


def pre_pathway(plan: PlasticPlan, plastic: dict, words: Any, rows: dict, arguments: dict, t: Any, deliver: bool,
                static_degrees: Any = None):
    """Deliver the source's spikes (and its fused static rows) and apply on_pre."""
    tables = arguments["plastic"][plan.name]
    return deliver_and_learn_pre(
        words, rows["targets"], plastic, plan.front_size, tables["post_index"], rows["out_degrees"], plan.traced_rule(arguments),
        deliver=deliver, static_degrees=static_degrees, lazy=(t, tables["synapse_rates"]) if plan.lazy else None)


def post_pathway(plan: PlasticPlan, plastic: dict, post_words: Any, inbox: Any, arguments: dict, t: Any, target_offset: int,
                 dtype: Any, step_context: Any = None):
    """on_post for the post-synaptic spikes, the move of the step's deliveries from the arena's
    inbox into the input buffer, and on_step. Returns (plastic, inbox, updates)."""
    tables = arguments["plastic"][plan.name]
    rule = plan.traced_rule(arguments)
    lazy = (t, tables["synapse_rates"]) if plan.lazy else None
    plastic, updates = learn_post(post_words, plastic, plan.front_size, plan.width, tables["column_slots"], tables["in_degree"],
                                  plan.n_pre, rule, lazy=lazy)
    # Move the step's deliveries from the inbox (the front of the arena, untouched by the post
    # pathway) into the input buffer and clear it. Done last: reading the arena between its
    # in-place loops made XLA:CPU copy the whole arena every step.
    arena = plastic["arena"]
    inbox = inbox.at[target_offset:target_offset + plan.n_post].add(arena[:plan.n_post])
    lo, hi = plan.static_span
    if hi > lo:  # the inbox of the fused static rows
        inbox = inbox.at[lo:hi].add(arena[plan.n_post:plan.front_size])
    # The clear depends on the reads' result (times 0): XLA:CPU then orders the reads before
    # the in-place clear instead of copying the whole arena every step.
    cleared = jnp.zeros(plan.front_size, dtype) * inbox[target_offset]
    plastic = {**plastic, "arena": lax.dynamic_update_slice(arena, cleared, (0,))}
    if plan.has_on_step:
        plastic, more = _on_step(plan, rule, plastic, dtype, step_context)
        updates = updates + more
    return plastic, inbox, updates


def _on_step(plan: PlasticPlan, rule: Any, state: dict, dtype: Any, step_context: Any):
    front, shape = plan.front_size, (plan.n_pre + 1, plan.width)
    rows_end = front + shape[0] * shape[1]
    weight = state["arena"][front:rows_end].reshape(shape)
    arguments = (weight, state["synapse"], state["modulator"], step_context.dt)
    if plan.step_context:  # on_step(..., context): the step's network state, read-only
        arguments += (StepContext(pre=state["pre"], post=state["post"], **step_context.fields),)
    new_weight, synapse = rule.on_step(*arguments)
    check_update(rule, "on_step", "synapse", synapse, state["synapse"], shape)
    # Per synapse and step: the weight if on_step made a new one, and every synapse trace
    # decayed here (finite tau) or written by on_step, once each.
    touched = {name for name, value in synapse.items() if value is not state["synapse"][name]}
    touched |= {name for name, tau in plan.rule.synapse_traces.items() if math.isfinite(tau)}
    weight_changed = new_weight is not weight
    arena = state["arena"]
    if weight_changed:  # (rebuilding the arena copies it)
        arena = jnp.concatenate([arena[:front], jnp.broadcast_to(new_weight, shape).astype(dtype).reshape(-1), arena[rows_end:]])
    state = {**state, "arena": arena, "synapse": {  # omitted traces: unchanged
        **state["synapse"], **{k: jnp.broadcast_to(v, shape).astype(dtype) for k, v in synapse.items()}}}
    return state, plan.n_synapses * (len(touched) + weight_changed)
