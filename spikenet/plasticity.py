"""The protocol a plasticity rule follows so that the engine runs it event-driven.

A rule is a frozen dataclass (its parameters) plus pure functions. It declares the traces it
keeps — per pre-synaptic neuron, per post-synaptic neuron, per synapse — each with a decay
time constant in ms; at an event a trace holds its closed-form value
``x(t_last) exp(-(t - t_last) / tau)``. Neuron traces decay by ``exp(-dt / tau)`` every step
(O(neurons), like the neuron update). Synapse traces decay lazily — stored with the step of
their last event and decayed in closed form when an event reads them, so a step costs nothing
for synapses without events — unless the rule has ``on_step``, which reads every synapse every
step anyway (their traces then decay every step; the state then holds current values, while a
lazy rule's state holds values as of ``state["plastic"][name]["synapse_step"]``). The engine calls:

``on_pre(weight, pre, post, synapse) -> (weight, pre, synapse)``
    when a pre-synaptic neuron spikes, on its outgoing row only: ``weight`` (K,) in the
    projection's weight unit, ``pre`` a dict of this neuron's trace values (scalars), ``post``
    a dict of the targets' trace values (K,), ``synapse`` a dict of the row's synapse traces
    (K,). Returns the new row, the new values of this neuron's traces and the row's synapse
    traces (omitted keys are unchanged).
``on_post(weight, pre, post, synapse) -> (weight, post, synapse)``
    when a post-synaptic neuron spikes, on its incoming column only (through a column index
    built at compile time): ``weight`` (K_in,), ``pre`` dict of (K_in,), ``post`` dict of scalars.
``on_step(weight, synapse, modulator, dt) -> (weight, synapse)`` (optional)
    every step on all synapses, for neuromodulated rules; ``modulator`` is a scalar that decays
    with ``modulator_tau`` ms and jumps by ``modulator_events`` amounts at their times.

Order within a step (Brian2's: pre pathway before post pathway, both in the ``synapses``
slot): spikes are delivered with the weights from before the step's updates, then ``on_pre``
for every pre-synaptic spike, then ``on_post`` for every post-synaptic spike — so a pre and a
post spike in the same step count as pre-before-post.

Every weight update and trace update is counted in ``ActivityCounts.plasticity_updates``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from spikenet.validation import SpikenetError, require_positive


def check_rule(rule: Any, projection_name: str, delay_steps: np.ndarray) -> None:
    """Validate a rule against the projection it is attached to (raises SpikenetError)."""
    name = type(rule).__name__
    for member in ("on_pre", "on_post"):
        if not callable(getattr(rule, member, None)):
            raise SpikenetError(f"plasticity rule {name} on {projection_name!r} lacks {member}(); see spikenet.plasticity")
    for kind in ("pre_traces", "post_traces", "synapse_traces"):
        traces = getattr(rule, kind, None)
        if traces is None:
            raise SpikenetError(f"plasticity rule {name} on {projection_name!r} lacks the attribute {kind} (dict name -> tau in ms)")
        for trace, tau in dict(traces).items():
            if not isinstance(trace, str) or not trace.isidentifier():
                raise SpikenetError(f"plasticity rule {name}: trace names must be identifiers; got {trace!r} in {kind}")
            require_positive(f"{name}.{kind}[{trace!r}] (time constant, ms)", tau)
    if getattr(rule, "on_step", None) is not None and callable(rule.on_step):
        require_positive(f"{name}.modulator_tau (ms)", getattr(rule, "modulator_tau", 0.0))
    if delay_steps.size and delay_steps.max() > 0:
        raise SpikenetError(
            f"plasticity rule {name} on {projection_name!r}: plastic projections need delay 0 ms; got up to "
            f"{int(delay_steps.max())} steps"
        )


def modulator_schedule(rule: Any, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """(steps, amounts) of the rule's modulator events, sorted by time."""
    events = getattr(rule, "modulator_events", None)
    if events is None:
        return np.zeros(0, np.int64), np.zeros(0)
    times, amounts = (np.asarray(e, dtype=np.float64) for e in events)
    if times.shape != amounts.shape or times.ndim != 1:
        raise SpikenetError(f"{type(rule).__name__}.modulator_events must be two 1-D arrays of equal length (times ms, amounts)")
    steps = np.round(times / dt).astype(np.int64)
    order = np.argsort(steps, kind="stable")
    return steps[order], amounts[order]


def check_update(rule: Any, function: str, kind: str, returned: dict, expected: dict, shape: tuple) -> None:
    """Raise if a rule's ``function`` returned unknown ``kind`` traces or arrays of the wrong
    shape (checked once, when the step is traced, before any simulation)."""
    name = type(rule).__name__
    if not isinstance(returned, dict):
        raise SpikenetError(f"plasticity rule {name}.{function} must return a dict of {kind} traces; got {type(returned).__name__}")
    for key, value in returned.items():
        if key not in expected:
            raise SpikenetError(
                f"plasticity rule {name}.{function} returned unknown {kind} trace {key!r}; declared: {sorted(expected)}")
        if tuple(np.shape(value)) not in ((), shape):
            raise SpikenetError(
                f"plasticity rule {name}.{function}: {kind} {key!r} has shape {tuple(np.shape(value))}; expected {shape} or a scalar")
