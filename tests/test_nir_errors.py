"""spikenet.nir: every malformed file, bad argument and unexportable network is a clear error.

Project rules checked here: a file we read is parsed safely, and a malformed or truncated file is
a :class:`spikenet.SpikenetError` naming the file and what is wrong (never a raw h5py error,
OSError or KeyError); bad arguments are refused before any work starts, naming the parameter and
the allowed values; an import or export that spikenet cannot do exactly is refused naming the
node, population or projection. ``write`` never leaves a half-written file.

No test here runs the engine (every error comes before a run), so the file is fast.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import h5py
import nir
import numpy as np
import pytest

import spikenet as sn
from spikenet import nir as snir
from spikenet.validation import SpikenetError

# -- graphs ---------------------------------------------------------------------------------------


def _lif(n, **overrides):
    params = dict(tau=np.full(n, 0.01), r=np.ones(n), v_leak=np.zeros(n), v_threshold=np.ones(n))
    params.update(overrides)
    return nir.LIF(**params)


def _input(n, name="input"):
    return nir.Input(input_type={"input": np.array([n])})


def _output(n):
    return nir.Output(output_type={"output": np.array([n])})


def _chain(*nodes):
    """Nodes (name, node) joined one after the other; a graph without nir's type check."""
    names = [name for name, _ in nodes]
    return nir.NIRGraph(nodes=dict(nodes), edges=list(zip(names[:-1], names[1:])), type_check=False)


def _graph(n_in=3, n=4, lif=None):
    """Input(n_in) -> Affine(n x n_in) -> LIF(n) -> Output(n): valid."""
    return _chain(("in", _input(n_in)), ("fc", nir.Affine(weight=np.ones((n, n_in)), bias=np.zeros(n))),
                  ("lif", lif if lif is not None else _lif(n)), ("out", _output(n)))


@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "good.nir"
    snir.write(path, _graph())
    return path


def _h5(path, build):
    """An HDF5 file written by ``build(handle)`` (h5py directly, no nir)."""
    with h5py.File(path, "w") as handle:
        build(handle)
    return path


def _string(group, name, value):
    group.create_dataset(name, data=value, dtype=h5py.string_dtype())


def _nir_layout(handle, nodes, edges, version="1.0.8"):
    """A NIR-shaped file: ``nodes`` maps name -> dict of fields (``type`` included)."""
    if version is not None:
        _string(handle, "version", version)
    root = handle.create_group("node")
    _string(root, "type", "NIRGraph")
    group = root.create_group("nodes")
    for name, fields in nodes.items():
        node = group.create_group(name)
        for key, value in fields.items():
            if isinstance(value, str):
                _string(node, key, value)
            else:
                node.create_dataset(key, data=value)
    if edges is not None:
        root.create_dataset("edges", data=np.asarray(edges, dtype=object), dtype=h5py.string_dtype())


LIF_FIELDS = {"type": "LIF", "tau": np.full(4, 0.01), "r": np.ones(4), "v_leak": np.zeros(4), "v_threshold": np.ones(4)}
VALID_NODES = {
    "in": {"type": "Input", "shape": np.array([3])},
    "fc": {"type": "Affine", "weight": np.ones((4, 3)), "bias": np.zeros(4)},
    "lif": LIF_FIELDS,
    "out": {"type": "Output", "shape": np.array([4])},
}
VALID_EDGES = [("in", "fc"), ("fc", "lif"), ("lif", "out")]


def _raises(call, pattern):
    """``call()`` raises a SpikenetError matching ``pattern``, and not as a KeyError/OSError/h5py error."""
    with pytest.raises(SpikenetError, match=pattern) as info:
        call()
    assert not isinstance(info.value, (KeyError, OSError, IndexError, TypeError)), type(info.value).__mro__
    return info.value


# -- the error class ------------------------------------------------------------------------------


def test_spikenet_error_is_not_a_key_or_os_error():
    assert sn.SpikenetError is SpikenetError
    assert issubclass(SpikenetError, ValueError)
    assert not issubclass(SpikenetError, (KeyError, LookupError, OSError))


# -- read(): malformed files ----------------------------------------------------------------------


def _missing(tmp_path):
    return tmp_path / "absent.nir", r"absent\.nir.*no such NIR file"


def _text(tmp_path):
    path = tmp_path / "notes.nir"
    path.write_text("this is not an HDF5 file\n" * 20)
    return path, r"notes\.nir.*not a readable NIR file"


def _truncated(tmp_path):
    path = tmp_path / "cut.nir"
    snir.write(path, _graph())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path, r"cut\.nir.*not a readable NIR file"


def _no_version(tmp_path):
    path = _h5(tmp_path / "noversion.nir", lambda h: _nir_layout(h, VALID_NODES, VALID_EDGES, version=None))
    return path, r"noversion\.nir.*no 'version' field"


def _version_2(tmp_path):
    path = _h5(tmp_path / "v2.nir", lambda h: _nir_layout(h, VALID_NODES, VALID_EDGES, version="2.0.0"))
    return path, r"v2\.nir.*NIR version '2\.0\.0'.*1\.x"


def _no_node(tmp_path):
    path = _h5(tmp_path / "nonode.nir", lambda h: _string(h, "version", "1.0.8"))
    return path, r"nonode\.nir.*no 'node' group"


def _unknown_type(tmp_path):
    nodes = {**VALID_NODES, "foo": {"type": "Foo", "weight": np.ones(3)}}
    path = _h5(tmp_path / "foo.nir", lambda h: _nir_layout(h, nodes, VALID_EDGES))
    return path, r"foo\.nir.*node/nodes/foo.*unknown node type 'Foo'"


def _lif_without_tau(tmp_path):
    lif = {k: v for k, v in LIF_FIELDS.items() if k != "tau"}
    path = _h5(tmp_path / "notau.nir", lambda h: _nir_layout(h, {**VALID_NODES, "lif": lif}, VALID_EDGES))
    return path, r"notau\.nir.*node/nodes/lif \(LIF\) lacks field\(s\) 'tau'"


def _edges_wrong_shape(tmp_path):
    def build(handle):
        _nir_layout(handle, VALID_NODES, None)
        handle["node"].create_dataset("edges", data=np.array(["in", "fc", "lif"], dtype=object), dtype=h5py.string_dtype())

    path = _h5(tmp_path / "edges.nir", build)
    return path, r"edges\.nir.*node/edges.*\(source, target\).*shape \(3,\)"


def _graph_without_edges(tmp_path):
    path = _h5(tmp_path / "noedges.nir", lambda h: _nir_layout(h, VALID_NODES, None))
    return path, r"noedges\.nir.*node \(NIRGraph\) lacks field\(s\) 'edges'"


def _node_not_a_group(tmp_path):
    def build(handle):
        _nir_layout(handle, VALID_NODES, VALID_EDGES)
        handle["node/nodes"].create_dataset("bad", data=np.ones(3))

    path = _h5(tmp_path / "dataset.nir", build)
    return path, r"dataset\.nir.*node/nodes/bad is not a group"


def _lif_parameter_shapes_disagree(tmp_path):
    lif = {**LIF_FIELDS, "tau": np.full(3, 0.01)}  # 3 values, v_threshold has 4
    path = _h5(tmp_path / "shapes.nir", lambda h: _nir_layout(h, {**VALID_NODES, "lif": lif}, VALID_EDGES))
    return path, r"shapes\.nir.*node/nodes/lif.*'tau'.*\(3,\)"


def _type_not_a_string(tmp_path):
    def build(handle):
        _nir_layout(handle, VALID_NODES, VALID_EDGES)
        handle["node/nodes"].create_group("odd").create_group("type")

    path = _h5(tmp_path / "typegroup.nir", build)
    return path, r"typegroup\.nir.*node/nodes/odd.*'type'"


def _edges_not_names(tmp_path):
    def build(handle):
        _nir_layout(handle, VALID_NODES, None)
        handle["node"].create_dataset("edges", data=np.zeros((3, 2), dtype=np.int64))

    path = _h5(tmp_path / "intedges.nir", build)
    return path, r"intedges\.nir.*node/edges.*name"


READ_CASES = [_missing, _text, _truncated, _no_version, _version_2, _no_node, _unknown_type, _lif_without_tau,
              _edges_wrong_shape, _graph_without_edges, _node_not_a_group, _lif_parameter_shapes_disagree,
              _type_not_a_string, _edges_not_names]


@pytest.mark.parametrize("case", READ_CASES, ids=lambda case: case.__name__.strip("_"))
def test_read_refuses_a_malformed_file_naming_it(tmp_path, case):
    path, pattern = case(tmp_path)
    _raises(lambda: snir.read(path), pattern)
    # from_nir on a path reads through read(): the same error (after its arguments are checked).
    _raises(lambda: snir.from_nir(path, dt=0.1), pattern)
    _raises(lambda: snir.from_nir(str(path), dt=0.1), pattern)


def test_read_accepts_the_valid_file(good_file):
    graph = snir.read(good_file)
    assert isinstance(graph, nir.NIRGraph)
    assert set(graph.nodes) == {"in", "fc", "lif", "out"}


def test_read_of_a_directory_names_it(tmp_path):
    _raises(lambda: snir.read(tmp_path), re.escape(str(tmp_path)) + ".*no such NIR file")


def test_edge_to_a_missing_node_in_a_file_names_the_file_and_the_node(tmp_path):
    path = _h5(tmp_path / "ghost.nir", lambda h: _nir_layout(h, VALID_NODES, VALID_EDGES + [("lif", "ghost")]))
    _raises(lambda: snir.read(path), r"ghost\.nir.*'ghost'")
    _raises(lambda: snir.from_nir(path, dt=0.1), r"ghost\.nir.*'ghost'")


def test_edge_to_a_missing_node_in_memory_names_the_edge_and_the_node():
    graph = _graph()
    graph.edges.append(("lif", "ghost"))
    _raises(lambda: snir.from_nir(graph, dt=0.1), r"NIR edge \('lif', 'ghost'\).*no node named 'ghost'")
    graph = _graph()
    graph.edges.append(("phantom", "lif"))
    _raises(lambda: snir.from_nir(graph, dt=0.1), r"no node named 'phantom'")


# -- from_nir(): arguments ------------------------------------------------------------------------


@pytest.mark.parametrize("dt, pattern", [
    (None, r"dt must be a number of ms in \[0\.001, 100\]; got None"),
    ("0.1", r"dt must be a number of ms.*got '0\.1'"),
    (True, r"dt must be a number of ms.*got True"),
    (-0.1, r"dt must be in \[0\.001, 100\] ms; got -0\.1"),
    (0.0, r"dt must be in \[0\.001, 100\] ms; got 0\.0"),
    (1e-4, r"dt must be in \[0\.001, 100\] ms; got 0\.0001 \(dt is in ms: 0\.1 ms is dt=0\.1, not 1e-4\)"),
    (1000.0, r"dt must be in \[0\.001, 100\] ms; got 1000\.0"),
    (float("nan"), r"dt must be a number of ms in \[0\.001, 100\]; got nan"),
    (float("inf"), r"dt must be a number of ms in \[0\.001, 100\]; got inf"),
])
def test_from_nir_refuses_a_bad_dt(dt, pattern):
    _raises(lambda: snir.from_nir(_graph(), dt=dt), pattern)


def test_from_nir_requires_dt():
    with pytest.raises(TypeError, match="dt"):
        snir.from_nir(_graph())  # dt is never guessed


def test_from_nir_checks_dt_before_reading_the_file(tmp_path):
    # bad input is refused before any work starts: the (missing) file is not looked at
    _raises(lambda: snir.from_nir(tmp_path / "absent.nir", dt=-1.0), r"^dt must be in")


@pytest.mark.parametrize("keyword, value, pattern", [
    ("time_unit", "h", r"time_unit must be one of \('s', 'ms'\); got 'h'"),
    ("spike_input", "foo", r"spike_input must be one of \('step', 'dirac'\); got 'foo'"),
    ("reset_mode", "x", r"reset_mode must be one of \('value', 'subtract'\); got 'x'"),
])
def test_from_nir_refuses_a_bad_option(keyword, value, pattern):
    _raises(lambda: snir.from_nir(_graph(), dt=0.1, **{keyword: value}), pattern)


def test_from_nir_says_a_bad_spike_input_came_from_the_graph_metadata():
    graph = _graph()
    graph.metadata["spike_input"] = "foo"
    _raises(lambda: snir.from_nir(graph, dt=0.1), r"spike_input.*'foo'.*metadata")
    snir.from_nir(graph, dt=0.1, spike_input="step")  # an explicit argument overrides the metadata


def test_from_nir_refuses_what_is_not_a_graph():
    _raises(lambda: snir.from_nir({"nodes": {}}, dt=0.1), r"from_nir takes a nir\.NIRGraph or a path.*got dict")


# -- from_nir(): graphs spikenet cannot import ----------------------------------------------------


class Foo(nir.NIRNode):
    """A node type outside NIR 1.0."""

    def __init__(self, shape):
        self.shape = shape
        self.input_type = {"input": np.array(shape)}
        self.output_type = {"output": np.array(shape)}
        self.metadata = {}


def test_unsupported_node_type_is_named():
    graph = _chain(("in", _input(3)), ("foo", Foo([3])), ("lif", _lif(3)), ("out", _output(3)))
    _raises(lambda: snir.from_nir(graph, dt=0.1), r"NIR node 'foo' has type 'Foo', which spikenet does not import; supported: Input")


def test_unsupported_node_in_a_subgraph_is_named_with_its_path():
    inner = _chain(("i", _input(3)), ("foo", Foo([3])), ("o", _output(3)))
    graph = _chain(("in", _input(3)), ("sub", inner), ("lif", _lif(3)), ("out", _output(3)))
    _raises(lambda: snir.from_nir(graph, dt=0.1), r"NIR node 'sub\.foo' has type 'Foo'")


def test_shape_mismatch_on_an_edge_names_both_nodes_and_shapes():
    graph = _chain(("in", _input(3)), ("fc", nir.Affine(weight=np.ones((4, 3)), bias=np.zeros(4))), ("lif", _lif(5)),
                   ("out", _output(5)))
    _raises(lambda: snir.from_nir(graph, dt=0.1),
            r"NIR edge 'fc' -> 'lif': 'fc' outputs shape \(4,\) \(4 values\) but 'lif' \(LIF\) takes shape \(5,\) \(5 values\)")


def test_cycle_through_linear_nodes_only_is_refused_naming_the_cycle():
    graph = nir.NIRGraph(nodes={
        "in": _input(3), "a": nir.Affine(weight=np.eye(3), bias=np.zeros(3)), "b": nir.Affine(weight=np.eye(3), bias=np.zeros(3)),
        "lif": _lif(3), "out": _output(3),
    }, edges=[("in", "a"), ("a", "b"), ("b", "a"), ("b", "lif"), ("lif", "out")], type_check=False)
    _raises(lambda: snir.from_nir(graph, dt=0.1), r"cycle through linear nodes only: .*a -> b -> a")


def test_cycle_through_a_neuron_is_accepted():
    graph = nir.NIRGraph(nodes={
        "in": _input(3), "fc": nir.Linear(weight=np.eye(3)), "lif": _lif(3), "rec": nir.Linear(weight=0.5 * np.eye(3)),
        "out": _output(3),
    }, edges=[("in", "fc"), ("fc", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "out")], type_check=False)
    net = snir.from_nir(graph, dt=0.1)
    assert set(net.nir.populations) == {"in", "lif"}


def test_non_spiking_node_feeding_a_neuron_is_refused():
    li = nir.LI(tau=np.full(4, 0.01), r=np.ones(4), v_leak=np.zeros(4))
    graph = _chain(("in", _input(3)), ("fc1", nir.Linear(weight=np.ones((4, 3)))), ("li", li),
                   ("fc2", nir.Linear(weight=np.ones((2, 4)))), ("lif", _lif(2)), ("out", _output(2)))
    _raises(lambda: snir.from_nir(graph, dt=0.1), r"NIR node 'li' \(LI\) feeds 'lif': a non-spiking node.*only feed an Output")


def test_edges_into_an_input_or_out_of_an_output_are_refused():
    nodes = {"in": _input(3), "fc": nir.Linear(weight=np.eye(3)), "lif": _lif(3), "out": _output(3)}
    edges = [("in", "fc"), ("fc", "lif"), ("lif", "out")]
    graph = nir.NIRGraph(nodes=nodes, edges=edges + [("out", "fc")], type_check=False)
    _raises(lambda: snir.from_nir(graph, dt=0.1), r"NIR edge 'out' -> 'fc': an Output node has no outgoing edges")
    graph = nir.NIRGraph(nodes=nodes, edges=edges + [("fc", "in")], type_check=False)
    _raises(lambda: snir.from_nir(graph, dt=0.1), r"NIR edge 'fc' -> 'in': an Input node takes no edges")


def test_delay_off_the_dt_grid_is_refused_naming_the_node():
    graph = _chain(("in", _input(3)), ("d", nir.Delay(delay=np.full(3, 0.15e-3))), ("fc", nir.Linear(weight=np.eye(3))),
                   ("lif", _lif(3)), ("out", _output(3)))
    _raises(lambda: snir.from_nir(graph, dt=0.1), r"NIR node 'd' \(Delay\): delay 0\.15 ms is not a multiple of dt = 0\.1 ms")
    snir.from_nir(graph, dt=0.05)  # on the grid of a finer dt


def test_negative_delay_is_refused():
    graph = _chain(("in", _input(3)), ("d", nir.Delay(delay=np.full(3, -1e-3))), ("fc", nir.Linear(weight=np.eye(3))),
                   ("lif", _lif(3)), ("out", _output(3)))
    _raises(lambda: snir.from_nir(graph, dt=0.1), r"NIR node 'd' \(Delay\): delays must be >= 0")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_weights_are_refused_naming_node_and_field(bad):
    weight = np.ones((4, 3))
    weight[1, 2] = bad
    graph = _chain(("in", _input(3)), ("fc", nir.Affine(weight=weight, bias=np.zeros(4))), ("lif", _lif(4)), ("out", _output(4)))
    _raises(lambda: snir.from_nir(graph, dt=0.1), r"NIR node 'fc' \(Affine\): field 'weight' has non-finite values")


def test_non_finite_bias_is_refused_naming_node_and_field():
    bias = np.zeros(4)
    bias[0] = np.nan
    graph = _chain(("in", _input(3)), ("fc", nir.Affine(weight=np.ones((4, 3)), bias=bias)), ("lif", _lif(4)), ("out", _output(4)))
    _raises(lambda: snir.from_nir(graph, dt=0.1), r"NIR node 'fc' \(Affine\): field 'bias' has non-finite values")


def test_lif_threshold_not_above_reset_is_refused_naming_the_node():
    graph = _graph(lif=_lif(4, v_threshold=np.zeros(4), v_reset=np.zeros(4)))
    _raises(lambda: snir.from_nir(graph, dt=0.1), r"NIR node 'lif': .*v_threshold must be > v_reset")
    graph = _graph(lif=_lif(4, v_threshold=np.full(4, -1.0), v_reset=np.zeros(4)))
    _raises(lambda: snir.from_nir(graph, dt=0.1), r"NIR node 'lif': .*v_threshold must be > v_reset")


def test_negative_tau_is_refused_naming_the_node_and_parameter():
    graph = _graph(lif=_lif(4, tau=np.full(4, -0.01)))
    _raises(lambda: snir.from_nir(graph, dt=0.1), r"NIR node 'lif': .*tau")


def test_non_finite_lif_parameter_is_refused_naming_the_node_and_field():
    graph = _graph(lif=_lif(4, v_leak=np.array([0.0, np.nan, 0.0, 0.0])))
    _raises(lambda: snir.from_nir(graph, dt=0.1), r"NIR node 'lif' \(LIF\): field 'v_leak' has non-finite values")


# -- simulate() -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def imported():
    return snir.from_nir(_graph(), dt=0.1)


@pytest.mark.parametrize("inputs, pattern", [
    (np.zeros((5, 2)), r"input for node 'in' must have shape \(steps, 3\); got \(5, 2\)"),
    (np.zeros((5, 3, 2)), r"input for node 'in' must have shape \(steps, 3\); got \(5, 3, 2\)"),
    (np.zeros(()), r"input for node 'in' must have shape \(steps, 3\); got \(\)"),
    (np.full((5, 3), 2), r"input for node 'in' must hold spikes as 0/1.*got values other than 0 and 1"),
    (np.full((5, 3), 0.5), r"input for node 'in' must hold spikes as 0/1"),
    (np.full((5, 3), -1), r"input for node 'in' must hold spikes as 0/1"),
    (np.full((5, 3), np.nan), r"input for node 'in' must hold spikes as 0/1"),
    (np.zeros((0, 3)), r"inputs must cover at least one step"),
    (np.zeros((0, 2)), r"input for node 'in' must have shape \(steps, 3\); got \(0, 2\)"),
    ({"in": np.zeros((5, 3)), "other": np.zeros((5, 3))}, r"inputs name \['other'\], which are not Input nodes.*\['in'\]"),
])
def test_simulate_refuses_bad_inputs(imported, inputs, pattern):
    _raises(lambda: snir.simulate(imported, inputs), pattern)


def test_simulate_names_a_missing_input_node():
    graph = nir.NIRGraph(nodes={
        "in1": _input(3), "in2": _input(2), "fc1": nir.Linear(weight=np.ones((4, 3))), "fc2": nir.Linear(weight=np.ones((4, 2))),
        "lif": _lif(4), "out": _output(4),
    }, edges=[("in1", "fc1"), ("in2", "fc2"), ("fc1", "lif"), ("fc2", "lif"), ("lif", "out")], type_check=False)
    net = snir.from_nir(graph, dt=0.1)
    _raises(lambda: snir.simulate(net, {"in1": np.zeros((5, 3))}), r"inputs lack the Input node\(s\) \['in2'\]")
    _raises(lambda: snir.simulate(net, np.zeros((5, 3))), r"the graph has 2 Input nodes \['in1', 'in2'\]: give inputs as a dict")
    _raises(lambda: snir.simulate(net, {"in1": np.zeros((5, 3)), "in2": np.zeros((4, 2))}),
            r"inputs have different numbers of steps: 5 and 4 \('in2'\)")


def test_simulate_refuses_a_network_not_built_by_from_nir():
    net = sn.Network(dt=0.1)
    _raises(lambda: snir.simulate(net, np.zeros((5, 3))), r"simulate runs a network built by spikenet\.nir\.from_nir")
    _raises(lambda: snir.simulate(object(), np.zeros((5, 3))), r"simulate runs a network built by spikenet\.nir\.from_nir")


# -- to_nir(): networks NIR cannot hold -----------------------------------------------------------


def _nir_lif():
    from neurons import NIRLIF

    return NIRLIF(tau=10.0, r=1.0, v_leak=0.0, v_threshold=1.0)


def _source_and_lif(size=2):
    net = sn.Network(dt=0.1)
    source = net.spike_source("src", size, np.zeros(0, np.int64), np.zeros(0))
    target = net.population("p", size, _nir_lif())
    return net, source, target


def test_to_nir_exports_the_plain_network():
    net, source, target = _source_and_lif()
    net.connect(source, target, sn.OneToOne(), synapse=sn.Delta("s"), weight=1.0)
    graph = snir.to_nir(net)
    assert isinstance(graph, nir.NIRGraph)


def test_to_nir_refuses_what_is_not_a_network():
    _raises(lambda: snir.to_nir(_graph()), r"to_nir exports a spikenet\.Network; got NIRGraph")


def test_to_nir_refuses_a_bad_time_unit():
    net, source, target = _source_and_lif()
    _raises(lambda: snir.to_nir(net, time_unit="h"), r"time_unit must be one of \('s', 'ms'\); got 'h'")


def test_to_nir_refuses_a_model_without_a_nir_node():
    from neurons import LIF

    net = sn.Network(dt=0.1)
    source = net.spike_source("src", 2, np.zeros(0, np.int64), np.zeros(0))
    target = net.population("cortex", 2, LIF())
    net.connect(source, target, sn.OneToOne(), weight=1.0)
    _raises(lambda: snir.to_nir(net), r"population 'cortex' uses LIF, which has no NIR node")


def test_to_nir_refuses_a_current_exp_synapse():
    net, source, target = _source_and_lif()
    net.connect(source, target, sn.OneToOne(), synapse=sn.CurrentExp(tau=5.0), weight=1.0, name="slow")
    _raises(lambda: snir.to_nir(net), r"projection 'slow' uses CurrentExp")


def test_to_nir_refuses_a_plastic_projection():
    from learning_rules import PairSTDP

    net, source, target = _source_and_lif()
    net.connect(source, target, sn.OneToOne(), synapse=sn.Delta("s"), weight=0.5, name="learning", plasticity=PairSTDP())
    _raises(lambda: snir.to_nir(net), r"projection 'learning' is plastic; NIR has no plasticity")


def test_to_nir_refuses_a_poisson_source_population():
    net = sn.Network(dt=0.1)
    source = net.poisson_source("noise", 2, 10.0)
    target = net.population("p", 2, _nir_lif())
    net.connect(source, target, sn.OneToOne(), synapse=sn.Delta("s"), weight=1.0)
    _raises(lambda: snir.to_nir(net), r"population 'noise' is a PoissonSource; only spike sources")


def test_to_nir_refuses_poisson_input():
    net, source, target = _source_and_lif()
    net.connect(source, target, sn.OneToOne(), synapse=sn.Delta("s"), weight=1.0)
    drive = net.poisson_input(target, 10, 5.0, 1.0, synapse=sn.Delta("s"))
    _raises(lambda: snir.to_nir(net), rf"Poisson input \({re.escape(repr(drive.name))}\) has no NIR node")


def test_to_nir_refuses_custom_initial_values():
    net, source, target = _source_and_lif()
    net.connect(source, target, sn.OneToOne(), synapse=sn.Delta("s"), weight=1.0)
    target.set_initial(v=0.5)
    _raises(lambda: snir.to_nir(net), r"population 'p' has custom initial values \(\['v'\]\)")


def test_to_nir_refuses_per_synapse_delays():
    net, source, target = _source_and_lif()
    net.connect(source, target, sn.FromIndices(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])), synapse=sn.Delta("s"),
                weight=1.0, delay=np.array([0.1, 0.2, 0.2, 0.1]), name="crossed")
    _raises(lambda: snir.to_nir(net), r"projection 'crossed' has per-synapse delays that are neither one per source nor one per target")


def test_to_nir_accepts_delays_per_source_channel():
    net, source, target = _source_and_lif()
    net.connect(source, target, sn.FromIndices(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])), synapse=sn.Delta("s"),
                weight=1.0, delay=np.array([0.1, 0.1, 0.2, 0.2]), name="per_pre")
    graph = snir.to_nir(net)
    assert any(isinstance(node, nir.Delay) for node in graph.nodes.values())


def test_to_nir_refuses_a_current_that_is_not_a_bias():
    net, source, target = _source_and_lif()
    net.connect(source, target, sn.OneToOne(), synapse=sn.Delta("s"), weight=1.0)
    net.current(target, 5.0)
    _raises(lambda: snir.to_nir(net), r"the current into 'p' is not a bias from the graph's t = 0")


def test_write_of_an_unexportable_network_names_it_and_writes_nothing(tmp_path):
    from neurons import LIF

    net = sn.Network(dt=0.1)
    source = net.spike_source("src", 2, np.zeros(0, np.int64), np.zeros(0))
    net.connect(source, net.population("cortex", 2, LIF()), sn.OneToOne(), weight=1.0)
    _raises(lambda: snir.write(tmp_path / "net.nir", net), r"population 'cortex' uses LIF")
    assert list(tmp_path.iterdir()) == []


# -- write(): atomic ------------------------------------------------------------------------------


def test_write_failing_midway_leaves_the_destination_untouched(tmp_path, monkeypatch):
    destination = tmp_path / "model.nir"
    destination.write_bytes(b"the previous model")
    seen = []

    def failing_write(filename, graph, *args, **kwargs):
        seen.append(Path(filename))
        with open(filename, "wb") as handle:
            handle.write(b"\x89HDF\r\n\x1a\n half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(nir, "write", failing_write)
    with pytest.raises((OSError, SpikenetError), match="No space left on device"):
        snir.write(destination, _graph())
    assert destination.read_bytes() == b"the previous model"
    assert os.listdir(tmp_path) == ["model.nir"]  # no temporary file left behind
    assert seen and seen[0].parent == tmp_path and seen[0] != destination  # written beside it, then renamed


def test_write_into_a_missing_directory_names_the_path(tmp_path):
    target = tmp_path / "no_such_dir" / "model.nir"
    _raises(lambda: snir.write(target, _graph()), r"no_such_dir.*model\.nir")


def test_write_then_read_round_trip(tmp_path):
    path = snir.write(tmp_path / "model.nir", _graph())
    assert os.listdir(tmp_path) == ["model.nir"]
    assert set(snir.read(path).nodes) == {"in", "fc", "lif", "out"}
