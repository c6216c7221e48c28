"""e-prop on the pattern-generation task of Bellec et al. (2020) (the authors' regression tutorial).

100 input neurons with frozen 50 Hz Poisson spikes, 100 recurrent LIF neurons (τ_m 30 ms, v_th 0.03,
reset by subtraction, no autapses), one leaky readout (τ_out 30 ms); the target is a sum of four
sines (periods 1000, 500, 333, 200 ms) over 1000 steps of 1 ms. Random feedback, firing-rate
regulariser (c_reg 300, 10 Hz), plain gradient descent η = 1e-4 on the same sequence every iteration.
Writes a run folder ``results/eprop_pattern/<timestamp>/`` with ``eprop_pattern.json`` (learning curve,
NMSE, rates), ``eprop_pattern.png`` (learning curve; target vs output before and after), config, seeds
and log. By default e-prop runs on its own dense JAX loop (:func:`learning_rules.eprop.train`); with
``--engine`` every trial runs on the event engine (:class:`learning_rules.eprop.EpropRule` computes the
eligibility traces and gradients, :func:`learning_rules.eprop.train_on_engine` updates the weights on the
host; 1000 iterations took 73 s on a 2-core CPU, against 9 s for the dense loop), and the folder also holds
the activity counts of all training trials (``activity_counts.json``, ``network.json``).

Usage: ``python -m experiments.eprop_pattern [n_iterations] [seed] [--engine] [--results ROOT]`` (defaults 1000 and 1).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from experiments.run_folder import add_results_option, network_builder, record_counts, resolved_config, run_script
from learning_rules.eprop import (EpropNetwork, EpropWeights, build_engine_network, engine_gradients, eprop_gradients, train,
                                  train_on_engine)
from spikenet.io import save_figure, write_json

EXPERIMENT = "eprop_pattern"


def pattern_task(seed: int = 1, n_in: int = 100, n_rec: int = 100, n_steps: int = 1000, input_probability: float = 0.05
                 ) -> tuple[EpropWeights, np.ndarray, np.ndarray, np.ndarray]:
    """Initial weights, frozen input spikes (T, n_in), target (T, 1) and random feedback B (n_rec, 1).

    Draws follow the order of NEST's ``test_eprop_regression`` as transcribed in the reproduction
    targets (numpy ``RandomState(seed)``): W_in, W_rec (zero diagonal), W_out, B ~ N(0, 0.1²), input
    ``rand(T, n_in) < p`` with the first step zeroed, then the sine amplitudes U(0.5, 2) and phases U(0, 2π).
    The target is shifted to start at 0 and normalised to max |y*| = 1.
    """
    rng = np.random.RandomState(seed)
    w_in = rng.randn(n_in, n_rec).T / 10
    w_rec = rng.randn(n_rec, n_rec).T / 10
    np.fill_diagonal(w_rec, 0.0)
    w_out = rng.randn(n_rec, 1).T / 10
    feedback = rng.randn(n_rec, 1) / 10
    inputs = (rng.rand(n_steps, n_in) < input_probability).astype(float)
    inputs[0] = 0.0
    amplitudes = rng.uniform(0.5, 2.0, 4)
    phases = rng.uniform(0.0, 2 * np.pi, 4)
    t = np.arange(n_steps, dtype=float)
    target = sum(amp * np.sin(2 * np.pi * t / period + phase)
                 for amp, period, phase in zip(amplitudes, (1000.0, 500.0, 333.0, 200.0), phases))
    target = target - target[0]
    target = target / np.max(np.abs(target))
    return EpropWeights(w_in, w_rec, w_out), inputs, target[:, None], feedback


def normalised_mse(y: np.ndarray, target: np.ndarray) -> float:
    """NMSE = mean((y - y*)²) / Var(y*)."""
    return float(np.mean((np.asarray(y) - target) ** 2) / np.var(target))


@network_builder
def engine_network(seed: int = 1):
    """The event-engine network of ``--engine`` (for ``spikenet energy`` to rebuild a saved run)."""
    weights, inputs, target, _ = pattern_task(seed)
    return build_engine_network(EpropNetwork(), inputs.shape[1], weights.recurrent.shape[0], target)


def run_on_engine(n_iterations: int = 1000, seed: int = 1, precision: str = "float32") -> dict:
    """:func:`run` with every trial on the event engine (:func:`learning_rules.eprop.train_on_engine`);
    the result also holds ``counts``, the activity counts of the training trials."""
    network = EpropNetwork()
    weights, inputs, target, feedback = pattern_task(seed)
    compiled = engine_network(seed).compile(precision=precision)
    _, before, _ = engine_gradients(compiled, weights, inputs, feedback)
    final, history, counts = train_on_engine(network, weights, inputs, target, feedback, 1e-4, n_iterations,
                                             precision=precision)
    _, after, _ = engine_gradients(compiled, final, inputs, feedback)
    return {"n_iterations": n_iterations, "seed": seed, "precision": precision, "engine": True,
            "task_loss": np.append(history.task_loss, after.task_loss), "regulariser": history.regulariser,
            "mean_rate_hz": np.append(history.mean_rate_hz, after.mean_rate_hz),
            "nmse_initial": normalised_mse(before.y, target), "nmse_final": normalised_mse(after.y, target),
            "y_initial": before.y[:, 0], "y_final": after.y[:, 0], "target": target[:, 0], "counts": counts}


def run(n_iterations: int = 1000, seed: int = 1, precision: str = "float32") -> dict:
    """Train for ``n_iterations``; return the learning curve and the outputs before and after."""
    network = EpropNetwork()
    weights, inputs, target, feedback = pattern_task(seed)
    dtype = jnp.float64 if precision == "float64" else jnp.float32
    with jax.enable_x64(precision == "float64"):
        weights = EpropWeights(*(jnp.asarray(w, dtype) for w in weights))
        _, before = eprop_gradients(network, weights, inputs, target, feedback)
        final, history = train(network, weights, inputs, target, feedback, 1e-4, n_iterations)
        _, after = eprop_gradients(network, final, inputs, target, feedback)
        losses = np.append(np.asarray(history.task_loss, float), float(after.task_loss))
        return {"n_iterations": n_iterations, "seed": seed, "precision": precision, "engine": False,
                "task_loss": losses, "regulariser": np.asarray(history.regulariser, float),
                "mean_rate_hz": np.append(np.asarray(history.mean_rate_hz, float), float(after.mean_rate_hz)),
                "nmse_initial": normalised_mse(before.y, target), "nmse_final": normalised_mse(after.y, target),
                "y_initial": np.asarray(before.y[:, 0], float), "y_final": np.asarray(after.y[:, 0], float),
                "target": target[:, 0]}


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
    left.semilogy(result["task_loss"], label="e-prop (random feedback)")
    reference_iterations = [0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 999]
    reference_losses = [103.08, 57.8, 41.5, 27.2, 17.8, 11.0, 11.1, 11.7, 10.2, 8.43, 6.86]
    left.semilogy(reference_iterations, reference_losses, "o", ms=4, label="numpy reference (§5c; its own draws)")
    left.set(xlabel="iteration", ylabel="loss E", title="pattern generation: learning curve")
    left.legend()
    t = np.arange(result["target"].size)
    right.plot(t, result["target"], "k", lw=2, label="target")
    right.plot(t, result["y_initial"], color="0.6", label="before")
    right.plot(t, result["y_final"], "C1", label=f"after {result['n_iterations']} it.")
    right.set(xlabel="time (ms)", ylabel="readout", title=f"NMSE {result['nmse_final']:.3f}")
    right.legend(loc="upper right", fontsize=8)
    save_figure(figure, path)
    plt.close(figure)


def write(result: dict, out: Path) -> dict:
    """Write ``eprop_pattern.json`` and ``eprop_pattern.png`` into ``out``; returns the summary written."""
    summary = {key: value for key, value in result.items() if key not in ("y_initial", "y_final", "target", "counts")}
    loss = result["task_loss"]
    summary["loss_ratio_final"] = float(loss[-1] / loss[0])
    summary["reference"] = {"source": "REPRODUCTION_TARGETS.md §5c, numpy re-implementation, seed 1",
                            "loss": {"0": 103.08, "100": 57.8, "300": 27.2, "999": 6.86},
                            "nmse_final": 0.128, "rate_hz_final": 14.3}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "eprop_pattern.json", summary)
    if result.get("counts") is not None:  # --engine: the counts of all training trials
        record_counts(out, result["counts"], builder=engine_network, kwargs={"seed": result["seed"]},
                      inferences=result["n_iterations"])
    plot(result, out / "eprop_pattern.png")
    print(f"loss {loss[0]:.2f} -> {loss[-1]:.2f} ({loss[-1] / loss[0]:.1%}); NMSE {result['nmse_final']:.3f}; "
          f"rate {result['mean_rate_hz'][-1]:.1f} Hz")
    return summary


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    parser.add_argument("n_iterations", nargs="?", type=int, default=1000, help="training iterations (default 1000)")
    parser.add_argument("seed", nargs="?", type=int, default=1, help="seed of weights, inputs and target (default 1)")
    parser.add_argument("--precision", choices=["float32", "float64"], default="float32")
    parser.add_argument("--engine", action="store_true",
                        help="run every trial on the event engine (EpropRule; writes activity counts)")
    return add_results_option(parser)


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if args.n_iterations < 1:
        parser.error(f"n_iterations must be >= 1; got {args.n_iterations}")
    config = resolved_config(args, learning_rate=1e-4, n_in=100, n_rec=100, n_steps=1000, input_probability=0.05,
                             network=repr(EpropNetwork()))
    return run_script(EXPERIMENT, args.results, config, {"weights_inputs_and_target": args.seed},
                      lambda folder: write((run_on_engine if args.engine else run)(args.n_iterations, args.seed, args.precision),
                                           folder.path))


if __name__ == "__main__":
    raise SystemExit(main())
