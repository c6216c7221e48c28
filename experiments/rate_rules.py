"""Rate-based local rules under the protocols of the reproduction targets (§4): Oja, GHA, BCM, homeostasis.

* Oja (η 0.002, 60 000 samples, d = 10, C = Q diag(5, 3, 2, 1, 0.8, ..., 0.1) Qᵀ) and the plain-Hebb
  control; Sanger's GHA for the first three components.
* BCM with a sliding threshold (τ_θ 50 samples, η 2e-3, 400 000 samples), K = 2 and 4 patterns,
  overlap 0 and 0.2, 3 seeds; the mean-field fixed point.
* Adaptive-threshold LIF (200 s, dt 0.1 ms): rate vs the fixed point b/a.
* Triesch intrinsic plasticity (300 000 samples): output mean and SD/mean.

Writes a run folder ``results/rate_rules/<timestamp>/`` with ``rate_rules.json``, ``rate_rules.png``
(atomically), config, seeds and log (rate models, not the event engine: no activity counts).
Usage: ``python -m experiments.rate_rules [--results ROOT]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from experiments.run_folder import add_results_option, resolved_config, run_script
from learning_rules.bcm import BCM, bcm_patterns
from learning_rules.homeostasis import AdaptiveThresholdLIF, IntrinsicPlasticity
from learning_rules.oja import GeneralizedHebbian, Oja, PlainHebb, pca_test_covariance
from spikenet.io import save_figure, write_json

EXPERIMENT = "rate_rules"
SEEDS = {"oja_covariance": 0, "oja_samples_and_initial_weights": 1, "bcm_runs": [0, 1, 2],
         "adaptive_threshold_jax_key": 0, "intrinsic_plasticity_jax_key": 0}


def run_oja() -> dict:
    covariance, q, _ = pca_test_covariance(seed=0)
    rng = np.random.default_rng(1)
    samples = rng.multivariate_normal(np.zeros(10), covariance, size=60_000).astype(np.float32)
    w0 = rng.normal(0.0, 0.1, 10).astype(np.float32)
    _, oja = Oja(0.002).fit(w0, samples, record_every=1000)
    _, hebb = PlainHebb(0.002).fit(w0, samples, record_every=1000)
    gha, _ = GeneralizedHebbian(0.002, 3).fit(rng.normal(0.0, 0.1, (3, 10)).astype(np.float32), samples)
    oja, hebb, gha = (np.asarray(a, dtype=float) for a in (oja, hebb, gha))
    with np.errstate(over="ignore", invalid="ignore"):
        hebb_norm = np.linalg.norm(hebb, axis=1)
    return {"samples": np.arange(1, 61) * 1000,
            "oja_abs_cos_e1": np.abs(oja @ q[:, 0]) / np.linalg.norm(oja, axis=1),
            "oja_norm": np.linalg.norm(oja, axis=1),
            "hebb_norm": np.where(np.isfinite(hebb_norm), hebb_norm, np.inf),
            "gha_abs_cos": np.abs(gha @ q[:, :3]) / np.linalg.norm(gha, axis=1)[:, None]}


def run_bcm() -> dict:
    runs = []
    rule = BCM(learning_rate=2e-3, threshold_tau=50.0)
    for k, overlap in [(2, 0.0), (4, 0.0), (4, 0.2)]:
        patterns = bcm_patterns(k, overlap)
        for seed in range(3):
            w0 = np.random.default_rng(seed).uniform(0.2, 0.4, k)
            sequence = jax.random.randint(jax.random.PRNGKey(seed), (400_000,), 0, k)
            _, responses, _ = rule.fit(w0.astype(np.float32), 0.0, patterns.astype(np.float32), sequence, 1000)
            responses = np.asarray(responses, dtype=float)
            with jax.enable_x64(True):
                w = rule.fit_meanfield(jnp.asarray(w0), jnp.asarray(patterns), 100_000)
                meanfield = np.asarray(rule.response(w, jnp.asarray(patterns)))
            preferred = int(np.argmax(responses[-1]))
            runs.append({"k": k, "overlap": overlap, "seed": seed, "responses": responses,
                         "final_responses": responses[-1], "preferred_time_average":
                         float(responses[responses.shape[0] // 2:, preferred].mean()),
                         "meanfield_responses": meanfield})
    return {"runs": runs}


def run_homeostasis() -> dict:
    adaptive = []
    for a, b, mu in [(0.05, 0.5, 1.5), (0.05, 0.25, 1.5), (0.02, 0.3, 2.0)]:
        counts, _ = AdaptiveThresholdLIF(a, b, mu).simulate(200_000.0, jax.random.PRNGKey(0))
        counts = np.asarray(counts)
        adaptive.append({"a": a, "b_per_s": b, "mu": mu, "target_hz": b / a, "rate_per_second_hz": counts,
                         "rate_last_50s_hz": float(counts[-50:].mean())})
    intrinsic = []
    for mu in (0.1, 0.2):
        samples = jax.random.normal(jax.random.PRNGKey(0), (300_000,))
        (gain, bias), y = IntrinsicPlasticity(1e-3, mu).fit(samples)
        late = np.asarray(y[-50_000:], dtype=float)
        intrinsic.append({"mu": mu, "mean": float(late.mean()), "sd": float(late.std()), "gain": float(gain),
                          "bias": float(bias), "late_outputs": late})
    return {"adaptive_threshold": adaptive, "intrinsic_plasticity": intrinsic}


def plot(oja: dict, bcm: dict, homeostasis: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 4, figsize=(17, 3.6))
    ax = axes[0]
    ax.semilogy(oja["samples"], oja["oja_norm"], label="Oja ||w||")
    finite = np.isfinite(oja["hebb_norm"])
    ax.semilogy(oja["samples"][finite], oja["hebb_norm"][finite], "--", label="plain Hebb ||w|| (then overflow)")
    ax.set(xlabel="samples", ylabel="||w||", title="Oja: first principal component")
    ax.legend(fontsize=7, loc="center right")
    twin = ax.twinx()
    twin.plot(oja["samples"], oja["oja_abs_cos_e1"], color="C2", lw=0.8)
    twin.set_ylim(0.9, 1.005)
    twin.set_ylabel("Oja |cos(w, e1)|", color="C2")
    ax = axes[1]
    for run in bcm["runs"]:
        if run["overlap"] == 0.2 and run["seed"] == 0:
            for i in range(run["k"]):
                ax.plot(np.arange(run["responses"].shape[0]) * 1000, run["responses"][:, i], lw=0.8,
                        label=f"pattern {i + 1}")
    ax.axhline(4.0, color="k", ls=":", lw=1)
    ax.set(xlabel="samples", ylabel="response y", title="BCM, K = 4, overlap 0.2")
    ax.legend(fontsize=7)
    ax = axes[2]
    for case in homeostasis["adaptive_threshold"]:
        line, = ax.plot(case["rate_per_second_hz"], lw=0.8, label=f"a={case['a']}, b={case['b_per_s']}/s")
        ax.axhline(case["target_hz"], color=line.get_color(), ls=":")
    ax.set(xlabel="time (s)", ylabel="rate (Hz)", ylim=(0, 30), title="adaptive threshold: r* = b/a")
    ax.legend(fontsize=7)
    ax = axes[3]
    for case in homeostasis["intrinsic_plasticity"]:
        line = ax.hist(case["late_outputs"], bins=60, density=True, histtype="step", label=f"mu = {case['mu']}")
        grid = np.linspace(0, 1, 200)
        ax.plot(grid, np.exp(-grid / case["mu"]) / case["mu"], ":", color=line[2][0].get_edgecolor())
    ax.set(xlabel="output y", ylabel="density", yscale="log", title="Triesch IP: exponential output")
    ax.legend(fontsize=7)
    figure.tight_layout()
    save_figure(figure, path)
    plt.close(figure)


def run(out: Path) -> dict:
    """Every protocol; writes ``rate_rules.png`` and ``rate_rules.json`` into ``out``; returns the summary."""
    oja, bcm, homeostasis = run_oja(), run_bcm(), run_homeostasis()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    plot(oja, bcm, homeostasis, out / "rate_rules.png")
    summary = {
        "oja": {key: oja[key] for key in ("samples", "oja_abs_cos_e1", "oja_norm", "gha_abs_cos")},
        "bcm": [{key: run[key] for key in ("k", "overlap", "seed", "final_responses", "preferred_time_average",
                                           "meanfield_responses")} for run in bcm["runs"]],
        "adaptive_threshold": [{key: case[key] for key in ("a", "b_per_s", "mu", "target_hz", "rate_last_50s_hz")}
                               for case in homeostasis["adaptive_threshold"]],
        "intrinsic_plasticity": [{key: case[key] for key in ("mu", "mean", "sd", "gain", "bias")}
                                 for case in homeostasis["intrinsic_plasticity"]],
        "reference": "REPRODUCTION_TARGETS.md §4 (numpy reference runs and analytic fixed points)",
    }
    # JSON has no infinity: a plain-Hebb norm that overflowed is written as the string "inf".
    summary["oja"]["hebb_norm_final"] = float(oja["hebb_norm"][-1]) if np.isfinite(oja["hebb_norm"][-1]) else "inf"
    write_json(out / "rate_rules.json", summary)
    late = oja["oja_abs_cos_e1"][20:]
    print(f"Oja mean |cos| after 20 000 samples {late.mean():.3f}; GHA diag {np.diag(oja['gha_abs_cos']).round(3)}")
    for run in summary["bcm"]:
        print(f"BCM K={run['k']} o={run['overlap']} seed {run['seed']}: time-averaged preferred "
              f"{run['preferred_time_average']:.3f}, mean-field {np.max(run['meanfield_responses']):.6f}")
    for case in summary["adaptive_threshold"]:
        print(f"adaptive threshold a={case['a']} b={case['b_per_s']}: {case['rate_last_50s_hz']:.2f} Hz "
              f"(b/a {case['target_hz']:.1f})")
    for case in summary["intrinsic_plasticity"]:
        print(f"IP mu={case['mu']}: mean {case['mean']:.4f}, SD/mean {case['sd'] / case['mean']:.3f}")
    return summary


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    return add_results_option(parser)


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    args = build_parser(prog).parse_args(argv)
    config = resolved_config(args, oja={"learning_rate": 0.002, "samples": 60_000, "dimension": 10, "gha_components": 3},
                             bcm={"learning_rate": 2e-3, "threshold_tau": 50.0, "samples": 400_000,
                                  "cases": [[2, 0.0], [4, 0.0], [4, 0.2]]},
                             adaptive_threshold={"duration_ms": 200_000.0,
                                                 "cases_a_b_mu": [[0.05, 0.5, 1.5], [0.05, 0.25, 1.5], [0.02, 0.3, 2.0]]},
                             intrinsic_plasticity={"learning_rate": 1e-3, "mu": [0.1, 0.2], "samples": 300_000})
    return run_script(EXPERIMENT, args.results, config, SEEDS, lambda folder: run(folder.path))


if __name__ == "__main__":
    raise SystemExit(main())
