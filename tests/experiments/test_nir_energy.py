"""``spikenet energy --nir MODEL.nir --dt MS --input INPUT.npz``: bring your own network, price it
(issue 14, part 4). Graphs are built here with the ``nir`` package (not the example's graph)."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

import hardware
from experiments import cli, nir_conv_example
from hardware.dense import DenseLayer, layer_workload, mlp_workload
from spikenet import nir as snir


def _lif(shape):
    import nir

    return nir.LIF(tau=np.full(shape, 0.01), r=np.ones(shape), v_leak=np.zeros(shape), v_threshold=np.ones(shape),
                   v_reset=np.zeros(shape))


def conv_graph():
    """Input (1, 6, 6) -> Conv2d (1 -> 2, 3x3, no padding) -> LIF (2, 4, 4) -> Flatten -> Affine (32 -> 3) -> LIF -> Output."""
    import nir

    rng = np.random.default_rng(3)
    nodes = {"in": nir.Input(input_type={"input": np.array([1, 6, 6])}),
             "conv": nir.Conv2d(input_shape=(6, 6), weight=rng.normal(1.5, 0.5, (2, 1, 3, 3)), stride=1, padding=0,
                                dilation=1, groups=1, bias=np.zeros(2)),
             "lif_a": _lif((2, 4, 4)),
             "flat": nir.Flatten(input_type={"input": np.array([2, 4, 4])}, start_dim=0, end_dim=-1),
             "dense": nir.Affine(weight=rng.normal(0.3, 0.5, (3, 32)), bias=np.zeros(3)),
             "lif_b": _lif((3,)),
             "out": nir.Output(output_type={"output": np.array([3])})}
    edges = [("in", "conv"), ("conv", "lif_a"), ("lif_a", "flat"), ("flat", "dense"), ("dense", "lif_b"), ("lif_b", "out")]
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


# conv: 2 x 4 x 4 output positions x (1 input channel x 3 x 3 taps); Affine: 3 x 32; Flatten: none
CONV_GRAPH_MACS = 2 * 4 * 4 * (1 * 3 * 3) + 3 * 32
CONV_GRAPH_WEIGHTS = 2 * 1 * 3 * 3 + 3 * 32


def one_layer_graph():
    """Input (4) -> Affine (4 -> 3, every weight non-zero: fan-out 3) -> LIF (3) -> Output; channel k < 3 drives output k."""
    import nir

    weight = np.full((3, 4), 0.1)
    weight[np.arange(3), np.arange(3)] = 3.0
    nodes = {"x": nir.Input(input_type={"input": np.array([4])}), "w": nir.Affine(weight=weight, bias=np.zeros(3)),
             "lif": _lif((3,)), "y": nir.Output(output_type={"output": np.array([3])})}
    return nir.NIRGraph(nodes=nodes, edges=[("x", "w"), ("w", "lif"), ("lif", "y")], type_check=False)


def _price(tmp_path, capsys, graph, spikes, labels=None, extra=()):
    model = snir.write(tmp_path / "graph.nir", graph)
    arrays = {"spikes": spikes} if labels is None else {"spikes": spikes, "labels": labels}
    np.savez(tmp_path / "input.npz", **arrays)
    out = tmp_path / "out"
    capsys.readouterr()
    code = cli.main(["energy", "--nir", str(model), "--dt", "1", "--input", str(tmp_path / "input.npz"),
                     "--out", str(out), "--json", *extra])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out), out


@pytest.fixture(scope="module")
def conv_run(tmp_path_factory):
    """The conv graph priced by the CLI (table mode); the summary read back from nir_energy.json."""
    tmp_path = tmp_path_factory.mktemp("conv")
    rng = np.random.default_rng(0)
    spikes = (rng.random((3, 12, 1, 6, 6)) < 0.3).astype(np.uint8)
    model = snir.write(tmp_path / "graph.nir", conv_graph())
    np.savez(tmp_path / "input.npz", spikes=spikes)
    out = tmp_path / "out"
    assert cli.main(["energy", "--nir", str(model), "--dt", "1", "--input", str(tmp_path / "input.npz"),
                     "--out", str(out)]) == 0
    return json.loads((out / "nir_energy.json").read_text()), out, spikes


def test_conv_graph_is_priced_on_every_chip_and_dense_device(conv_run):
    summary, out, _ = conv_run
    chips = [n for n in hardware.available_chips() if hardware.get_chip(n).kind != "dense"]
    dense = hardware.available_chips("dense")
    assert set(summary["devices"]) | set(summary["not_fitting"]) == set(chips) | set(dense)
    assert set(dense) <= set(summary["devices"])  # the twin runs on every dense device
    assert summary["regimes"] == list(hardware.REGIMES)
    for regime in hardware.REGIMES:
        energies = summary["energy_per_inference_j"][regime]
        assert set(energies) == set(summary["devices"])
        assert all(math.isfinite(e) and e > 0 for e in energies.values())
    for name, reason in summary["not_fitting"].items():
        assert reason and "\n" not in reason, name
    assert summary["devices"]["h100"]["model"] == "ANN twin" and summary["devices"]["loihi"]["model"] == "SNN"
    assert summary["accuracy"] is None  # no labels
    files = {p.name for p in out.iterdir()}
    assert {"nir_energy.json", "energy_reports.json", "energy_per_inference.png", "model.nir",
            "activity_counts.json", "network.json"} <= files
    assert not [name for name in files if name.startswith(".")]  # no temporary files left
    assert (out / "energy_per_inference.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((out / "nir_energy.json").read_text())["dense_twin"]["macs"] == summary["dense_twin"]["macs"]


def test_dense_twin_macs_are_the_hand_count_of_the_layers(conv_run):
    summary, _, _ = conv_run
    twin = summary["dense_twin"]
    assert twin["macs"] == CONV_GRAPH_MACS == 384
    assert twin["weights"] == CONV_GRAPH_WEIGHTS
    assert twin["activations"] == 36 + 32 + 3  # input, conv output, Affine output (Flatten moves nothing)
    for device, workload in twin["workload_per_device"].items():
        bits = hardware.get_chip(device).limit("weight_bits") or 32
        assert workload["macs"] == CONV_GRAPH_MACS and workload["passes"] == 1 and workload["kernels_per_pass"] == 2
        assert workload["weight_bytes"] == CONV_GRAPH_WEIGHTS * bits / 8


def test_counts_are_the_sum_over_samples_priced_per_inference(conv_run):
    summary, _, spikes = conv_run
    counts, per = summary["counts"], summary["counts_per_inference"]
    assert counts["spikes"]["in"] == int(spikes.sum())
    assert counts["steps"] == 3 * (12 + snir.LEAD_IN_STEPS)
    assert per["spikes"]["in"] == pytest.approx(spikes.sum() / 3)


def test_repricing_the_written_folder_still_works(conv_run, capsys):
    """The folder it writes is a run folder for the existing mode: ``spikenet energy OUT --chip loihi``."""
    summary, out, _ = conv_run
    assert cli.main(["energy", str(out), "--chip", "loihi", "--json", "--regime", "latency"]) == 0
    (report,) = json.loads(capsys.readouterr().out).values()
    assert report["inferences"] == 3
    assert report["per_inference_j"] == pytest.approx(summary["energy_per_inference_j"]["latency"]["loihi"], rel=1e-12)


def test_one_layer_synaptic_events_are_input_spikes_times_fan_out_and_accuracy(tmp_path, capsys):
    steps = 8
    spikes = np.zeros((4, steps, 4), dtype=np.uint8)
    for sample, channel in enumerate([0, 1, 2, 0]):
        spikes[sample, :, channel] = 1  # channel k < 3 drives output k (weight 3, the others 0.1)
    spikes[:, ::3, 3] = 1  # channel 3 adds events but drives nothing on its own
    labels = np.array([0, 1, 2, 1])  # the last sample is labelled wrong: 3 of 4 correct
    summary, _ = _price(tmp_path, capsys, one_layer_graph(), spikes, labels, extra=["--regime", "latency"])
    n_input_spikes = int(spikes.sum())
    assert summary["counts"]["spikes"]["x"] == n_input_spikes
    assert sum(summary["counts"]["synaptic_events"].values()) == n_input_spikes * 3  # fan-out 3
    assert summary["counts_per_inference"]["total_synaptic_events"] == pytest.approx(n_input_spikes * 3 / 4)
    accuracy = summary["accuracy"]
    assert accuracy["predictions"] == [0, 1, 2, 0] and accuracy["correct"] == 3 and accuracy["accuracy"] == 0.75
    assert "argmax" in accuracy["rule"] and "spike count" in accuracy["rule"]
    assert summary["regimes"] == ["latency"]
    assert summary["dense_twin"]["macs"] == 3 * 4


def _bad_inputs(tmp_path):
    model = snir.write(tmp_path / "ok.nir", one_layer_graph())
    good = np.zeros((2, 5, 4), dtype=np.uint8)
    files = {"no_spikes.npz": {"x": good}, "shape.npz": {"spikes": np.zeros((2, 5, 7))},
             "values.npz": {"spikes": np.full((2, 5, 4), 2)}, "labels.npz": {"spikes": good, "labels": np.array([0])},
             "label_range.npz": {"spikes": good, "labels": np.array([0, 7])}, "good.npz": {"spikes": good}}
    for name, arrays in files.items():
        np.savez(tmp_path / name, **arrays)
    (tmp_path / "junk.npz").write_text("not a zip")
    return model


@pytest.mark.parametrize("case, expected", [
    ("missing_model", "missing.nir"), ("missing_input", "missing.npz"), ("junk_input", "junk.npz"),
    ("no_spikes", "no_spikes.npz"), ("shape", "shape.npz"), ("values", "values.npz"), ("labels", "labels.npz"),
    ("label_range", "label_range.npz"), ("dt_zero", "--dt"), ("dt_large", "--dt"), ("not_nir", "good.npz"),
])
def test_bad_input_exits_2_with_one_line_naming_it(case, expected, tmp_path, capsys):
    model = _bad_inputs(tmp_path)
    dt, npz = "1", tmp_path / f"{case}.npz"
    if case == "missing_model":
        model = tmp_path / "missing.nir"
        npz = tmp_path / "good.npz"
    elif case == "missing_input":
        npz = tmp_path / "missing.npz"
    elif case == "junk_input":
        npz = tmp_path / "junk.npz"
    elif case.startswith("dt_"):
        dt, npz = ("0" if case == "dt_zero" else "1000"), tmp_path / "good.npz"
    elif case == "not_nir":
        model, npz = tmp_path / "good.npz", tmp_path / "good.npz"  # an npz is not a NIR (HDF5) file
    out = tmp_path / "out"
    capsys.readouterr()
    assert cli.main(["energy", "--nir", str(model), "--dt", dt, "--input", str(npz), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("spikenet: error:") and expected in err, err
    assert "Traceback" not in err
    assert not out.exists()  # nothing written for bad input


def test_usage_errors_of_the_two_modes(tmp_path, capsys):
    model = _bad_inputs(tmp_path)
    good = str(tmp_path / "good.npz")
    assert cli.main(["energy", "--nir", str(model), "--input", good]) == 2  # no --dt
    assert "--dt" in capsys.readouterr().err
    assert cli.main(["energy", "--nir", str(model), "--dt", "1", "--input", good, "--chip", "loihi"]) == 2
    assert "--chip" in capsys.readouterr().err
    assert cli.main(["energy", "--dt", "1"]) == 2  # an --nir option without --nir
    assert "--nir" in capsys.readouterr().err
    assert cli.main(["energy", "--nir", str(model), "--dt", "1", "--input", good, "--time-unit", "h"]) == 2


def test_layer_workload_reproduces_mlp_workload():
    sizes = [390, 256, 256, 29]
    layers = [DenseLayer(f"l{k}", a * b, a * b, b) for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]))]
    mine, reference = layer_workload(layers, sizes[0], 16, 3), mlp_workload(sizes, 16, 3)
    assert (mine.macs, mine.weight_bytes, mine.activation_bytes, mine.passes, mine.kernels_per_pass) == \
        (reference.macs, reference.weight_bytes, reference.activation_bytes, reference.passes, reference.kernels_per_pass)


def test_worked_example_runs_and_prices(tmp_path, capsys):
    assert nir_conv_example.main(["--samples", "2", "--steps", "10", "--results", str(tmp_path)]) == 0
    (folder,) = (tmp_path / "nir_conv_example").iterdir()
    out = capsys.readouterr().out
    assert "dense twin: 3,200 MACs per inference" in out and "latency regime" in out
    summary = json.loads((folder / "nir_energy.json").read_text())
    assert summary["dense_twin"]["macs"] == 4 * 8 * 8 * 9 + 4 * 4 * 4 * 4 + 10 * 64  # conv + 2x2 sum pool + Affine
    assert summary["accuracy"]["samples"] == 2
    assert json.loads((folder / "status.json").read_text())["state"] == "complete"
    assert Path(folder / "model.nir").is_file() and (folder / "energy_per_inference.png").is_file()


def test_non_spiking_output_predicts_from_its_summed_value(tmp_path, capsys):
    """An LI read-out (its membrane potential, no spikes): the prediction is the argmax of the summed value."""
    import nir

    weight = np.full((3, 4), 0.1)
    weight[np.arange(3), np.arange(3)] = 2.0
    graph = nir.NIRGraph(nodes={"x": nir.Input(input_type={"input": np.array([4])}),
                                "w": nir.Affine(weight=weight, bias=np.zeros(3)),
                                "li": nir.LI(tau=np.full(3, 0.01), r=np.ones(3), v_leak=np.zeros(3)),
                                "y": nir.Output(output_type={"output": np.array([3])})},
                         edges=[("x", "w"), ("w", "li"), ("li", "y")], type_check=False)
    spikes = np.zeros((3, 6, 4), dtype=np.uint8)
    spikes[np.arange(3), :, np.arange(3)] = 1
    summary, _ = _price(tmp_path, capsys, graph, spikes, np.array([0, 1, 2]), extra=["--regime", "latency"])
    assert summary["accuracy"]["predictions"] == [0, 1, 2] and summary["accuracy"]["accuracy"] == 1.0
    assert "of its value summed" in summary["accuracy"]["rule"]
