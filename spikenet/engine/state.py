"""The state of a compiled network: typed records, the initial state and the accessors of
plastic weights and traces.

:class:`NetworkState` (neurons, synaptic channels, delay ring, plastic projections, step) and
:class:`PlasticState` are read-only mappings too (``state["neurons"]["exc"]["v"]``). A plastic
projection keeps its inbox, weight rows and fused static rows in one flat ``arena`` (see
:func:`spikenet.propagation.deliver_and_learn_pre`); read and write its weights and traces in
synapse order with :func:`plastic_weights`, :func:`with_plastic_weights`,
:func:`plastic_trace` and :func:`with_plastic_trace`, never through the arena.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import jax
import numpy as np

from spikenet.engine.layout import Layout, Outgoing
from spikenet.network import channel_name
from spikenet.propagation import lazy_synapse_traces
from spikenet.synapses import ALPHA_SYNAPSES
from spikenet.validation import SpikenetError


class _Record(Mapping):
    """A dataclass that reads like a mapping of its (non-None) fields."""

    def __getitem__(self, key: str) -> Any:
        if key in {f.name for f in fields(self)} and getattr(self, key) is not None:
            return getattr(self, key)
        raise KeyError(key)

    def __iter__(self):
        return (f.name for f in fields(self) if getattr(self, f.name) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)


@dataclass(frozen=True, eq=False)
class PlasticState(_Record):
    """One plastic projection: arena (inboxes | weight rows | fused static rows), pre (n_pre + 1,),
    post (n_post + 1,) and synapse (rows) traces, the modulator, and for lazily decaying synapse
    traces the step of each stored value."""

    arena: Any
    pre: dict
    post: dict
    synapse: dict
    modulator: Any
    synapse_step: Any = None


@dataclass(frozen=True, eq=False)
class NetworkState(_Record):
    """Neuron states (population -> variable -> array), the flat channel buffer, the delay ring,
    plastic projections (name -> :class:`PlasticState`) and the step counter ``t``."""

    neurons: dict
    channels: Any
    ring: Any
    plastic: dict
    t: Any = 0


def as_state(value: Any) -> NetworkState:
    """A NetworkState from a NetworkState, a Result (its final state) or a dict of the same keys."""
    value = getattr(value, "final_state", value)
    if isinstance(value, NetworkState):
        return value
    if not isinstance(value, Mapping) or not {"neurons", "channels", "ring", "plastic"} <= set(value):
        raise SpikenetError(f"expected a network state (a Result, result.final_state or initial_state()); got {type(value).__name__}")
    plastic = {name: p if isinstance(p, PlasticState) else PlasticState(**dict(p)) for name, p in value["plastic"].items()}
    return NetworkState(value["neurons"], value["channels"], value["ring"], plastic, value.get("t", 0))


def to_carry(state: NetworkState) -> dict:
    """The plain dict pytree the compiled step carries."""
    return {"neurons": state.neurons, "channels": state.channels, "ring": state.ring, "t": state.t,
            "plastic": {name: dict(p) for name, p in state.plastic.items()}}


def from_carry(carry: dict) -> NetworkState:
    return NetworkState(carry["neurons"], carry["channels"], carry["ring"],
                        {name: PlasticState(**p) for name, p in carry["plastic"].items()}, carry["t"])


def initial_state(layout: Layout, values: Any) -> NetworkState:
    """The state at t = 0 (numpy): model initial states and the populations' ``initial`` values,
    channels, the delay ring and plastic projections (weights from ``values``)."""
    dtype, neurons = layout.dtype, {}
    channels = np.zeros(layout.channel_size, dtype=dtype)
    for population in layout.neuron_populations:
        model = values.models[population.name]
        state = {k: np.asarray(v) for k, v in model.initial_state(population.size, layout.dt).items()}
        for name, value in population.initial.items():
            if name in state:
                state[name] = value
        neurons[population.name] = {k: v.astype(dtype) if np.issubdtype(v.dtype, np.floating) else v.astype(np.int32)
                                    for k, v in state.items()}
        for k, channel in enumerate(layout.channels[population.name]):
            name = channel_name(channel, k)
            for variable, offset in ((name, layout.drive_offsets[(population.name, channel)]),
                                     (name + "_rise", layout.channel_offsets[(population.name, channel)])):
                if variable in population.initial and (variable == name or isinstance(channel, ALPHA_SYNAPSES)):
                    channels[offset:offset + population.size] = population.initial[variable]
    plastic = {}
    for out in layout.outgoing:
        if out.plastic:
            projection = out.projections[0]
            rule = values.rules[projection.name]
            rows_shape = (projection.pre.size + 1, out.width)
            plastic[projection.name] = PlasticState(
                arena=arena_with_weights(layout, out, np.zeros(out.front_size, dtype), values.weights),
                pre={k: np.zeros(projection.pre.size + 1, dtype) for k in rule.pre_traces},
                post={k: np.zeros(projection.post.size + 1, dtype) for k in rule.post_traces},
                synapse={k: np.zeros(rows_shape, dtype) for k in rule.synapse_traces},
                modulator=np.zeros((), dtype),
                synapse_step=np.zeros(rows_shape, np.int32) if lazy_synapse_traces(rule) else None)
    ring = np.zeros(layout.ring_slots * layout.buffer_size, dtype=dtype)
    return NetworkState(neurons, channels, ring, plastic, np.asarray(0, np.int32))


def arena_with_weights(layout: Layout, out: Outgoing, front: np.ndarray, weights: dict, plastic_rows: Any = None) -> np.ndarray:
    """An arena: ``front`` (the inboxes), the plastic rows (from ``weights`` unless given) and the
    fused static rows (from ``weights``)."""
    rows = layout.rows_weights(out, weights).reshape(-1) if plastic_rows is None else plastic_rows
    parts = [front, rows] + ([layout.rows_weights(out.fused, weights).reshape(-1)] if out.fused is not None else [])
    return np.concatenate(parts).astype(layout.dtype)


def shapes_only(state: NetworkState) -> NetworkState:
    """The state with every array replaced by its shape and dtype (a reference for :func:`check_compatible`)."""
    return from_carry(jax.tree_util.tree_map(lambda x: jax.ShapeDtypeStruct(np.shape(x), np.asarray(x).dtype), to_carry(state)))


def check_compatible(state: NetworkState, reference: NetworkState) -> None:
    """Raise unless ``state`` has the structure, shapes and dtypes of ``reference`` (this network's)."""
    paths, structure = jax.tree_util.tree_flatten_with_path(to_carry(reference))
    try:
        leaves = structure.flatten_up_to(to_carry(state))
    except (ValueError, TypeError, KeyError) as error:
        raise SpikenetError(f"resume: the state is not one of this network (different populations, projections or "
                            f"traces: {str(error).splitlines()[0]})") from None
    for (path, expected), got in zip(paths, leaves):
        got_dtype = got.dtype if hasattr(got, "dtype") else np.asarray(got).dtype
        if np.shape(got) != tuple(expected.shape) or got_dtype != expected.dtype:
            raise SpikenetError(f"resume: state entry {jax.tree_util.keystr(path)} has shape {np.shape(got)} "
                                f"{got_dtype}; this network needs {tuple(expected.shape)} {expected.dtype}")


# -- plastic weights and traces ------------------------------------------------------------------
def _checked_values(label: str, values: Any, size: int) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if values.shape != (size,):
        raise SpikenetError(f"{label} must have shape ({size},); got {values.shape}")
    if not np.all(np.isfinite(values)):
        raise SpikenetError(f"{label} must be finite")
    return values


def plastic_weights(layout: Layout, state: Any, projection_name: str) -> np.ndarray:
    """Weights of a plastic projection in synapse (CSR) order."""
    out, state = layout.plastic_group(projection_name), as_state(state)
    return np.asarray(state.plastic[projection_name].arena)[out.front_size:][out.synapse_slots]


def with_plastic_weights(layout: Layout, state: Any, projection_name: str, weights: Any) -> NetworkState:
    """A copy of ``state`` whose plastic projection has ``weights`` (synapse order)."""
    out, state = layout.plastic_group(projection_name), as_state(state)
    weights = _checked_values(f"weights for {projection_name!r}", weights, out.projections[0].n_synapses)
    arena = np.array(state.plastic[projection_name].arena)
    arena[out.front_size:][out.synapse_slots] = weights
    return replace(state, plastic={**state.plastic, projection_name: replace(state.plastic[projection_name], arena=arena)})


def _trace_kind(out: Outgoing, rule: Any, trace: str, kind: str) -> None:
    if kind not in ("pre", "post", "synapse"):
        raise SpikenetError(f"kind must be 'pre', 'post' or 'synapse'; got {kind!r}")
    declared = getattr(rule, f"{kind}_traces")
    if trace not in declared:
        raise SpikenetError(f"the rule of {out.projections[0].name!r} has no {kind} trace {trace!r}; declared: {sorted(declared)}")


def _synapse_traces_now(layout: Layout, state: NetworkState, out: Outgoing) -> dict:
    """Synapse traces as of the state's step (lazily decaying ones decayed in closed form)."""
    plastic = state.plastic[out.projections[0].name]
    traces = {k: np.asarray(v) for k, v in plastic.synapse.items()}
    if plastic.synapse_step is None:
        return traces
    elapsed = int(np.asarray(state.t)) - np.asarray(plastic.synapse_step).astype(np.float64)
    taus = out.projections[0].plasticity.synapse_traces
    return {k: (v * np.exp(-elapsed * layout.dt / taus[k])).astype(v.dtype) for k, v in traces.items()}


def plastic_trace(layout: Layout, state: Any, projection_name: str, trace: str, kind: str = "synapse") -> np.ndarray:
    """A trace of a plastic projection: ``"synapse"`` (n_synapses,) in synapse order, ``"pre"``
    (n_pre,) or ``"post"`` (n_post,); lazy synapse traces decayed to the state's step."""
    out, state = layout.plastic_group(projection_name), as_state(state)
    _trace_kind(out, out.projections[0].plasticity, trace, kind)
    if kind != "synapse":
        return np.asarray(state.plastic[projection_name][kind][trace])[:-1].copy()
    return _synapse_traces_now(layout, state, out)[trace].reshape(-1)[out.synapse_slots]


def with_plastic_trace(layout: Layout, state: Any, projection_name: str, trace: str, values: Any, kind: str = "synapse") -> NetworkState:
    """A copy of ``state`` in which a trace holds ``values`` (the inverse of :func:`plastic_trace`)."""
    out, state = layout.plastic_group(projection_name), as_state(state)
    projection = out.projections[0]
    _trace_kind(out, projection.plasticity, trace, kind)
    size = {"pre": projection.pre.size, "post": projection.post.size, "synapse": projection.n_synapses}[kind]
    values = _checked_values(f"{kind} trace {trace!r} of {projection_name!r}", values, size)
    plastic = state.plastic[projection_name]
    if kind == "synapse" and plastic.synapse_step is not None:
        # Lazily decaying traces share one step per synapse: bring all of them to the state's step.
        plastic = replace(plastic, synapse=_synapse_traces_now(layout, state, out),
                          synapse_step=np.full_like(np.asarray(plastic.synapse_step), int(np.asarray(state.t))))
    array = np.array(plastic[kind][trace])
    if kind == "synapse":
        array.reshape(-1)[out.synapse_slots] = values
    else:
        array[:-1] = values
    plastic = replace(plastic, **{kind: {**plastic[kind], trace: array}})
    return replace(state, plastic={**state.plastic, projection_name: plastic})


def channel_values(layout: Layout, channels: Any, population: str, variable: str) -> Any:
    """The values of channel ``variable`` (e.g. ``g_syn0``, or ``g_syn0_rise``) of ``population``."""
    size = layout.network.populations[population].size
    for k, channel in enumerate(layout.channels[population]):
        if channel_name(channel, k) == variable:
            offset = layout.drive_offsets[(population, channel)]
            return channels[offset:offset + size]
        if isinstance(channel, ALPHA_SYNAPSES) and channel_name(channel, k) + "_rise" == variable:
            offset = layout.channel_offsets[(population, channel)]
            return channels[offset:offset + size]
    raise SpikenetError(f"population {population!r} has no synaptic channel {variable!r}")
