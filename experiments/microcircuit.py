"""Potjans & Diesmann (2014) cortical microcircuit: 8 populations (L2/3, L4, L5, L6; E and I) of
current-based LIF neurons with exponential PSCs, the paper's connection probabilities, Poisson
background (or its DC equivalent) and optional thalamic input, scaled down with the in-degree
compensation of the PyNEST microcircuit. Reports per-population rates, ISI CVs and synchrony against
NEST's full-scale rates; writes a run folder ``results/microcircuit/<timestamp>/`` (``statistics.json``,
``spikes.npz``, ``raster.png``, ``statistics.png``, ``activity_counts.json``, ``network.json``, config,
seeds, log).

Sources (every number below is typed here, with the source it comes from; nothing is read at run time):

[PD14] Potjans TC, Diesmann M (2014) The cell-type specific cortical microcircuit: relating structure
       and activity in a full-scale spiking network model. Cereb. Cortex 24(3):785-806,
       doi:10.1093/cercor/bhs358. Table 5 (connection probabilities), Table 4/5 (population sizes,
       K_ext, neuron and synapse parameters).
[PyNEST] The PyNEST microcircuit of NEST 3 (nest-simulator, ``pynest/examples/Potjans_2014/``:
       ``network_params.py``, ``stimulus_params.py``, ``helpers.py``, ``network.py``; Rothe, Bos, van Albada
       2016, revised by Senk et al. 2020), which implements [PD14] and is the reference NEST model:
       ``full_num_neurons``, ``conn_probs`` (= [PD14] Table 5), ``K_ext``, ``PSP_exc_mean`` 0.15 mV,
       ``weight_rel_std`` 0.1, ``g`` -4, the doubled L4E->L2/3E PSP, ``delay_exc_mean`` 1.5 ms,
       ``delay_inh_mean`` 0.75 ms, ``delay_rel_std`` 0.5, ``bg_rate`` 8 Hz, ``neuron_params`` (C_m 250 pF,
       tau_m 10 ms, tau_syn 0.5 ms, E_L -65, V_th -50, V_reset -65 mV, t_ref 2 ms), the 'optimized' initial
       membrane potentials (Han-Jia Jiang 2019), ``full_mean_rates`` ("obtained by running this PyNEST
       microcircuit with 12 MPI processes and both 'N_scaling' and 'K_scaling' set to 1") and the
       thalamic stimulus (902 neurons, 120 Hz for 10 ms from 700 ms, ``conn_probs_th``).
       Formulas from ``helpers.py``: ``num_synapses_from_conn_probs``, ``postsynaptic_potential_to_current``,
       ``dc_input_compensating_poisson``, ``adjust_weights_and_input_to_synapse_scaling``.
[vA18] van Albada SJ et al. (2018) Performance comparison of the digital neuromorphic hardware SpiNNaker
       and the neural network simulation software NEST for a full-scale cortical microcircuit model.
       Front. Neurosci. 12:291, doi:10.3389/fnins.2018.00291: the statistics used here (rates, CV of
       ISIs, synchrony = variance / mean of the population spike count in 3-ms bins).

Model as [PyNEST] builds it:

* N_i = round(N_full_i * N_scaling).
* Synapse numbers (multapses and autapses allowed, NEST's ``fixed_total_number``):
  S_ij = ln(1 - p_ij) / ln(1 - 1/(N_i N_j)) at full size, then round(S_ij * N_scaling * K_scaling); the
  pairs are drawn uniformly (:func:`fixed_total_number`), as NEST does.
* Weights: PSP -> PSC amplitude with :func:`psc_over_psp` (0.15 mV -> 87.81 pA); inhibitory PSC g = -4
  times that, L4E -> L2/3E doubled; normal with relative SD 0.1, redrawn (not clipped) when the sign
  flips, as NEST's ``redraw``; stored in float32 (4 bytes per synapse; the engine computes in float32
  by default, and a float64 run uses these float32 values exactly).
* Delays: normal, mean 1.5 ms (E) or 0.75 ms (I), SD half the mean, redrawn below dt and rounded to the
  dt grid (NEST rounds delays to steps).
* Background: K_ext Poisson inputs per neuron at 8 Hz with the external PSC (``Network.poisson_input``),
  or (``--dc-background``) the DC current 1e-3 tau_syn bg_rate K_ext J_ext pA.
* Scaling (K_scaling < 1): every weight x 1/sqrt(K_scaling), and the lost mean input is added as DC,
  1e-3 tau_syn (1 - sqrt(K_scaling)) (sum_j J_ij K_ij nu_j + J_ext K_ext nu_bg) pA per population i with
  the full-scale in-degrees K_ij = S_ij / N_i and NEST's full-scale rates nu_j
  (:func:`derived_parameters`), so the mean input is that of the full network at those rates
  (:func:`mean_input_pa`) and the variance too (J^2 K unchanged). ``--scale S`` sets N_scaling =
  K_scaling = S (``--k-scale`` sets K_scaling apart).

Differences from NEST: exponential-Euler integration with the synaptic current held over each 0.1-ms
step (NEST's iaf_psc_exp integrates exactly), Poisson background drawn per step as a binomial count
(NEST: one Poisson generator per population, independent trains per target), the Poisson input has no
1.5-ms delay (irrelevant for stationary statistics) and all synapses onto a population share one
CurrentExp(0.5) channel (exc and inh have the same tau in the model). Thalamic synapse numbers are
scaled by N_scaling K_scaling like the recurrent ones ([PyNEST] scales them by K_scaling only, which
raises the thalamic in-degree by 1/N_scaling in downscaled networks).

Statistics (:func:`population_statistics`), in [t_transient, t_end): mean rate over all neurons
(silent ones included, as [PyNEST] ``firing_rates``), mean ISI CV over neurons with >= 3 spikes (two
intervals are needed for a standard deviation), synchrony = var / mean of the population's spike count
in 3-ms bins ([vA18]; it grows with the number of neurons counted, so it is only comparable between
networks of equal population size; 1 for independent Poisson neurons).

Reference values compared against: NEST's full-scale rates ([PyNEST] ``full_mean_rates``). [PD14]
reports its rates as a figure (Fig. 6), not a table; no figure values are typed in here.

Usage: ``python -m experiments.microcircuit [--scale S] [--k-scale K] [--duration MS] [--transient MS]
[--dc-background] [--thalamus] [--seed S] [--results ROOT]``; ``spikenet run microcircuit``.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

import numpy as np

import spikenet as sn
from experiments.networks import isi_cv
from experiments.run_folder import add_results_option, network_builder, record_counts, resolved_config, run_script
from neurons import LIF
from spikenet.io import save_figure, write_json, write_npz

EXPERIMENT = "microcircuit"
DT_MS = 0.1                       # [PyNEST] sim_params 'sim_resolution'
DEFAULT_SCALE = 0.1                # [PyNEST] default N_scaling = K_scaling
DEFAULT_DURATION_MS = 5200.0
DEFAULT_TRANSIENT_MS = 200.0
SYNCHRONY_BIN_MS = 3.0            # [vA18]
CV_MIN_SPIKES = 3

# -- [PD14] / [PyNEST] network_params.py --------------------------------------------------------------
POPULATIONS = ("L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I")
N_FULL = np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948])
# Connection probabilities, [PD14] Table 5; rows: target, columns: source (order of POPULATIONS).
CONN_PROBS = np.array([
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443],
])
K_EXT = np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100])   # external in-degrees
BG_RATE_HZ = 8.0
PSP_EXC_MEAN_MV = 0.15
WEIGHT_REL_STD = 0.1
G = -4.0
DELAY_EXC_MEAN_MS, DELAY_INH_MEAN_MS, DELAY_REL_STD = 1.5, 0.75, 0.5
C_M_PF, TAU_M_MS, TAU_SYN_MS = 250.0, 10.0, 0.5
E_L_MV, V_TH_MV, V_RESET_MV, T_REF_MS = -65.0, -50.0, -65.0, 2.0
# 'optimized' initial membrane potentials (V0_type default of [PyNEST]), mean and SD per population (mV)
V0_MEAN_MV = np.array([-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43])
V0_STD_MV = np.array([5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48])
# NEST's full-scale rates (spikes/s), [PyNEST] 'full_mean_rates' (NEST 3 version): used for the DC
# compensation of downscaled networks and as the reference the simulated rates are compared with.
NEST_FULL_SCALE_RATES_HZ = np.array([0.943, 3.026, 4.368, 5.882, 7.733, 8.664, 1.096, 7.851])

# -- [PyNEST] stimulus_params.py: thalamic input (off by default, as there) ----------------------------
TH_NEURONS = 902
TH_CONN_PROBS = np.array([0.0, 0.0, 0.0983, 0.0619, 0.0, 0.0, 0.0512, 0.0196])
TH_PSP_MV = 0.15
TH_START_MS, TH_DURATION_MS, TH_RATE_HZ = 700.0, 10.0, 120.0
TH_DELAY_MEAN_MS, TH_DELAY_REL_STD = 1.5, 0.5


# -- derived parameters ([PyNEST] helpers.py) ---------------------------------------------------------

def psc_over_psp(c_m: float = C_M_PF, tau_m: float = TAU_M_MS, tau_syn: float = TAU_SYN_MS) -> float:
    """PSC amplitude (pA) per mV of PSP peak for an exponential PSC onto a LIF membrane: the peak of
    v(t) = (i * h)(t), i(t) = J exp(-t/tau_syn), h(t) = exp(-t/tau_m) / C_m (Hanuschkin et al. 2010, eq. 5)."""
    sub = 1.0 / (tau_syn - tau_m)
    pre = tau_m * tau_syn / c_m * sub
    frac = (tau_m / tau_syn) ** sub
    return 1.0 / (pre * (frac ** tau_m - frac ** tau_syn))


def num_synapses_from_conn_probs(conn_probs: np.ndarray, n_post: np.ndarray, n_pre: np.ndarray) -> np.ndarray:
    """Total synapse numbers S = ln(1 - p) / ln(1 - 1/(N_post N_pre)) ([PD14] eq. 1): the number of
    independently drawn pairs (multapses allowed) that connects a given pair with probability p."""
    product = np.outer(n_post, n_pre).astype(float)
    return np.log(1.0 - conn_probs) / np.log((product - 1.0) / product)


def psp_matrix_mv() -> np.ndarray:
    """Mean PSP (mV) per target x source: 0.15 for E sources, g 0.15 for I sources, L4E -> L2/3E doubled."""
    psp = np.zeros((8, 8))
    psp[:, 0::2] = PSP_EXC_MEAN_MV
    psp[:, 1::2] = G * PSP_EXC_MEAN_MV
    psp[0, 2] = 2.0 * PSP_EXC_MEAN_MV
    return psp


def delay_matrix_ms() -> np.ndarray:
    """Mean delay (ms) per target x source: 1.5 for E sources, 0.75 for I sources."""
    delay = np.zeros((8, 8))
    delay[:, 0::2] = DELAY_EXC_MEAN_MS
    delay[:, 1::2] = DELAY_INH_MEAN_MS
    return delay


def derived_parameters(n_scaling: float, k_scaling: float, poisson_input: bool = True) -> dict:
    """Sizes, synapse numbers, weights and DC of the network at ``n_scaling``, ``k_scaling``, as
    [PyNEST] ``Network.__derive_parameters``: ``num_neurons`` (8,), ``num_synapses`` (8 x 8, target x
    source), ``ext_indegrees`` (8,), ``weight_matrix_pa`` (8 x 8), ``weight_ext_pa``, ``dc_pa`` (8,),
    and the full-scale ``full_num_synapses`` and ``full_indegrees`` (S / N_target)."""
    full_synapses = num_synapses_from_conn_probs(CONN_PROBS, N_FULL, N_FULL)
    factor = psc_over_psp()
    weights = psp_matrix_mv() * factor
    weight_ext = PSP_EXC_MEAN_MV * factor
    dc = np.zeros(8) if poisson_input else 1e-3 * TAU_SYN_MS * BG_RATE_HZ * K_EXT * weight_ext
    full_indegrees = full_synapses / N_FULL[:, None]
    if k_scaling != 1:
        input_rec = np.sum(weights * full_indegrees * NEST_FULL_SCALE_RATES_HZ, axis=1)
        dc = dc + 1e-3 * TAU_SYN_MS * (1.0 - math.sqrt(k_scaling)) * input_rec
        if poisson_input:
            dc = dc + 1e-3 * TAU_SYN_MS * (1.0 - math.sqrt(k_scaling)) * weight_ext * K_EXT * BG_RATE_HZ
        weights = weights / math.sqrt(k_scaling)
        weight_ext = weight_ext / math.sqrt(k_scaling)
    return {
        "num_neurons": np.round(N_FULL * n_scaling).astype(int),
        "num_synapses": np.round(full_synapses * n_scaling * k_scaling).astype(np.int64),
        "ext_indegrees": np.round(K_EXT * k_scaling).astype(int),
        "weight_matrix_pa": weights, "weight_ext_pa": float(weight_ext), "dc_pa": dc,
        "full_num_synapses": full_synapses, "full_indegrees": full_indegrees,
    }


def mean_input_pa(params: dict, indegrees: np.ndarray, ext_indegrees: np.ndarray, poisson_input: bool,
                  rates_hz: np.ndarray = NEST_FULL_SCALE_RATES_HZ) -> np.ndarray:
    """Time-averaged synaptic + DC input current (pA) of each population when the sources fire at
    ``rates_hz``: the integral of an exponential PSC is J tau_syn, so mu_i = 1e-3 tau_syn (sum_j J_ij K_ij
    nu_j + J_ext K_ext nu_bg) + DC_i."""
    recurrent = np.sum(params["weight_matrix_pa"] * indegrees * rates_hz, axis=1)
    external = params["weight_ext_pa"] * ext_indegrees * BG_RATE_HZ if poisson_input else 0.0
    return 1e-3 * TAU_SYN_MS * (recurrent + external) + params["dc_pa"]


# -- network ------------------------------------------------------------------------------------------

def fixed_total_number(rng: np.random.Generator, n_pre: int, n_post: int, n_synapses: int) -> tuple[np.ndarray, np.ndarray]:
    """``n_synapses`` (pre, post) pairs drawn uniformly and independently (multapses and autapses
    allowed), the distribution of NEST's ``fixed_total_number`` rule, returned sorted by pre, then
    post: the order :meth:`spikenet.Network.connect` keeps (weights and delays, drawn independently
    of the pairs, are drawn afterwards in this order, so the projection needs no permutation)."""
    index = np.int32 if max(n_pre, n_post) < 2**31 else np.int64
    pre, post = rng.integers(0, n_pre, n_synapses, dtype=index), rng.integers(0, n_post, n_synapses, dtype=index)
    if n_pre * n_post > 2**32:
        order = np.lexsort((post, pre))
        return pre[order], post[order]
    key = pre.astype(np.uint32)
    key *= np.uint32(n_post)
    key += post.astype(np.uint32)
    del pre, post
    key.sort()  # (numpy's vectorised sort of 32-bit integers: the pairs themselves, no permutation)
    pre, post = np.divmod(key, np.uint32(n_post))
    return pre.astype(index), post.astype(index)


def redrawn_normal(rng: np.random.Generator, mean: float, std: float, size: int, low: float = -np.inf,
                   high: float = np.inf, dtype: Any = np.float64) -> np.ndarray:
    """Normal samples (``dtype``), each one outside [low, high] drawn again (NEST's ``redraw``, not a clip)."""
    values = rng.standard_normal(size, dtype=dtype)
    values *= dtype(std)
    values += dtype(mean)
    bad = np.flatnonzero((values < low) | (values > high))
    while bad.size:  # (only the redrawn values are checked again)
        redrawn = rng.standard_normal(bad.size, dtype=dtype) * dtype(std) + dtype(mean)
        values[bad] = redrawn
        bad = bad[(redrawn < low) | (redrawn > high)]
    return values


def synaptic_delays(rng: np.random.Generator, mean: float, size: int, dt: float = DT_MS) -> np.ndarray:
    """Normal delays (SD half the mean), redrawn below dt, rounded to the dt grid (ms; drawn in float32,
    rounded to whole steps, then in float64 ms as ``Network.connect`` takes them)."""
    delays = redrawn_normal(rng, mean, mean * DELAY_REL_STD, size, low=dt, dtype=np.float32)
    delays /= np.float32(dt)
    np.round(delays, out=delays)
    steps = delays.astype(np.float64)
    steps *= dt
    return steps


def memory_estimate_bytes(n_scaling: float, k_scaling: float) -> tuple[int, int]:
    """(total synapses, bytes) of building the network: per synapse the projection keeps an int32 post
    index (pre: a row pointer, see :class:`spikenet.connectivity.Synapses`), a float32 weight and a
    uint8 delay (9 B); the largest projection also holds its sampled
    arrays and the building peak of ``Network.connect`` (``BUILD_BYTES_PER_SYNAPSE[FromIndices]`` + 24 B
    of our draws). The engine's own copy of the synapses is not counted."""
    from spikenet.connectivity import BUILD_BYTES_PER_SYNAPSE, FromIndices

    synapses = derived_parameters(n_scaling, k_scaling)["num_synapses"]
    total, largest = int(synapses.sum()), int(synapses.max())
    return total, total * 9 + largest * (BUILD_BYTES_PER_SYNAPSE[FromIndices] + 24)


@network_builder
def build(scale: float = DEFAULT_SCALE, k_scale: float | None = None, seed: int = 1, poisson_input: bool = True,
          thalamus: bool = False) -> sn.Network:
    """The microcircuit with N_scaling = ``scale`` and K_scaling = ``k_scale`` (default ``scale``)."""
    from spikenet.validation import check_memory

    k_scale = scale if k_scale is None else k_scale
    if not (0 < scale <= 1 and 0 < k_scale <= 1):
        raise sn.SpikenetError(f"scale and k_scale must be in (0, 1]; got {scale}, {k_scale}")
    total, needed = memory_estimate_bytes(scale, k_scale)
    check_memory(needed, f"microcircuit at scale {scale}, k_scale {k_scale} ({total:,} synapses)",
                 "while building (indices, weights, delays)", advice="use a smaller --scale")
    params = derived_parameters(scale, k_scale, poisson_input)
    net = sn.Network(dt=DT_MS, seed=seed)
    model = LIF(tau_m=TAU_M_MS, v_rest=E_L_MV, v_threshold=V_TH_MV, v_reset=V_RESET_MV, refractory=T_REF_MS,
                capacitance=C_M_PF)
    synapse = sn.CurrentExp(TAU_SYN_MS)
    root = np.random.SeedSequence(seed)
    init_seq, conn_seq, th_seq = root.spawn(3)
    init_rng = np.random.default_rng(init_seq)
    pops = []
    for i, name in enumerate(POPULATIONS):
        pop = net.population(name, int(params["num_neurons"][i]), model)
        pop.set_initial(v=init_rng.normal(V0_MEAN_MV[i], V0_STD_MV[i], pop.size))
        pops.append(pop)
    delays = delay_matrix_ms()
    for (i, post), rng_seq in zip(enumerate(pops), conn_seq.spawn(8)):
        for (j, pre), pair_seq in zip(enumerate(pops), rng_seq.spawn(8)):
            n = int(params["num_synapses"][i, j])
            if n <= 0:
                continue
            rng = np.random.default_rng(pair_seq)
            pre_idx, post_idx = fixed_total_number(rng, pre.size, post.size, n)
            w = params["weight_matrix_pa"][i, j]
            weights = redrawn_normal(rng, w, abs(w) * WEIGHT_REL_STD, n,
                                     low=0.0 if w >= 0 else -np.inf, high=np.inf if w >= 0 else 0.0, dtype=np.float32)
            net.connect(pre, post, sn.FromIndices(pre_idx, post_idx), synapse=synapse, weight=weights,
                        delay=synaptic_delays(rng, delays[i, j], n), name=f"{pre.name}->{post.name}")
    for i, pop in enumerate(pops):
        if poisson_input and params["ext_indegrees"][i] > 0:
            net.poisson_input(pop, n_sources=int(params["ext_indegrees"][i]), rate=BG_RATE_HZ,
                              weight=params["weight_ext_pa"], synapse=synapse)
        if params["dc_pa"][i] != 0.0:
            net.current(pop, float(params["dc_pa"][i]))
    if thalamus:
        _add_thalamus(net, pops, scale, k_scale, np.random.default_rng(th_seq), synapse)
    return net


def _add_thalamus(net: sn.Network, pops: list, scale: float, k_scale: float, rng: np.random.Generator,
                  synapse: sn.CurrentExp) -> None:
    """902 thalamic neurons firing Poisson spikes at 120 Hz in [700, 710) ms ([PyNEST] stimulus_params),
    fixed-total-number synapses (scaled by N_scaling K_scaling), weights x 1/sqrt(K_scaling)."""
    steps = int(round(TH_DURATION_MS / DT_MS))
    fired = rng.random((steps, TH_NEURONS)) < TH_RATE_HZ * DT_MS / 1000.0
    step_idx, neuron_idx = np.nonzero(fired)
    times = np.round(TH_START_MS / DT_MS + step_idx) * DT_MS
    thalamus = net.spike_source("TC", TH_NEURONS, neuron_idx, times)
    counts = np.round(num_synapses_from_conn_probs(TH_CONN_PROBS[:, None], N_FULL, np.array([TH_NEURONS]))[:, 0]
                      * scale * k_scale).astype(np.int64)
    weight = TH_PSP_MV * psc_over_psp() / math.sqrt(k_scale)
    for i, pop in enumerate(pops):
        if counts[i] <= 0:
            continue
        pre_idx, post_idx = fixed_total_number(rng, TH_NEURONS, pop.size, int(counts[i]))
        weights = redrawn_normal(rng, weight, weight * WEIGHT_REL_STD, int(counts[i]), low=0.0)
        net.connect(thalamus, pop, sn.FromIndices(pre_idx, post_idx), synapse=synapse, weight=weights,
                    delay=synaptic_delays(rng, TH_DELAY_MEAN_MS, int(counts[i])), name=f"TC->{pop.name}")


# -- statistics ---------------------------------------------------------------------------------------

def synchrony(times_ms: np.ndarray, start_ms: float, end_ms: float, bin_ms: float = SYNCHRONY_BIN_MS) -> float | None:
    """Variance / mean of the population spike count in ``bin_ms`` bins over [start_ms, end_ms) ([vA18]);
    None without spikes or with fewer than two bins."""
    edges = np.arange(start_ms, end_ms + 1e-9, bin_ms)
    if edges.size < 3:
        return None
    counts = np.histogram(times_ms, bins=edges)[0].astype(float)
    mean = counts.mean()
    return float(counts.var() / mean) if mean > 0 else None


def population_statistics(times_ms: np.ndarray, indices: np.ndarray, n_neurons: int, start_ms: float,
                          end_ms: float) -> dict:
    """Rate (Hz, all neurons), rate SD over neurons, mean ISI CV (neurons with >= 3 spikes) and
    synchrony of one population's spikes in [start_ms, end_ms); None where undefined (no neuron with
    3 spikes, no spikes)."""
    keep = (times_ms >= start_ms) & (times_ms < end_ms)
    times_ms, indices = np.asarray(times_ms)[keep], np.asarray(indices)[keep]
    seconds = (end_ms - start_ms) / 1000.0
    per_neuron = np.bincount(indices.astype(np.int64), minlength=n_neurons) / seconds
    cv = isi_cv(times_ms, indices.astype(np.int64), n_neurons, min_spikes=CV_MIN_SPIKES)
    return {"rate_hz": float(per_neuron.mean()), "rate_sd_hz": float(per_neuron.std()),
            "isi_cv": float(cv.mean()) if cv.size else None, "cv_neurons": int(cv.size),
            "synchrony": synchrony(times_ms, start_ms, end_ms), "n_neurons": int(n_neurons),
            "spikes": int(times_ms.size)}


# -- the experiment -----------------------------------------------------------------------------------

def run(scale: float = DEFAULT_SCALE, k_scale: float | None = None, duration_ms: float = DEFAULT_DURATION_MS,
        transient_ms: float = DEFAULT_TRANSIENT_MS, seed: int = 1, poisson_input: bool = True,
        thalamus: bool = False, out: Path | None = None, progress: bool | None = None) -> dict:
    """Build, simulate ``duration_ms`` and compute the statistics after ``transient_ms``; with ``out``
    write ``statistics.json``, ``spikes.npz``, ``raster.png``, ``statistics.png`` and the counts."""
    k_scale = scale if k_scale is None else k_scale
    net = build(scale, k_scale, seed, poisson_input, thalamus)
    result = net.run(duration_ms, seed=seed, monitors=[sn.SpikeMonitor(name) for name in POPULATIONS],
                     progress=progress)
    end_ms = result.end_step * net.dt
    stats = {name: population_statistics(*result.spikes[name], net.populations[name].size, transient_ms, end_ms)
             for name in POPULATIONS}
    params = derived_parameters(scale, k_scale, poisson_input)
    for name, reference in zip(POPULATIONS, NEST_FULL_SCALE_RATES_HZ):
        stats[name]["nest_full_scale_rate_hz"] = float(reference)
    summary = {
        "model": "Potjans & Diesmann (2014) microcircuit, PyNEST parameters",
        "scale": scale, "k_scale": k_scale, "duration_ms": duration_ms, "transient_ms": transient_ms,
        "dt_ms": net.dt, "seed": seed, "background": "poisson" if poisson_input else "dc", "thalamus": thalamus,
        "num_neurons": {n: int(v) for n, v in zip(POPULATIONS, params["num_neurons"])},
        "total_synapses": int(sum(p.n_synapses for p in net.projections)),
        "weight_ext_pa": params["weight_ext_pa"], "dc_pa": dict(zip(POPULATIONS, map(float, params["dc_pa"]))),
        "populations": stats,
        "reference": "NEST full-scale rates: PyNEST microcircuit network_params.py 'full_mean_rates'",
        "compile_s": result.compile_seconds, "simulation_s": result.run_seconds,
        "synaptic_events": result.counts.total_synaptic_events,
    }
    for name in POPULATIONS:
        s = stats[name]
        print(f"{name:5s} {s['n_neurons']:6d} neurons: {s['rate_hz']:6.2f} Hz (NEST full scale "
              f"{s['nest_full_scale_rate_hz']:.2f}), CV {_fmt(s['isi_cv'])} ({s['cv_neurons']} neurons), "
              f"synchrony {_fmt(s['synchrony'])}")
    print(f"{summary['total_synapses']:,} synapses; compile {result.compile_seconds:.1f} s, "
          f"simulation {result.run_seconds:.1f} s")
    if out is not None:
        out = Path(out)
        record_counts(out, result.counts, builder=build,
                      kwargs={"scale": scale, "k_scale": k_scale, "seed": seed, "poisson_input": poisson_input,
                              "thalamus": thalamus})
        write_json(out / "statistics.json", summary)
        arrays = {}
        for name in POPULATIONS:
            arrays[f"{name}_times_ms"], arrays[f"{name}_indices"] = result.spikes[name]
        write_npz(out / "spikes.npz", **arrays)
        _raster(result, net, out / "raster.png", transient_ms, end_ms)
        _statistics_figure(summary, out / "statistics.png")
    return summary


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _nan(value: float | None) -> float:
    return float("nan") if value is None else value


def _raster(result, net, path: Path, start_ms: float, end_ms: float, max_per_population: int = 200) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    window = (max(start_ms, end_ms - 200.0), end_ms)
    figure, axis = plt.subplots(figsize=(8, 7))
    offset, ticks, thinned = 0, [], False
    for k, name in enumerate(reversed(POPULATIONS)):
        times, indices = result.spikes[name]
        size = net.populations[name].size
        stride = max(1, int(math.ceil(size / max_per_population)))
        thinned |= stride > 1
        shown = (indices % stride == 0) & (times >= window[0]) & (times < window[1])
        rows = size // stride + (1 if size % stride else 0)
        axis.plot(times[shown], offset + indices[shown] // stride, ".", ms=1.5,
                  color="#af143c" if name.endswith("I") else "#595289")
        ticks.append((offset + rows / 2, name.replace("23", "2/3")))
        offset += rows
    axis.set_yticks([t for t, _ in ticks], [label for _, label in ticks])
    axis.set_xlim(*window)
    axis.set_xlabel("time (ms)")
    axis.set_title("Potjans & Diesmann (2014) microcircuit" + (f" (at most {max_per_population} neurons per population)" if thinned else ""))
    save_figure(figure, path)
    plt.close(figure)


def _statistics_figure(summary: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stats = summary["populations"]
    labels = [n.replace("23", "2/3") for n in POPULATIONS]
    x = np.arange(len(POPULATIONS))
    figure, (rates, cvs, sync) = plt.subplots(3, 1, figsize=(8, 8), sharex=True)
    rates.bar(x - 0.2, [stats[n]["rate_hz"] for n in POPULATIONS], 0.4, color="tab:blue",
              label=f"spikenet, scale {summary['scale']:g} (K scale {summary['k_scale']:g})")
    rates.bar(x + 0.2, NEST_FULL_SCALE_RATES_HZ, 0.4, color="tab:gray", label="NEST, full scale (PyNEST)")
    rates.set_ylabel("rate (Hz)")
    rates.legend(fontsize=8)
    cvs.bar(x, [_nan(stats[n]["isi_cv"]) for n in POPULATIONS], 0.6, color="tab:green")
    cvs.set_ylabel("ISI CV")
    sync.bar(x, [_nan(stats[n]["synchrony"]) for n in POPULATIONS], 0.6, color="tab:purple")
    sync.axhline(1.0, color="black", lw=0.8, ls="--")
    sync.set_ylabel("synchrony\n(var/mean, 3-ms bins)")
    sync.set_xticks(x, labels)
    figure.suptitle(f"microcircuit statistics over {summary['duration_ms'] - summary['transient_ms']:.0f} ms "
                    f"after a {summary['transient_ms']:.0f}-ms transient")
    save_figure(figure, path)
    plt.close(figure)


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=DEFAULT_SCALE,
                        help=f"N_scaling: fraction of the 77,169 neurons (default {DEFAULT_SCALE}; 1 = full model)")
    parser.add_argument("--k-scale", type=float, default=None,
                        help="K_scaling: fraction of the in-degrees, weights x 1/sqrt(K) and DC compensation "
                             "(default: --scale)")
    parser.add_argument("--duration", type=float, default=DEFAULT_DURATION_MS, help=f"simulated ms (default {DEFAULT_DURATION_MS:g})")
    parser.add_argument("--transient", type=float, default=DEFAULT_TRANSIENT_MS,
                        help="ms left out of the statistics (default 200)")
    parser.add_argument("--dc-background", action="store_true",
                        help="replace the Poisson background by its mean current (PyNEST poisson_input=False)")
    parser.add_argument("--thalamus", action="store_true", help="thalamic pulse: 902 neurons at 120 Hz, 700-710 ms")
    parser.add_argument("--seed", type=int, default=1, help="seed of connectivity, initial state and simulation")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return add_results_option(parser)


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 1:
        parser.error(f"--scale must be in (0, 1]; got {args.scale}")
    if args.k_scale is not None and not 0 < args.k_scale <= 1:
        parser.error(f"--k-scale must be in (0, 1]; got {args.k_scale}")
    if not args.duration > args.transient >= 0:
        parser.error(f"need --duration > --transient >= 0; got {args.duration}, {args.transient}")
    k_scale = args.scale if args.k_scale is None else args.k_scale
    config = resolved_config(args, k_scale=k_scale, dt_ms=DT_MS, synchrony_bin_ms=SYNCHRONY_BIN_MS)
    return run_script(EXPERIMENT, args.results, config, {"network_and_simulation": args.seed},
                      lambda folder: run(args.scale, k_scale, args.duration, args.transient, args.seed,
                                         not args.dc_background, args.thalamus, folder.path,
                                         False if args.no_progress else True))


if __name__ == "__main__":
    raise SystemExit(main())
