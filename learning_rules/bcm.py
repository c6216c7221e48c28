"""The BCM rule with a sliding threshold: a rate neuron becomes selective to one input pattern.

Pure functions of ``(w, theta)`` and one input sample; :meth:`BCM.fit` runs a sample sequence with
:func:`jax.lax.scan`, :meth:`BCM.fit_meanfield` the deterministic averaged dynamics.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from spikenet.validation import SpikenetError, require_in_range, require_positive, require_positive_int

Array = jax.Array


@dataclass(frozen=True)
class BCM:
    r"""Bienenstock–Cooper–Munro rule, Intrator & Cooper (1992) form, with a sliding threshold.

    Response :math:`y = [\mathbf{w}^\top\mathbf{x}]_+`; per sample

    .. math::

        \Delta\mathbf{w} = \eta\, \mathbf{x}\, y\, (y - \theta), \qquad
        \theta \leftarrow \theta + (y^2 - \theta)/\tau_\theta ,

    so θ is a running estimate of :math:`\langle y^2 \rangle` over about τ_θ samples. With K
    equiprobable, linearly independent patterns (p = 1/K) the stable fixed points are selective:
    the response to one pattern is :math:`y^* = 1/p = K`, to every other 0, and θ = K. The
    non-selective point (equal responses) is unstable. A fixed threshold (``sliding=False``) has
    no such fixed point: responses run away or die.

    Parameters
    ----------
    learning_rate : float
        η > 0 (per sample).
    threshold_tau : float
        τ_θ > 0, the averaging time of θ in samples (>= 1; 1 means θ = y² of the last sample).
    sliding : bool
        True (default): θ slides as above. False: θ stays at its initial value (a control).

    Notes
    -----
    Within a sample, w is updated with the threshold estimated from the *previous* samples, then θ
    takes in the new y². Updating θ first makes it correlate with the current response and moves
    the stochastic fixed point below K (to 1/(p + (1 - p)/τ_θ): 1.96 for K = 2, 3.77 for K = 4 at
    τ_θ = 50, as in the numpy reference of the reproduction targets); with this order the
    time-averaged preferred response sits within about 1 % of K. The mean-field fixed point is K either way.

    References
    ----------
    E. L. Bienenstock, L. N. Cooper & P. W. Munro, "Theory for the development of neuron
    selectivity", J. Neurosci. 2:32-48 (1982).
    N. Intrator & L. N. Cooper, "Objective function formulation of the BCM theory of visual cortical
    plasticity", Neural Networks 5:3-17 (1992).
    """

    learning_rate: float = 2e-3
    threshold_tau: float = 50.0
    sliding: bool = True

    def __post_init__(self) -> None:
        require_positive("BCM.learning_rate (eta)", self.learning_rate)
        require_in_range("BCM.threshold_tau (samples)", self.threshold_tau, 1.0, np.inf)

    @staticmethod
    def response(w: Array, x: Array) -> Array:
        """Rectified linear response ``max(0, x . w)`` (x may hold one pattern per row)."""
        return jnp.maximum(0.0, x @ w)

    def update(self, state: tuple[Array, Array], x: Array) -> tuple[Array, Array]:
        """One sample: ``(w, theta) -> (w + eta x y (y - theta), theta + (y^2 - theta)/tau)``."""
        w, theta = state
        y = self.response(w, x)
        w = w + self.learning_rate * x * y * (y - theta)
        if self.sliding:
            theta = theta + (y * y - theta) / self.threshold_tau
        return w, theta

    def meanfield_update(self, w: Array, patterns: Array, probabilities: Array) -> Array:
        r"""One step of the averaged dynamics with the threshold at its mean :math:`\theta = \sum_k p_k y_k^2`.

        :math:`\Delta\mathbf{w} = \eta \sum_k p_k \mathbf{x}_k y_k (y_k - \theta)`; deterministic.
        """
        y = self.response(w, patterns)
        theta = jnp.dot(probabilities, y * y)
        return w + self.learning_rate * (probabilities * y * (y - theta)) @ patterns

    def fit(self, w0: Array, theta0: float, patterns: Array, sequence: Array, record_every: int
            ) -> tuple[tuple[Array, Array], Array, Array]:
        """Present ``patterns[sequence[n]]`` for n = 0, 1, ... with ``lax.scan``.

        Parameters
        ----------
        w0 : array (d,)
            Initial weights.
        theta0 : float
            Initial threshold.
        patterns : array (K, d)
            One input pattern per row.
        sequence : int array (n_samples,)
            Index of the pattern shown at each sample; ``record_every`` must divide its length.
        record_every : int
            Responses and θ are recorded after every block of this many samples.

        Returns
        -------
        (w, theta) : final state
        responses : array (n_samples // record_every, K)
            Response to every pattern at each checkpoint.
        thetas : array (n_samples // record_every,)
        """
        patterns = jnp.asarray(patterns)
        sequence = jnp.asarray(sequence)
        w0 = jnp.asarray(w0, dtype=patterns.dtype)
        if patterns.ndim != 2 or w0.shape != (patterns.shape[1],):
            raise SpikenetError(f"patterns must be (K, d) and w0 (d,); got {patterns.shape} and {w0.shape}")
        require_positive_int("record_every", record_every)
        if sequence.ndim != 1 or sequence.shape[0] % record_every:
            raise SpikenetError(f"sequence must be 1-d with a length divisible by record_every={record_every}; "
                                f"got shape {sequence.shape}")
        return _bcm_scan(self, w0, jnp.asarray(theta0, dtype=patterns.dtype), patterns,
                         sequence.reshape(-1, record_every))

    def fit_meanfield(self, w0: Array, patterns: Array, n_steps: int, probabilities: Array | None = None) -> Array:
        """Iterate :meth:`meanfield_update` ``n_steps`` times (equiprobable patterns by default)."""
        require_positive_int("n_steps", n_steps)
        patterns = jnp.asarray(patterns)
        w0 = jnp.asarray(w0, dtype=patterns.dtype)
        k = patterns.shape[0]
        probabilities = jnp.full(k, 1.0 / k, patterns.dtype) if probabilities is None else jnp.asarray(probabilities)
        if probabilities.shape != (k,):
            raise SpikenetError(f"probabilities must have shape ({k},); got {probabilities.shape}")
        return jax.jit(lambda w: jax.lax.fori_loop(
            0, n_steps, lambda _, w: self.meanfield_update(w, patterns, probabilities), w))(w0)


def _bcm_scan(rule: BCM, w0, theta0, patterns, blocks):
    def block(state, indices):
        state, _ = jax.lax.scan(lambda s, i: (rule.update(s, patterns[i]), None), state, indices)
        return state, (rule.response(state[0], patterns), state[1])

    run = jax.jit(lambda w, th, b: jax.lax.scan(block, (w, th), b))
    state, (responses, thetas) = run(w0, theta0, blocks)
    return state, responses, thetas


def bcm_patterns(k: int, overlap: float) -> np.ndarray:
    """The K patterns of the BCM protocol: rows of ``I + overlap (1 1^T - I)`` (K x K)."""
    require_positive_int("k", k)
    require_in_range("overlap", overlap, 0.0, 0.999)
    return np.eye(k) + overlap * (np.ones((k, k)) - np.eye(k))


@dataclass(frozen=True)
class SpikingBCM:
    r"""BCM with a sliding threshold as an event-driven rule for the engine (spike-based form of
    Bienenstock, Cooper & Munro 1982; cf. Izhikevich & Desai 2003, Pfister & Gerstner 2006).

    Two post-synaptic traces estimate the post-synaptic rate: a fast one
    :math:`\rho = 1000\, y_{fast} / \tau_{rate}` (Hz) and a slow one :math:`\bar\rho` (Hz, over
    ``tau_average``). At every pre-synaptic spike

    .. math::

        \Delta w = \eta\, \rho\, (\rho - \theta), \qquad \theta = \bar\rho^{\,2} / \rho_0 ,

    clipped to ``[w_min, w_max]``: inputs active while the cell fires above the threshold grow,
    the others shrink, and the threshold rises faster than the mean rate (BCM's p = 1 form), which
    makes selective responses the stable outcome.

    Parameters
    ----------
    learning_rate : float
        η > 0 (weight unit per Hz²).
    tau_rate, tau_average : float
        Time constants of the fast and slow rate estimates (ms, > 0; tau_average >> tau_rate).
    target_rate : float
        ρ0 > 0 (Hz), scale of the sliding threshold.
    w_min, w_max : float
        Weight bounds.
    """

    learning_rate: float = 1e-4
    tau_rate: float = 50.0
    tau_average: float = 5000.0
    target_rate: float = 10.0
    w_min: float = 0.0
    w_max: float = 100.0

    def __post_init__(self) -> None:
        require_positive("SpikingBCM.learning_rate", self.learning_rate)
        require_positive("SpikingBCM.tau_rate (ms)", self.tau_rate)
        require_positive("SpikingBCM.tau_average (ms)", self.tau_average)
        require_positive("SpikingBCM.target_rate (Hz)", self.target_rate)
        if not self.w_max > self.w_min:
            raise SpikenetError(f"SpikingBCM.w_max must be > w_min = {self.w_min}; got {self.w_max}")

    @property
    def pre_traces(self) -> dict:
        return {}

    @property
    def post_traces(self) -> dict:
        return {"fast": self.tau_rate, "slow": self.tau_average}

    @property
    def synapse_traces(self) -> dict:
        return {}

    def on_pre(self, weight, pre, post, synapse):
        rate = post["fast"] * (1000.0 / self.tau_rate)
        threshold = (post["slow"] * (1000.0 / self.tau_average)) ** 2 / self.target_rate
        weight = jnp.clip(weight + self.learning_rate * rate * (rate - threshold), self.w_min, self.w_max)
        return weight, {}, {}

    def on_post(self, weight, pre, post, synapse):
        return weight, {"fast": post["fast"] + 1.0, "slow": post["slow"] + 1.0}, {}
