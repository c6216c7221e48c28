"""Compile-time checks of user-supplied neuron models and plasticity rules.

:func:`check_user_models` traces every method the engine will call once with :func:`jax.eval_shape`
(shapes and dtypes only, no computation) and raises :class:`~spikenet.validation.SpikenetError`
naming the population or projection, the method, and what was expected and what came back — a
mistake in a model (an integer ``spiked``, a missing state key, a rule returning only the weight)
is reported here instead of as a JAX traceback or as silently wrong spikes.
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from spikenet.neuron_protocol import SynapticDrive
from spikenet.plasticity import StepContext, on_step_takes_context
from spikenet.synapses import Delta
from spikenet.validation import SpikenetError

WIDTH = 3  # synapses per row (on_pre) or column (on_post) in the traced rule calls: any small width


def _category(value: Any) -> str | None:
    """'floating', 'integer' or 'bool' for an array or Python number; None for anything else."""
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "floating"
    dtype = getattr(value, "dtype", None)
    if dtype is None or not hasattr(value, "shape"):
        return None
    for category, kind in (("bool", jnp.bool_), ("integer", jnp.integer), ("floating", jnp.floating)):
        if jnp.issubdtype(dtype, kind):
            return category
    return str(dtype)


def _describe(value: Any) -> str:
    """A short description of a returned value, e.g. ``int32 array of shape (100,)``."""
    if value is None:
        return "None"
    if isinstance(value, dict):
        return f"a dict with keys {sorted(map(str, value))}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} item{'' if len(value) == 1 else 's'}"
    if isinstance(value, (bool, int, float)):
        return f"a Python {type(value).__name__}"
    if _category(value) is None:
        return f"a {type(value).__name__}"
    shape = tuple(np.shape(value))
    return f"{np.dtype(value.dtype).name} scalar" if shape == () else f"{np.dtype(value.dtype).name} array of shape {shape}"


def _brief(error: Exception) -> str:
    """``Type: message``; only the first line (at most 300 characters) unless it is a SpikenetError."""
    text = str(error).strip()
    if not isinstance(error, SpikenetError):
        text = (text.splitlines() or [""])[0][:300]
    return f"{type(error).__name__}: {text}"


def _fail(where: str, label: str, message: str) -> None:
    raise SpikenetError(f"{where}: {label} {message}")


def _trace(where: str, label: str, function: Callable, check: Callable[[Any], None], *args: Any) -> None:
    """Trace ``function(*args)`` abstractly and run ``check`` on its raw output inside the trace;
    an exception from ``function`` becomes a SpikenetError naming ``where`` and ``label``."""

    def traced(*arguments: Any) -> None:
        try:
            out = function(*arguments)
        except Exception as error:  # the user's code: report it, whatever it is
            raise SpikenetError(f"{where}: {label} raised {_brief(error)} (traced with shapes only)") from None
        check(out)

    try:
        jax.eval_shape(traced, *args)
    except SpikenetError as failure:  # without the JAX frames and causes attached on the way out
        raise SpikenetError(str(failure)) from None
    except Exception as error:
        raise SpikenetError(f"{where}: {label} could not be checked: {_brief(error)}") from None


def _struct(shape: tuple, dtype: Any) -> jax.ShapeDtypeStruct:
    return jax.ShapeDtypeStruct(shape, dtype)


# -- neuron models ------------------------------------------------------------------------------
def _state_structs(population: Any, dtype: Any, dt: float) -> dict[str, jax.ShapeDtypeStruct]:
    """The engine's state of ``population``: (size,) arrays, floating in ``dtype``, the rest int32."""
    where, name = f"population {population.name!r}", type(population.model).__name__
    try:
        state = population.model.initial_state(population.size, dt)
    except Exception as error:
        raise SpikenetError(f"{where}: model {name}.initial_state raised {_brief(error)}") from None
    if not isinstance(state, dict) or not state:
        raise SpikenetError(f"{where}: model {name}.initial_state must return a non-empty dict of arrays; got {_describe(state)}")
    structs = {}
    for key, value in state.items():
        array = np.asarray(value)
        if array.shape != (population.size,):
            raise SpikenetError(f"{where}: model {name}.initial_state must return arrays of shape ({population.size},); "
                                f"got {array.dtype.name} array of shape {array.shape} for {key!r}")
        structs[key] = _struct((population.size,), dtype if np.issubdtype(array.dtype, np.floating) else np.int32)
    return structs


def _state_check(where: str, label: str, expected: dict, size: int, thing: str = "the state") -> Callable[[Any], None]:
    """A check that a returned state has the keys, shapes and dtype kinds of ``expected``."""

    def check(returned: Any) -> None:
        if not isinstance(returned, dict):
            _fail(where, label, f"must return {thing} as a dict of state variables {sorted(expected)}; got {_describe(returned)}")
        missing, extra = sorted(set(expected) - set(returned)), sorted(set(returned) - set(expected), key=str)
        if missing:
            _fail(where, label, f"must return {thing} with every state variable; missing {missing} "
                                f"(state variables: {sorted(expected)})")
        if extra:
            _fail(where, label, f"returned {thing} with unknown state variable(s) {extra}; state variables: {sorted(expected)}")
        for key, struct in expected.items():
            value = returned[key]
            wanted = "floating" if jnp.issubdtype(struct.dtype, jnp.floating) else "integer"
            if _category(value) != wanted or tuple(np.shape(value)) != (size,):
                _fail(where, label, f"must return {thing} with {key!r} a {wanted} array of shape ({size},) "
                                    f"(like {np.dtype(struct.dtype).name}); got {_describe(value)}")

    return check


def _check_neuron(population: Any, dtype: Any, dt: float, delta_targets: set[str]) -> dict:
    """Trace update, threshold, reset (and apply_delta for Delta-synapse targets) of one population;
    returns its state's structure."""
    model, size = population.model, population.size
    where, name = f"population {population.name!r}", f"model {type(model).__name__}"
    state = _state_structs(population, dtype, dt)
    drive = SynapticDrive(_struct((size,), dtype), _struct((size,), dtype))
    _trace(where, f"{name}.update", lambda s, d: model.update(s, d, dt), _state_check(where, f"{name}.update", state, size),
           state, drive)

    def threshold_check(out: Any) -> None:
        label = f"{name}.threshold"
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            _fail(where, label, f"must return (state, spiked); got {_describe(out)}")
        _state_check(where, label, state, size, "the state of (state, spiked)")(out[0])
        spiked = out[1]
        if _category(spiked) != "bool" or tuple(np.shape(spiked)) != (size,):
            _fail(where, label,
                  f"must return (state, spiked) with spiked a bool array of shape ({size},); got {_describe(spiked)}")

    _trace(where, f"{name}.threshold", lambda s: model.threshold(s, dt), threshold_check, state)
    _trace(where, f"{name}.reset", model.reset, _state_check(where, f"{name}.reset", state, size),
           state, _struct((size,), np.bool_))
    if callable(getattr(model, "apply_delta", None)):
        for variable in sorted(delta_targets):
            label = f"{name}.apply_delta (variable {variable!r})"
            _trace(where, label, lambda s, i, v=variable: model.apply_delta(s, v, i), _state_check(where, label, state, size),
                   state, _struct((size,), dtype))
    return state


# -- plasticity rules ---------------------------------------------------------------------------
def _traces_check(where: str, label: str, kind: str, returned: Any, declared: dict, shape: tuple) -> None:
    """Returned ``kind`` traces: a dict of declared names, each floating, a scalar or of ``shape``."""
    if not isinstance(returned, dict):
        _fail(where, label, f"must return a dict of {kind} traces; got {_describe(returned)}")
    for key, value in returned.items():
        if key not in declared:
            _fail(where, label, f"returned unknown {kind} trace {key!r}; declared {kind}_traces: {sorted(declared)}")
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number and (_category(value) != "floating" or tuple(np.shape(value)) not in ((), shape)):
            wanted = "a floating scalar" if shape == () else f"a floating scalar or array of shape {shape}"
            _fail(where, label, f"must return {kind} trace {key!r} as {wanted}; got {_describe(value)}")


def _weight_check(where: str, label: str, weight: Any, shape: tuple, broadcast: bool) -> None:
    """The returned weight: floating, a scalar or of ``shape`` (``broadcast``: anything broadcastable to it)."""
    number = isinstance(weight, (int, float)) and not isinstance(weight, bool)
    wanted = f"broadcastable to {shape}" if broadcast else f"a scalar or of shape {shape}"
    ok = number or _category(weight) == "floating"
    if ok and not number:
        try:
            ok = np.broadcast_shapes(tuple(np.shape(weight)), shape) == shape if broadcast else np.shape(weight) in ((), shape)
        except ValueError:
            ok = False
    if not ok:
        _fail(where, label, f"must return a floating weight {wanted}; weight 'weight' has shape {tuple(np.shape(weight))} "
                            f"({_describe(weight)})")


def _result_check(where: str, label: str, out: Any, names: tuple[str, ...]) -> None:
    if not isinstance(out, (tuple, list)) or len(out) != len(names):
        got = (f"a single array ({_describe(out)})" if _category(out) is not None and not isinstance(out, (tuple, list))
               else _describe(out))
        _fail(where, label, f"must return ({', '.join(names)}); got {got}")


def _check_rule(projection: Any, dtype: Any, dt: float, post_state: dict) -> None:
    """Trace on_pre, on_post and on_step (if any) of one projection's rule."""
    rule, k = projection.plasticity, WIDTH
    where, name = f"projection {projection.name!r}", f"rule {type(rule).__name__}"
    pre, post, synapse = (dict(getattr(rule, kind)) for kind in ("pre_traces", "post_traces", "synapse_traces"))
    row, scalar = _struct((k,), dtype), _struct((), dtype)

    def event_check(method: str, own: str, own_traces: dict) -> Callable[[Any], None]:
        label = f"{name}.{method}"

        def check(out: Any) -> None:
            _result_check(where, label, out, ("weight", f"{own}_traces", "synapse_traces"))
            _weight_check(where, label, out[0], (k,), broadcast=False)
            _traces_check(where, label, own, out[1], own_traces, ())
            _traces_check(where, label, "synapse", out[2], synapse, (k,))

        return check

    _trace(where, f"{name}.on_pre", rule.on_pre, event_check("on_pre", "pre", pre), row, {t: scalar for t in pre},
           {t: row for t in post}, {t: row for t in synapse})
    _trace(where, f"{name}.on_post", rule.on_post, event_check("on_post", "post", post), row, {t: row for t in pre},
           {t: scalar for t in post}, {t: row for t in synapse})
    if not callable(getattr(rule, "on_step", None)):
        return
    n_pre, n_post = projection.pre.size, projection.post.size
    grid = (n_pre + 1, k)
    label = f"{name}.on_step"

    def step_check(out: Any) -> None:
        _result_check(where, label, out, ("weight", "synapse_traces"))
        _weight_check(where, label, out[0], grid, broadcast=True)
        _traces_check(where, label, "synapse", out[1], synapse, grid)

    arguments = [_struct(grid, dtype), {t: _struct(grid, dtype) for t in synapse}, scalar]
    if on_step_takes_context(rule):
        pre_traces = {t: _struct((n_pre + 1,), dtype) for t in pre}
        post_traces = {t: _struct((n_post + 1,), dtype) for t in post}
        arrays = (pre_traces, post_traces, pre_traces, post_traces, post_state, _struct((n_pre,), np.bool_),
                  _struct((n_post,), np.bool_), _struct((), np.int32), _struct(grid, np.int32))
        _trace(where, label, lambda w, s, m, c: rule.on_step(w, s, m, dt, StepContext(*c, n_post=n_post)), step_check,
               *arguments, arrays)
    else:
        _trace(where, label, lambda w, s, m: rule.on_step(w, s, m, dt), step_check, *arguments)


def check_user_models(network: Any, dtype: Any) -> None:
    """Check every non-source population's neuron model and every plastic projection's rule once,
    by tracing their methods with :func:`jax.eval_shape` in the engine's ``dtype`` (np.float32 or
    np.float64; call float64 checks under ``jax.enable_x64``). ``network`` is a :class:`Network` or
    a :class:`CompiledNetwork`. Raises :class:`SpikenetError` naming the population or projection,
    the method, what was expected and what came back."""
    populations = network.populations
    populations = list(populations.values()) if isinstance(populations, dict) else list(populations)
    projections, dt = list(network.projections), float(network.dt)
    delta_targets: dict[str, set[str]] = {}
    for projection in projections:
        if isinstance(projection.synapse, Delta):
            delta_targets.setdefault(projection.post.name, set()).add(projection.synapse.target)
    states = {}
    for population in populations:
        if not population.is_source:
            states[population.name] = _check_neuron(population, dtype, dt, delta_targets.get(population.name, set()))
    for projection in projections:
        if projection.plasticity is not None:
            _check_rule(projection, dtype, dt, states[projection.post.name])
