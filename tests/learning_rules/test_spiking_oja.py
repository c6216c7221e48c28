r"""Spiking Oja on the event engine (``learning_rules.SpikingOja``): a linear Poisson neuron
learns the principal eigenvector of its inputs' rate second-moment matrix.

Reference: Oja (1982), J. Math. Biol. 15:267 — the averaged dynamics
:math:`\dot w = \eta G (M w - G (w^\top M w) w)` have the stable fixed point
:math:`w = \pm e_1/\sqrt{G}`, :math:`e_1` the leading eigenvector of :math:`M = E[r r^\top]`.

Input design. Ten Poisson inputs (one spike at most per 1-ms step) with rates that are redrawn
every 100-ms block: :math:`r_i = b_i + \sum_k A_{ik} s_k` with two independent on/off sources
:math:`s_k \sim \mathrm{Bernoulli}(p_k)` and offsets :math:`b_i \ge 0` that give every input
the same mean rate μ = 20 Hz. So, exactly,

.. math:: M = \mu^2 \mathbf 1 \mathbf 1^\top + \Sigma, \qquad \Sigma = A\, \mathrm{diag}(p (1 - p))\, A^\top .

Source 1 (p = 0.1) bursts at 100-200 Hz on inputs 0-4, source 2 (p = 0.2) adds 40 Hz on
inputs 3-8, input 9 is constant. The leading eigenvector of M is graded (0.53 down to 0.33 on
inputs 0-4, 0.08-0.10 on the others): |cos| with the uniform direction is 0.83, and
λ1/λ2 = 4.9. The initial weights are random in [0.1, 0.5] (|cos| with e1 0.67-0.89 for seeds 0-4).

Post-synaptic neuron: ``neurons.LinearPoisson`` driven through ``sn.Delta("u")``, τ = 10 ms,
gain 25 Hz per unit of u, so G = gain τ / 1000 = 0.25 and Oja's norm is 1/√G = 2.

Spike-level corrections, derived below (:func:`_fixed_point`) and included in the reference:
(i) a pre spike raises the post intensity and enters its own trace (a diagonal term); (ii) the
intensities at two times share input spikes (a term in E[ρ y]); (iii) traces and synapse average
the rates over ~10 ms, and rates are redrawn every 100 ms, so the covariance Σ enters with
weight < 1 (the mean part does not); (iv) the 1-ms grid (an input acts from the next step on,
at most one spike per step). Because every input has the same mean rate, (i) and (ii) are
almost proportional to the identity and barely turn the fixed point: its |cos| with e1 of M is
0.99976 for the fast protocol. They raise the norm by 12 % (2.236 instead of 2), which the norm
check resolves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import spikenet as sn
from learning_rules import SpikingOja
from neurons import LinearPoisson

DT_MS = 1.0
N_INPUTS = 10
MEAN_RATE_HZ = 20.0
SOURCE_PROBABILITIES = np.array([0.1, 0.2])
LOADINGS_HZ = np.zeros((N_INPUTS, 2))
LOADINGS_HZ[:5, 0] = [200.0, 180.0, 160.0, 120.0, 100.0]
LOADINGS_HZ[3:9, 1] = 40.0
OFFSETS_HZ = MEAN_RATE_HZ - LOADINGS_HZ @ SOURCE_PROBABILITIES
MEAN_RATES_HZ = np.full(N_INPUTS, MEAN_RATE_HZ)
COVARIANCE = (LOADINGS_HZ * (SOURCE_PROBABILITIES * (1.0 - SOURCE_PROBABILITIES))) @ LOADINGS_HZ.T   # Hz^2
SECOND_MOMENT = np.outer(MEAN_RATES_HZ, MEAN_RATES_HZ) + COVARIANCE                                  # M, Hz^2
GAIN = 0.25                                   # G, dimensionless: post rate = G * sum_j w_j r_j


def _leading_eigenvector(matrix: np.ndarray) -> tuple[float, np.ndarray]:
    values, vectors = np.linalg.eigh(matrix)
    vector = vectors[:, -1]
    return float(values[-1]), vector * np.sign(vector.sum())


E1 = _leading_eigenvector(SECOND_MOMENT)[1]


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(abs(a @ b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def _fixed_point(block_ms: float, tau_synapse: float, tau_pre: float, tau_post: float) -> np.ndarray:
    r"""The fixed point of SpikingOja's expected drift for this input process and neuron, on the
    engine's grid (all times in steps of dt, h = dt / 1000 s; q = exp(-dt / tau) per kernel).

    Per step n: the neuron's intensity is :math:`\rho(n) = g \sum_j w_j \sum_{a \ge 1} q_s^a S_j(n-a)`
    (an input acts from the step after its spike; g = G 1000 / τ_s Hz), the pre trace at a
    post spike is :math:`\sum_{b \ge 0} q_p^b S_i(n-b)` (same-step pre spike included), the post
    trace :math:`\sum_{c \ge 1} q_o^c S_{post}(n-c)` (own spike excluded). Input spikes:
    :math:`E[S_j(m) S_l(m')] = h^2 R_{jl}(m'-m) + \delta_{jl}\delta_{mm'} (h\mu_j - h^2 M_{jj})`
    with :math:`R(d) = \mu\mu^\top + \Sigma (1 - |d|/L)_+` (L steps per block; two steps d apart
    fall in the same block with that probability). Given the inputs, the post spike at n - c is
    Bernoulli(ρ(n - c) h), so :math:`E[\rho(n) S_{post}(n-c)] = h E[\rho(n)\rho(n-c)]`.

    Drift :math:`\propto E[\rho x_i] - E[\rho y] w_i` with

    * :math:`E[\rho x_i] = g \frac{1000}{\tau_p} (N w)_i`,
      :math:`N = h^2 (F \mu\mu^\top + F_L \Sigma) + S\, \mathrm{diag}(h\mu - h^2 \mathrm{diag} M)`,
      :math:`F = \sum_{a\ge1,b\ge0} q_s^a q_p^b`, :math:`F_L` the same sum weighted by
      :math:`(1 - |a-b|/L)_+`, :math:`S = \sum_{a\ge1} (q_s q_p)^a`;
    * :math:`E[\rho y] = \frac{1000}{\tau_o} h g^2 Q(w)`,
      :math:`Q(w) = h^2 w^\top (F' \mu\mu^\top + F'_L \Sigma) w + S' \sum_j w_j^2 (h\mu_j - h^2 M_{jj})`,
      :math:`F' = \sum_{a,b,c\ge1} q_s^{a+b} q_o^c`, :math:`F'_L` weighted by
      :math:`(1 - |a-b-c|/L)_+`, :math:`S' = \sum_{c\ge1} (q_o q_s)^c \sum_{b\ge1} q_s^{2b}`.

    Fixed point: w = s e with e the leading eigenvector of N (eigenvalue ν) and
    :math:`s^2 = (\tau_o/\tau_p)\, \nu / (h g Q(e))`. In the continuum limit with slow rates
    (L → ∞, no shot terms) N ∝ M and s² = 1000 / (g τ_s) = 1/G: Oja's fixed point.
    """
    h = DT_MS / 1000.0
    gain_hz = GAIN * 1000.0 / tau_synapse
    length = int(np.ceil(60.0 * max(tau_synapse, tau_pre, tau_post) / DT_MS))   # kernels below e^-60
    lag = np.arange(length)
    synapse = np.where(lag >= 1, np.exp(-lag * DT_MS / tau_synapse), 0.0)
    pre = np.exp(-lag * DT_MS / tau_pre)
    post = np.where(lag >= 1, np.exp(-lag * DT_MS / tau_post), 0.0)
    block_steps = block_ms / DT_MS

    def same_block(difference):
        return np.clip(1.0 - np.abs(difference) / block_steps, 0.0, None)

    f_pre = synapse.sum() * pre.sum()
    f_pre_blocks = synapse @ same_block(lag[:, None] - lag[None, :]) @ pre
    shot_pre = synapse @ pre
    synapse_then_post = np.convolve(synapse, post)          # sum over b + c = k of q_s^b q_o^c
    f_post = synapse.sum() * synapse_then_post.sum()
    f_post_blocks = synapse @ same_block(lag[:, None] - np.arange(synapse_then_post.size)[None, :]) @ synapse_then_post
    shot_post = (post * np.exp(-lag * DT_MS / tau_synapse)).sum() * (synapse * synapse).sum()
    mean_outer = np.outer(MEAN_RATES_HZ, MEAN_RATES_HZ)
    shot = h * MEAN_RATES_HZ - h * h * np.diag(SECOND_MOMENT)
    drift_matrix = h * h * (f_pre * mean_outer + f_pre_blocks * COVARIANCE) + shot_pre * np.diag(shot)
    eigenvalue, direction = _leading_eigenvector(drift_matrix)
    quadratic = (h * h * direction @ (f_post * mean_outer + f_post_blocks * COVARIANCE) @ direction
                 + shot_post * (direction * direction) @ shot)
    scale = np.sqrt((tau_post / tau_pre) * eigenvalue / (h * gain_hz * quadratic))
    return scale * direction


@dataclass(frozen=True)
class _SpikingHebb:
    """The control: SpikingOja without its decay term, Δw_i = η x_i at each post spike."""

    learning_rate: float
    tau_pre: float

    @property
    def pre_traces(self) -> dict:
        return {"pre": self.tau_pre}

    @property
    def post_traces(self) -> dict:
        return {}

    @property
    def synapse_traces(self) -> dict:
        return {}

    def on_pre(self, weight, pre, post, synapse):
        return weight, {"pre": pre["pre"] + 1.0}, {}

    def on_post(self, weight, pre, post, synapse):
        return weight + self.learning_rate * pre["pre"] * (1000.0 / self.tau_pre), {}, {}


def _input_spikes(rng: np.random.Generator, duration_ms: float, block_ms: float) -> sn.SpikeSource:
    """Bernoulli spikes (probability r dt / 1000 per step) with rates redrawn every block."""
    n_blocks, steps_per_block = int(round(duration_ms / block_ms)), int(round(block_ms / DT_MS))
    sources_on = rng.random((n_blocks, SOURCE_PROBABILITIES.size)) < SOURCE_PROBABILITIES
    rates = OFFSETS_HZ + sources_on @ LOADINGS_HZ.T                                  # (blocks, inputs) Hz
    spikes = rng.random((n_blocks, steps_per_block, N_INPUTS)) < rates[:, None, :] * (DT_MS / 1000.0)
    block, step, neuron = np.nonzero(spikes)
    return sn.SpikeSource(neuron, (block * steps_per_block + step) * DT_MS)


def _learn(seed: int, rule, duration_ms: float, block_ms: float, tau_synapse: float, checkpoints: int) -> np.ndarray:
    """Run one linear Poisson cell under ``rule``; return the initial weights and the weights at
    ``checkpoints`` equally spaced times after them (checkpoints + 1 rows)."""
    rng = np.random.default_rng(seed)
    net = sn.Network(dt=DT_MS, seed=seed)
    inputs = net.population("inputs", N_INPUTS, _input_spikes(rng, duration_ms, block_ms))
    cell = net.population("cell", 1, LinearPoisson(tau=tau_synapse, gain=GAIN * 1000.0 / tau_synapse, seed=seed + 1))
    initial = rng.uniform(0.1, 0.5, N_INPUTS)
    projection = net.connect(inputs, cell, sn.AllToAll(), synapse=sn.Delta("u"), weight=initial, plasticity=rule)
    compiled = net.compile()
    state, weights = None, [initial]
    for _ in range(checkpoints):
        state = compiled.run(duration_ms / checkpoints, seed=seed, resume=state, progress=False)
        weights.append(np.asarray(state.weights[projection.name], dtype=float))
    return np.array(weights)


def test_input_design():
    """The design itself: non-negative rates, a graded leading eigenvector far from uniform, a clear gap."""
    assert np.all(OFFSETS_HZ >= 0.0)
    eigenvalues = np.linalg.eigvalsh(SECOND_MOMENT)
    assert eigenvalues[-1] / eigenvalues[-2] > 4.0
    assert _cosine(E1, np.ones(N_INPUTS)) < 0.85


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_spiking_oja_learns_the_principal_eigenvector(seed):
    """600 s, η = 1e-5 per Hz, τ = 10 ms everywhere, 100-ms blocks.

    Direction: |cos(w_final, e1(M))| > 0.99 (the target; measured 0.9966-0.9998 over 8 seeds).
    Norm: the mean |w| over the last 400 s (20 checkpoints) within 3 % of the corrected fixed
    point 2.236. Over 8 seeds that mean scattered by 0.4 % (relative standard deviation) around
    -0.2 % of the prediction, so 3 % is about 7 standard deviations; the uncorrected Oja value
    1/√G = 2 is 10.6 % off and fails.
    """
    weights = _learn(seed, SpikingOja(learning_rate=1e-5, tau_pre=10.0, tau_post=10.0), 600_000.0, 100.0, 10.0, 30)
    assert _cosine(weights[0], E1) < 0.95                      # it had something to learn
    assert _cosine(weights[-1], E1) > 0.99
    predicted = _fixed_point(100.0, 10.0, 10.0, 10.0)
    assert _cosine(predicted, E1) > 0.999
    norm = np.linalg.norm(weights[-20:], axis=1).mean()
    assert norm == pytest.approx(np.linalg.norm(predicted), rel=0.03)


def test_plain_hebbian_control_does_not_settle():
    """Expected failure of the control (Oja 1982): without the decay term the averaged dynamics are
    dw/dt ∝ M w, so |w| grows without bound (exponentially, then linearly once the neuron
    saturates at one spike per step). After 200 s it is far beyond Oja's fixed point and has
    grown by more than 10 % over the last quarter (Oja's norm varies by about 2 % there)."""
    weights = _learn(0, _SpikingHebb(learning_rate=1e-5, tau_pre=10.0), 200_000.0, 100.0, 10.0, 20)
    norms = np.linalg.norm(weights, axis=1)
    oja_norm = np.linalg.norm(_fixed_point(100.0, 10.0, 10.0, 10.0))
    assert norms[-1] > 10.0 * oja_norm
    assert norms[-1] > 1.1 * norms[-6]                          # still growing over the last quarter


@pytest.mark.slow
@pytest.mark.parametrize("block_ms, tau_synapse, tau_pre, tau_post",
                         [(100.0, 10.0, 10.0, 10.0), (40.0, 20.0, 10.0, 30.0)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_spiking_oja_matches_the_corrected_fixed_point(seed, block_ms, tau_synapse, tau_pre, tau_post):
    """2000 s at η = 5e-6; weights averaged over the last 1000 s (20 checkpoints, 50 s apart).

    The time-averaged weights point along the corrected fixed point (|cos| > 0.9995; measured
    0.9998-0.99998) and their norm is within 2 % of its norm (measured -0.9 % to +0.04 % over the
    6 runs, scatter about 0.4 %). The second parameter set has unequal time constants and 40-ms blocks (rates change on the time scale of
    the traces and the synapse), where the corrections are large: the corrected fixed point has
    norm 2.53 instead of 2 and |cos| 0.9953 with e1 of M, so the direction check resolves the
    correction; the target |cos(w, e1)| > 0.99 still holds there."""
    rule = SpikingOja(learning_rate=5e-6, tau_pre=tau_pre, tau_post=tau_post)
    weights = _learn(seed, rule, 2_000_000.0, block_ms, tau_synapse, 40)
    average = weights[-20:].mean(axis=0)
    predicted = _fixed_point(block_ms, tau_synapse, tau_pre, tau_post)
    assert _cosine(average, predicted) > 0.9995
    assert np.linalg.norm(average) == pytest.approx(np.linalg.norm(predicted), rel=0.02)
    assert _cosine(weights[-1], E1) > 0.99


@pytest.mark.parametrize("kwargs, message", [
    ({"learning_rate": 0.0}, "learning_rate"), ({"learning_rate": -1e-5}, "learning_rate"),
    ({"tau_pre": 0.0}, "tau_pre"), ({"tau_post": -5.0}, "tau_post"), ({"tau_pre": float("nan")}, "tau_pre"),
])
def test_bad_parameters_are_refused(kwargs, message):
    with pytest.raises(sn.SpikenetError, match=message):
        SpikingOja(**kwargs)
