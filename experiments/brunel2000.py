"""Brunel (2000) sparse E-I network: the four dynamical states SR, SI-fast, AI and SI-slow, from the
relative inhibition g and the external drive nu_ext / nu_thr, classified from the population rate and
single-neuron rates, and checked against the self-consistent mean-field rate of the paper's eqs. 21-22.
Writes a run folder ``results/brunel2000/<timestamp>/`` (figure, ``states.json``,
``activity_counts.json`` of the four panels, config, seeds, log).

Model (Brunel, J. Comput. Neurosci. 8:183, 2000, Fig. 8; Brian2's ``examples/frompapers/Brunel_2000.py``):
N_E = 10 000, N_I = 2 500, each neuron receives C_E = 1 000 excitatory and C_I = 250 inhibitory
synapses (fixed in-degree; the paper draws them with probability 0.1), LIF tau 20 ms, theta 20 mV,
V_r 10 mV, refractory 2 ms, delta synapses J = 0.1 mV (exc) and -g J (inh), delay 1.5 ms; external
drive C_E Poisson inputs of weight J at nu_ext (``Network.poisson_input``), nu_thr = theta / (J C_E tau)
= 10 Hz; dt 0.1 ms, v(0) = 0, 1.2 s simulated, statistics over 0.2-1.2 s.

Mean-field reference (:func:`mean_field_rate`): the stationary rate nu0 that solves Brunel's eqs. 21-22
(Siegert / Amit-Brunel formula with mu and sigma fed back from nu0). It assumes continuous time,
diffusion (Gaussian white) input and Poisson, uncorrelated presynaptic spike trains. With ``dt`` it
also applies the discrete-time correction of threshold crossing (the threshold is checked once per
step, so crossings between steps are missed: effective threshold theta + beta sigma sqrt(dt / tau),
beta = -zeta(1/2) / sqrt(2 pi) = 0.5826; Siegmund 1979, Broadie, Glasserman & Kou, Math. Finance
7:325, 1997). For the AI panel C: nu0 = 37.95 Hz (paper formula), 37.25 Hz with the dt = 0.1 ms
correction; the full-size simulation (seed 1) gives 37.07 Hz (see tests/test_brunel2000.py for the
tolerance and its reasons).

Classification (:func:`classify`), from the paper's descriptions of the states (quoted from its abstract):
SR = "synchronous states in which neurons fire regularly"; AI = "stationary global activity and very
irregular individual cell activity"; SI = "the global activity oscillates but individual cells fire
irregularly, typically at rates lower than the global oscillation frequency", fast when "the network
frequency is almost fully controlled by the synaptic time scale" (here the delay D), slow when it
"depends mostly on the membrane time constant". Four steps on the population spike count per time
step (0.1 ms) decide:

1. Period T: the lag of the highest autocorrelation peak of the population count after its first
   zero crossing, searched up to 200 ms (at least five periods in the 1-s window).
2. Modulation depth: the population count smoothed with a Gaussian of SD T/16 (which passes a sinusoid
   of period T with gain exp(-pi^2/128) = 0.93, divided out, and suppresses sub-period volley
   structure), its variance minus the variance that independent neurons would give (the mean count
   times the kernel's sum of squares: Poisson sampling noise), as the relative amplitude of a
   sinusoid: m = sqrt(2 var) / mean. "The global activity oscillates" is read as m >= 1: a modulation
   at least as large as the mean rate, so that the activity (nearly) vanishes at each trough. The
   value 1 is a definition of "oscillating" (full modulation), not derived from the theory: in a
   finite network the AI state also has population-rate fluctuations (finite-size effects, which the
   paper discusses; they shrink as N^-1/2), and Brunel's own AI/SI boundary
   is the N -> infinity linear stability of the stationary state, which is not computed here.
3. Spikes per cycle nu T: SR when neurons fire on at least half of the cycles (nu T >= 1/2; 1:1 locking
   gives 1), SI when they fire on fewer ("rates lower than the global oscillation frequency"). The
   half is the midpoint between 1:1 locking and skipping every other cycle (a convention); a
   regular state split into k >= 2 clusters would read as SI.
4. Fast vs slow SI: the frequency 1/T against sqrt(f_D f_tau) = 36 Hz, the geometric midpoint
   between a delay scale f_D = 1/(4D) = 167 Hz (a period of a few delays, the order of the delay-paced
   fast oscillation; cf. Brunel & Hakim, Neural Comput. 11:1621, 1999 - the factor 4 is an order of
   magnitude, a factor 2 either way moves the split to 26 or 51 Hz) and the membrane corner frequency
   f_tau = 1/(2 pi tau) = 8 Hz. The geometric midpoint is a convention for "which time scale sets it".

The ISI CV is reported but not used: at panel C the diffusion theory's own CV (Siegert second moment)
is 0.68 and the simulated one 0.40 (Brian2 gives 0.40 as well), so "CV near 1" does not separate AI
from SI-slow (0.49) here. Full-size run (seed 1): see ``states.json`` of a run folder and the module
tests; the values of the last check are in the test docstrings.

Usage: ``python -m experiments.brunel2000 [--scale S] [--seed S] [--results ROOT]`` (``--scale 0.2`` for a
quick run: N and in-degrees scaled, J scaled by 1/scale to keep the mean drive; this raises sigma by
1/sqrt(scale), so the scaled panels are different, noisier networks, and the mean-field rates printed
for them are those of the scaled network; at ``--scale 0.2``, seed 1, the classifier reads SR, AI, AI
and SI-fast (a 38-Hz rhythm, just above the 36-Hz split): the extra noise damps panel B's oscillation
and speeds up panel D's, so only the full size is compared with the paper).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

import spikenet as sn
from experiments.networks import isi_cv
from experiments.run_folder import add_results_option, network_builder, record_counts, resolved_config, run_script
from neurons import LIF
from spikenet.io import save_figure, write_json

EXPERIMENT = "brunel2000"
DURATION_MS = 1200.0
STATISTICS_FROM_MS = 200.0
DT_MS = 0.1
PANELS = {"A": (3.0, 2.0, "SR"), "B": (6.0, 4.0, "SI-fast"), "C": (5.0, 2.0, "AI"), "D": (4.5, 0.9, "SI-slow")}

# Brunel (2000) model constants (ms, mV)
TAU_MS, THETA_MV, V_RESET_MV, TAU_RP_MS, DELAY_MS = 20.0, 20.0, 10.0, 2.0, 1.5
J_MV, C_EXC, C_INH = 0.1, 1_000, 250
# -zeta(1/2) / sqrt(2 pi): the mean overshoot of a Gaussian random walk over a barrier, in step SDs
# (Siegmund 1979; Broadie, Glasserman & Kou 1997); zeta(1/2) = -1.4603545088095868.
DISCRETE_THRESHOLD_BETA = 1.4603545088095868 / math.sqrt(2.0 * math.pi)

# Classification constants (reasons in the module docstring)
MAX_PERIOD_MS = 200.0
SMOOTHING_FRACTION = 1.0 / 16.0
MODULATION_OSCILLATING = 1.0
SPIKES_PER_CYCLE_REGULAR = 0.5
FAST_SLOW_SPLIT_HZ = math.sqrt(1000.0 / (4.0 * DELAY_MS) * 1000.0 / (2.0 * math.pi * TAU_MS))


def _sizes(scale: float) -> tuple[int, int, int, int, float]:
    """N_E, N_I, C_E, C_I and J (mV) of the network at ``scale`` (J x 1/scale keeps J C_E)."""
    return int(10_000 * scale), int(2_500 * scale), int(C_EXC * scale), int(C_INH * scale), J_MV / scale


@network_builder
def build(g: float, drive_ratio: float, scale: float = 1.0, seed: int = 1) -> sn.Network:
    """The network of one panel: relative inhibition ``g`` and drive nu_ext / nu_thr."""
    n_exc, n_inh, c_exc, c_inh, weight = _sizes(scale)
    nu_thr = THETA_MV / (weight * c_exc * TAU_MS) * 1000.0  # Hz
    net = sn.Network(dt=DT_MS, seed=seed)
    model = LIF(tau_m=TAU_MS, v_rest=0.0, v_threshold=THETA_MV, v_reset=V_RESET_MV, refractory=TAU_RP_MS)
    exc = net.population("exc", n_exc, model)
    inh = net.population("inh", n_inh, model)
    for post in (exc, inh):
        net.connect(exc, post, sn.FixedInDegree(c_exc), synapse=sn.Delta(), weight=weight, delay=DELAY_MS)
        net.connect(inh, post, sn.FixedInDegree(c_inh), synapse=sn.Delta(), weight=-g * weight, delay=DELAY_MS)
        net.poisson_input(post, n_sources=c_exc, rate=drive_ratio * nu_thr, weight=weight)
    return net


# -- mean-field theory (Brunel 2000, eqs. 21-22) ------------------------------------------------------

def siegert_rate(mu: float, sigma: float, tau: float = TAU_MS, theta: float = THETA_MV,
                 v_reset: float = V_RESET_MV, tau_rp: float = TAU_RP_MS) -> float:
    """Stationary rate (Hz) of a LIF neuron, tau dV/dt = -V + mu + sigma sqrt(tau) xi(t), threshold
    ``theta``, reset ``v_reset``, refractory ``tau_rp`` (ms, mV):

        1 / nu = tau_rp + tau sqrt(pi) int_{(v_reset - mu)/sigma}^{(theta - mu)/sigma} exp(u^2) (1 + erf u) du

    The integrand is ``erfcx(-u)``, which stays finite where exp(u^2) and 1 + erf(u) under- and
    overflow (u << 0: erfcx(-u) ~ 1 / (|u| sqrt(pi))). With sigma = 0 it is the noiseless LIF rate
    1 / (tau_rp + tau ln((mu - v_reset) / (mu - theta))) (0 for mu <= theta); for an upper limit
    above 26 (theta more than 26 sigma above mu) the rate is below 1e-290 Hz and 0 is returned."""
    from scipy import integrate, special

    if sigma < 0 or not math.isfinite(mu) or not math.isfinite(sigma):
        raise ValueError(f"siegert_rate needs finite mu and sigma >= 0; got mu={mu!r}, sigma={sigma!r}")
    if sigma == 0.0:
        if mu <= theta:
            return 0.0
        return 1000.0 / (tau_rp + tau * math.log((mu - v_reset) / (mu - theta)))
    lower, upper = (v_reset - mu) / sigma, (theta - mu) / sigma
    if upper > 26.0:
        return 0.0
    integral, _ = integrate.quad(lambda u: special.erfcx(-u), lower, upper, epsabs=0.0, epsrel=1e-11, limit=500)
    return 1000.0 / (tau_rp + tau * math.sqrt(math.pi) * integral)


def discrete_threshold_shift(sigma: float, dt: float, tau: float = TAU_MS) -> float:
    """Effective threshold raise (mV) when crossings are only detected at steps of ``dt`` ms: the
    membrane's random walk has step SD sigma sqrt(dt / tau) and overshoots by beta step SDs on
    average (beta = -zeta(1/2) / sqrt(2 pi) = 0.5826; Broadie, Glasserman & Kou 1997)."""
    return DISCRETE_THRESHOLD_BETA * sigma * math.sqrt(dt / tau)


def mean_field_input(rate_hz: float, g: float, drive_ratio: float, scale: float = 1.0) -> tuple[float, float]:
    """mu and sigma (mV) of Brunel's eq. 21-22 when every neuron of the panel's network fires at
    ``rate_hz``: mu = C_E J tau (nu_ext + nu (1 - g gamma)), sigma = J sqrt(C_E tau (nu_ext + nu (1 + g^2 gamma))),
    gamma = C_I / C_E, C_ext = C_E inputs at nu_ext = ``drive_ratio`` nu_thr (sizes as :func:`build` at ``scale``)."""
    _, _, c_exc, c_inh, weight = _sizes(scale)
    nu_ext = drive_ratio * THETA_MV / (weight * c_exc * TAU_MS)  # 1/ms
    nu = rate_hz / 1000.0
    mu = weight * TAU_MS * (c_exc * (nu_ext + nu) - g * c_inh * nu)
    sigma = weight * math.sqrt(TAU_MS * (c_exc * (nu_ext + nu) + g * g * c_inh * nu))
    return mu, sigma


def mean_field_rate(g: float, drive_ratio: float, scale: float = 1.0, dt: float = 0.0) -> float:
    """Self-consistent stationary rate nu0 (Hz) of Brunel (2000) eqs. 21-22: nu0 = siegert_rate(mu(nu0),
    sigma(nu0)). ``dt`` > 0 applies :func:`discrete_threshold_shift` (the simulation's time step);
    ``dt`` = 0 is the paper's continuous-time formula.

    nu - phi(nu) is negative at nu = 0 and positive at 1/tau_rp, so a root exists; the sign changes on
    a grid of 400 rates in (0, 1/tau_rp) are each refined by Brent's method, and several roots (possible
    for excitation-dominated networks) raise ``ValueError`` rather than picking one silently."""
    from scipy import optimize

    def excess(rate_hz: float) -> float:
        mu, sigma = mean_field_input(rate_hz, g, drive_ratio, scale)
        theta = THETA_MV + (discrete_threshold_shift(sigma, dt) if dt > 0 else 0.0)
        return rate_hz - siegert_rate(mu, sigma, theta=theta)

    ceiling = 1000.0 / TAU_RP_MS
    grid = np.concatenate([[0.0], np.geomspace(1e-4, ceiling * (1 - 1e-9), 399)])
    values = np.array([excess(r) for r in grid])
    if values[0] == 0.0:
        return 0.0
    roots = [optimize.brentq(excess, a, b, xtol=1e-10, rtol=1e-12)
             for a, b, fa, fb in zip(grid[:-1], grid[1:], values[:-1], values[1:]) if fa < 0 <= fb or fa > 0 >= fb]
    if len(roots) != 1:
        raise ValueError(f"{len(roots)} self-consistent rates for g={g}, nu_ext/nu_thr={drive_ratio}: {roots}")
    return float(roots[0])


# -- state classification ------------------------------------------------------------------------------

def classify(times_ms: np.ndarray, n_neurons: int, start_ms: float, end_ms: float, dt_ms: float = DT_MS) -> dict:
    """State of a network from all its spike times in [start_ms, end_ms): ``period_ms`` (None when the
    population count's autocorrelation has no peak after its first zero crossing within 200 ms),
    ``modulation_depth``, ``spikes_per_cycle`` (nu T), ``mean_rate_hz`` and ``state`` (SR, SI-fast,
    SI-slow, AI, or "silent" without spikes). Criteria and their reasons: module docstring."""
    times_ms = np.asarray(times_ms, dtype=float)
    times_ms = times_ms[(times_ms >= start_ms) & (times_ms < end_ms)]
    n_steps = int(round((end_ms - start_ms) / dt_ms))
    rate_hz = times_ms.size / n_neurons / ((end_ms - start_ms) / 1000.0)
    out = {"mean_rate_hz": rate_hz, "period_ms": None, "oscillation_frequency_hz": None,
           "modulation_depth": 0.0, "spikes_per_cycle": None, "state": "silent"}
    if times_ms.size == 0:
        return out
    steps = np.minimum(np.floor((times_ms - start_ms) / dt_ms + 1e-6).astype(np.int64), n_steps - 1)
    counts = np.bincount(steps, minlength=n_steps).astype(float)
    mean = counts.mean()
    centred = counts - mean
    power = np.abs(np.fft.rfft(centred, 2 * n_steps)) ** 2
    autocorrelation = np.fft.irfft(power)[:n_steps]
    out["state"] = "AI"
    if autocorrelation[0] <= 0.0:
        return out
    autocorrelation = autocorrelation / autocorrelation[0]
    max_lag = min(int(MAX_PERIOD_MS / dt_ms), n_steps // 5)
    negative = np.nonzero(autocorrelation[1:max_lag + 1] < 0.0)[0]
    if negative.size == 0:
        return out
    first = negative[0] + 1
    lag = first + int(np.argmax(autocorrelation[first:max_lag + 1]))
    if autocorrelation[lag] <= 0.0:
        return out
    period_ms = float(lag * dt_ms)
    sd_steps = SMOOTHING_FRACTION * lag
    half = max(1, int(math.ceil(4.0 * sd_steps)))
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) / sd_steps) ** 2)
    kernel /= kernel.sum()
    smoothed = np.convolve(counts, kernel, mode="valid")
    gain = math.exp(-0.5 * (2.0 * math.pi * SMOOTHING_FRACTION) ** 2)
    variance = max(smoothed.var() - mean * float(np.sum(kernel ** 2)), 0.0)
    modulation = math.sqrt(2.0 * variance) / mean / gain
    spikes_per_cycle = float(rate_hz * period_ms / 1000.0)
    out.update(period_ms=period_ms, oscillation_frequency_hz=1000.0 / period_ms, modulation_depth=modulation,
               spikes_per_cycle=spikes_per_cycle)
    if modulation >= MODULATION_OSCILLATING:
        if spikes_per_cycle >= SPIKES_PER_CYCLE_REGULAR:
            out["state"] = "SR"
        else:
            out["state"] = "SI-fast" if 1000.0 / period_ms >= FAST_SLOW_SPLIT_HZ else "SI-slow"
    return out


def statistics(result: sn.Result, net: sn.Network, start_ms: float = STATISTICS_FROM_MS) -> dict:
    """:func:`classify` of all neurons' spikes after ``start_ms``, plus the mean ISI CV and the
    population rate in 1-ms bins (Hz, for the figure)."""
    times = np.concatenate([result.spikes["exc"][0], result.spikes["inh"][0]])
    indices = np.concatenate([result.spikes["exc"][1], result.spikes["inh"][1] + net.populations["exc"].size])
    keep = times >= start_ms
    times, indices = times[keep], indices[keep]
    n = sum(p.size for p in net.populations.values())
    end_ms = result.end_step * net.dt
    stats = classify(times, n, start_ms, end_ms, net.dt)
    cv = isi_cv(times, indices, n)
    bins = np.arange(start_ms, end_ms + 1e-9, 1.0)
    population_rate = np.histogram(times, bins=bins)[0] / n / 1e-3  # Hz in 1-ms bins
    return {**stats, "mean_isi_cv": float(np.mean(cv)) if cv.size else 0.0, "population_rate_hz": population_rate}


def run(scale: float = 1.0, out: Path | None = None, seed: int = 1) -> dict:
    """Simulate the four panels; with ``out``, write ``states.png``, ``states.json`` and the counts there.
    Each panel's summary carries the mean-field stationary rate of Brunel's eqs. 21-22 (the stable
    state only in AI; in the oscillating states it is the unstable stationary solution) and the same
    with the dt correction of threshold crossing."""
    summaries, results = {}, {}
    for panel, (g, drive_ratio, expected) in PANELS.items():
        net = build(g, drive_ratio, scale, seed)
        result = net.run(DURATION_MS, seed=seed, monitors=[sn.SpikeMonitor("exc"), sn.SpikeMonitor("inh")],
                         progress=False)
        if out is not None:
            record_counts(Path(out), result.counts, label=panel, builder=build,
                          kwargs={"g": g, "drive_ratio": drive_ratio, "scale": scale, "seed": seed})
        stats = statistics(result, net)
        stats["mean_field_rate_hz"] = mean_field_rate(g, drive_ratio, scale)
        stats["mean_field_rate_dt_corrected_hz"] = mean_field_rate(g, drive_ratio, scale, dt=net.dt)
        results[panel] = (net, result, stats)
        summaries[panel] = {"g": g, "nu_ext_over_nu_thr": drive_ratio, "published_state": expected,
                            **{k: v for k, v in stats.items() if k != "population_rate_hz"},
                            "synaptic_events": result.counts.total_synaptic_events,
                            "simulation_s": result.run_seconds}
        frequency = stats["oscillation_frequency_hz"]
        rhythm = "no period" if frequency is None else (
            f"period {stats['period_ms']:.1f} ms ({frequency:.0f} Hz), spikes/cycle {stats['spikes_per_cycle']:.2f}")
        print(f"panel {panel} (g {g}, nu_ext/nu_thr {drive_ratio}): {stats['state']:8s} (published {expected}); "
              f"rate {stats['mean_rate_hz']:.2f} Hz (mean field {stats['mean_field_rate_hz']:.2f}, "
              f"{stats['mean_field_rate_dt_corrected_hz']:.2f} with dt correction), CV {stats['mean_isi_cv']:.2f}, "
              f"modulation {stats['modulation_depth']:.2f}, {rhythm}", flush=True)
    if out is not None:
        _figure(results, Path(out) / "states.png")
        write_json(out / "states.json", {"scale": scale, "seed": seed, "panels": summaries})
    return summaries


def _figure(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(2, 4, figsize=(15, 6), gridspec_kw={"height_ratios": [2, 1]}, sharex=True)
    for column, (panel, (net, result, stats)) in enumerate(results.items()):
        g, drive_ratio, expected = PANELS[panel]
        times, indices = result.spikes["exc"]
        shown = (indices < 50) & (times >= 1000.0)
        axes[0, column].plot(times[shown], indices[shown], "|", ms=3, color="black")
        axes[0, column].set_title(f"{panel}: g = {g}, nu_ext/nu_thr = {drive_ratio}\n"
                                  f"classified {stats['state']} (published {expected})", fontsize=9)
        rate = stats["population_rate_hz"]
        axes[1, column].plot(200.0 + np.arange(rate.size), rate, color="tab:blue", lw=0.7,
                             label=f"simulated, mean {stats['mean_rate_hz']:.1f} Hz")
        axes[1, column].axhline(stats["mean_field_rate_hz"], color="tab:red", ls="--", lw=1.0,
                                label=f"mean field {stats['mean_field_rate_hz']:.1f} Hz "
                                      f"({stats['mean_field_rate_dt_corrected_hz']:.1f} dt-corr.)")
        axes[1, column].legend(fontsize=7, loc="upper right")
        axes[1, column].set_xlim(1000.0, 1200.0)
        axes[1, column].set_xlabel("time (ms)")
    axes[0, 0].set_ylabel("neuron (50 exc)")
    axes[1, 0].set_ylabel("population rate (Hz)")
    figure.suptitle("Brunel (2000) network states; dashed: self-consistent mean-field rate (eqs. 21-22), "
                    "stable only in the AI state")
    save_figure(figure, path)
    plt.close(figure)


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Brunel (2000) states SR, SI-fast, AI, SI-slow")
    parser.add_argument("--scale", type=float, default=1.0, help="network size factor (default 1: 12,500 neurons)")
    parser.add_argument("--seed", type=int, default=1, help="seed of connectivity and simulation")
    return add_results_option(parser)


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if not 0.01 <= args.scale <= 1.0:
        parser.error(f"--scale must be in [0.01, 1]; got {args.scale}")
    config = resolved_config(args, duration_ms=DURATION_MS, dt_ms=DT_MS, statistics_from_ms=STATISTICS_FROM_MS,
                             panels={k: {"g": g, "nu_ext_over_nu_thr": r, "published_state": e}
                                     for k, (g, r, e) in PANELS.items()})
    return run_script(EXPERIMENT, args.results, config, {"network_and_simulation": args.seed},
                      lambda folder: run(args.scale, folder.path, args.seed))


if __name__ == "__main__":
    raise SystemExit(main())
