"""Build the same network in Brian2 from a spikenet description, so a user can run both.

The export carries the exact synapse lists (``Synapses.connect(i=..., j=...)``), weights,
delays, initial state, injected currents (``TimedArray`` for time-varying ones), Poisson and
explicit spike sources, and the integration scheme of each population. Synaptic channels
become variables of the post-synaptic group (``g_syn0``, ``I_syn0``, ...), shared by the
pathways that use them — the Brian2 idiom ``ge += we``. A plastic projection takes its rule's
Brian2 form (``rule.brian2_synapse(target, weight_unit)``: ``model``, ``on_pre``, ``on_post``,
``namespace``, and optionally ``run_regularly`` operations ``(code, when, order)`` and the name of a
``modulator`` TimedArray of per-step neuromodulator jumps, see ``to_brian2(..., modulator=...)``).

Examples
--------
>>> exported = to_brian2(net, spike_monitors=["exc"])      # doctest: +SKIP
>>> exported.run(1000.0)                                    # ms  # doctest: +SKIP
>>> times_ms, indices = exported.spikes("exc")              # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from spikenet.network import Network, channel_name
from spikenet.sources import PoissonSource, SpikeSource
from spikenet.synapses import ALPHA_SYNAPSES, CONDUCTANCE_SYNAPSES, Delta
from spikenet.validation import SpikenetError

def _brian2_unit(b2: Any, unit: str):
    """A Brian2 quantity for a unit string such as ``"mV"``, ``"1/ms"``, ``"mV/ms"`` or ``"1"``
    (products and quotients of Brian2 unit names and numbers; parsed, never evaluated)."""
    import re

    text = (unit or "1").replace(" ", "")
    tokens = re.split(r"([*/])", text)
    value = None
    operator = "*"
    for token in tokens:
        if token in ("*", "/"):
            operator = token
            continue
        if re.fullmatch(r"[0-9.]+", token):
            factor = float(token)
        elif token.isidentifier() and isinstance(getattr(b2, token, None), (b2.Unit, b2.Quantity)):
            factor = getattr(b2, token)
        else:
            raise ValueError(f"unknown unit {token!r} in {unit!r}")
        value = factor if value is None else (value * factor if operator == "*" else value / factor)
    return value


def _unit_string(unit: str) -> str:
    """Brian2 unit name for the dimension of a state variable declared in spikenet units."""
    return {"mV": "volt", "pA": "amp", "nS": "siemens", "ms": "second", "1": "1", "": "1"}.get(unit, unit)


@dataclass
class Brian2Network:
    """A Brian2 network built from a spikenet network."""

    network: Any
    groups: dict[str, Any]
    synapses: dict[str, Any]
    spike_monitors: dict[str, Any] = field(default_factory=dict)
    state_monitors: dict[str, Any] = field(default_factory=dict)

    def run(self, duration_ms: float, report: str | None = None) -> None:
        import brian2 as b2

        self.network.run(duration_ms * b2.ms, report=report)

    def spikes(self, population: str) -> tuple[np.ndarray, np.ndarray]:
        """(times in ms, indices) recorded for ``population``."""
        import brian2 as b2

        monitor = self.spike_monitors[population]
        return np.asarray(monitor.t / b2.ms), np.asarray(monitor.i)


def to_brian2(network: Network, spike_monitors: Sequence[str] = (), state_monitors: dict[str, Sequence[str]] | None = None,
              float64: bool = True, modulator: dict[str, tuple[Any, Any]] | None = None) -> Brian2Network:
    """Build ``network`` in Brian2 (the current Brian2 device and code-generation target).

    Parameters
    ----------
    network : spikenet.Network
    spike_monitors : names of populations to record spikes from.
    state_monitors : population name -> variables to record every step.
    float64 : use double precision in Brian2 (its default).
    modulator : plastic projection name -> (times in ms, amounts), optional
        Host-driven neuromodulator jumps, as ``Network.run(..., modulator=...)`` takes them, for
        projections whose rule has a modulator (e.g. ``RewardModulatedSTDP``); they are added to
        the rule's own ``modulator_events`` (a Brian2 ``TimedArray`` of the jumps per step).
    """
    import brian2 as b2

    b2.prefs.core.default_float_dtype = b2.float64 if float64 else b2.float32
    dt = network.dt
    groups: dict[str, Any] = {}
    objects: list[Any] = []
    for population in network.populations.values():
        model = population.model
        name = population.name
        if isinstance(model, PoissonSource):
            group = b2.PoissonGroup(population.size, rates=model.rates_array(population.size) * b2.Hz, name=name, dt=dt * b2.ms)
        elif isinstance(model, SpikeSource):
            group = b2.SpikeGeneratorGroup(population.size, np.asarray(model.indices, dtype=np.int64),
                                           np.asarray(model.times, dtype=np.float64) * b2.ms, name=name, dt=dt * b2.ms)
        else:
            group = _neuron_group(b2, network, population)
        groups[name] = group
        objects.append(group)

    modulator = dict(modulator or {})
    unknown = sorted(set(modulator) - {p.name for p in network.projections
                                       if p.plasticity is not None and getattr(p.plasticity, "modulator_events", None) is not None})
    if unknown:
        raise SpikenetError(f"modulator: {unknown} are not plastic projections whose rule has a modulator")
    synapses: dict[str, Any] = {}
    for k, projection in enumerate(network.projections):
        post = projection.post
        if isinstance(projection.synapse, Delta):
            target = projection.synapse.target
            unit = post.model.state_units()[target]
        else:
            target = channel_name(projection.synapse, network.channels(post).index(projection.synapse))
            unit = "nS" if isinstance(projection.synapse, CONDUCTANCE_SYNAPSES) else "pA"
            if isinstance(projection.synapse, ALPHA_SYNAPSES):
                target += "_rise"
        description = {}
        if projection.plasticity is None:
            model, on_pre, on_post, namespace = f"w : {_unit_string(unit)}", f"{target}_post += w", None, {}
        else:
            rule = projection.plasticity
            if not callable(getattr(rule, "brian2_synapse", None)):
                raise SpikenetError(
                    f"projection {projection.name!r}: plasticity rule {type(rule).__name__} has no Brian2 form (brian2_synapse)")
            description = rule.brian2_synapse(target, _unit_string(unit))
            model, on_pre, on_post = description["model"], description["on_pre"], description.get("on_post")
            namespace = {key: value * (_brian2_unit(b2, unit) if kind == "weight" else _brian2_unit(b2, kind))
                         for key, (kind, value) in description.get("namespace", {}).items()}
            if description.get("modulator"):
                namespace[description["modulator"]] = _modulator_jumps(b2, rule, dt, modulator.get(projection.name))
        synapse_object = b2.Synapses(
            groups[projection.pre.name], groups[post.name], model=model, on_pre=on_pre, on_post=on_post,
            namespace=namespace, name=f"synapses_{k}", dt=dt * b2.ms,
        )
        synapse_object.connect(i=projection.synapses.pre, j=projection.synapses.post)
        synapse_object.w[:] = projection.weights * _brian2_unit(b2, unit)
        synapse_object.delay[:] = projection.delay_steps * dt * b2.ms
        for code, when, order in description.get("run_regularly", ()):
            synapse_object.run_regularly(code, when=when, order=order, name=f"synapses_{k}_regularly_{when}_{order}")
        synapses[projection.name] = synapse_object
        objects.append(synapse_object)

    for drive in network.poisson_inputs:
        population = drive.population
        if isinstance(drive.synapse, Delta):
            target, unit = drive.synapse.target, population.model.state_units()[drive.synapse.target]
        else:
            target = channel_name(drive.synapse, network.channels(population).index(drive.synapse))
            unit = "nS" if isinstance(drive.synapse, CONDUCTANCE_SYNAPSES) else "pA"
            if isinstance(drive.synapse, ALPHA_SYNAPSES):
                target += "_rise"
        poisson_input = b2.PoissonInput(groups[population.name], target, drive.n_sources, drive.rate * b2.Hz,
                                        weight=drive.weight * _brian2_unit(b2, unit))
        objects.append(poisson_input)

    exported = Brian2Network(None, groups, synapses)
    for name in spike_monitors:
        monitor = b2.SpikeMonitor(groups[name], name=f"spikes_{name}")
        exported.spike_monitors[name] = monitor
        objects.append(monitor)
    for name, variables in (state_monitors or {}).items():
        monitor = b2.StateMonitor(groups[name], list(variables), record=True, name=f"states_{name}", dt=dt * b2.ms)
        exported.state_monitors[name] = monitor
        objects.append(monitor)
    exported.network = b2.Network(*objects)
    return exported


def _modulator_jumps(b2: Any, rule: Any, dt: float, events: tuple[Any, Any] | None) -> Any:
    """A dimensionless ``TimedArray`` of the modulator's jump in every step (zero after the last
    event): the rule's ``modulator_events`` plus the run's host-driven ``events`` (times ms, amounts)."""
    from spikenet.plasticity import modulator_schedule

    schedules = [modulator_schedule(rule, dt)]
    if events is not None:
        times, amounts = (np.asarray(e, dtype=np.float64) for e in events)
        if times.shape != amounts.shape or times.ndim != 1:
            raise SpikenetError("modulator events must be two 1-D arrays of equal length (times ms, amounts)")
        schedules.append((np.round(times / dt).astype(np.int64), amounts))
    last = max((int(steps.max()) for steps, _ in schedules if steps.size), default=-1)
    jumps = np.zeros(last + 2)
    for steps, amounts in schedules:
        np.add.at(jumps, steps, amounts)
    return b2.TimedArray(jumps, dt=dt * b2.ms)


def _neuron_group(b2: Any, network: Network, population) -> Any:
    model = population.model
    description = model.brian2_model("I_input")
    namespace = {key: value * _brian2_unit(b2, unit) for key, (unit, value) in description["namespace"].items()}
    lines = [description["equations"]]
    input_terms = []
    channels = network.channels(population)
    for k, channel in enumerate(channels):
        name = channel_name(channel, k)
        namespace[f"tau_{name}"] = channel.tau * b2.ms
        unit = "siemens" if isinstance(channel, CONDUCTANCE_SYNAPSES) else "amp"
        if isinstance(channel, ALPHA_SYNAPSES):
            lines.append(f"d{name}/dt = (exp(1)*{name}_rise - {name})/tau_{name} : {unit}")
            lines.append(f"d{name}_rise/dt = -{name}_rise/tau_{name} : {unit}")
        else:
            lines.append(f"d{name}/dt = -{name}/tau_{name} : {unit}")
        if isinstance(channel, CONDUCTANCE_SYNAPSES):
            namespace[f"E_{name}"] = channel.e_rev * b2.mV
            input_terms.append(f"{name}*(E_{name} - v)")
        else:
            input_terms.append(name)
    constant = np.zeros(population.size)
    varying = []
    for current in network.currents:
        if current.population is not population:
            continue
        if current.is_constant:
            constant = constant + current.values
        else:
            table_name = f"I_table_{population.name}_{len(varying)}"
            namespace[table_name] = b2.TimedArray(current.values * b2.pA, dt=current.dt_values * b2.ms)
            varying.append(f"{table_name}(t, i)")
    lines.append("I_constant : amp")
    input_terms = ["I_constant"] + varying + input_terms
    lines.append(f"I_input = {' + '.join(input_terms)} : amp")
    refractory = description.get("refractory")
    if isinstance(refractory, tuple):
        refractory = refractory[1] * _brian2_unit(b2, refractory[0])
    elif not refractory:
        refractory = False  # a condition string is passed through (e.g. "v > v_spike")
    group = b2.NeuronGroup(
        population.size, "\n".join(lines), threshold=description["threshold"], reset=description.get("reset"),
        refractory=refractory,
        method=description["method"], namespace=namespace, name=population.name, dt=network.dt * b2.ms,
    )
    group.I_constant = constant * b2.pA
    units = model.state_units()
    initial = {k: np.asarray(v, dtype=np.float64) for k, v in model.initial_state(population.size, network.dt).items()
               if k in units}
    initial.update({k: v for k, v in population.initial.items() if k in units})
    for variable, values in initial.items():
        setattr(group, variable, values * _brian2_unit(b2, units[variable]))
    for k, channel in enumerate(channels):
        unit = "nS" if isinstance(channel, CONDUCTANCE_SYNAPSES) else "pA"
        for name in (channel_name(channel, k), channel_name(channel, k) + "_rise"):
            if name in population.initial:
                setattr(group, name, population.initial[name] * _brian2_unit(b2, unit))
    return group
