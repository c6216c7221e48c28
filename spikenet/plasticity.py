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
    with ``modulator_tau`` ms and jumps by ``modulator_events`` amounts at their times (and by
    ``run(..., modulator=...)`` events). ``weight`` and every ``synapse`` trace are the whole
    (n_pre + 1, K) ELL arrays (row = pre-synaptic neuron, K slots; the last row and the slots
    past a row's out-degree are padding, kept at zero by the rule's arithmetic or ignored).
    Omitted synapse traces are unchanged.
``on_step(weight, synapse, modulator, dt, context) -> (weight, synapse)`` (optional)
    the same, for rules that need the network's state every step (a learning signal, e.g.
    e-prop's): the engine passes ``context`` (a :class:`StepContext`) when ``on_step`` has a
    parameter named ``context`` (found with :func:`inspect.signature` at compile time). For such
    rules ``modulator_tau`` is optional (default: the modulator never decays). ``context`` holds,
    read-only, for this step t:

    * ``pre``, ``post``: the rule's pre (n_pre + 1,) and post (n_post + 1,) traces after this
      step's decay, ``on_pre`` and ``on_post`` (last entry: padding, zero);
    * ``pre_previous``, ``post_previous``: the same traces at the end of step t - 1 (before this
      step's decay and spikes). A spike is delivered to the post-synaptic neuron in the step
      after it is emitted, so ``pre_previous`` filters exactly the spikes that reached the
      membrane by this step's integration;
    * ``post_state``: the post-synaptic population's neuron state dict (arrays (n_post,)) after
      this step's ``update`` and ``threshold`` — the values the threshold saw — and before this
      step's delta-synapse increments and ``reset`` (a pseudo-derivative of the spike function
      needs the pre-reset membrane potential);
    * ``pre_spiked`` (n_pre,), ``post_spiked`` (n_post,): bool spikes of this step;
    * ``step``: int32 index t of this step (0 at the start of a run without ``resume``);
    * ``post_index`` (n_pre + 1, K) int32: the post-synaptic neuron of each slot (n_post for
      padding), and ``gather_post(values)``, which turns a per-post-neuron array (n_post,) or
      (n_post + 1,) into per-synapse values (n_pre + 1, K) (zero in padding slots). Per
      pre-neuron arrays (n_pre + 1,) become per-synapse with ``values[:, None]``.

Trace time constants are in ms, > 0; ``math.inf`` declares a trace that never decays (an
accumulator: decay factor exactly 1). :meth:`CompiledNetwork.plastic_trace` and
:meth:`~CompiledNetwork.with_plastic_trace` read and write traces between runs (synapse traces in
synapse order, like :meth:`~CompiledNetwork.plastic_weights`).

Order within a step (Brian2's: pre pathway before post pathway, both in the ``synapses``
slot): spikes are delivered with the weights from before the step's updates, then ``on_pre``
for every pre-synaptic spike, then ``on_post`` for every post-synaptic spike — so a pre and a
post spike in the same step count as pre-before-post; ``on_step`` comes last, after this
projection's ``on_post`` (the step's deliveries already used the old weights).

Every weight update and trace update is counted in ``ActivityCounts.plasticity_updates``: at a
pre spike, the row's out-degree times (1 + the synapse traces ``on_pre`` writes) plus the
number of pre traces; at a post spike, the column's in-degree times (1 + the synapse traces
``on_post`` writes) plus the number of post traces; for a rule with ``on_step``, every step, the
projection's number of synapses times the per-synapse values touched that step: the weight if
``on_step`` returns a new array for it (returning the ``weight`` it was given means unchanged),
and each synapse trace that the engine decays (finite τ) or ``on_step`` writes (counted once if both).
The per-step decay of neuron traces is not counted: like a lazy synapse trace, a neuron trace
could be decayed in closed form when an event reads it, which is what the counts should price.
"""

from __future__ import annotations

import inspect
import math
from typing import Any, NamedTuple

import jax.numpy as jnp
import numpy as np

from spikenet.validation import SpikenetError, require_positive


class StepContext(NamedTuple):
    """What a context-taking ``on_step`` reads (see the module docstring for the point of the step
    each field is taken at). Trace dicts map names to arrays; all arrays are read-only."""

    pre: dict
    post: dict
    pre_previous: dict
    post_previous: dict
    post_state: dict
    pre_spiked: Any
    post_spiked: Any
    step: Any
    post_index: Any
    n_post: int

    def gather_post(self, values: Any) -> Any:
        """Per-synapse values (n_pre + 1, K) of a per-post-neuron array (n_post,) or (n_post + 1,):
        slot (i, k) gets ``values[post_index[i, k]]``; padding slots get 0."""
        values = jnp.asarray(values)
        if values.shape == (self.n_post,):
            values = jnp.concatenate([values, jnp.zeros(1, values.dtype)])
        elif values.shape == (self.n_post + 1,):
            values = values.at[self.n_post].set(0)
        else:
            raise SpikenetError(f"gather_post: values must have shape ({self.n_post},) or ({self.n_post + 1},); got {values.shape}")
        return values[self.post_index]


def on_step_takes_context(rule: Any) -> bool:
    """Whether the rule's ``on_step`` takes the :class:`StepContext` (a parameter named ``context``)."""
    on_step = getattr(rule, "on_step", None)
    if not callable(on_step):
        return False
    try:
        return "context" in inspect.signature(on_step).parameters
    except (TypeError, ValueError):
        return False


def require_time_constant(name: str, tau: Any) -> None:
    """Raise unless ``tau`` is > 0 ms: finite, or ``math.inf`` (a trace that never decays)."""
    try:
        value = float(tau)
    except (TypeError, ValueError):
        raise SpikenetError(f"{name} must be a number > 0 (math.inf: never decays); got {tau!r}") from None
    if not value > 0 or math.isnan(value):
        raise SpikenetError(f"{name} must be > 0 (math.inf: never decays); got {tau!r}")


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
            require_time_constant(f"{name}.{kind}[{trace!r}] (time constant, ms)", tau)
    if getattr(rule, "on_step", None) is not None and callable(rule.on_step):
        if on_step_takes_context(rule):
            require_time_constant(f"{name}.modulator_tau (ms)", getattr(rule, "modulator_tau", math.inf))
        else:
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
