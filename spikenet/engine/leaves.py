"""Model and rule parameters as traced arguments ("leaves") of the compiled step.

Neuron models, synapses and plasticity rules are frozen dataclasses whose methods read their
parameters as attributes. The step receives a copy of each whose floating-point fields are
arrays passed to the compiled function, so that a run can change them without recompiling.
A field becomes a leaf only if the object's methods still trace with it as an array (a field
used in Python control flow or in ``math.floor``, such as LIF's refractory period, stays a
constant); everything that is not a leaf is part of the compiled function's signature, so a
change to it compiles a new function instead of running a stale one.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

_LEAF_NAMES: dict[tuple, tuple[str, ...]] = {}


def float_fields(obj: Any) -> list[str]:
    """Dataclass fields of ``obj`` holding a float or a floating-point array (not bool or int)."""
    if not dataclasses.is_dataclass(obj):
        return []
    names = []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name, None)
        if isinstance(value, (bool, np.bool_)):
            continue
        if isinstance(value, (float, np.floating)) or (isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating)):
            names.append(f.name)
    return names


def with_leaves(obj: Any, leaves: dict[str, Any]) -> Any:
    """A shallow copy of ``obj`` whose fields ``leaves`` hold the given (traced) values; no
    ``__init__`` runs (values were checked on the host copy)."""
    if not leaves:
        return obj
    twin = copy.copy(obj)
    for name, value in leaves.items():
        object.__setattr__(twin, name, value)
    return twin


def leaf_names(obj: Any, probe: Callable[[Any], None], dtype: Any, key: Any = None) -> tuple[str, ...]:
    """The float fields of ``obj`` that trace as arrays: ``probe(twin)`` runs the object's methods
    under ``jax.eval_shape`` (it raises if they do not trace). All fields are tried at once, then
    one by one if that fails. Cached per type, field set and ``key``."""
    candidates = float_fields(obj)
    cache_key = (type(obj), tuple(candidates), np.dtype(dtype).name, key,
                 tuple(np.shape(getattr(obj, n)) for n in candidates))
    if cache_key in _LEAF_NAMES:
        return _LEAF_NAMES[cache_key]

    def traces(names: list[str]) -> bool:
        structs = {n: jax.ShapeDtypeStruct(np.shape(getattr(obj, n)), dtype) for n in names}
        try:
            jax.eval_shape(lambda values: probe(with_leaves(obj, values)), structs)
        except Exception:  # noqa: BLE001 - any failure to trace makes the field a constant
            return False
        return True

    if not candidates or not traces([]):
        chosen: list[str] = []  # the methods do not trace at all: the compile-time checks report it
    elif traces(candidates):
        chosen = candidates
    else:
        chosen = [n for n in candidates if traces([n])]
        if chosen and not traces(chosen):
            chosen = []
    _LEAF_NAMES[cache_key] = tuple(chosen)
    return tuple(chosen)


def leaf_values(obj: Any, names: tuple[str, ...], dtype: Any) -> dict[str, np.ndarray]:
    """The host values of the leaf fields, in the run's precision."""
    return {n: np.asarray(getattr(obj, n), dtype=dtype) for n in names}


def _fingerprint(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return ("array", value.shape, value.dtype.str, hashlib.sha1(np.ascontiguousarray(value).tobytes()).hexdigest())
    if isinstance(value, dict):
        return tuple((k, _fingerprint(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return tuple(_fingerprint(v) for v in value)
    if isinstance(value, (jax.Array, jnp.ndarray)):
        return _fingerprint(np.asarray(value))
    try:
        hash(value)
        return value
    except TypeError:
        return repr(value)


def signature(obj: Any, leaves: tuple[str, ...]) -> tuple:
    """What the compiled step bakes in of ``obj``: its type and every attribute that is not a leaf."""
    attributes = dict(vars(obj)) if hasattr(obj, "__dict__") else {}
    return (type(obj),) + tuple((k, _fingerprint(v)) for k, v in sorted(attributes.items()) if k not in leaves)
