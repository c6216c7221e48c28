"""Oja's rule and Sanger's generalised Hebbian algorithm (GHA): Hebbian learning of principal components.

Both are rate-based, local rules for a linear neuron ``y = w . x``. They are pure functions of the
weights and one input sample; :meth:`Oja.fit` / :meth:`GeneralizedHebbian.fit` run a whole sample
sequence with :func:`jax.lax.scan` and return checkpoints of the weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from spikenet.validation import SpikenetError, require_positive, require_positive_int

Array = jax.Array


def _check_samples(samples: Array, n_inputs: int | None, record_every: int) -> int:
    if samples.ndim != 2:
        raise SpikenetError(f"samples must be a 2-d array (n_samples, n_inputs); got shape {samples.shape}")
    if n_inputs is not None and samples.shape[1] != n_inputs:
        raise SpikenetError(f"samples must have {n_inputs} columns (one per input, like w); got shape {samples.shape}")
    require_positive_int("record_every", record_every)
    if samples.shape[0] % record_every != 0:
        raise SpikenetError(f"record_every must divide the number of samples ({samples.shape[0]}); got {record_every}")
    return samples.shape[0] // record_every


def _scan_checkpoints(update, w0: Array, samples: Array, record_every: int) -> tuple[Array, Array]:
    """Apply ``update`` sample by sample; return the final weights and the weights after every block."""
    n_blocks = samples.shape[0] // record_every
    blocks = samples.reshape((n_blocks, record_every) + samples.shape[1:])

    def block(w, block_samples):
        w, _ = jax.lax.scan(lambda w, x: (update(w, x), None), w, block_samples)
        return w, w

    return jax.lax.scan(block, w0, blocks)


@dataclass(frozen=True)
class Oja:
    r"""Oja's rule: a Hebbian neuron whose weight vector converges to the first principal component.

    For a linear neuron :math:`y = \mathbf{w}^\top \mathbf{x}` and one input sample :math:`\mathbf{x}`,

    .. math:: \Delta \mathbf{w} = \eta\, y\, (\mathbf{x} - y\, \mathbf{w}).

    The averaged dynamics :math:`\dot{\mathbf{w}} = C\mathbf{w} - (\mathbf{w}^\top C \mathbf{w})\mathbf{w}`,
    :math:`C = E[\mathbf{x}\mathbf{x}^\top]`, have the stable fixed points :math:`\pm\mathbf{e}_1` (the
    unit-norm leading eigenvector of C) when :math:`\lambda_1 > \lambda_2`. The decay term
    :math:`-\eta y^2 \mathbf{w}` is what keeps the norm at 1; plain Hebb (:class:`PlainHebb`) lacks it
    and diverges.

    Parameters
    ----------
    learning_rate : float
        η > 0 (dimensionless, per sample).

    References
    ----------
    E. Oja, "A simplified neuron model as a principal component analyzer",
    J. Math. Biol. 15:267-273 (1982).

    Examples
    --------
    >>> rule = Oja(learning_rate=0.002)
    >>> w_final, checkpoints = rule.fit(w0, samples, record_every=5000)  # doctest: +SKIP
    """

    learning_rate: float

    def __post_init__(self) -> None:
        require_positive("Oja.learning_rate (eta)", self.learning_rate)

    def update(self, w: Array, x: Array) -> Array:
        """One sample: return ``w + eta * y * (x - y * w)`` with ``y = w . x``."""
        y = jnp.dot(w, x)
        return w + self.learning_rate * y * (x - y * w)

    def averaged_update(self, w: Array, covariance: Array) -> Array:
        """One Euler step of the averaged ODE: ``w + eta * (C w - (w^T C w) w)`` (deterministic)."""
        cw = covariance @ w
        return w + self.learning_rate * (cw - jnp.dot(w, cw) * w)

    def fit(self, w0: Array, samples: Array, record_every: int | None = None) -> tuple[Array, Array]:
        """Run the rule over ``samples`` (n_samples, n_inputs) with ``lax.scan``.

        Returns the final weights and the weights after every ``record_every`` samples
        (shape (n_samples // record_every, n_inputs); default: one checkpoint at the end).
        """
        w0 = jnp.asarray(w0)
        samples = jnp.asarray(samples)
        if w0.ndim != 1:
            raise SpikenetError(f"w0 must be a 1-d weight vector; got shape {w0.shape}")
        record_every = samples.shape[0] if record_every is None else record_every
        _check_samples(samples, w0.shape[0], record_every)
        return jax.jit(_scan_checkpoints, static_argnums=(0, 3))(self.update, w0, samples, record_every)

    def fit_averaged(self, w0: Array, covariance: Array, n_steps: int) -> Array:
        """Iterate :meth:`averaged_update` ``n_steps`` times from ``w0``; return the final weights."""
        require_positive_int("n_steps", n_steps)
        covariance = jnp.asarray(covariance)
        w0 = jnp.asarray(w0)
        if covariance.shape != (w0.shape[0], w0.shape[0]):
            raise SpikenetError(f"covariance must have shape {(w0.shape[0],) * 2} to match w0; got {covariance.shape}")

        def run(w):
            return jax.lax.fori_loop(0, n_steps, lambda _, w: self.averaged_update(w, covariance), w)

        return jax.jit(run)(w0)


@dataclass(frozen=True)
class PlainHebb:
    r"""Plain Hebbian rule :math:`\Delta\mathbf{w} = \eta\, y\, \mathbf{x}`, :math:`y = \mathbf{w}^\top\mathbf{x}`.

    A control, not a useful rule: the averaged dynamics :math:`\dot{\mathbf{w}} = C\mathbf{w}` grow
    along :math:`\mathbf{e}_1` without bound, so the norm diverges (Oja 1982 adds the decay term).

    Parameters
    ----------
    learning_rate : float
        η > 0 (dimensionless, per sample).

    References
    ----------
    D. O. Hebb, The Organization of Behavior (Wiley, 1949); E. Oja, J. Math. Biol. 15:267 (1982).
    """

    learning_rate: float

    def __post_init__(self) -> None:
        require_positive("PlainHebb.learning_rate (eta)", self.learning_rate)

    def update(self, w: Array, x: Array) -> Array:
        """One sample: return ``w + eta * y * x``."""
        return w + self.learning_rate * jnp.dot(w, x) * x

    def fit(self, w0: Array, samples: Array, record_every: int | None = None) -> tuple[Array, Array]:
        """Same contract as :meth:`Oja.fit`."""
        w0 = jnp.asarray(w0)
        samples = jnp.asarray(samples)
        record_every = samples.shape[0] if record_every is None else record_every
        _check_samples(samples, w0.shape[0], record_every)
        return jax.jit(_scan_checkpoints, static_argnums=(0, 3))(self.update, w0, samples, record_every)


@dataclass(frozen=True)
class GeneralizedHebbian:
    r"""Sanger's generalised Hebbian algorithm (GHA): the first k principal components, in order.

    For k linear outputs :math:`\mathbf{y} = W\mathbf{x}` (W is k x d, one row per component),

    .. math:: \Delta W = \eta \left(\mathbf{y}\mathbf{x}^\top - \mathrm{LT}[\mathbf{y}\mathbf{y}^\top]\, W\right),

    where LT keeps the lower triangle including the diagonal. Row i sees Oja's rule on the input
    with the projections on rows 1..i-1 removed, so it converges to :math:`\pm\mathbf{e}_i`.

    Parameters
    ----------
    learning_rate : float
        η > 0 (dimensionless, per sample).
    n_components : int
        k >= 1, the number of components (rows of W).

    References
    ----------
    T. D. Sanger, "Optimal unsupervised learning in a single-layer linear feedforward neural
    network", Neural Networks 2:459-473 (1989).
    """

    learning_rate: float
    n_components: int

    def __post_init__(self) -> None:
        require_positive("GeneralizedHebbian.learning_rate (eta)", self.learning_rate)
        require_positive_int("GeneralizedHebbian.n_components", self.n_components)

    def update(self, w: Array, x: Array) -> Array:
        """One sample: return ``W + eta * (y x^T - tril(y y^T) W)`` with ``y = W x``."""
        y = w @ x
        return w + self.learning_rate * (jnp.outer(y, x) - jnp.tril(jnp.outer(y, y)) @ w)

    def fit(self, w0: Array, samples: Array, record_every: int | None = None) -> tuple[Array, Array]:
        """Run GHA over ``samples`` (n_samples, d) from ``w0`` (k, d); same contract as :meth:`Oja.fit`."""
        w0 = jnp.asarray(w0)
        samples = jnp.asarray(samples)
        if w0.ndim != 2 or w0.shape[0] != self.n_components:
            raise SpikenetError(f"w0 must have shape (n_components={self.n_components}, n_inputs); got {w0.shape}")
        record_every = samples.shape[0] if record_every is None else record_every
        _check_samples(samples, w0.shape[1], record_every)
        return jax.jit(_scan_checkpoints, static_argnums=(0, 3))(self.update, w0, samples, record_every)


def pca_test_covariance(eigenvalues=(5.0, 3.0, 2.0, 1.0, 0.8, 0.6, 0.4, 0.3, 0.2, 0.1), seed: int = 0
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The covariance ``C = Q diag(eigenvalues) Q^T`` with Q random orthogonal (QR of a Gaussian matrix).

    Returns ``(C, Q, eigenvalues)``; column i of Q is the eigenvector e_(i+1) (eigenvalues in the
    given, decreasing, order). The default is the Oja protocol of the reproduction targets (d = 10).
    """
    eigenvalues = np.asarray(eigenvalues, dtype=float)
    if eigenvalues.ndim != 1 or np.any(np.diff(eigenvalues) > 0) or np.any(eigenvalues <= 0):
        raise SpikenetError(f"eigenvalues must be a positive, non-increasing 1-d sequence; got {eigenvalues}")
    rng = np.random.default_rng(seed)
    q, r = np.linalg.qr(rng.standard_normal((eigenvalues.size, eigenvalues.size)))
    q = q * np.sign(np.diag(r))
    return (q * eigenvalues) @ q.T, q, eigenvalues
