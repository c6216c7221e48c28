"""Which spikenet neuron model stands for which NIR neuron node (used by :mod:`spikenet.nir`).

``spikenet`` imports no concrete neuron model (see ARCHITECTURE.md), so the models that carry
NIR's neuron semantics register themselves here: ``neurons/nir_models.py`` registers LIF,
CubaLIF, IF, LI, I, CubaLI and Threshold, and is found through the ``spikenet.nir`` entry
point of the installed distribution (``pyproject.toml``) the first time an import or export
needs a conversion. A user can register a conversion for their own model the same way
(:func:`register_neuron_node`). This module imports neither ``nir`` nor ``h5py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from typing import Any, Callable

from spikenet.validation import SpikenetError

ENTRY_POINT_GROUP = "spikenet.nir"


@dataclass(frozen=True)
class NodeContext:
    """What a conversion needs besides the node or model.

    node : str
        The NIR node's name (for error messages).
    size : int
        Number of neurons (the node's flattened shape).
    ms_per_unit : float
        Milliseconds per time unit of the graph (1000 for a graph in seconds, 1 in ms).
    reset_mode : str
        ``"value"`` (NIR 1.0.8: v <- v_reset) or ``"subtract"`` (v <- v - (v_threshold - v_reset)).
    shape : tuple
        The node's shape in the graph (export writes parameter arrays of this shape).
    """

    node: str
    size: int
    ms_per_unit: float
    reset_mode: str = "value"
    shape: tuple = ()


@dataclass(frozen=True)
class NeuronNodeConversion:
    """A NIR neuron node type and the spikenet model that implements it.

    nir_type : the NIR class name (``"LIF"``).
    model_type : the spikenet model class.
    from_node : ``(nir_node, NodeContext) -> model``.
    to_node : ``(model, NodeContext) -> nir_node``.
    spiking : whether the node emits spikes (LI, I and CubaLI output their potential instead).
    dirac_target : the state variable a Dirac spike jumps (``"v"`` or ``"i"``; None when the node
        takes only the held one-step reading, as Threshold).
    dirac_factor : ``(model, ms_per_unit) -> array`` jump per unit of NIR edge weight under the
        Dirac reading, per neuron.
    """

    nir_type: str
    model_type: type
    from_node: Callable[[Any, NodeContext], Any]
    to_node: Callable[[Any, NodeContext], Any]
    spiking: bool
    dirac_target: str | None
    dirac_factor: Callable[[Any, float], Any] | None


_BY_NIR_TYPE: dict[str, NeuronNodeConversion] = {}
_BY_MODEL_TYPE: dict[type, NeuronNodeConversion] = {}
_PLUGINS_LOADED = False


def register_neuron_node(conversion: NeuronNodeConversion) -> None:
    """Register (or replace) the model of one NIR neuron node type."""
    if not isinstance(conversion, NeuronNodeConversion):
        raise SpikenetError(f"register_neuron_node takes a NeuronNodeConversion; got {type(conversion).__name__}")
    _BY_NIR_TYPE[conversion.nir_type] = conversion
    _BY_MODEL_TYPE[conversion.model_type] = conversion


def _load_plugins() -> None:
    global _PLUGINS_LOADED
    if _PLUGINS_LOADED:
        return
    _PLUGINS_LOADED = True
    for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        register = entry_point.load()
        register()


def conversion_for_nir_type(nir_type: str) -> NeuronNodeConversion | None:
    """The registered conversion of a NIR node type, or None."""
    if nir_type not in _BY_NIR_TYPE:
        _load_plugins()
    return _BY_NIR_TYPE.get(nir_type)


def conversion_for_model(model: Any) -> NeuronNodeConversion | None:
    """The registered conversion of a spikenet model instance, or None."""
    if type(model) not in _BY_MODEL_TYPE:
        _load_plugins()
    return _BY_MODEL_TYPE.get(type(model))


def registered_nir_types() -> list[str]:
    """NIR neuron node types with a registered model."""
    _load_plugins()
    return sorted(_BY_NIR_TYPE)
