"""Oja's rule and Sanger's generalised Hebbian algorithm (GHA): Hebbian learning of principal components.

:class:`Oja`, :class:`PlainHebb` and :class:`GeneralizedHebbian` are rate-based, local rules for a
linear neuron ``y = w . x``. They are pure functions of the weights and one input sample;
:meth:`Oja.fit` / :meth:`GeneralizedHebbian.fit` run a whole sample sequence with
:func:`jax.lax.scan` and return checkpoints of the weights. :class:`SpikingOja` is Oja's rule as an
event-driven rule for the engine (spike traces, updates at post-synaptic spikes).
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


@dataclass(frozen=True)
class SpikingOja:
    r"""Oja's rule as an event-driven rule for the engine: a spiking neuron learns the principal
    eigenvector of its inputs' rate second-moment matrix (spike-based form of Oja 1982).

    Each pre-synaptic neuron i keeps a trace :math:`a_i` (+1 per spike, decays with
    :math:`\tau_{pre}`), the post-synaptic neuron a trace b (+1 per spike, decays with
    :math:`\tau_{post}`). Their rate estimates in Hz are :math:`x_i = 1000\, a_i / \tau_{pre}` and
    :math:`y = 1000\, b / \tau_{post}`. At every post-synaptic spike

    .. math:: \Delta w_i = \eta\, (x_i - y\, w_i),

    where y is read *before* the spike adds to b (it estimates the rate from the earlier post
    spikes only), and :math:`x_i` includes a pre spike in the same step (the engine runs
    ``on_pre`` before ``on_post``). Pre spikes only update the traces; weights are not bounded.
    With :math:`\rho(t)` the post-synaptic firing intensity (Hz), the expected drift is

    .. math:: \frac{d w_i}{dt} = \eta\, \bigl(E[\rho\, x_i] - E[\rho\, y]\, w_i\bigr) \quad \text{(per second)},

    the spike-train version of Oja's :math:`\dot w_i = \eta\,(r_i r_{post} - r_{post}^2 w_i)`.

    **What it converges to.** Take a linear Poisson post-synaptic neuron (``neurons.LinearPoisson``)
    with intensity :math:`\rho = G \sum_j w_j \tilde r_j`, where :math:`\tilde r_j` is input j's
    spike train filtered by a unit-area kernel (Hz) and G a dimensionless gain, and inputs whose
    rates :math:`r_j(t)` vary slowly compared with the trace and synaptic time constants. Then
    :math:`E[\rho x_i] \approx G (M \mathbf w)_i` and :math:`E[\rho y] \approx G^2 \mathbf w^\top M \mathbf w`
    with :math:`M = E[\mathbf r \mathbf r^\top]` (Hz²) the second-moment matrix of the input
    *rates*, mean included (not the covariance), and the averaged dynamics are Oja's:

    .. math:: \dot{\mathbf w} = \eta G \bigl(M \mathbf w - G\, (\mathbf w^\top M \mathbf w)\, \mathbf w\bigr).

    Their stable fixed points are :math:`\mathbf w = \pm \mathbf e_1 / \sqrt{G}`
    (:math:`\mathbf e_1` the unit leading eigenvector of M, :math:`\lambda_1 > \lambda_2`), where
    :math:`G\, \mathbf w^\top M \mathbf w = \lambda_1`. M has non-negative entries, so
    :math:`\mathbf e_1` can be taken non-negative (Perron–Frobenius); the weights themselves stay
    non-negative from non-negative initial weights as long as :math:`\eta\, y < 1`, since the
    update is :math:`w_i \leftarrow (1 - \eta y)\, w_i + \eta x_i`.

    **Spike-level corrections.** They are not small in general; for a linear Poisson neuron
    they can be written down exactly, and ``tests/learning_rules/test_spiking_oja.py`` derives them
    on the engine's 1-ms grid and includes them in its reference (measured norms within 1 % of
    it, directions within |cos| 0.9998):

    * a pre spike both raises the post intensity and enters :math:`x_i`, which adds
      :math:`c\, \mu_i w_i` to :math:`(M \mathbf w)_i` (:math:`\mu_i` the mean rate of input i;
      for exponential kernels :math:`c = 1000 / (\tau_{pre} + \tau_{syn})` Hz): a diagonal term
      :math:`c\, \mathrm{diag}(\mu)`, proportional to the identity when all inputs have the same
      mean rate (then it leaves the direction unchanged), otherwise tilting the weights towards
      high-rate inputs;
    * the intensities at two times share input spikes, which adds a term
      :math:`\propto \sum_j \mu_j w_j^2` to :math:`E[\rho y]` (reading y after the post spike's own
      increment would add a further :math:`1000/\tau_{post}` Hz times :math:`E[\rho]`; the rule
      avoids that term);
    * the traces and the synapse average the rates over tens of ms, so the rate covariance Σ
      enters with a weight :math:`\kappa < 1` (about :math:`1 - \tau/T` for rates redrawn every T
      ms), while the mean part :math:`\mu\mu^\top` is not attenuated.

    So the weights converge to the leading eigenvector of about
    :math:`\mu\mu^\top + \kappa\, \Sigma + c\, \mathrm{diag}(\mu)` — :math:`\mathbf e_1` of M
    when the inputs have equal mean rates and their rates change slowly compared with the time
    constants — and the norm differs from :math:`1/\sqrt{G}` (by +12 % in the test's protocol:
    τ = 10 ms, 20-Hz mean rates, rates redrawn every 100 ms).

    Parameters
    ----------
    learning_rate : float
        η > 0, in weight units per Hz (each post spike changes w by η times a rate).
    tau_pre : float
        :math:`\tau_{pre}`, time constant of the pre-synaptic rate estimate in ms (> 0).
    tau_post : float
        :math:`\tau_{post}`, time constant of the post-synaptic rate estimate in ms (> 0).

    References
    ----------
    E. Oja, "A simplified neuron model as a principal component analyzer",
    J. Math. Biol. 15:267-273 (1982).
    R. Kempter, W. Gerstner & J. L. van Hemmen, "Hebbian learning and spiking neurons",
    Phys. Rev. E 59:4498-4514 (1999) (averaging spike-based rules with linear Poisson neurons).

    Examples
    --------
    >>> net.connect(inputs, cell, sn.AllToAll(), synapse=sn.Delta("u"), weight=0.3,
    ...             plasticity=SpikingOja(learning_rate=1e-5, tau_pre=10.0, tau_post=10.0))  # doctest: +SKIP
    """

    learning_rate: float = 1e-5
    tau_pre: float = 20.0
    tau_post: float = 20.0

    def __post_init__(self) -> None:
        require_positive("SpikingOja.learning_rate (eta, weight per Hz)", self.learning_rate)
        require_positive("SpikingOja.tau_pre (ms)", self.tau_pre)
        require_positive("SpikingOja.tau_post (ms)", self.tau_post)

    @property
    def pre_traces(self) -> dict:
        return {"pre": self.tau_pre}

    @property
    def post_traces(self) -> dict:
        return {"post": self.tau_post}

    @property
    def synapse_traces(self) -> dict:
        return {}

    def on_pre(self, weight, pre, post, synapse):
        return weight, {"pre": pre["pre"] + 1.0}, {}

    def on_post(self, weight, pre, post, synapse):
        pre_rate = pre["pre"] * (1000.0 / self.tau_pre)
        post_rate = post["post"] * (1000.0 / self.tau_post)
        return weight + self.learning_rate * (pre_rate - post_rate * weight), {"post": post["post"] + 1.0}, {}
