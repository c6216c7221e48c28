"""spikenet.nir: NIR graphs built independently with the ``nir`` package, imported and run.

References (none shares code with spikenet.nir or neurons/nir_models.py):

* the NIR paper's single-LIF example (Pedersen et al., Nat. Commun. 15, 8122 (2024),
  github.com/neuromorphs/NIR ``paper/01_lif``): the exact solution spikes at steps 460, 510, 710
  and 760 (``lif_exact_sim.py``: "Exact spike times: ['0.046084', '0.051090', '0.071092', '0.076091']");
* closed forms of the nodes' linear ODEs for input held over a step, integrated here with
  ``scipy.linalg.expm`` of each node's system matrix, and convolutions computed with
  ``scipy.signal.correlate`` — a discrete-time reference written in this file.
"""

from __future__ import annotations

import nir
import numpy as np
import pytest
from scipy.linalg import expm
from scipy.signal import correlate

import spikenet.nir as snir
from tests.neurons.test_nir_models import PAPER_SPIKE_STEPS, PAPER_TAU, PAPER_THRESHOLD, paper_input

F32 = np.float32


def paper_graph(reset_metadata: str | None = None) -> nir.NIRGraph:
    """The NIR paper's graph as Norse exports it: Affine(1) -> LIF(tau = 1/400 s, R = 1, v_th = 0.1), float32."""
    metadata = {"reset_mode": reset_metadata} if reset_metadata else {}
    return nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type={"input": np.array([1])}),
            "affine": nir.Affine(weight=np.array([[1.0]], F32), bias=np.array([0.0], F32)),
            "lif": nir.LIF(tau=np.array([1 / 400], F32), r=np.array([1.0], F32), v_leak=np.array([0.0], F32),
                           v_threshold=np.array([0.1], F32), v_reset=np.array([0.0], F32), metadata=metadata),
            "output": nir.Output(output_type={"output": np.array([1])}),
        },
        edges=[("input", "affine"), ("affine", "lif"), ("lif", "output")],
    )


@pytest.mark.parametrize("reset", ["value", "subtract"])
def test_paper_single_lif_graph_spikes_at_the_exact_steps(tmp_path, reset):
    """Written to a file, read back and imported at dt = 0.1 ms: spikes at 460, 510, 710, 760 (the paper's exact solution)."""
    path = snir.write(tmp_path / "lif.nir", paper_graph(reset))
    network = snir.from_nir(path, dt=0.1)
    assert network.populations["lif"].model.reset_mode == reset
    run = snir.simulate(network, paper_input()[:, None], precision="float64")
    assert np.flatnonzero(run.outputs["output"][:, 0]).tolist() == PAPER_SPIKE_STEPS
    assert np.flatnonzero(run.spikes["lif"][:, 0]).tolist() == PAPER_SPIKE_STEPS
    # every input spike is one synaptic event (one synapse), none lost; the lead-in step is the extra update
    assert run.counts.synaptic_events["input->lif"] == int(paper_input().sum())
    assert run.counts.neuron_updates["lif"] == len(paper_input()) + snir.LEAD_IN_STEPS
    # in float32 too
    assert np.flatnonzero(snir.simulate(network, paper_input()[:, None]).spikes["lif"][:, 0]).tolist() == PAPER_SPIKE_STEPS


def test_paper_graph_under_the_dirac_reading_matches_the_event_driven_solution():
    """spike_input="dirac": input spike k is a pulse delta(t - k dt) (jump R w / tau = 0.4 of v); v decays
    exactly in between; spikes where v at a step end exceeds v_th (then reset to 0)."""
    d = paper_input()
    network = snir.from_nir(paper_graph(), dt=0.1, spike_input="dirac")
    assert network.projections[0].synapse.target == "v"
    spikes = snir.simulate(network, d[:, None], precision="float64").spikes["lif"][:, 0]
    decay, v, expected = np.exp(-0.1 / PAPER_TAU), 0.0, []
    for k in range(len(d)):
        v = (v + d[k] * 1.0 / (PAPER_TAU / 1000.0) * 1e-3) * decay  # the jump at k dt, then one step of decay
        if v > PAPER_THRESHOLD:
            expected.append(k)
            v = 0.0
    assert np.flatnonzero(spikes).tolist() == expected
    assert len(expected) > 4


# -- a discrete-time reference for layered graphs -------------------------------------------------


def exact_step_matrix(a: np.ndarray, b: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """x' = A x + B u with u constant over dt: x(dt) = Phi x + Gamma u, from the augmented matrix exponential."""
    n, m = a.shape[0], b.shape[1]
    augmented = np.zeros((n + m, n + m))
    augmented[:n, :n], augmented[:n, n:] = a, b
    phi = expm(augmented * dt)
    return phi[:n, :n], phi[:n, n:]


def lif_reference(currents: np.ndarray, tau: float, r: float, v_leak: float, v_th: float, v_reset: float, dt: float,
                  reset: str = "value") -> np.ndarray:
    """LIF (tau v' = v_leak - v + R I) with I[k] held over step k; spike when v > v_th at the step end."""
    phi, gamma = exact_step_matrix(np.array([[-1.0 / tau]]), np.array([[1.0 / tau, r / tau]]), dt)
    v = np.full(currents.shape[1], v_leak, dtype=np.float64)
    spikes = np.zeros(currents.shape, dtype=bool)
    for k in range(currents.shape[0]):
        v = phi[0, 0] * v + gamma[0, 0] * v_leak + gamma[0, 1] * currents[k]
        spikes[k] = v > v_th
        v = np.where(spikes[k], v_reset if reset == "value" else v - (v_th - v_reset), v)
    return spikes


def test_convolutional_graph_matches_a_scipy_reference():
    """Input (1, 6, 6) -> Conv2d(1->3, 3x3, padding 1) + bias -> LIF -> SumPool2d(2) -> Flatten -> Affine(27->5) -> LIF.

    Reference: scipy.signal.correlate for the convolution, explicit 2x2 sums for the pooling, the
    exact LIF step map; layer 1 integrates the input of step k over step k, layer 2 the pooled
    spikes of step k - 1 (a spike is known at the end of its step)."""
    rng = np.random.default_rng(3)
    dt, steps, tau_s = 1.0, 120, 0.005
    conv_w = rng.normal(0.6, 0.5, (3, 1, 3, 3))
    conv_b = np.array([0.05, -0.02, 0.1])
    fc_w = rng.normal(0.3, 0.4, (5, 27))
    fc_b = rng.normal(0.0, 0.05, 5)
    graph = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type={"input": np.array([1, 6, 6])}),
            "conv": nir.Conv2d(input_shape=(6, 6), weight=conv_w, stride=1, padding=1, dilation=1, groups=1, bias=conv_b),
            "lif1": nir.LIF(tau=np.full((3, 6, 6), tau_s), r=np.ones((3, 6, 6)), v_leak=np.zeros((3, 6, 6)),
                            v_threshold=np.full((3, 6, 6), 0.5), v_reset=np.zeros((3, 6, 6))),
            "pool": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])),
            "flat": nir.Flatten(input_type={"input": np.array([3, 3, 3])}, start_dim=0),
            "fc": nir.Affine(weight=fc_w, bias=fc_b),
            "lif2": nir.LIF(tau=np.full(5, tau_s), r=np.ones(5), v_leak=np.zeros(5), v_threshold=np.full(5, 0.4), v_reset=np.zeros(5)),
            "output": nir.Output(output_type={"output": np.array([5])}),
        },
        edges=[("input", "conv"), ("conv", "lif1"), ("lif1", "pool"), ("pool", "flat"), ("flat", "fc"), ("fc", "lif2"),
               ("lif2", "output")],
        type_check=False,
    )
    x = rng.random((steps, 1, 6, 6)) < 0.3
    run = snir.simulate(snir.from_nir(graph, dt=dt), x, precision="float64")

    padded = np.pad(x[:, 0].astype(float), ((0, 0), (1, 1), (1, 1)))
    conv_out = np.stack([np.stack([correlate(padded[k], conv_w[c, 0], mode="valid") for c in range(3)]) + conv_b[:, None, None]
                         for k in range(steps)])
    z1 = lif_reference(conv_out.reshape(steps, -1), 5.0, 1.0, 0.0, 0.5, 0.0, dt)
    pooled = z1.reshape(steps, 3, 3, 2, 3, 2).sum(axis=(3, 5)).reshape(steps, 27)
    delayed = np.vstack([np.zeros((1, 27)), pooled[:-1]])
    z2 = lif_reference(delayed @ fc_w.T + fc_b, 5.0, 1.0, 0.0, 0.4, 0.0, dt)
    assert z1.sum() > 50 and z2.sum() > 5
    np.testing.assert_array_equal(run.spikes["lif1"], z1)
    np.testing.assert_array_equal(run.outputs["output"], z2.astype(float))
    # one synapse per in-bounds tap (offsets -1, 0, 1 keep 5, 6, 5 rows and columns), and each lif1
    # neuron reaches one pooled unit, hence all 5 outputs of the Affine
    synapses = {p.name: p.n_synapses for p in snir.from_nir(graph, dt=dt).projections}
    assert synapses == {"input->lif1": 3 * (5 + 6 + 5) ** 2, "lif1->lif2": 108 * 5}


def test_recurrent_cuba_lif_graph_matches_the_exact_two_variable_solution():
    """Input(4) -> Affine -> CubaLIF(6) with a recurrent Affine CubaLIF -> CubaLIF, reset by subtraction.

    Reference: the 2x2 system tau_syn I' = -I + w_in S, tau_mem v' = v_leak - v + R I, stepped with
    expm for S held over the step: S[k] = W_in x[k] + b + W_rec z[k-1]."""
    rng = np.random.default_rng(7)
    dt, steps, n = 0.5, 300, 6
    tau_syn, tau_mem, r, v_leak, v_th, w_in = 0.004, 0.010, 1.5, 0.0, 1.0, rng.uniform(0.5, 1.5, n)
    w_x, bias = rng.normal(0.8, 0.6, (n, 4)), rng.normal(0.2, 0.1, n)
    w_rec = rng.normal(-0.3, 0.5, (n, n))
    graph = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type={"input": np.array([4])}),
            "in": nir.Affine(weight=w_x, bias=bias),
            "cuba": nir.CubaLIF(tau_syn=np.full(n, tau_syn), tau_mem=np.full(n, tau_mem), r=np.full(n, r), v_leak=np.full(n, v_leak),
                                v_threshold=np.full(n, v_th), v_reset=np.zeros(n), w_in=w_in, metadata={"reset_mode": "subtract"}),
            "rec": nir.Linear(weight=w_rec),
            "output": nir.Output(output_type={"output": np.array([n])}),
        },
        edges=[("input", "in"), ("in", "cuba"), ("cuba", "rec"), ("rec", "cuba"), ("cuba", "output")],
    )
    x = rng.random((steps, 4)) < 0.15
    run = snir.simulate(snir.from_nir(graph, dt=dt), x, precision="float64")

    ts, tm = tau_syn * 1000, tau_mem * 1000
    z = np.zeros((steps, n), dtype=bool)
    i, v = np.zeros(n), np.full(n, v_leak)
    phis = [exact_step_matrix(np.array([[-1 / ts, 0.0], [r / tm, -1 / tm]]), np.array([[w_in[j] / ts, 0.0], [0.0, 1 / tm]]), dt)
            for j in range(n)]
    previous = np.zeros(n)
    for k in range(steps):
        s = w_x @ x[k] + bias + w_rec @ previous
        for j in range(n):
            phi, gamma = phis[j]
            i[j], v[j] = phi @ np.array([i[j], v[j]]) + gamma @ np.array([s[j], v_leak])
        z[k] = v > v_th
        v = np.where(z[k], v - v_th, v)
        previous = z[k].astype(float)
    assert 10 < z.sum() < z.size - 10
    np.testing.assert_array_equal(run.spikes["cuba"], z)


def test_delay_node_shifts_the_response_and_nested_graphs_import_flat():
    """Input -> Delay(0.3 ms) -> Affine -> LIF equals the undelayed graph 3 steps later (dt = 0.1 ms); the same
    graph nested as a subgraph gives the same spikes."""
    rng = np.random.default_rng(1)
    w = rng.normal(1.0, 0.5, (3, 2))
    lif = dict(tau=np.full(3, 0.002), r=np.ones(3), v_leak=np.zeros(3), v_threshold=np.full(3, 0.08), v_reset=np.zeros(3))

    def graph(delay: float | None, nested: bool = False) -> nir.NIRGraph:
        nodes = {"input": nir.Input(input_type={"input": np.array([2])}), "w": nir.Linear(weight=w), "lif": nir.LIF(**lif),
                 "output": nir.Output(output_type={"output": np.array([3])})}
        edges = [("input", "w"), ("w", "lif"), ("lif", "output")]
        if delay is not None:
            nodes["delay"] = nir.Delay(delay=np.full(2, delay))
            edges = [("input", "delay"), ("delay", "w")] + edges[1:]
        if not nested:
            return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)
        inner = nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)
        return nir.NIRGraph(nodes={"x": nir.Input(input_type={"input": np.array([2])}), "block": inner,
                                   "y": nir.Output(output_type={"output": np.array([3])})},
                            edges=[("x", "block"), ("block", "y")], type_check=False)

    x = rng.random((200, 2)) < 0.3
    plain = snir.simulate(snir.from_nir(graph(None), dt=0.1), x, precision="float64").spikes["lif"]
    delayed = snir.simulate(snir.from_nir(graph(0.0003), dt=0.1), x, precision="float64").spikes["lif"]
    nested = snir.simulate(snir.from_nir(graph(0.0003, nested=True), dt=0.1), x, precision="float64")
    assert plain.sum() > 10
    np.testing.assert_array_equal(delayed[3:], plain[:-3])
    assert not delayed[:3].any()
    np.testing.assert_array_equal(nested.spikes["block.lif"], delayed)
    np.testing.assert_array_equal(nested.outputs["y"], delayed.astype(float))


def test_li_output_and_linear_readout():
    """Input -> Affine -> LI -> Output records v at each step end (exact solution); LIF -> Affine -> Output
    reads W z + b from the spikes of the same step."""
    rng = np.random.default_rng(5)
    dt, steps = 1.0, 60
    w_in, w_out, b_out = rng.normal(1, 0.3, (2, 3)), rng.normal(0, 1, (4, 2)), rng.normal(0, 1, 4)
    graph = nir.NIRGraph(
        nodes={"input": nir.Input(input_type={"input": np.array([3])}), "a": nir.Affine(weight=w_in, bias=np.zeros(2)),
               "li": nir.LI(tau=np.full(2, 0.01), r=np.full(2, 2.0), v_leak=np.full(2, 0.1)),
               "li_out": nir.Output(output_type={"output": np.array([2])}),
               "lif": nir.LIF(tau=np.full(2, 0.005), r=np.ones(2), v_leak=np.zeros(2), v_threshold=np.full(2, 0.6), v_reset=np.zeros(2)),
               "readout": nir.Affine(weight=w_out, bias=b_out), "out": nir.Output(output_type={"output": np.array([4])})},
        edges=[("input", "a"), ("a", "li"), ("li", "li_out"), ("a", "lif"), ("lif", "readout"), ("readout", "out")],
    )
    x = rng.random((steps, 3)) < 0.4
    run = snir.simulate(snir.from_nir(graph, dt=dt), x, precision="float64")
    currents = x @ w_in.T
    decay = np.exp(-dt / 10.0)
    v, expected = np.full(2, 0.1), []
    for k in range(steps):
        v = 0.1 + (v - 0.1) * decay + 2.0 * currents[k] * (1 - decay)
        expected.append(v.copy())
    np.testing.assert_allclose(run.outputs["li_out"], np.array(expected), rtol=0, atol=1e-12)
    z = lif_reference(currents, 5.0, 1.0, 0.0, 0.6, 0.0, dt)
    assert z.sum() > 3
    np.testing.assert_allclose(run.outputs["out"], z @ w_out.T + b_out, rtol=0, atol=1e-12)
