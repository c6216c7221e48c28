"""What the compiled step receives as arguments: every number of the network.

:class:`RunValues` holds the host objects of one run (neuron models, channels, rules, weights),
with the run's ``parameters=`` overrides applied by :func:`apply_overrides` through the
objects' own constructors (so an override is checked exactly like the value it replaces).
:func:`step_arguments` turns them into the pytree the step reads: leaves of the models and
rules (see :mod:`spikenet.engine.leaves`) and the tables derived from them on the host (channel
decay factors, Poisson probabilities, weight rows, trace decay factors), with the same numpy
code whichever values they come from — so a run with overrides gives exactly the spikes of a
network built with those values.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from spikenet.engine.layout import Layout
from spikenet.engine.leaves import float_fields
from spikenet.sources import PoissonSource
from spikenet.synapses import ALPHA_SYNAPSES, Delta
from spikenet.validation import SpikenetError


@dataclass
class RunValues:
    """The parameter-carrying objects of one run (host side)."""

    models: dict[str, Any]          # population name -> neuron model or PoissonSource
    channels: dict[str, list]       # population name -> synapse objects, in layout order
    rules: dict[str, Any]           # plastic projection name -> rule
    weights: dict[str, np.ndarray]  # projection name -> float64 (n_synapses,), synapse order


def network_values(layout: Layout) -> RunValues:
    """The values the network was built with."""
    return RunValues(
        models={p.name: p.model for p in layout.populations if not p.is_source or isinstance(p.model, PoissonSource)},
        channels={name: list(channels) for name, channels in layout.channels.items()},
        rules={p.name: p.plasticity for p in layout.projections if p.plasticity is not None},
        weights={p.name: p.weights for p in layout.projections})


def _replaced(label: str, obj: Any, changes: Any, size: int | None) -> Any:
    """``dataclasses.replace(obj, **changes)`` after checking names, shapes and finiteness."""
    if not isinstance(changes, dict) or not changes:
        raise SpikenetError(f"{label} must be a non-empty dict of parameter name -> value; got {changes!r}")
    allowed = float_fields(obj)
    if isinstance(obj, PoissonSource):
        allowed = ["rates"]
    values = {}
    for name, value in changes.items():
        if name not in allowed:
            raise SpikenetError(f"{label}: {type(obj).__name__} has no numeric parameter {name!r}; "
                                f"numeric parameters: {sorted(allowed)} (others need a rebuilt network)")
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise SpikenetError(f"{label}[{name!r}] must be a number or an array of numbers; got {value!r}") from None
        shapes = [()] + ([(size,)] if size is not None else [])
        if array.shape not in shapes:
            raise SpikenetError(f"{label}[{name!r}] must have shape {' or '.join(map(str, shapes))}; got {array.shape}")
        if not np.all(np.isfinite(array)) and not (np.all(np.isposinf(array)) and name.startswith("tau")):
            raise SpikenetError(f"{label}[{name!r}] must be finite; got {value!r}")
        values[name] = float(array) if array.ndim == 0 else array
    try:
        return dataclasses.replace(obj, **values)
    except SpikenetError as error:
        raise SpikenetError(f"{label}: {error}") from None
    except (TypeError, ValueError) as error:
        raise SpikenetError(f"{label}: {type(obj).__name__} refused {sorted(values)}: {error}") from None


def apply_overrides(layout: Layout, base: RunValues, parameters: Any) -> RunValues:
    """``base`` with ``parameters`` applied: ``{population: {field: value}}`` for neuron models
    (and ``"rates"`` of a PoissonSource), ``{projection: {"weight": w, "synapse": {field: value},
    "plasticity": {field: value}}}`` for projections. Values are scalars or per-neuron (per-synapse
    for ``weight``) arrays; raises :class:`SpikenetError` naming the bad entry."""
    if parameters is None:
        return base
    if not isinstance(parameters, dict):
        raise SpikenetError(f"parameters must be a dict of population or projection name -> dict; got {type(parameters).__name__}")
    populations = {p.name: p for p in layout.populations}
    projections = {p.name: p for p in layout.projections}
    values = RunValues(dict(base.models), {k: list(v) for k, v in base.channels.items()}, dict(base.rules), dict(base.weights))
    changed_channels: dict[tuple[str, int], Any] = {}
    for name, entries in parameters.items():
        label = f"parameters[{name!r}]"
        if name in populations:
            population = populations[name]
            if name not in values.models:
                raise SpikenetError(f"{label}: population {name!r} is a spike source and has no parameters")
            values.models[name] = _replaced(label, values.models[name], entries, population.size)
            if isinstance(values.models[name], PoissonSource):
                values.models[name].validate(population.size, layout.dt)
            continue
        if name not in projections:
            raise SpikenetError(f"{label}: no population or projection of that name; populations: {sorted(populations)}, "
                                f"projections: {sorted(projections)}")
        projection = projections[name]
        if not isinstance(entries, dict) or not entries:
            raise SpikenetError(f"{label} must be a non-empty dict with keys 'weight', 'synapse', 'plasticity'; got {entries!r}")
        for key, value in entries.items():
            if key == "weight":
                try:
                    weight = np.asarray(value, dtype=np.float64)
                except (TypeError, ValueError):
                    weight = None
                if weight is None or weight.shape not in ((), projection.weights.shape):
                    got = f"{value!r}" if weight is None else f"shape {weight.shape}"
                    raise SpikenetError(f"{label}['weight'] must be a number or an array of shape {projection.weights.shape} "
                                        f"(one per synapse); got {got}")
                if not np.all(np.isfinite(weight)):
                    raise SpikenetError(f"{label}['weight'] must be finite")
                values.weights[name] = np.broadcast_to(weight, projection.weights.shape).copy()
            elif key == "synapse":
                if isinstance(projection.synapse, Delta):
                    raise SpikenetError(f"{label}['synapse']: a Delta synapse has no numeric parameters")
                post = projection.post.name
                index = layout.channels[post].index(projection.synapse)
                new = _replaced(f"{label}['synapse']", values.channels[post][index], value, None)
                if (post, index) in changed_channels and changed_channels[(post, index)] != new:
                    raise SpikenetError(f"{label}['synapse']: the channel is shared with another projection onto {post!r} "
                                        f"that sets other values; give them the same values")
                changed_channels[(post, index)] = values.channels[post][index] = new
            elif key == "plasticity":
                if projection.plasticity is None:
                    raise SpikenetError(f"{label}['plasticity']: projection {name!r} has no plasticity rule")
                values.rules[name] = _replaced(f"{label}['plasticity']", values.rules[name], value, None)
            else:
                raise SpikenetError(f"{label}: unknown key {key!r}; allowed: 'weight', 'synapse', 'plasticity'")
    return values


def trace_decays(rule: Any, dt: float) -> dict[str, dict[str, float]]:
    """exp(-dt / tau) of each pre, post and synapse trace, and dt / tau of synapse traces."""
    return {"pre": {k: math.exp(-dt / tau) for k, tau in rule.pre_traces.items()},
            "post": {k: math.exp(-dt / tau) for k, tau in rule.post_traces.items()},
            "synapse": {k: math.exp(-dt / tau) for k, tau in rule.synapse_traces.items()},
            "synapse_rates": {k: dt / tau for k, tau in rule.synapse_traces.items()}}


def channel_tables(layout: Layout, values: RunValues) -> tuple[np.ndarray, list, dict]:
    """The decay factor of every channel entry (forward Euler or exact), the alpha couplings
    ``(drive offset, rise offset, size, coefficient)`` and each channel's reversal potential."""
    dt = layout.dt
    decay = np.ones(layout.channel_size)
    couplings, reversal = [], {}
    for population in layout.neuron_populations:
        euler = values.models[population.name].integration == "euler"
        for layout_channel, channel in zip(layout.channels[population.name], values.channels[population.name]):
            key = (population.name, layout_channel)
            factor = 1.0 - dt / channel.tau if euler else math.exp(-dt / channel.tau)
            for offset in {layout.channel_offsets[key], layout.drive_offsets[key]}:
                decay[offset:offset + population.size] = factor
            if isinstance(channel, ALPHA_SYNAPSES):
                # dg/dt = (e x - g)/tau: forward Euler adds e (dt/tau) x; exponential Euler
                # (Brian2's scheme: x held over the step) adds e (1 - exp(-dt/tau)) x.
                coefficient = math.e * (dt / channel.tau if euler else 1.0 - math.exp(-dt / channel.tau))
                couplings.append((layout.drive_offsets[key], layout.channel_offsets[key], population.size, coefficient))
            if hasattr(channel, "e_rev"):
                reversal[key] = channel.e_rev
    return decay, couplings, reversal


def step_arguments(layout: Layout, values: RunValues, leaves: dict[str, tuple[str, ...]]) -> dict:
    """The pytree of host arrays the compiled step takes (see the module docstring); ``leaves``
    maps each population and plastic projection name to its model's or rule's leaf fields."""
    dtype, dt = layout.dtype, layout.dt
    decay, couplings, reversal = channel_tables(layout, values)
    arguments: dict[str, Any] = {
        "decay": decay.astype(dtype),
        "alpha": np.asarray([c[3] for c in couplings], dtype=dtype),
        "e_rev": {f"{key[0]}/{layout.channels[key[0]].index(key[1])}": np.asarray(e, dtype=dtype) for key, e in reversal.items()},
        "poisson": {name: (model.rates_array(layout.network.populations[name].size) * dt / 1000.0).astype(dtype)
                    for name, model in values.models.items() if isinstance(model, PoissonSource)},
        "external": [drive.count_table(dt).astype(dtype) for drive in layout.network.poisson_inputs],
        "external_weight": [np.asarray(drive.weight, dtype=dtype) for drive in layout.network.poisson_inputs],
        "neurons": {name: {f: np.asarray(getattr(values.models[name], f), dtype=dtype) for f in leaves.get(name, ())}
                    for name in values.models if not isinstance(values.models[name], PoissonSource)},
        "rules": {name: {f: np.asarray(getattr(rule, f), dtype=dtype) for f in leaves.get(name, ())}
                  for name, rule in values.rules.items()},
        "constant_current": {}, "varying_current": {}, "rows": [], "plastic": {},
    }
    for current in layout.network.currents:
        name = current.population.name
        if current.is_constant:
            arguments["constant_current"][name] = arguments["constant_current"].get(name, 0.0) + current.values
        else:
            arguments["varying_current"].setdefault(name, []).append(np.asarray(current.values, dtype=dtype))
    arguments["constant_current"] = {k: np.asarray(v, dtype=dtype) for k, v in arguments["constant_current"].items()}
    for out in layout.outgoing:
        rows: dict[str, Any] = {"out_degrees": out.out_degrees}
        if out.plastic:
            projection = out.projections[0]
            rule, n_post = values.rules[projection.name], projection.post.size
            decays = trace_decays(rule, dt)
            rows["targets"] = out.targets
            arguments["plastic"][projection.name] = {
                "post_index": out.post_index, "column_slots": out.column_slots, "in_degree": out.in_degree,
                **{f"{kind}_decay": {k: np.asarray(v, dtype=dtype) for k, v in decays[kind].items()} for kind in ("pre", "post", "synapse")},
                "synapse_rates": {k: np.asarray(v, dtype=dtype) for k, v in decays["synapse_rates"].items()},
                "modulator_decay": np.asarray(math.exp(-dt / getattr(rule, "modulator_tau", math.inf))
                                              if callable(getattr(rule, "on_step", None)) else 1.0, dtype=dtype)}
            if layout.engine == "dense":  # the clock-driven reference delivers every synapse every step
                arguments["plastic"][projection.name]["dense_targets"] = (
                    layout.target_offset(projection) + np.minimum(out.post_index, n_post).astype(np.int64)
                    + np.where(out.post_index >= n_post, layout.buffer_size, 0))
        elif out.fused_into is None and layout.engine == "event" and out.buckets is not None:
            # Degree buckets: each with its members (to pack their spikes), rows and counters.
            del rows["out_degrees"]
            rows["buckets"] = [{"members": bucket.members, "targets": bucket.targets, "weights": weights,
                                "out_degrees": bucket.out_degrees}
                               for bucket, weights in zip(out.buckets, _weight_rows(layout, out, values))]
        elif out.fused_into is None and layout.engine == "event":
            rows["targets"] = out.targets
            rows["weights"] = _weight_rows(layout, out, values)
        elif layout.engine == "dense":
            rows["dense"] = [matrix for _, matrix in layout.dense_matrices(out, values.weights)]
        arguments["rows"].append(rows)
    return arguments


def _weight_rows(layout: Layout, out: Any, values: RunValues) -> Any:
    """A static group's weight rows: built from ``values``, or those built before its synapses were
    handed over (``Layout(hand_over=True)``; their weights cannot be overridden)."""
    return out.weight_rows if out.weight_rows is not None else layout.rows_weights(out, values.weights)


def accumulators(rule: Any) -> dict[str, set[str]]:
    """Traces with tau = inf (no decay: the step skips their multiplication; part of the signature)."""
    return {kind: {k for k, tau in getattr(rule, f"{kind}_traces").items() if math.isinf(tau)} for kind in ("pre", "post", "synapse")}
