"""Izhikevich (2007) distal reward on one causal link, closed loop, on the event engine.

Protocol (REPRODUCTION_TARGETS 3c, the daspnet.m plasticity constants of 3b): 100 inputs fire
Poisson 1 Hz onto one post-synaptic cell that fires Poisson 2 Hz and, in addition, 5 ms after
each spike of input 0 with probability 0.05 s0/4 (s0 = the weight of input 0: the only causal
link, as n1 -> n2 in the paper). s0(0) = 0, every other s(0) = 1, s in [0, 4] mV.

* **contingent**: a post-synaptic spike less than 20 ms after a spike of input 0 (and after the
  previous post-synaptic spike) schedules a reward (dopamine += 0.5) 1000 + ceil(2000 U) ms later.
  The rewards are computed on the host from the spikes of each 1-s run and given to a later run
  with ``run(..., modulator=...)``: the loop is closed through the engine, not scripted.
* **control**: as many rewards as the contingent run of the same seed earned, at uniformly random
  times.

Rule: :class:`learning_rules.RewardModulatedSTDP` with daspnet.m's constants (traces x0.95 per
ms: tau = 19.5 ms; A+ = 0.1, A- = 0.15 per unit trace; eligibility x0.99 per 10 ms: tau_c = 995 ms;
dopamine x0.995 per ms: tau_d = 199.5 ms; s += (0.002 + DA) c every 10 ms, i.e. tau_s = 10 ms and
a tonic 0.002). The weight integrates continuously here instead of every 10 ms.

Expected (REPRODUCTION_TARGETS 3c, numpy reference, 1800 s, 3 seeds): contingent s0 -> 3.9-4.0
(first >= 3.99 at 1020-1320 s), control s0 < 0.3; the 99 other weights decay from 1 to a mean of
0.45-0.64 in both conditions. The check: contingent s0 >= 3.5 in >= 2/3 seeds and s0 > 3 x the
mean of the others in every seed; control s0 < 1.5; mean of the others in [0.3, 0.8].

Writes a run folder ``results/distal_reward/<timestamp>/`` with ``distal_reward.json`` (per
condition and seed: s0 every 60 s, final weights' summary, reward count, activity counts),
``distal_reward.npz`` and ``distal_reward.png``.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import spikenet as sn
from experiments.run_folder import add_results_option, network_builder, record_counts, resolved_config, run_script
from learning_rules import RewardModulatedSTDP
from spikenet.progress import ProgressBar

EXPERIMENT = "distal_reward"
DT_MS = 1.0
CHUNK_MS = 1000.0          # rewards come >= 1001 ms after their spike: always in a later chunk
N_INPUTS = 100
INPUT_RATE_HZ = 1.0
BACKGROUND_RATE_HZ = 2.0
CAUSAL_LATENCY_MS = 5.0
CAUSAL_PROBABILITY_AT_MAX = 0.05
CONTINGENCY_WINDOW_MS = 20.0
REWARD_AMOUNT = 0.5
W_MAX = 4.0
CHECKPOINT_MS = 60_000.0


def daspnet_rule(tau_eligibility: float | None = None) -> RewardModulatedSTDP:
    """RewardModulatedSTDP with daspnet.m's per-ms factors turned into time constants (ms)."""
    return RewardModulatedSTDP(
        a_plus=0.1, a_minus=0.15,
        tau_plus=-1.0 / math.log(0.95), tau_minus=-1.0 / math.log(0.95),
        tau_eligibility=tau_eligibility or -10.0 / math.log(0.99),
        modulator_tau=-1.0 / math.log(0.995), tau_s=10.0, baseline_modulator=0.002,
        w_min=0.0, w_max=W_MAX)


@dataclass(frozen=True)
class CausalResponder:
    """The post-synaptic cell of the task: Poisson ``background_hz`` spikes plus, ``latency_ms``
    after a delta input of size s arrives on ``causal``, a spike with probability
    ``probability_at_max * s / w_max``. Inputs on ``ignored`` have no effect (they still carry
    plasticity). Random numbers come from a counter-based key in the state."""

    seed: int = 0
    background_hz: float = BACKGROUND_RATE_HZ
    latency_ms: float = CAUSAL_LATENCY_MS
    probability_at_max: float = CAUSAL_PROBABILITY_AT_MAX
    w_max: float = W_MAX
    integration: str = "euler"

    def state_units(self) -> dict[str, str]:
        return {"causal": "mV", "ignored": "mV"}

    def initial_state(self, size: int, dt: float) -> dict[str, np.ndarray]:
        return {"causal": np.zeros(size), "ignored": np.zeros(size), "countdown": np.full(size, -1, np.int32),
                "background": np.zeros(size, np.int32), "counter": np.zeros(size, np.int32)}

    def update(self, state: dict, drive: sn.SynapticDrive, dt: float) -> dict:
        key = jax.random.fold_in(jax.random.PRNGKey(self.seed), state["counter"][0])
        uniform = jax.random.uniform(key, (2,) + state["causal"].shape, state["causal"].dtype)
        # The input arrived in the previous step (after its threshold): the spike follows
        # latency_ms after the input spike, i.e. latency_ms / dt - 1 steps from now.
        start = (state["causal"] > 0) & (uniform[0] < self.probability_at_max * state["causal"] / self.w_max)
        running = jnp.where(state["countdown"] >= 0, state["countdown"] - 1, -1)
        countdown = jnp.where(start, int(round(self.latency_ms / dt)) - 1, running)
        background = (uniform[1] < self.background_hz * dt / 1000.0).astype(jnp.int32)
        return {"causal": jnp.zeros_like(state["causal"]), "ignored": jnp.zeros_like(state["ignored"]),
                "countdown": countdown.astype(jnp.int32), "background": background, "counter": state["counter"] + 1}

    def threshold(self, state: dict, dt: float):
        return state, (state["countdown"] == 0) | (state["background"] == 1)

    def reset(self, state: dict, spiked) -> dict:
        return state


@network_builder
def network(seed: int = 0, tau_eligibility: float | None = None) -> sn.Network:
    """The task's network (for ``spikenet energy`` to rebuild a saved run)."""
    return build_network(seed, tau_eligibility)[0]


def build_network(seed: int, tau_eligibility: float | None = None) -> tuple[sn.Network, tuple[str, str]]:
    """Input 0 (the causal link) and inputs 1-99 onto the responder; returns (network, plastic projection names)."""
    net = sn.Network(dt=DT_MS, seed=seed)
    causal_input = net.population("input0", 1, sn.PoissonSource(INPUT_RATE_HZ))
    other_inputs = net.population("inputs", N_INPUTS - 1, sn.PoissonSource(INPUT_RATE_HZ))
    post = net.population("post", 1, CausalResponder(seed=seed))
    rule = daspnet_rule(tau_eligibility)
    causal = net.connect(causal_input, post, sn.AllToAll(), synapse=sn.Delta("causal"), weight=0.0,
                         plasticity=rule, name="causal")
    others = net.connect(other_inputs, post, sn.AllToAll(), synapse=sn.Delta("ignored"), weight=1.0,
                         plasticity=rule, name="others")
    return net, (causal.name, others.name)


def contingent_rewards(input_times: np.ndarray, post_times: np.ndarray, memory: dict,
                       rng: np.random.Generator) -> np.ndarray:
    """Reward times (ms) earned by the post spikes of one run: each post spike less than 20 ms after
    an input-0 spike that came after the previous post spike. ``memory`` carries the last input-0
    and post spike times across runs."""
    events = sorted([(t, 0) for t in input_times] + [(t, 1) for t in post_times])
    rewards = []
    for time_ms, kind in events:
        if kind == 0:
            memory["input"] = time_ms
            continue
        last_input = memory.get("input")
        if (last_input is not None and 0.0 < time_ms - last_input < CONTINGENCY_WINDOW_MS
                and last_input > memory.get("post", -math.inf)):
            rewards.append(time_ms + 1000.0 + math.ceil(2000.0 * rng.random()))
        memory["post"] = time_ms
    return np.asarray(rewards, dtype=float)


def run_condition(condition: str, seed: int, duration_ms: float, control_rewards: int | None = None,
                  tau_eligibility: float | None = None, progress: bool = True) -> dict[str, Any]:
    """One closed-loop run (``condition`` "contingent" or "control"); s0 every 60 s, final weights, counts."""
    if condition not in ("contingent", "control"):
        raise ValueError(f"condition must be 'contingent' or 'control'; got {condition!r}")
    if condition == "control" and control_rewards is None:
        raise ValueError("the control condition needs control_rewards (the contingent run's reward count)")
    net, (causal, others) = build_network(seed, tau_eligibility)
    compiled = net.compile(precision="float64")
    rng = np.random.default_rng([seed, 2007])
    n_chunks = int(round(duration_ms / CHUNK_MS))
    pending = np.zeros(0)
    if condition == "control":
        pending = np.sort(np.floor(rng.uniform(0.0, duration_ms, control_rewards) / DT_MS) * DT_MS)
    memory: dict[str, float] = {}
    state = None
    earned = 0
    checkpoints = [(0.0, 0.0)]
    counts = None
    bar = ProgressBar(n_chunks * int(CHUNK_MS / DT_MS), enabled=progress)
    monitors = [sn.SpikeMonitor("input0"), sn.SpikeMonitor("post")]
    for chunk in range(n_chunks):
        start = chunk * CHUNK_MS
        inside = (pending >= start) & (pending < start + CHUNK_MS)
        reward_times = pending[inside]
        pending = pending[~inside]
        jumps = (reward_times, np.full(reward_times.size, REWARD_AMOUNT))
        result = compiled.run(CHUNK_MS, seed=seed, monitors=monitors, progress=False, resume=state,
                              modulator={causal: jumps, others: jumps})
        state = result
        counts = result.counts if counts is None else counts + result.counts
        if condition == "contingent":
            new = contingent_rewards(result.spikes["input0"][0], result.spikes["post"][0], memory, rng)
            earned += new.size
            pending = np.sort(np.concatenate([pending, new[new < duration_ms]]))
        end = start + CHUNK_MS
        if end % CHECKPOINT_MS == 0 or chunk == n_chunks - 1:
            checkpoints.append((end, float(result.weights[causal][0])))
        bar.update((chunk + 1) * int(CHUNK_MS / DT_MS))
    bar.close()
    other = np.asarray(state.weights[others], dtype=float)
    s0 = float(state.weights[causal][0])
    times, values = np.array(checkpoints).T
    reached = times[values >= 3.99]
    return {
        "condition": condition, "seed": seed, "duration_ms": duration_ms,
        "s0_final": s0, "s0_checkpoints_ms": times.tolist(), "s0_checkpoints": values.tolist(),
        "first_checkpoint_at_3_99_ms": float(reached[0]) if reached.size else None,
        "other_mean": float(other.mean()), "other_fraction_above_2": float(np.mean(other > 2.0)),
        "other_weights": other.tolist(),
        "rewards": int(earned if condition == "contingent" else control_rewards),
        "counts": counts.to_dict(),
    }


def check(runs: list[dict[str, Any]]) -> dict[str, bool]:
    """REPRODUCTION_TARGETS 3c's pass criteria on a set of contingent and control runs."""
    contingent = [r for r in runs if r["condition"] == "contingent"]
    control = [r for r in runs if r["condition"] == "control"]
    return {
        "contingent_s0_at_least_3_5_in_two_thirds": sum(r["s0_final"] >= 3.5 for r in contingent) >= math.ceil(2 * len(contingent) / 3),
        "contingent_s0_above_3x_others_every_seed": all(r["s0_final"] > 3.0 * r["other_mean"] for r in contingent),
        "control_s0_below_1_5_every_seed": all(r["s0_final"] < 1.5 for r in control),
        "others_mean_in_0_3_to_0_8": all(0.3 <= r["other_mean"] <= 0.8 for r in runs),
    }


def plot(runs: list[dict[str, Any]], path: Path) -> None:
    """s0 against time for every run, and the final distribution of the 99 other weights."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from spikenet.io import save_figure

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 5.4))
    colours = {"contingent": "tab:red", "control": "tab:blue"}
    for run in runs:
        label = f"{run['condition']}, seed {run['seed']} ({run['rewards']} rewards)"
        left.plot(np.asarray(run["s0_checkpoints_ms"]) / 1000.0, run["s0_checkpoints"], color=colours[run["condition"]],
                  alpha=0.5 + 0.5 * (run["seed"] == runs[0]["seed"]), label=label)
    left.axhline(3.5, color="grey", ls=":", lw=1, label="pass threshold 3.5 (contingent)")
    left.axhline(1.5, color="grey", ls="--", lw=1, label="pass threshold 1.5 (control)")
    left.set(xlabel="time (s)", ylabel="weight of the causal synapse s0 (mV)", ylim=(-0.1, 4.2),
             title="Distal reward: the rewarded synapse grows (Izhikevich 2007)")
    left.legend(fontsize=7, loc="upper left", bbox_to_anchor=(0.0, -0.16), ncol=2, frameon=False)
    bins = np.linspace(0, W_MAX, 21)
    for condition, colour in colours.items():
        values = np.concatenate([r["other_weights"] for r in runs if r["condition"] == condition] or [np.zeros(0)])
        right.hist(values, bins=bins, color=colour, alpha=0.5, label=f"{condition}: the 99 other synapses")
    right.set(xlabel="final weight (mV)", ylabel="synapses (all seeds)", title="The other synapses stay low")
    right.legend(fontsize=8)
    figure.tight_layout()
    save_figure(figure, path)
    plt.close(figure)


def run(duration_ms: float = 1_800_000.0, seeds: tuple[int, ...] = (0, 1, 2), out: Path | None = None,
        progress: bool = True) -> dict[str, Any]:
    """Every seed in both conditions; writes distal_reward.json/.npz/.png (and activity counts) to ``out``."""
    if not duration_ms >= CHUNK_MS or duration_ms % CHUNK_MS:
        raise ValueError(f"duration_ms must be a positive multiple of {CHUNK_MS:g} ms; got {duration_ms!r}")
    runs = []
    started = time.perf_counter()
    for seed in seeds:
        contingent = run_condition("contingent", seed, duration_ms, progress=progress)
        control = run_condition("control", seed, duration_ms, control_rewards=contingent["rewards"], progress=progress)
        runs += [contingent, control]
        for r in (contingent, control):
            first = r["first_checkpoint_at_3_99_ms"]
            reached = "never" if first is None else f"{first / 1000:.0f} s"
            print(f"{r['condition']:>10} seed {seed}: s0 = {r['s0_final']:.3f}, others mean {r['other_mean']:.3f}, "
                  f"{r['rewards']} rewards, s0 >= 3.99 first at {reached}")
    summary = {"experiment": EXPERIMENT, "duration_ms": duration_ms, "seeds": list(seeds), "runs": runs,
               "checks": check(runs), "wall_seconds": time.perf_counter() - started,
               "reference": "REPRODUCTION_TARGETS 3c (numpy port of daspnet.m constants); Izhikevich, Cereb. Cortex 17:2443 (2007)"}
    if out is not None:
        from spikenet.io import write_json, write_npz

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        write_json(out / "distal_reward.json", summary)
        write_npz(out / "distal_reward.npz", **{f"{r['condition']}_seed{r['seed']}_other_weights": np.asarray(r["other_weights"])
                                               for r in runs})
        for r in runs:
            record_counts(out, sn.ActivityCounts.from_dict(r["counts"]), label=f"{r['condition']}_seed{r['seed']}",
                          builder=network, kwargs={"seed": r["seed"]})
        plot(runs, out / "distal_reward.png")
    return summary


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=1_800_000.0, help="biological time per run in ms (default 1800 s)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds (each runs both conditions)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    add_results_option(parser)
    args = parser.parse_args(argv)
    if not args.duration >= CHUNK_MS or args.duration % CHUNK_MS:
        parser.error(f"--duration must be a positive multiple of {CHUNK_MS:g} ms; got {args.duration}")
    config = resolved_config(args, dt_ms=DT_MS, chunk_ms=CHUNK_MS, n_inputs=N_INPUTS)

    def body(folder) -> None:
        summary = run(args.duration, tuple(args.seeds), folder.path, progress=not args.no_progress)
        print("checks:", ", ".join(f"{k}: {'pass' if v else 'FAIL'}" for k, v in summary["checks"].items()))

    return run_script(EXPERIMENT, args.results, config, {"per_run": list(args.seeds)}, body)


if __name__ == "__main__":
    raise SystemExit(main())
