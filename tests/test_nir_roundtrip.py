"""Round trips through NIR: spikenet -> NIR file -> spikenet gives identical spikes; NIR -> spikenet -> NIR the same graph.

The first is a property test over random current-based networks of the models NIR can express
(NIRLIF, NIRCubaLIF, NIRIF, NIRThreshold), with recurrent projections, biases, per-target delays
and both readings of a spike; the reference is the original network's own run (same engine, the
check is that export and import lose nothing). The second compares node types, every parameter
and every edge of graphs built with the ``nir`` package.
"""

from __future__ import annotations

import nir
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import spikenet as sn
import spikenet.nir as snir
from neurons import NIRIF, NIRLIF, NIRCubaLIF, NIRThreshold


def random_network(seed: int) -> tuple[sn.Network, dict]:
    rng = np.random.default_rng(seed)
    dt = float(rng.choice([0.1, 0.5, 1.0]))
    dirac = bool(rng.random() < 0.4)
    net = sn.Network(dt=dt)
    n_in = int(rng.integers(1, 5))
    source = net.spike_source("stimulus", n_in, np.zeros(0, np.int64), np.zeros(0))
    populations = []
    kinds = ["lif", "cuba", "if"] + ([] if dirac else ["threshold"])
    for k in range(int(rng.integers(1, 4))):
        size, kind = int(rng.integers(1, 6)), str(rng.choice(kinds))
        reset = str(rng.choice(["value", "subtract"]))
        if kind == "lif":
            model = NIRLIF(tau=rng.uniform(1, 10, size), r=rng.uniform(0.5, 2), v_leak=rng.uniform(-0.2, 0.2), v_threshold=1.0,
                           v_reset=rng.uniform(-0.5, 0.0), reset_mode=reset)
        elif kind == "cuba":
            model = NIRCubaLIF(tau_syn=rng.uniform(1, 5), tau_mem=rng.uniform(2, 10, size), r=1.0, v_leak=0.0, v_threshold=1.0,
                               w_in=rng.uniform(0.5, 2.0, size), reset_mode=reset)
        elif kind == "if":
            model = NIRIF(r=rng.uniform(0.05, 0.3, size), v_threshold=1.0, reset_mode=reset)
        else:
            model = NIRThreshold(v_threshold=rng.uniform(0.2, 1.0, size))
        populations.append(net.population(f"{kind}{k}", size, model))

    def connect(pre, post):
        pairs = [(i, j) for i in range(pre.size) for j in range(post.size) if rng.random() < 0.7]
        if not pairs:
            return
        pre_index, post_index = (np.array(x, dtype=np.int64) for x in zip(*pairs))
        if dirac and not isinstance(post.model, NIRThreshold):
            target = "i" if isinstance(post.model, NIRCubaLIF) else "v"
            scale = 0.3
        else:
            target, scale = "s", 3.0
        per_target = rng.integers(0, 4, post.size) if rng.random() < 0.5 else np.full(post.size, int(rng.integers(0, 3)))
        net.connect(pre, post, sn.FromIndices(pre_index, post_index), synapse=sn.Delta(target),
                    weight=rng.normal(0.5, 1.0, len(pairs)) * scale, delay=per_target[post_index] * dt)

    connect(source, populations[0])
    for pre in populations:
        for post in populations:
            if (pre is not populations[0] or post is not populations[0] or rng.random() < 0.5) and rng.random() < 0.6:
                if not isinstance(pre.model, NIRThreshold) or rng.random() < 0.5:
                    connect(pre, post)
    for population in populations:
        has_input = any(p.post is population for p in net.projections)
        if has_input and rng.random() < 0.5:
            net.current(population, np.stack([np.zeros(population.size), rng.normal(0.1, 0.2, population.size)]), dt_values=dt)
    steps = 80
    raster = rng.random((steps, n_in)) < 0.3
    step_index, neuron = np.nonzero(raster)
    return net, {"stimulus": (step_index * dt, neuron), "steps": steps}


def spikes_of(net: sn.Network, drive: dict) -> dict:
    names = [name for name, p in net.populations.items() if not p.is_source]
    result = net.run((drive["steps"] + 1) * net.dt, monitors=[sn.SpikeMonitor(n) for n in names], precision="float64",
                     input_spikes={"stimulus": drive["stimulus"]}, progress=False)
    return {name: (np.round(result.spikes[name][0] / net.dt).astype(int).tolist(), result.spikes[name][1].tolist()) for name in names}


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1))
def test_spikenet_to_nir_to_spikenet_gives_identical_spikes(seed, tmp_path_factory):
    net, drive = random_network(seed)
    path = snir.write(tmp_path_factory.mktemp("nir") / "net.nir", net)
    again = snir.from_nir(path, dt=net.dt)
    assert sorted(again.populations) == sorted(net.populations)
    assert spikes_of(again, drive) == spikes_of(net, drive)


def test_round_trip_networks_spike():
    """The property test above is not vacuous: most random networks spike."""
    spiking = 0
    for seed in range(10):
        net, drive = random_network(seed)
        spiking += sum(len(steps) > 0 for steps, _ in spikes_of(net, drive).values()) > 0
    assert spiking >= 7


def graphs() -> dict[str, nir.NIRGraph]:
    rng = np.random.default_rng(0)
    lif = nir.LIF(tau=np.full(3, 0.002), r=np.ones(3), v_leak=np.zeros(3), v_threshold=np.full(3, 0.1), v_reset=np.zeros(3))
    inner = nir.NIRGraph(nodes={"i": nir.Input(input_type={"input": np.array([3])}), "lin": nir.Linear(weight=rng.normal(size=(3, 3))),
                                "lif": nir.LIF(tau=np.full(3, 0.004), r=np.ones(3), v_leak=np.zeros(3), v_threshold=np.ones(3),
                                               v_reset=np.zeros(3)),
                                "o": nir.Output(output_type={"output": np.array([3])})},
                         edges=[("i", "lin"), ("lin", "lif"), ("lif", "o")], type_check=False)
    return {
        "feedforward": nir.NIRGraph(
            nodes={"input": nir.Input(input_type={"input": np.array([1, 4, 4])}),
                   "conv": nir.Conv2d(input_shape=(4, 4), weight=rng.normal(size=(2, 1, 3, 3)), stride=1, padding=1, dilation=1, groups=1,
                                      bias=np.array([0.1, -0.1])),
                   "if": nir.IF(r=np.full((2, 4, 4), 2.0), v_threshold=np.ones((2, 4, 4)), v_reset=np.zeros((2, 4, 4))),
                   "pool": nir.AvgPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])),
                   "flat": nir.Flatten(input_type={"input": np.array([2, 2, 2])}, start_dim=0),
                   "scale": nir.Scale(scale=np.linspace(0.5, 1.5, 8)),
                   "fc": nir.Affine(weight=rng.normal(size=(3, 8)), bias=rng.normal(size=3)),
                   "delay": nir.Delay(delay=np.array([0.001, 0.002, 0.0])),
                   "lif": lif, "li": nir.LI(tau=np.full(3, 0.01), r=np.ones(3), v_leak=np.zeros(3)),
                   "thr": nir.Threshold(threshold=np.full(3, 0.5)),
                   "out": nir.Output(output_type={"output": np.array([3])}),
                   "out_li": nir.Output(output_type={"output": np.array([3])})},
            edges=[("input", "conv"), ("conv", "if"), ("if", "pool"), ("pool", "flat"), ("flat", "scale"), ("scale", "fc"), ("fc", "delay"),
                   ("delay", "lif"), ("lif", "out"), ("fc", "li"), ("li", "out_li"), ("fc", "thr"), ("thr", "out")],
            type_check=False),
        "recurrent": nir.NIRGraph(
            nodes={"input": nir.Input(input_type={"input": np.array([2])}), "w": nir.Affine(weight=rng.normal(size=(4, 2)), bias=np.zeros(4)),
                   "cuba": nir.CubaLIF(tau_syn=np.full(4, 0.002), tau_mem=np.full(4, 0.01), r=np.ones(4), v_leak=np.zeros(4),
                                       v_threshold=np.ones(4), v_reset=np.zeros(4), w_in=np.linspace(1, 2, 4)),
                   "rec": nir.Linear(weight=rng.normal(size=(4, 4))), "cuba_li": nir.CubaLI(
                       tau_syn=np.full(4, 0.002), tau_mem=np.full(4, 0.02), r=np.ones(4), v_leak=np.zeros(4), w_in=np.ones(4)),
                   "i": nir.I(r=np.full(4, 3.0)), "out": nir.Output(output_type={"output": np.array([4])})},
            edges=[("input", "w"), ("w", "cuba"), ("cuba", "rec"), ("rec", "cuba"), ("cuba", "out"), ("w", "cuba_li"), ("w", "i")],
            type_check=False),
        "nested": nir.NIRGraph(nodes={"x": nir.Input(input_type={"input": np.array([3])}), "block": inner,
                                      "y": nir.Output(output_type={"output": np.array([3])})},
                               edges=[("x", "block"), ("block", "y")], type_check=False),
    }


def assert_same_graph(a: nir.NIRGraph, b: nir.NIRGraph, where: str = "") -> None:
    assert sorted(a.nodes) == sorted(b.nodes), where
    assert sorted(map(tuple, a.edges)) == sorted(map(tuple, b.edges)), where
    for name, node in a.nodes.items():
        other = b.nodes[name]
        assert type(node) is type(other), f"{where}{name}"
        if isinstance(node, nir.NIRGraph):
            assert_same_graph(node, other, f"{where}{name}.")
            continue
        for key, value in node.to_dict().items():
            if key in ("type", "metadata", "input_type", "output_type"):
                continue
            np.testing.assert_array_equal(np.asarray(other.to_dict()[key]), np.asarray(value), err_msg=f"{where}{name}.{key}")


def test_nir_to_spikenet_to_nir_gives_the_same_graph(tmp_path):
    for label, graph in graphs().items():
        network = snir.from_nir(graph, dt=0.5)
        assert_same_graph(graph, snir.to_nir(network), f"{label}: ")
        path = snir.write(tmp_path / f"{label}.nir", network)
        assert_same_graph(graph, snir.read(path), f"{label} (file): ")
        stated = snir.read(path).metadata
        assert float(stated["dt"]) == 0.0005 and stated["spike_input"] == "step"


def test_changed_weights_export_as_a_plain_graph_with_the_same_spikes():
    """After with_weights the original layer structure no longer holds: the export is one Linear/Affine
    per projection, and it runs like the changed network."""
    graph = graphs()["recurrent"]
    network = snir.from_nir(graph, dt=0.5)
    changed = network.with_weights({p.name: p.weights * 20.0 for p in network.projections})
    exported = snir.to_nir(changed)
    assert {type(n).__name__ for n in exported.nodes.values()} >= {"Input", "CubaLIF", "Linear", "Output"}
    again = snir.from_nir(exported, dt=0.5)
    rng = np.random.default_rng(2)
    x = rng.random((100, 2)) < 0.4
    step_index, neuron = np.nonzero(x)
    runs = []
    for net in (changed, again):
        source = next(name for name, p in net.populations.items() if p.is_source)
        result = net.run(101 * 0.5, monitors=[sn.SpikeMonitor("cuba")], precision="float64", progress=False,
                         input_spikes={source: (step_index * 0.5, neuron)})
        runs.append((result.spikes["cuba"][0].tolist(), result.spikes["cuba"][1].tolist()))
    assert runs[0] == runs[1] and len(runs[0][0]) > 5
