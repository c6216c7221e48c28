r"""NIR in and out: run a network trained in snnTorch, Norse, Sinabs or Rockpool on the event engine.

NIR, the Neuromorphic Intermediate Representation (Pedersen et al., *Nature Communications* 15,
8122 (2024); the ``nir`` package, 1.0.x), stores a spiking network as a graph of nodes in an HDF5
file. :func:`from_nir` turns such a graph into a :class:`spikenet.Network`, :func:`to_nir` a
network into a graph; :func:`read` and :func:`write` handle files, :func:`simulate` runs an
imported network on input spikes given per NIR step.

What maps to what
-----------------
========================================  =================================================================
NIR node                                  spikenet
========================================  =================================================================
``Input``                                 a spike source (empty; spikes come from :func:`simulate`)
``LIF``, ``CubaLIF``, ``IF``, ``LI``,     a population of ``neurons.NIRLIF``, ``NIRCubaLIF``, ``NIRIF``,
``I``, ``CubaLI``, ``Threshold``          ``NIRLI``, ``NIRI``, ``NIRCubaLI``, ``NIRThreshold`` (exact
                                          integration; see ``neurons/nir_models.py``)
``Affine``, ``Linear``, ``Scale``         synapses (one per non-zero weight), event-driven from the source
``Conv1d``, ``Conv2d``, ``SumPool2d``,    synapses with the shared weights expanded per position
``AvgPool2d``, ``Flatten``                (:mod:`spikenet.nir_layers`; memory: one synapse per non-zero tap)
chains of the above                       composed into one synapse list per (source, target) node pair
``Affine``/``Conv`` bias                  a constant current into the target (pA), from the graph's t = 0
``Delay``                                 synaptic delay, rounded to the dt grid only if it lies on it
recurrent edges, nested ``NIRGraph``      supported (a cycle must pass through a neuron node)
``Output``                                recorded: spikes of a spiking node, v of LI/I/CubaLI, or a linear
                                          read-out of either computed on the host
========================================  =================================================================

Refused with an error naming the node: node types outside NIR 1.0, a non-spiking node (LI, I,
CubaLI) feeding anything but an ``Output`` (its output is a continuous value, spikenet delivers
spikes), cycles through linear nodes only, edges whose shapes disagree, delays off the dt grid.
On export: conductance or current-exponential synapses, plasticity, Poisson input, currents
other than a bias, custom initial values, neuron models without a NIR node, and per-synapse
delays that are not one delay per source or per target channel.

Time, units and the two readings of a spike
-------------------------------------------
NIR is unitless and does not store dt. ``dt`` is a required argument in ms, never guessed;
``time_unit`` says what the graph's time constants and delays are in (``"s"``, as snnTorch,
Norse and Sinabs write them, or ``"ms"``). Voltages are read as mV and currents as pA.

``spike_input="step"`` (default; the discrete-time reading of the NIR paper's exact LIF
simulation and of Norse): an input spike in step k, or a spike of a neuron node, through an edge
of weight w is a current w held over one step; the engine delivers it through ``Delta("s")``
into the node's held input ``s``, which the model integrates exactly over the next step.
``spike_input="dirac"`` (NIR's continuous-time definition): a spike is a Dirac pulse w δ(t), a
jump ``R w / tau`` of v (LIF, LI), ``R w`` (IF, I) or ``w_in w / tau_syn`` of the current
(CubaLIF, CubaLI), delivered through ``Delta("v")`` / ``Delta("i")``.

Timing. An imported network starts one step before the graph's t = 0 (a *lead-in* step in which
nothing but the delivery of step-0 input happens; biases start after it): the graph's step k is
the network's step k + 1. An input spike of step k is emitted by the source in network step k, so
it acts over graph step k exactly as the NIR paper's exact solution has it (the paper's single-LIF
graph spikes at steps 460, 510, 710, 760). A neuron's spike in graph step k acts on its targets
over step k + 1: the engine is causal, a spike is known at the end of its step. Simulators that
let a spike act on the next layer within the same step (snnTorch, Norse) therefore run each
feed-forward layer one step earlier than spikenet; recurrent edges agree.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from spikenet import nir_registry
from spikenet.connectivity import FromIndices
from spikenet.monitors import SpikeMonitor, StateMonitor
from spikenet.network import Network
from spikenet.sources import SpikeSource
from spikenet.synapses import Delta
from spikenet.nir_layers import conv_matrix, dense_macs_conv, dense_macs_pool, pool_matrix
from spikenet.validation import SpikenetError

TIME_UNITS = {"s": 1000.0, "ms": 1.0}
SPIKE_INPUTS = ("step", "dirac")
RESET_MODES = ("value", "subtract")
LEAD_IN_STEPS = 1
DT_RANGE_MS = (1e-3, 100.0)
LINEAR_TYPES = ("Affine", "Linear", "Scale", "Conv1d", "Conv2d", "SumPool2d", "AvgPool2d", "Flatten")
NEURON_TYPES = ("LIF", "CubaLIF", "IF", "LI", "I", "CubaLI", "Threshold")
NODE_TYPES = ("Input", "Output", "NIRGraph", "Delay") + LINEAR_TYPES + NEURON_TYPES
# Fields each node type must carry in a file (nir 1.0.8, nir/serialization.py: read_node).
REQUIRED_FIELDS = {
    "Affine": ("weight", "bias"), "Linear": ("weight",), "Scale": ("scale",),
    "Conv1d": ("weight", "stride", "padding", "dilation", "groups", "bias"),
    "Conv2d": ("weight", "stride", "padding", "dilation", "groups", "bias"),
    "SumPool2d": ("kernel_size", "stride", "padding"), "AvgPool2d": ("kernel_size", "stride", "padding"),
    "Flatten": ("start_dim", "end_dim"), "Delay": ("delay",), "Input": ("shape",), "Output": ("shape",),
    "LIF": ("tau", "r", "v_leak", "v_threshold"), "CubaLIF": ("tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "w_in"),
    "IF": ("r", "v_threshold"), "LI": ("tau", "r", "v_leak"), "I": ("r",),
    "CubaLI": ("tau_syn", "tau_mem", "r", "v_leak", "w_in"), "Threshold": ("threshold",), "NIRGraph": ("nodes", "edges"),
}
# The field whose shape is the node's shape.
SHAPE_FIELD = {"LIF": "v_threshold", "CubaLIF": "v_threshold", "IF": "v_threshold", "LI": "tau", "I": "r", "CubaLI": "tau_mem",
               "Threshold": "threshold"}


# -- files ----------------------------------------------------------------------------------------


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for part in text.split(".")[:3]:
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def _name(value: Any) -> str:
    return value.decode("utf8", "replace") if isinstance(value, bytes) else str(value)


def _check_group(group: Any, where: str, path: Path) -> None:
    import h5py

    if not isinstance(group, h5py.Group):
        raise SpikenetError(f"{path}: {where} is not a group (a NIR node is an HDF5 group)")
    if "type" not in group:
        raise SpikenetError(f"{path}: {where} has no 'type' field")
    type_item = group["type"]
    node_type = type_item[()] if isinstance(type_item, h5py.Dataset) and type_item.shape == () else None
    if not isinstance(node_type, (bytes, str)):
        raise SpikenetError(f"{path}: {where}: field 'type' must be a string dataset (the node type)")
    node_type = node_type.decode("utf8", "replace") if isinstance(node_type, bytes) else node_type
    if node_type not in REQUIRED_FIELDS:
        raise SpikenetError(f"{path}: {where} has unknown node type {node_type!r}; NIR 1.0 node types: {', '.join(NODE_TYPES)}")
    missing = [name for name in REQUIRED_FIELDS[node_type] if name not in group]
    if missing:
        raise SpikenetError(f"{path}: {where} ({node_type}) lacks field(s) {', '.join(map(repr, missing))}")
    for name, item in group.items():
        if isinstance(item, h5py.Dataset):
            item[()]  # reads every value: a truncated file fails here, naming the field below
    if node_type in NEURON_TYPES:
        reference = SHAPE_FIELD[node_type]
        for name in REQUIRED_FIELDS[node_type] + ("v_reset",):
            if name in group and getattr(group[name], "shape", None) != group[reference].shape:
                raise SpikenetError(f"{path}: {where} ({node_type}): field {name!r} has shape {group[name].shape} but "
                                    f"{reference!r} has shape {group[reference].shape}; a neuron node's parameters share one shape")
    if node_type == "NIRGraph":
        nodes = group["nodes"]
        if not isinstance(nodes, h5py.Group):
            raise SpikenetError(f"{path}: {where}/nodes is not a group")
        for name in nodes:
            _check_group(nodes[name], f"{where}/nodes/{name}", path)
        edges = np.asarray(group["edges"][()])
        if edges.size and (edges.ndim != 2 or edges.shape[1] != 2):
            raise SpikenetError(f"{path}: {where}/edges must be a list of (source, target) name pairs; got shape {edges.shape}")
        if not all(isinstance(item, (bytes, str)) for item in edges.ravel()):
            raise SpikenetError(f"{path}: {where}/edges must hold node names (strings); got {edges.dtype} values")
        for source, target in edges.reshape(-1, 2):
            for end in (source, target):
                end = end.decode("utf8", "replace") if isinstance(end, bytes) else end
                head = end.split(".")[0]
                if end not in nodes and not (head in nodes and "." in end and isinstance(nodes[head], h5py.Group)
                                             and "nodes" in nodes[head]):
                    raise SpikenetError(f"{path}: {where}/edges: edge {(_name(source), _name(target))!r} names node {end!r}, "
                                        f"which is not in {where}/nodes ({', '.join(sorted(nodes))})")


def read(path: str | Path) -> Any:
    """Read a NIR file (HDF5, NIR 1.x) into a ``nir.NIRGraph``, checking it first.

    A missing, truncated or malformed file, an unknown node type, a missing field or another
    major version is a :class:`SpikenetError` naming the file and the node."""
    import h5py
    import nir

    path = Path(path)
    if not path.is_file():
        raise SpikenetError(f"{path}: no such NIR file")
    try:
        with h5py.File(path, "r") as handle:
            if "version" not in handle:
                raise SpikenetError(f"{path}: no 'version' field; not a NIR file")
            version = handle["version"][()]
            version = version.decode("utf8", "replace") if isinstance(version, bytes) else str(version)
            if _version_tuple(version)[:1] != (1,):
                raise SpikenetError(f"{path}: NIR version {version!r}; spikenet reads NIR 1.x files (nir {nir.version})")
            if "node" not in handle:
                raise SpikenetError(f"{path}: no 'node' group; not a NIR file")
            _check_group(handle["node"], "node", path)
    except SpikenetError:
        raise
    except Exception as error:  # h5py/OSError on a truncated or foreign file, KeyError on odd layouts
        raise SpikenetError(f"{path}: not a readable NIR file: {type(error).__name__}: {error}") from None
    try:
        graph = nir.read(path, type_check=False)  # spikenet checks shapes itself (nir 1.0.8 infers some conv shapes wrongly)
    except Exception as error:
        raise SpikenetError(f"{path}: the nir package could not build the graph: {type(error).__name__}: {error}") from None
    if not isinstance(graph, nir.NIRGraph):
        raise SpikenetError(f"{path}: the root node is a {type(graph).__name__}, not a NIRGraph")
    return graph


def write(path: str | Path, graph_or_network: Any, time_unit: str = "s") -> Path:
    """Write a ``nir.NIRGraph`` (or a network, exported with :func:`to_nir`) to ``path``,
    through a temporary file renamed into place (never a half-written file)."""
    import nir

    graph = graph_or_network if isinstance(graph_or_network, nir.NIRGraph) else to_nir(graph_or_network, time_unit=time_unit)
    path = Path(path)
    if not path.parent.is_dir():
        raise SpikenetError(f"{path}: cannot write the NIR file: directory {path.parent} does not exist")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise SpikenetError(f"{path}: cannot write the NIR file: {error.strerror or error}") from None
    os.close(handle)
    try:
        nir.write(temporary, graph)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path


# -- the flattened graph --------------------------------------------------------------------------


@dataclass
class _Graph:
    nodes: dict[str, Any] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)  # input, output, neuron, linear, identity, delay
    edges: list[tuple[str, str]] = field(default_factory=list)
    subgraphs: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)

    def successors(self, name: str) -> list[str]:
        return [b for a, b in self.edges if a == name]

    def predecessors(self, name: str) -> list[str]:
        return [a for a, b in self.edges if b == name]


def _type_name(node: Any) -> str:
    return type(node).__name__


def _flatten(graph: Any, prefix: str, flat: _Graph, top: bool) -> tuple[list[str], list[str]]:
    import nir

    inputs, outputs = [], []
    if not isinstance(getattr(graph, "nodes", None), dict):
        raise SpikenetError(f"NIR graph {prefix[:-1] or '(root)'!r} has no dict of nodes")
    for name, node in graph.nodes.items():
        full = prefix + str(name)
        if isinstance(node, nir.NIRGraph):
            flat.subgraphs[full] = _flatten(node, full + ".", flat, top=False)
            continue
        node_type = _type_name(node)
        if node_type not in NODE_TYPES:
            raise SpikenetError(f"NIR node {full!r} has type {node_type!r}, which spikenet does not import; "
                                f"supported: {', '.join(NODE_TYPES)}")
        flat.nodes[full] = node
        if node_type == "Input":
            flat.kinds[full] = "input" if top else "identity"
            inputs.append(full)
        elif node_type == "Output":
            flat.kinds[full] = "output" if top else "identity"
            outputs.append(full)
        elif node_type in NEURON_TYPES:
            flat.kinds[full] = "neuron"
        elif node_type == "Delay":
            flat.kinds[full] = "delay"
        else:
            flat.kinds[full] = "linear"
    for edge in graph.edges:
        if len(edge) != 2:
            raise SpikenetError(f"NIR graph {prefix[:-1] or '(root)'!r}: edge {edge!r} is not a (source, target) pair")
        a, b = (str(e.decode() if isinstance(e, bytes) else e) for e in edge)
        flat.edges.append((_endpoint(prefix, a, "source", flat, edge), _endpoint(prefix, b, "target", flat, edge)))
    return inputs, outputs


def _endpoint(prefix: str, name: str, role: str, flat: _Graph, edge: Any) -> str:
    full = prefix + name
    if full in flat.subgraphs:
        inner_inputs, inner_outputs = flat.subgraphs[full]
        candidates = inner_outputs if role == "source" else inner_inputs
        if len(candidates) != 1:
            raise SpikenetError(f"NIR edge {tuple(edge)!r} in graph {prefix[:-1] or '(root)'!r}: subgraph {full!r} has "
                                f"{len(candidates)} {'Output' if role == 'source' else 'Input'} nodes; name one ({candidates})")
        return candidates[0]
    if full not in flat.nodes:
        raise SpikenetError(f"NIR edge {tuple(edge)!r} in graph {prefix[:-1] or '(root)'!r}: no node named {name!r}")
    return full


# -- shapes ---------------------------------------------------------------------------------------


def _array(node_name: str, node: Any, field_name: str, dtype: Any = np.float64) -> np.ndarray:
    value = getattr(node, field_name, None)
    if value is None:
        raise SpikenetError(f"NIR node {node_name!r} ({_type_name(node)}) has no field {field_name!r}")
    try:
        array = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError):
        raise SpikenetError(f"NIR node {node_name!r} ({_type_name(node)}): field {field_name!r} is not numeric") from None
    if np.issubdtype(array.dtype, np.floating) and not np.all(np.isfinite(array)):
        raise SpikenetError(f"NIR node {node_name!r} ({_type_name(node)}): field {field_name!r} has non-finite values")
    return array


def _declared_shape(value: Any) -> tuple[int, ...] | None:
    if value is None:
        return None
    array = np.asarray(value)
    if array.dtype == object or np.any(array == None):  # noqa: E711 (nir uses None for unknown dimensions)
        return None
    return tuple(int(x) for x in array.ravel())


def _shapes(flat: _Graph) -> tuple[dict[str, tuple], dict[str, tuple]]:
    """Input and output shape of every node, from the nodes and propagated along edges."""
    shape_in: dict[str, tuple] = {}
    shape_out: dict[str, tuple] = {}
    for name, node in flat.nodes.items():
        kind, node_type = flat.kinds[name], _type_name(node)
        if node_type == "Input":
            declared = _declared_shape(node.input_type.get("input"))
            if declared is not None:
                shape_in[name] = shape_out[name] = declared
        elif node_type == "Output":
            declared = _declared_shape(node.output_type.get("output"))
            if declared is not None:
                shape_in[name] = shape_out[name] = declared
        elif kind == "neuron":
            shape = _array(name, node, SHAPE_FIELD[node_type]).shape
            if int(np.prod(shape)) > 1:
                shape_in[name] = shape_out[name] = shape
        elif node_type in ("Affine", "Linear"):
            weight = _array(name, node, "weight")
            if weight.ndim != 2:
                raise SpikenetError(f"NIR node {name!r} ({node_type}): weight must be 2-D (out, in); got shape {weight.shape}")
            shape_in[name], shape_out[name] = (weight.shape[1],), (weight.shape[0],)
        elif node_type == "Scale":
            shape_in[name] = shape_out[name] = _array(name, node, "scale").shape
        elif node_type == "Delay":
            shape_in[name] = shape_out[name] = _array(name, node, "delay").shape
        elif node_type in ("Conv1d", "Conv2d") and getattr(node, "input_shape", None) is not None:
            weight = _array(name, node, "weight")
            spatial = tuple(int(x) for x in np.atleast_1d(np.asarray(node.input_shape)))
            shape_in[name] = (int(weight.shape[1]) * int(np.asarray(node.groups)),) + spatial
    for _ in range(len(flat.nodes) + 1):
        changed = False
        for a, b in flat.edges:
            if a in shape_out and b not in shape_in:
                shape_in[b] = shape_out[a]
                changed = True
            if b in shape_in and b not in shape_out:
                shape_out[b] = _output_shape(b, flat.nodes[b], flat.kinds[b], shape_in[b])
                changed = True
        if not changed:
            break
    for name, kind in flat.kinds.items():
        if kind == "neuron" and name not in shape_in:
            shape_in[name] = shape_out[name] = (1,)
        if name not in shape_in or name not in shape_out:
            raise SpikenetError(f"NIR node {name!r} ({_type_name(flat.nodes[name])}): its shape cannot be inferred "
                                "(no declared shape and no edge from a node of known shape)")
    for a, b in flat.edges:
        if int(np.prod(shape_out[a])) != int(np.prod(shape_in[b])):
            raise SpikenetError(f"NIR edge {a!r} -> {b!r}: {a!r} outputs shape {shape_out[a]} ({int(np.prod(shape_out[a]))} values) "
                                f"but {b!r} ({_type_name(flat.nodes[b])}) takes shape {shape_in[b]} ({int(np.prod(shape_in[b]))} values)")
    return shape_in, shape_out


def _output_shape(name: str, node: Any, kind: str, shape_in: tuple) -> tuple:
    node_type = _type_name(node)
    if node_type in ("Conv1d", "Conv2d"):
        return _conv(name, node, shape_in)[1]
    if node_type in ("SumPool2d", "AvgPool2d"):
        return _pool(name, node, shape_in)[1]
    if node_type == "Flatten":
        return (int(np.prod(shape_in)),)
    return shape_in


def _conv(name: str, node: Any, shape_in: tuple) -> tuple[Any, tuple]:
    padding = node.padding
    if isinstance(padding, (bytes, np.bytes_)):
        padding = padding.decode()
    return conv_matrix(_array(name, node, "weight"), tuple(shape_in), node.stride, padding, node.dilation,
                       int(np.asarray(node.groups)), name)


def _pool(name: str, node: Any, shape_in: tuple) -> tuple[Any, tuple]:
    if len(shape_in) != 3:
        raise SpikenetError(f"NIR node {name!r} ({_type_name(node)}) takes (channels, height, width) input; got shape {shape_in}")
    kind = "sum" if _type_name(node) == "SumPool2d" else "avg"
    return pool_matrix(kind, node.kernel_size, node.stride, node.padding, tuple(shape_in), name)


# -- linear maps ----------------------------------------------------------------------------------


@dataclass
class _Linear:
    matrix: Any  # scipy.sparse csr (out, in)
    bias: np.ndarray | None
    delay_steps: np.ndarray | None  # per output channel, Delay nodes only
    dense_macs: int


def _linear(name: str, node: Any, kind: str, shape_in: tuple, dt: float, ms_per_unit: float) -> _Linear:
    from scipy import sparse

    node_type = _type_name(node)
    n_in = int(np.prod(shape_in))
    if kind == "identity" or node_type == "Flatten":
        return _Linear(sparse.identity(n_in, format="csr"), None, None, 0)
    if node_type == "Delay":
        delay_ms = _array(name, node, "delay").ravel() * ms_per_unit
        if np.any(delay_ms < 0):
            raise SpikenetError(f"NIR node {name!r} (Delay): delays must be >= 0; got {delay_ms.min() / ms_per_unit!r}")
        steps = np.round(delay_ms / dt)
        if np.any(np.abs(steps * dt - delay_ms) > 1e-6 * np.maximum(dt, delay_ms)):
            bad = float(delay_ms[np.argmax(np.abs(steps * dt - delay_ms))])
            raise SpikenetError(f"NIR node {name!r} (Delay): delay {bad:g} ms is not a multiple of dt = {dt:g} ms")
        return _Linear(sparse.identity(n_in, format="csr"), None, steps.astype(np.int64), 0)
    if node_type in ("Affine", "Linear"):
        weight = _array(name, node, "weight")
        bias = _array(name, node, "bias").ravel() if node_type == "Affine" else None
        if bias is not None and bias.size not in (1, weight.shape[0]):
            raise SpikenetError(f"NIR node {name!r} (Affine): bias has {bias.size} values for {weight.shape[0]} outputs")
        if bias is not None:
            bias = np.broadcast_to(bias, (weight.shape[0],)).copy()
        return _Linear(sparse.csr_matrix(weight), bias, None, int(weight.size))
    if node_type == "Scale":
        scale = _array(name, node, "scale").ravel()
        return _Linear(sparse.diags(scale, format="csr"), None, None, int(scale.size))
    if node_type in ("Conv1d", "Conv2d"):
        matrix, shape_out = _conv(name, node, shape_in)
        weight = _array(name, node, "weight")
        bias = _array(name, node, "bias").ravel()
        positions = int(np.prod(shape_out[1:]))
        if bias.size not in (1, shape_out[0]):
            raise SpikenetError(f"NIR node {name!r} ({node_type}): bias has {bias.size} values for {shape_out[0]} output channels")
        bias = np.repeat(np.broadcast_to(bias, (shape_out[0],)), positions)
        return _Linear(matrix, bias, None, dense_macs_conv(weight.shape, shape_out, int(np.asarray(node.groups))))
    if node_type in ("SumPool2d", "AvgPool2d"):
        matrix, shape_out = _pool(name, node, shape_in)
        return _Linear(matrix, None, None, dense_macs_pool(shape_out, node.kernel_size))
    raise SpikenetError(f"NIR node {name!r}: type {node_type!r} is not a linear node")  # pragma: no cover (kinds are checked)


# -- import ---------------------------------------------------------------------------------------


@dataclass
class OutputReadout:
    """How an ``Output`` node's value is obtained from a run.

    ``terms``: (source node, delay in steps, matrix (outputs x source size)) — the value in graph
    step k is ``sum(matrix @ signal[source][k - delay]) + constant``, where the signal is the
    source's spikes (0/1) or, for LI/I/CubaLI, its v (mV) at the end of step k. A directly
    connected node has one term with the identity matrix."""

    node: str
    shape: tuple
    terms: list[tuple[str, int, Any]]
    constant: np.ndarray


@dataclass
class NIRImport:
    """What :func:`from_nir` recorded about the graph (``network.nir``)."""

    dt: float
    time_unit: str
    spike_input: str
    reset_mode: str
    populations: dict[str, str]
    shapes: dict[str, tuple]
    inputs: dict[str, tuple]
    outputs: dict[str, OutputReadout]
    spiking: dict[str, bool]
    layers: list[dict]
    projections: dict[str, tuple[str, str]]
    graph: Any
    weights_at_import: dict[str, np.ndarray]
    lead_in_steps: int = LEAD_IN_STEPS


def _population_names(names: list[str]) -> dict[str, str]:
    taken: set[str] = set()
    result = {}
    for name in names:
        candidate = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in name) or "node"
        if not candidate.isidentifier():
            candidate = "n_" + candidate
        base, k = candidate, 1
        while candidate in taken:
            candidate = f"{base}_{k}"
            k += 1
        taken.add(candidate)
        result[name] = candidate
    return result


def _check_dt(dt: Any) -> float:
    if isinstance(dt, bool) or not isinstance(dt, (int, float, np.integer, np.floating)) or not np.isfinite(dt):
        raise SpikenetError(f"dt must be a number of ms in [{DT_RANGE_MS[0]:g}, {DT_RANGE_MS[1]:g}]; got {dt!r}")
    dt = float(dt)
    if not DT_RANGE_MS[0] <= dt <= DT_RANGE_MS[1]:
        hint = " (dt is in ms: 0.1 ms is dt=0.1, not 1e-4)" if dt < DT_RANGE_MS[0] else ""
        raise SpikenetError(f"dt must be in [{DT_RANGE_MS[0]:g}, {DT_RANGE_MS[1]:g}] ms; got {dt!r}{hint}")
    return dt


def _metadata_value(metadata: Any, key: str) -> Any:
    if not isinstance(metadata, dict) or key not in metadata:
        return None
    value = metadata[key]
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
        return value.decode() if isinstance(value, bytes) else value
    return value


def from_nir(graph_or_path: Any, dt: float, *, time_unit: str = "s", spike_input: str | None = None,
             reset_mode: str = "value", seed: int = 0) -> Any:
    """Build a :class:`spikenet.Network` from a NIR graph (a ``nir.NIRGraph`` or a file path).

    Parameters
    ----------
    dt : float
        Time step in ms, in [0.001, 100] (required: NIR graphs do not store it; a graph written
        by :func:`to_nir` records its dt, and a different value here gives a warning).
    time_unit : ``"s"`` or ``"ms"``
        The unit of the graph's time constants and delays (``"s"`` for graphs from snnTorch,
        Norse, Sinabs and the NIR paper).
    spike_input : ``"step"`` or ``"dirac"``
        How a spike acts (module docstring); default: the graph's ``spike_input`` metadata if it
        has one, else ``"step"``.
    reset_mode : ``"value"`` or ``"subtract"``
        Reset of spiking nodes whose metadata does not say (NIR 1.0.8 resets to ``v_reset``).

    Returns the network; ``network.nir`` (:class:`NIRImport`) maps graph nodes to populations,
    inputs and outputs. Run it with :func:`simulate`.
    """
    import warnings

    import nir

    dt = _check_dt(dt)
    if time_unit not in TIME_UNITS:
        raise SpikenetError(f"time_unit must be one of {tuple(TIME_UNITS)}; got {time_unit!r}")
    if reset_mode not in RESET_MODES:
        raise SpikenetError(f"reset_mode must be one of {RESET_MODES}; got {reset_mode!r}")
    if isinstance(graph_or_path, (str, os.PathLike)):
        graph = read(graph_or_path)
    elif isinstance(graph_or_path, nir.NIRGraph):
        graph = graph_or_path
    else:
        raise SpikenetError(f"from_nir takes a nir.NIRGraph or a path to a .nir file; got {type(graph_or_path).__name__}")
    metadata = graph.metadata if isinstance(getattr(graph, "metadata", None), dict) else {}
    if spike_input is None:
        stated = _metadata_value(metadata, "spike_input")
        if stated is not None and stated not in SPIKE_INPUTS:
            raise SpikenetError(f"spike_input {stated!r} in the NIR graph's metadata is not one of {SPIKE_INPUTS}; "
                                "pass spike_input= to override it")
        spike_input = stated or "step"
    if spike_input not in SPIKE_INPUTS:
        raise SpikenetError(f"spike_input must be one of {SPIKE_INPUTS}; got {spike_input!r}")
    ms_per_unit = TIME_UNITS[time_unit]
    stated_dt, stated_unit = _metadata_value(metadata, "dt"), _metadata_value(metadata, "time_unit")
    if stated_dt is not None and stated_unit in TIME_UNITS:
        stated_ms = float(stated_dt) * TIME_UNITS[stated_unit]
        if not np.isclose(stated_ms, dt, rtol=1e-9, atol=0.0):
            warnings.warn(f"the NIR graph was written with dt = {stated_ms:g} ms; importing with dt = {dt:g} ms", stacklevel=2)
        if stated_unit != time_unit:
            warnings.warn(f"the NIR graph states time_unit {stated_unit!r}; importing with time_unit={time_unit!r}", stacklevel=2)

    flat = _Graph()
    _flatten(graph, "", flat, top=True)
    shape_in, shape_out = _shapes(flat)
    conversions = {}
    for name, kind in flat.kinds.items():
        if kind == "neuron":
            node_type = _type_name(flat.nodes[name])
            conversion = nir_registry.conversion_for_nir_type(node_type)
            if conversion is None:
                raise SpikenetError(f"NIR node {name!r} ({node_type}): no spikenet model is registered for this node type "
                                    f"(registered: {nir_registry.registered_nir_types()}); is the spikenet distribution installed?")
            conversions[name] = conversion
    for a, b in flat.edges:
        if flat.kinds[b] == "input":
            raise SpikenetError(f"NIR edge {a!r} -> {b!r}: an Input node takes no edges")
        if flat.kinds[a] == "output":
            raise SpikenetError(f"NIR edge {a!r} -> {b!r}: an Output node has no outgoing edges")
    linear = {name: _linear(name, flat.nodes[name], kind, shape_in[name], dt, ms_per_unit)
              for name, kind in flat.kinds.items() if kind in ("linear", "identity", "delay")}

    emitters = [n for n, k in flat.kinds.items() if k in ("input", "neuron")]
    names = _population_names(emitters)
    net = Network(dt=dt, seed=seed)
    populations = {}
    for name in emitters:
        size = int(np.prod(shape_out[name]))
        if flat.kinds[name] == "input":
            populations[name] = net.spike_source(names[name], size, np.zeros(0, np.int64), np.zeros(0))
        else:
            context = nir_registry.NodeContext(name, size, ms_per_unit, reset_mode, tuple(shape_out[name]))
            populations[name] = net.population(names[name], size, conversions[name].from_node(flat.nodes[name], context))

    contributions, readout_terms = _compose(flat, linear, emitters, {n: int(np.prod(shape_out[n])) for n in emitters})
    constants = _constants(flat, linear)
    projections = {}
    for (source, target), terms in contributions.items():
        if flat.kinds[source] == "neuron" and not conversions[source].spiking:
            raise SpikenetError(f"NIR node {source!r} ({_type_name(flat.nodes[source])}) feeds {target!r}: a non-spiking node outputs "
                                "its potential, a continuous value, and spikenet delivers spikes; it may only feed an Output")
        pre, post = populations[source], populations[target]
        conversion = conversions[target]
        if spike_input == "dirac" and conversion.dirac_target is not None:
            target_variable = conversion.dirac_target
            factor = np.broadcast_to(np.asarray(conversion.dirac_factor(post.model, ms_per_unit), dtype=np.float64), (post.size,))
        else:
            target_variable, factor = "s", np.ones(post.size)
        pre_index, post_index, weights, delays = [], [], [], []
        for delay, matrix in sorted(terms.items()):
            coo = matrix.tocoo()
            keep = coo.data != 0
            pre_index.append(coo.col[keep])
            post_index.append(coo.row[keep])
            weights.append(coo.data[keep] * factor[coo.row[keep]])
            delays.append(np.full(int(keep.sum()), delay * dt))
        pre_index, post_index = np.concatenate(pre_index).astype(np.int64), np.concatenate(post_index).astype(np.int64)
        if pre_index.size == 0:
            continue
        projection = net.connect(pre, post, FromIndices(pre_index, post_index), synapse=Delta(target_variable),
                                 weight=np.concatenate(weights), delay=np.concatenate(delays), name=f"{pre.name}->{post.name}")
        projections[projection.name] = (source, target)
    for target, constant in constants.items():
        if target in populations and np.any(constant != 0):
            population = populations[target]
            net.current(population, np.stack([np.zeros(population.size), constant]), dt_values=dt)

    outputs = {}
    for name, kind in flat.kinds.items():
        if kind != "output":
            continue
        terms = [(source, delay, matrix) for source, delay, matrix in readout_terms.get(name, [])]
        outputs[name] = OutputReadout(name, tuple(shape_in[name]), terms, constants.get(name, np.zeros(int(np.prod(shape_in[name])))))
    layers = [{"node": name, "type": _type_name(flat.nodes[name]), "dense_macs": item.dense_macs, "synapses": int(item.matrix.nnz),
               "weights": _weight_count(flat.nodes[name]),
               "outputs": 0 if _type_name(flat.nodes[name]) == "Flatten" else int(np.prod(shape_out[name]))}  # Flatten moves nothing
              for name, item in linear.items() if flat.kinds[name] == "linear"]
    net.nir = NIRImport(
        dt=dt, time_unit=time_unit, spike_input=spike_input, reset_mode=reset_mode,
        populations={n: p.name for n, p in populations.items()}, shapes={n: tuple(shape_out[n]) for n in emitters},
        inputs={n: tuple(shape_out[n]) for n in emitters if flat.kinds[n] == "input"}, outputs=outputs,
        spiking={n: (flat.kinds[n] == "input" or conversions[n].spiking) for n in emitters}, layers=layers,
        projections=projections, graph=graph, weights_at_import={p.name: p.weights.copy() for p in net.projections})
    return net


def _weight_count(node: Any) -> int:
    """Parameters a dense (ANN) execution of a linear node reads: its weight tensor (biases not counted)."""
    for field_name in ("weight", "scale"):
        value = getattr(node, field_name, None)
        if value is not None:
            return int(np.asarray(value).size)
    return 0


def _compose(flat: _Graph, linear: dict[str, _Linear], emitters: list[str], sizes: dict[str, int]):
    """For each (emitter, neuron target) the composed map {delay steps: sparse matrix (target x emitter)},
    and for each Output the terms of its read-out."""
    from scipy import sparse

    contributions: dict[tuple[str, str], dict[int, Any]] = {}
    readouts: dict[str, list] = {}
    for emitter in emitters:
        stack = [(successor, {0: sparse.identity(sizes[emitter], format="csr")}, (emitter,)) for successor in flat.successors(emitter)]
        while stack:
            node, terms, path = stack.pop()
            kind = flat.kinds[node]
            if kind == "neuron":
                into = contributions.setdefault((emitter, node), {})
                for delay, matrix in terms.items():
                    into[delay] = into[delay] + matrix if delay in into else matrix
                continue
            if kind == "output":
                readouts.setdefault(node, []).extend((emitter, delay, matrix) for delay, matrix in terms.items())
                continue
            if node in path[1:]:
                cycle = list(path[path.index(node):]) + [node]
                raise SpikenetError(f"NIR graph has a cycle through linear nodes only: {' -> '.join(cycle)}; "
                                    "a cycle must pass through a neuron node (state)")
            item = linear[node]
            if item.delay_steps is not None:
                new: dict[int, Any] = {}
                for delay, matrix in terms.items():
                    for value in np.unique(item.delay_steps):
                        mask = sparse.diags((item.delay_steps == value).astype(np.float64), format="csr")
                        part = mask @ matrix
                        part.eliminate_zeros()
                        if part.nnz:
                            key = delay + int(value)
                            new[key] = new[key] + part if key in new else part
                terms = new
            else:
                terms = {delay: (item.matrix @ matrix).tocsr() for delay, matrix in terms.items()}
            for successor in flat.successors(node):
                stack.append((successor, terms, path + (node,)))
    return contributions, readouts


def _constants(flat: _Graph, linear: dict[str, _Linear]) -> dict[str, np.ndarray]:
    """Constant (bias) input of every neuron and Output node: biases propagated through linear nodes."""
    memo: dict[str, np.ndarray] = {}
    visiting: set[str] = set()

    def incoming(node: str, size: int) -> np.ndarray:
        total = np.zeros(size)
        for predecessor in flat.predecessors(node):
            if flat.kinds[predecessor] in ("linear", "identity", "delay"):
                total = total + out(predecessor)
        return total

    def out(node: str) -> np.ndarray:
        if node in memo:
            return memo[node]
        if node in visiting:
            raise SpikenetError(f"NIR graph has a cycle through linear nodes only at {node!r}; a cycle must pass through a neuron node")
        visiting.add(node)
        item = linear[node]
        value = item.matrix @ incoming(node, item.matrix.shape[1])
        if item.bias is not None:
            value = value + item.bias
        visiting.discard(node)
        memo[node] = np.asarray(value, dtype=np.float64)
        return memo[node]

    result = {}
    for name, kind in flat.kinds.items():
        if kind in ("neuron", "output"):
            size = None
            for predecessor in flat.predecessors(name):
                if flat.kinds[predecessor] in ("linear", "identity", "delay"):
                    size = linear[predecessor].matrix.shape[0]
            if size is not None:
                result[name] = incoming(name, size)
    return result


# -- running an imported network --------------------------------------------------------------------


@dataclass
class NIRRun:
    """The outcome of :func:`simulate`, indexed by graph step (0 .. T-1).

    outputs : Output node -> array (T, *shape): spikes (0/1), v (mV) or the linear read-out.
    spikes : neuron node -> bool array (T, size).
    result : the engine's :class:`spikenet.Result` (network steps; step 0 is the lead-in step).
    """

    outputs: dict[str, np.ndarray]
    spikes: dict[str, np.ndarray]
    result: Any

    @property
    def counts(self) -> Any:
        """The run's :class:`spikenet.ActivityCounts` (the lead-in step included)."""
        return self.result.counts


def _input_arrays(info: NIRImport, inputs: Any) -> tuple[dict[str, np.ndarray], int]:
    if not isinstance(inputs, dict):
        if len(info.inputs) != 1:
            raise SpikenetError(f"the graph has {len(info.inputs)} Input nodes {sorted(info.inputs)}: give inputs as a dict node -> array")
        inputs = {next(iter(info.inputs)): inputs}
    unknown = sorted(set(inputs) - set(info.inputs))
    if unknown:
        raise SpikenetError(f"inputs name {unknown}, which are not Input nodes of the graph; Input nodes: {sorted(info.inputs)}")
    missing = sorted(set(info.inputs) - set(inputs))
    if missing:
        raise SpikenetError(f"inputs lack the Input node(s) {missing}")
    arrays, steps = {}, None
    for name, value in inputs.items():
        array = np.asarray(value)
        shape = info.inputs[name]
        size = int(np.prod(shape))
        if array.ndim < 1 or int(np.prod(array.shape[1:])) != size:
            raise SpikenetError(f"input for node {name!r} must have shape (steps, {', '.join(map(str, shape))}); got {array.shape}")
        if array.shape[0] == 0:
            raise SpikenetError(f"inputs must cover at least one step; input for node {name!r} has shape {array.shape}")
        array = array.reshape(array.shape[0], size)
        if array.dtype != bool:
            if not np.issubdtype(array.dtype, np.number) or not np.all(np.isin(array, (0, 1))):
                raise SpikenetError(f"input for node {name!r} must hold spikes as 0/1 per step and channel; "
                                    f"got values other than 0 and 1 (at most one spike per channel and step)")
        if steps is None:
            steps = array.shape[0]
        elif array.shape[0] != steps:
            raise SpikenetError(f"inputs have different numbers of steps: {steps} and {array.shape[0]} ({name!r})")
        arrays[name] = array.astype(bool)
    if not steps:
        raise SpikenetError("inputs must cover at least one step")
    return arrays, steps


def simulate(network: Any, inputs: Any, *, precision: str = "float32", progress: bool | None = False,
             record_spikes: bool = True) -> NIRRun:
    """Run a network imported by :func:`from_nir` on ``inputs`` and read its Output nodes.

    ``inputs``: an array (T, *input shape) of 0/1 spikes for the graph's Input node (or a dict
    Input node -> array when it has several); T graph steps are simulated (T + 1 network steps
    with the lead-in). Outputs and spikes are indexed by graph step."""
    info = getattr(network, "nir", None)
    if not isinstance(info, NIRImport):
        raise SpikenetError("simulate runs a network built by spikenet.nir.from_nir (it has no .nir import record)")
    arrays, steps = _input_arrays(info, inputs)
    dt = network.dt
    input_spikes = {}
    for name, array in arrays.items():
        step_index, neuron = np.nonzero(array)
        input_spikes[info.populations[name]] = (step_index * dt, neuron)
    needed_v = {source for readout in info.outputs.values() for source, _, _ in readout.terms if not info.spiking[source]}
    spiking_nodes = [n for n, s in info.spiking.items() if s and n not in info.inputs]
    monitors = [SpikeMonitor(info.populations[n]) for n in spiking_nodes if record_spikes or _feeds_output(info, n)]
    monitors += [StateMonitor(info.populations[n], "v") for n in needed_v]
    result = network.run((steps + LEAD_IN_STEPS) * dt, monitors=monitors, precision=precision, progress=progress,
                         input_spikes=input_spikes)
    signals: dict[str, np.ndarray] = {name: array.astype(np.float64) for name, array in arrays.items()}
    spikes = {}
    for name in spiking_nodes:
        population = info.populations[name]
        if population not in result.spikes:
            continue
        times, index = result.spikes[population]
        step_index = np.round(np.asarray(times) / dt).astype(np.int64) - LEAD_IN_STEPS
        raster = np.zeros((steps, network.populations[population].size), dtype=bool)
        inside = step_index >= 0
        raster[step_index[inside], np.asarray(index)[inside]] = True
        spikes[name] = raster
        signals[name] = raster.astype(np.float64)
    for name in needed_v:
        population = info.populations[name]
        recorded = np.asarray(result.states[population]["v"])  # v at the start of network step m = end of graph step m - 2
        final = np.asarray(result.final_state["neurons"][population]["v"])[None, :]
        values = np.concatenate([recorded, final])[LEAD_IN_STEPS + 1:]
        signals[name] = values[:steps]
    outputs = {}
    for name, readout in info.outputs.items():
        size = int(np.prod(readout.shape))
        value = np.tile(readout.constant, (steps, 1)) if readout.constant.size == size else np.zeros((steps, size))
        for source, delay, matrix in readout.terms:
            signal = signals[source]
            shifted = np.zeros_like(signal)
            if delay < steps:
                shifted[delay:] = signal[:steps - delay]
            value = value + np.asarray((matrix @ shifted.T).T)
        outputs[name] = value.reshape((steps,) + tuple(readout.shape))
    return NIRRun(outputs, spikes, result)


def _feeds_output(info: NIRImport, node: str) -> bool:
    return any(source == node for readout in info.outputs.values() for source, _, _ in readout.terms)


# -- export ---------------------------------------------------------------------------------------


def to_nir(network: Any, time_unit: str = "s") -> Any:
    """Export a network to a ``nir.NIRGraph``.

    A network imported by :func:`from_nir` whose weights are unchanged is written back as its
    graph (the same node types, parameters and edges; neuron parameters from the current models).
    Otherwise each population becomes an ``Input`` (spike source) or a neuron node, each
    projection a ``Linear`` node (``Affine`` when its target has a bias) with a ``Delay`` node
    where its delays need one, and each neuron population without outgoing projections an
    ``Output``. The graph's metadata records ``dt``, ``time_unit`` and ``spike_input``.
    Refused (an error naming the population or projection): models without a NIR node,
    synapses other than ``Delta`` onto the held input ``s`` or the Dirac target, plasticity,
    Poisson input, currents other than a bias from the graph's t = 0 (a 2-row table
    ``[0, bias]`` with ``dt_values = dt``, as :func:`from_nir` makes), custom initial values, and
    delays that are not one per source or per target channel.
    """
    import nir

    if not isinstance(network, Network):
        raise SpikenetError(f"to_nir exports a spikenet.Network; got {type(network).__name__}")
    if time_unit not in TIME_UNITS:
        raise SpikenetError(f"time_unit must be one of {tuple(TIME_UNITS)}; got {time_unit!r}")
    ms_per_unit = TIME_UNITS[time_unit]
    info = getattr(network, "nir", None)
    if isinstance(info, NIRImport) and _weights_unchanged(network, info):
        return _reexport(network, info, time_unit)
    if network.poisson_inputs:
        raise SpikenetError(f"Poisson input ({network.poisson_inputs[0].name!r}) has no NIR node; export the network without it")
    nodes: dict[str, Any] = {}
    edges: list[tuple[str, str]] = []
    conventions = set()
    for population in network.populations.values():
        if population.initial:
            raise SpikenetError(f"population {population.name!r} has custom initial values ({sorted(population.initial)}); "
                                "NIR nodes start at rest")
        if population.is_source:
            if not isinstance(population.model, SpikeSource):
                raise SpikenetError(f"population {population.name!r} is a {type(population.model).__name__}; only spike sources "
                                    "(Input nodes) export to NIR")
            nodes[population.name] = nir.Input(input_type={"input": np.array([population.size])})
            continue
        conversion = nir_registry.conversion_for_model(population.model)
        if conversion is None:
            raise SpikenetError(f"population {population.name!r} uses {type(population.model).__name__}, which has no NIR node; "
                                f"NIR export takes the models registered in spikenet.nir_registry ({nir_registry.registered_nir_types()} "
                                "nodes: neurons.NIRLIF, NIRCubaLIF, ...)")
        context = nir_registry.NodeContext(population.name, population.size, ms_per_unit, "value", (population.size,))
        nodes[population.name] = conversion.to_node(population.model, context)
    biases = _biases(network)
    biased_seen: set[str] = set()
    for projection in network.projections:
        post_model = projection.post.model
        conversion = nir_registry.conversion_for_model(post_model)
        where = f"projection {projection.name!r}"
        if projection.plasticity is not None:
            raise SpikenetError(f"{where} is plastic; NIR has no plasticity")
        if not isinstance(projection.synapse, Delta):
            raise SpikenetError(f"{where} uses {type(projection.synapse).__name__}; NIR edges are spikes into a node "
                                "(export takes Delta synapses onto the held input 's' or the model's Dirac target)")
        target = projection.synapse.target
        if target == "s":
            conventions.add("step")
            factor = np.ones(projection.post.size)
        elif conversion is not None and target == conversion.dirac_target:
            conventions.add("dirac")
            factor = np.broadcast_to(np.asarray(conversion.dirac_factor(post_model, ms_per_unit), dtype=np.float64),
                                     (projection.post.size,))
        else:
            raise SpikenetError(f"{where}: Delta onto {target!r} has no NIR reading (use 's', or the Dirac target "
                                f"{getattr(conversion, 'dirac_target', None)!r})")
        if not projection.pre.is_source and not nir_registry.conversion_for_model(projection.pre.model).spiking:
            raise SpikenetError(f"{where}: its source {projection.pre.name!r} does not spike")
        weight = _dense_weights(projection, factor, where)
        delay_node, position = _delay_of(projection, network.dt, ms_per_unit, where)
        bias = biases.get(projection.post.name) if projection.post.name not in biased_seen else None
        if bias is not None:
            biased_seen.add(projection.post.name)
        linear_name = f"{projection.name.replace('->', '_to_')}"
        nodes[linear_name] = nir.Affine(weight=weight, bias=bias) if bias is not None else nir.Linear(weight=weight)
        chain = [linear_name]
        if delay_node is not None:
            nodes[linear_name + "_delay"] = delay_node
            chain = [linear_name + "_delay", linear_name] if position == "pre" else [linear_name, linear_name + "_delay"]
        path = [projection.pre.name] + chain + [projection.post.name]
        edges.extend(zip(path[:-1], path[1:]))
    unplaced = sorted(set(biases) - biased_seen)
    if unplaced:
        raise SpikenetError(f"population {unplaced[0]!r} has a bias current but no incoming projection to carry it as an Affine bias")
    if len(conventions) > 1:
        raise SpikenetError("projections mix the 'step' (Delta onto 's') and 'dirac' readings of a spike; NIR stores one")
    senders = {p.pre.name for p in network.projections}
    neurons = [p for p in network.populations.values() if not p.is_source]
    sinks = [p for p in neurons if p.name not in senders] or neurons  # every population when all of them project
    for population in sinks:
        output = f"{population.name}_output"
        nodes[output] = nir.Output(output_type={"output": np.array([population.size])})
        edges.append((population.name, output))
    metadata = {"dt": network.dt / ms_per_unit, "time_unit": time_unit, "spike_input": (conventions or {"step"}).pop(),
                "lead_in_steps": LEAD_IN_STEPS, "generator": f"spikenet {_version()}"}
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=metadata, type_check=False)


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("spikenet")
    except metadata.PackageNotFoundError:  # pragma: no cover (running from a source tree)
        return "unknown"


def _weights_unchanged(network: Any, info: NIRImport) -> bool:
    current = {p.name: p.weights for p in network.projections}
    return set(current) == set(info.weights_at_import) and all(
        np.array_equal(current[name], weights) for name, weights in info.weights_at_import.items())


def _reexport(network: Any, info: NIRImport, time_unit: str) -> Any:
    """The imported graph with its neuron nodes rebuilt from the network's current models."""
    import copy

    import nir

    ms_per_unit = TIME_UNITS[time_unit]
    if time_unit != info.time_unit:
        raise SpikenetError(f"this network was imported with time_unit={info.time_unit!r}; export it with the same unit "
                            "(its linear nodes and delays are kept as they were)")

    def rebuild(graph: Any, prefix: str) -> Any:
        nodes = {}
        for name, node in graph.nodes.items():
            full = prefix + str(name)
            if isinstance(node, nir.NIRGraph):
                nodes[name] = rebuild(node, full + ".")
            elif full in info.populations and full not in info.inputs:
                population = network.populations[info.populations[full]]
                conversion = nir_registry.conversion_for_model(population.model)
                context = nir_registry.NodeContext(full, population.size, ms_per_unit, info.reset_mode, info.shapes[full])
                nodes[name] = conversion.to_node(population.model, context)
            else:
                nodes[name] = copy.deepcopy(node)
        metadata = dict(graph.metadata) if isinstance(getattr(graph, "metadata", None), dict) else {}
        if not prefix:
            metadata.update({"dt": network.dt / ms_per_unit, "time_unit": time_unit, "spike_input": info.spike_input,
                             "lead_in_steps": LEAD_IN_STEPS})
        return nir.NIRGraph(nodes=nodes, edges=list(graph.edges), metadata=metadata, type_check=False)

    return rebuild(info.graph, "")


def _biases(network: Any) -> dict[str, np.ndarray]:
    biases = {}
    for current in network.currents:
        name = current.population.name
        values = np.asarray(current.values, dtype=np.float64)
        lead_in_bias = (current.dt_values is not None and np.isclose(current.dt_values, network.dt) and values.ndim == 2
                        and values.shape[0] == 2 and np.all(values[0] == 0))
        if not lead_in_bias:
            raise SpikenetError(f"the current into {name!r} is not a bias from the graph's t = 0: NIR carries constant input as an "
                                "Affine bias; give it as net.current(pop, [zeros, bias], dt_values=dt) (zero in the lead-in step)")
        if name in biases:
            raise SpikenetError(f"population {name!r} has two currents; merge them into one bias")
        biases[name] = values[1].copy()
    return biases


def _dense_weights(projection: Any, factor: np.ndarray, where: str) -> np.ndarray:
    from spikenet.validation import check_memory

    n_post, n_pre = projection.post.size, projection.pre.size
    check_memory(8 * n_post * n_pre, f"{where}: a dense {n_post} x {n_pre} NIR weight matrix")
    synapses = projection.synapses
    weight = np.zeros((n_post, n_pre))
    np.add.at(weight, (synapses.post, synapses.pre), projection.weights / factor[synapses.post])
    return weight


def _delay_of(projection: Any, dt: float, ms_per_unit: float, where: str) -> tuple[Any, str]:
    import nir

    steps = np.asarray(projection.delay_steps, dtype=np.int64)
    if steps.size == 0 or np.all(steps == 0):
        return None, ""
    pre, post = projection.synapses.pre, projection.synapses.post
    for position, index, size in (("post", post, projection.post.size), ("pre", pre, projection.pre.size)):
        per_channel = np.zeros(size, dtype=np.int64)
        per_channel[index] = steps
        if np.array_equal(per_channel[index], steps):
            return nir.Delay(delay=per_channel * dt / ms_per_unit), position
    raise SpikenetError(f"{where} has per-synapse delays that are neither one per source nor one per target neuron; "
                        "a NIR Delay node delays whole channels")
