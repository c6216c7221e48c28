"""Bring your own network, worked example: a small convolutional SNN written as a NIR graph, then
priced with ``spikenet energy --nir`` on every chip and, as its dense twin, on every dense device.

Nothing is trained: the weights are seeded random numbers, so the accuracy printed is that of an
untrained network (chance level, and from a handful of samples); the point is the workflow and
the energy per inference. Steps:

1. build the graph with the ``nir`` package — Input (1, 8, 8) -> Conv2d (1 -> 4 channels, 3x3,
   padding 1) -> LIF -> SumPool2d 2x2 -> Flatten -> Affine (64 -> 10) -> LIF -> Output, time
   constants in seconds as snnTorch, Norse and Sinabs write them — and write it with
   :func:`spikenet.nir.write` to ``model.nir`` in the run folder;
2. write ``input.npz``: ``spikes`` (samples, T, 1, 8, 8), scikit-learn's 8x8 digits rate-coded
   (Bernoulli spikes with probability intensity/16 x ``--max-rate`` x dt per step, seeded), and
   their ``labels``;
3. run ``spikenet energy --nir model.nir --dt 1 --input input.npz --out RUN_FOLDER``
   (:func:`experiments.cli.main`), which imports, simulates, prices and prints the table.

Run: ``spikenet run nir_conv_example`` or ``python -m experiments.nir_conv_example [--samples N]
[--steps T] [--seed S] [--results ROOT]``; writes ``results/nir_conv_example/<timestamp>/``:
``model.nir``, ``input.npz`` and what ``spikenet energy --nir`` writes (``nir_energy.json``,
``energy_reports.json``, ``energy_per_inference.png``, ``activity_counts.json``, ``network.json``),
with config and log.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from experiments.run_folder import add_results_option, resolved_config, run_script
from spikenet.io import write_npz

EXPERIMENT = "nir_conv_example"
DT_MS = 1.0
TAU_S = 0.01  # 10 ms membrane time constants, in seconds (the unit of snnTorch/Norse/Sinabs graphs)


def build_graph(seed: int = 0):
    """The example's NIR graph (seeded weights; nothing trained)."""
    import nir

    rng = np.random.default_rng(seed)
    conv_weight = rng.normal(1.5, 0.8, size=(4, 1, 3, 3))  # (C_out, C_in, kh, kw); sparse activity, outputs fire
    fc_weight = rng.normal(0.3, 0.6, size=(10, 64))

    def lif(shape: tuple[int, ...]):
        return nir.LIF(tau=np.full(shape, TAU_S), r=np.ones(shape), v_leak=np.zeros(shape),
                       v_threshold=np.ones(shape), v_reset=np.zeros(shape))

    nodes = {
        "input": nir.Input(input_type={"input": np.array([1, 8, 8])}),
        "conv": nir.Conv2d(input_shape=(8, 8), weight=conv_weight, stride=1, padding=1, dilation=1, groups=1,
                           bias=np.zeros(4)),
        "lif1": lif((4, 8, 8)),
        "pool": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])),
        "flatten": nir.Flatten(input_type={"input": np.array([4, 4, 4])}, start_dim=0, end_dim=-1),
        "fc": nir.Affine(weight=fc_weight, bias=np.zeros(10)),
        "lif2": lif((10,)),
        "output": nir.Output(output_type={"output": np.array([10])}),
    }
    edges = [("input", "conv"), ("conv", "lif1"), ("lif1", "pool"), ("pool", "flatten"), ("flatten", "fc"),
             ("fc", "lif2"), ("lif2", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


def digit_spikes(samples: int, steps: int, max_rate_hz: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Rate-coded scikit-learn digits: spikes (samples, steps, 1, 8, 8) as uint8 and labels (samples,)."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    rng = np.random.default_rng(seed)
    index = rng.choice(len(digits.target), size=samples, replace=False)
    probability = digits.images[index] / 16.0 * max_rate_hz * DT_MS / 1000.0  # (samples, 8, 8)
    spikes = rng.random((samples, steps, 8, 8)) < probability[:, None]
    return spikes[:, :, None].astype(np.uint8), digits.target[index].astype(np.int64)


def run(folder: Path, samples: int, steps: int, max_rate_hz: float, seed: int) -> int:
    """Write the graph and the input into ``folder``, then price it with ``spikenet energy --nir``."""
    from experiments import cli
    from spikenet import nir as snir

    model = snir.write(folder / "model.nir", build_graph(seed))
    spikes, labels = digit_spikes(samples, steps, max_rate_hz, seed)
    inputs = write_npz(folder / "input.npz", spikes=spikes, labels=labels)
    argv = ["energy", "--nir", str(model), "--dt", f"{DT_MS:g}", "--input", str(inputs), "--out", str(folder)]
    print("spikenet " + " ".join(argv))
    code = cli.main(argv)
    if code != 0:
        raise RuntimeError(f"spikenet energy --nir exited with {code}")
    return code


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=4, help="digit images to run (default 4)")
    parser.add_argument("--steps", type=int, default=50, help=f"steps of {DT_MS:g} ms per image (default 50)")
    parser.add_argument("--max-rate", type=float, default=200.0, help="input rate of a white pixel (Hz, default 200)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the weights, the images drawn and the spikes")
    return add_results_option(parser)


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if args.samples < 1 or args.steps < 1:
        parser.error(f"--samples and --steps must be >= 1; got {args.samples} and {args.steps}")
    if not 0 < args.max_rate <= 1000.0 / DT_MS:
        parser.error(f"--max-rate must be in (0, {1000.0 / DT_MS:g}] Hz (at most one spike per step); got {args.max_rate}")
    config = resolved_config(args, dt_ms=DT_MS, tau_s=TAU_S)
    return run_script(EXPERIMENT, args.results, config, {"weights_images_and_spikes": args.seed},
                      lambda folder: run(folder.path, args.samples, args.steps, args.max_rate, args.seed))


if __name__ == "__main__":
    raise SystemExit(main())
