"""e-prop (eligibility propagation) for recurrent LIF / ALIF networks with a leaky linear readout.

Time is discrete (step ``dt``, 1 ms by default). :func:`simulate` is the differentiable forward
graph (used for ``jax.grad`` checks); :func:`eprop_gradients` computes the e-prop gradient online,
in one forward :func:`jax.lax.scan`, from quantities local to each synapse (eligibility traces) and a
broadcast learning signal; :func:`train` runs plain gradient descent with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from spikenet.validation import SpikenetError, require_non_negative, require_positive, require_positive_int

Array = jax.Array


class EpropWeights(NamedTuple):
    """Trainable weights (a pytree).

    input : (n_rec, n_in); recurrent : (n_rec, n_rec), row = post-synaptic neuron; output : (n_out, n_rec).
    """

    input: Array
    recurrent: Array
    output: Array


class Trajectory(NamedTuple):
    """Time-major records of one run (T steps): membrane ``v``, adaptation ``a``, spikes ``z`` (all
    (T, n_rec)) and readout ``y`` (T, n_out)."""

    v: Array
    a: Array
    z: Array
    y: Array


@jax.custom_jvp
def _heaviside(v_scaled: Array, gamma: Array) -> Array:
    return (v_scaled > 0).astype(v_scaled.dtype)


@_heaviside.defjvp
def _heaviside_jvp(primals, tangents):
    v_scaled, gamma = primals
    dv_scaled, _ = tangents
    pseudo = gamma * jnp.maximum(0.0, 1.0 - jnp.abs(v_scaled))
    return _heaviside(v_scaled, gamma), pseudo * dv_scaled


@dataclass(frozen=True)
class EpropNetwork:
    r"""Hyperparameters of a recurrent network of LIF (β = 0) or ALIF (β > 0) neurons with a leaky readout.

    With :math:`\alpha = e^{-\delta t/\tau_m}`, :math:`\rho = e^{-\delta t/\tau_a}`,
    :math:`\kappa = e^{-\delta t/\tau_{out}}` and input :math:`x^t` at step t (the tutorial
    convention of Bellec et al., synaptic input scaled by 1 − α):

    .. math::

        v_j^t &= \alpha v_j^{t-1} + (1-\alpha)\Big(\sum_i W^{in}_{ji} x_i^t + \sum_i W^{rec}_{ji} z_i^{t-1}\Big)
                 - v_{th} z_j^{t-1}  \quad\text{(reset by subtraction)}\\
        a_j^t &= \rho a_j^{t-1} + z_j^{t-1}, \qquad A_j^t = v_{th} + \beta a_j^t\\
        z_j^t &= H\big((v_j^t - A_j^t)/v_{th}\big), \qquad
        \psi_j^t = \frac{\gamma}{v_{th}} \max\Big(0, 1 - \Big|\frac{v_j^t - A_j^t}{v_{th}}\Big|\Big)\\
        y_k^t &= \kappa y_k^{t-1} + (1-\kappa) \sum_j W^{out}_{kj} z_j^t

    ψ is the pseudo-derivative used for ∂z/∂v. The loss is
    :math:`E = \tfrac12 \sum_{t,k} (y_k^t - y_k^{*,t})^2` plus the firing-rate regulariser
    :math:`R = \tfrac{c_{reg}}{2} \sum_j (r_j - f_{target})^2`, :math:`r_j = \sum_t z_j^t / (T\,\delta t)`
    (rates in spikes per ms = kHz inside the formula; ``target_rate`` is given in Hz).

    e-prop (see :func:`eprop_gradients`): eligibility vectors
    :math:`\epsilon^v_{ji,t} = \alpha \epsilon^v_{ji,t-1} + (1-\alpha) \mathrm{pre}_i^t`,
    :math:`\epsilon^a_{ji,t} = \rho\,\epsilon^a_{ji,t-1} + e_{ji}^{t-1}`, eligibility trace
    :math:`e_{ji}^t = \psi_j^t (\epsilon^v_{ji,t} - \beta \epsilon^a_{ji,t})`, learning signal
    :math:`L_j^t = \sum_k B_{jk}(y_k^t - y_k^{*,t})` and

    .. math:: \frac{\partial (E+R)}{\partial W_{ji}} \approx \sum_t L_j^t \bar e_{ji}^t
              + c_{reg}(r_j - f_{target}) \frac{1}{T\delta t}\sum_t e_{ji}^t,
              \qquad \bar e^t = \kappa \bar e^{t-1} + (1-\kappa) e^t

    where pre_i^t is x_i^t for input synapses and z_i^{t-1} for recurrent ones. With
    B = (W^out)ᵀ it is the exact gradient of the graph in which the recurrent spikes carry no
    gradient (``stop_gradients=True`` in :func:`simulate`; the reset carries none either unless
    ``reset_gradient=True``, which adds a term to ε^v, see below).

    Parameters
    ----------
    tau_m : float
        Membrane time constant τ_m (ms), > 0.
    tau_out : float
        Readout time constant τ_out (ms), > 0.
    v_th : float
        Base threshold v_th (> 0, same units as v).
    dt : float
        Time step δt (ms), > 0.
    gamma : float
        Pseudo-derivative dampening γ (> 0, dimensionless).
    beta : float
        Threshold adaptation strength β (>= 0; 0 gives LIF).
    tau_a : float
        Adaptation time constant τ_a (ms), > 0 (unused when β = 0).
    reg_coefficient : float
        c_reg >= 0 of the firing-rate regulariser.
    target_rate : float
        f_target (Hz), >= 0.
    reset_gradient : bool
        False (default, as in the authors' e-prop): the reset term carries no gradient. True: it does,
        and e-prop keeps the exact gradient by adding the neuron-local reset path to the eligibility
        vector: :math:`\epsilon^v_{ji,t} = \alpha\epsilon^v_{ji,t-1} + (1-\alpha)\mathrm{pre}_i^t
        - v_{th} e_{ji}^{t-1}`.

    References
    ----------
    G. Bellec, F. Scherr, A. Subramoney, E. Hajek, D. Salaj, R. Legenstein & W. Maass, "A solution to
    the learning dilemma for recurrent networks of spiking neurons", Nat. Commun. 11:3625 (2020);
    code: github.com/IGITUGraz/eligibility_propagation (``Figure_3_and_S7_e_prop_tutorials``).
    """

    tau_m: float = 30.0
    tau_out: float = 30.0
    v_th: float = 0.03
    dt: float = 1.0
    gamma: float = 0.3
    beta: float = 0.0
    tau_a: float = 2000.0
    reg_coefficient: float = 300.0
    target_rate: float = 10.0
    reset_gradient: bool = False

    def __post_init__(self) -> None:
        require_positive("EpropNetwork.tau_m", self.tau_m, "ms")
        require_positive("EpropNetwork.tau_out", self.tau_out, "ms")
        require_positive("EpropNetwork.v_th", self.v_th)
        require_positive("EpropNetwork.dt", self.dt, "ms")
        require_positive("EpropNetwork.gamma", self.gamma)
        require_non_negative("EpropNetwork.beta", self.beta)
        require_positive("EpropNetwork.tau_a", self.tau_a, "ms")
        require_non_negative("EpropNetwork.reg_coefficient (c_reg)", self.reg_coefficient)
        require_non_negative("EpropNetwork.target_rate", self.target_rate, "Hz")

    @property
    def alpha(self) -> float:
        """Membrane decay per step, exp(-dt / tau_m)."""
        return float(np.exp(-self.dt / self.tau_m))

    @property
    def rho(self) -> float:
        """Adaptation decay per step, exp(-dt / tau_a)."""
        return float(np.exp(-self.dt / self.tau_a))

    @property
    def kappa(self) -> float:
        """Readout decay per step, exp(-dt / tau_out)."""
        return float(np.exp(-self.dt / self.tau_out))

    def check(self, weights: EpropWeights, inputs: Array, target: Array, feedback: Array | None = None) -> None:
        """Raise :class:`SpikenetError` unless the shapes fit together."""
        n_rec, n_in = np.shape(weights.input)
        n_out = np.shape(weights.output)[0]
        if np.shape(weights.recurrent) != (n_rec, n_rec):
            raise SpikenetError(f"weights.recurrent must be ({n_rec}, {n_rec}); got {np.shape(weights.recurrent)}")
        if np.shape(weights.output) != (n_out, n_rec):
            raise SpikenetError(f"weights.output must be (n_out, {n_rec}); got {np.shape(weights.output)}")
        if np.ndim(inputs) != 2 or np.shape(inputs)[1] != n_in:
            raise SpikenetError(f"inputs must be (T, n_in={n_in}); got {np.shape(inputs)}")
        require_positive_int("number of time steps", np.shape(inputs)[0])
        if np.shape(target) != (np.shape(inputs)[0], n_out):
            raise SpikenetError(f"target must be (T, n_out) = {(np.shape(inputs)[0], n_out)}; got {np.shape(target)}")
        if feedback is not None and np.shape(feedback) != (n_rec, n_out):
            raise SpikenetError(f"feedback must be (n_rec, n_out) = {(n_rec, n_out)}; got {np.shape(feedback)}")


def simulate(network: EpropNetwork, weights: EpropWeights, inputs: Array, stop_gradients: bool = True) -> Trajectory:
    """Run the network on ``inputs`` (T, n_in); differentiable with the pseudo-derivative.

    ``stop_gradients=True`` blocks gradients through the recurrent spikes (the graph whose exact
    gradient e-prop computes with symmetric feedback); ``False`` keeps them differentiable (BPTT).
    The reset term carries a gradient only if ``network.reset_gradient`` is True, in both cases.
    """
    alpha, rho, kappa = network.alpha, network.rho, network.kappa
    n_rec = weights.input.shape[0]
    dtype = weights.input.dtype
    gamma = jnp.asarray(network.gamma, dtype)

    def step(carry, x):
        v, a, z, y = carry
        z_recurrent = jax.lax.stop_gradient(z) if stop_gradients else z
        v = alpha * v + (1 - alpha) * (weights.input @ x + weights.recurrent @ z_recurrent) \
            - network.v_th * (z if network.reset_gradient else jax.lax.stop_gradient(z))
        a = rho * a + z
        z = _heaviside((v - network.v_th - network.beta * a) / network.v_th, gamma)
        y = kappa * y + (1 - kappa) * (weights.output @ z)
        return (v, a, z, y), (v, a, z, y)

    zeros = jnp.zeros(n_rec, dtype)
    init = (zeros, zeros, zeros, jnp.zeros(weights.output.shape[0], dtype))
    _, records = jax.lax.scan(step, init, jnp.asarray(inputs, dtype))
    return Trajectory(*records)


def loss(network: EpropNetwork, weights: EpropWeights, inputs: Array, target: Array,
         stop_gradients: bool = True) -> tuple[Array, tuple[Array, Array, Trajectory]]:
    """Total loss E + R (see :class:`EpropNetwork`); aux: (E, R, trajectory). Differentiable in ``weights``."""
    trajectory = simulate(network, weights, inputs, stop_gradients)
    task = 0.5 * jnp.sum((trajectory.y - target) ** 2)
    rate = jnp.mean(trajectory.z, axis=0) / network.dt
    regulariser = 0.5 * network.reg_coefficient * jnp.sum((rate - network.target_rate * 1e-3) ** 2)
    return task + regulariser, (task, regulariser, trajectory)


def autodiff_gradients(network: EpropNetwork, weights: EpropWeights, inputs: Array, target: Array,
                       stop_gradients: bool = True) -> EpropWeights:
    """``jax.grad`` of :func:`loss` (the stop-gradient graph by default; ``False`` gives BPTT)."""
    network.check(weights, inputs, target)
    return jax.grad(lambda w: loss(network, w, inputs, target, stop_gradients)[0])(weights)


class EpropInfo(NamedTuple):
    """Per-run summaries from :func:`eprop_gradients`: task loss E, regulariser R, mean rate (Hz),
    spike count and readout trace y (T, n_out)."""

    task_loss: Array
    regulariser: Array
    mean_rate_hz: Array
    n_spikes: Array
    y: Array


def eprop_gradients(network: EpropNetwork, weights: EpropWeights, inputs: Array, target: Array,
                    feedback: Array) -> tuple[EpropWeights, EpropInfo]:
    """The e-prop gradient of E + R, computed online (one forward scan; no backpropagation in time).

    Parameters
    ----------
    network : EpropNetwork
    weights : EpropWeights
    inputs : array (T, n_in)
        Input spikes (or currents) per step.
    target : array (T, n_out)
        Target readout y*.
    feedback : array (n_rec, n_out)
        Learning-signal weights B: ``weights.output.T`` for symmetric e-prop, fixed random for random e-prop.

    Returns
    -------
    gradients : EpropWeights
        Same shapes as ``weights``; the readout gradient is exact, the others are e-prop's.
    info : EpropInfo
    """
    network.check(weights, inputs, target, feedback)
    return _eprop_gradients(network, weights, jnp.asarray(inputs, weights.input.dtype),
                            jnp.asarray(target, weights.input.dtype), jnp.asarray(feedback, weights.input.dtype))


def _eprop_gradients(network, weights, inputs, target, feedback):
    alpha, rho, kappa, beta = network.alpha, network.rho, network.kappa, network.beta
    adaptive = beta > 0
    reset = network.reset_gradient
    keep_previous_e = adaptive or reset
    n_rec, n_in = weights.input.shape
    n_out = weights.output.shape[0]
    dtype = weights.input.dtype
    n_steps = inputs.shape[0]
    w_pre = jnp.concatenate([weights.input, weights.recurrent], axis=1)  # (n_rec, n_in + n_rec)

    def step(carry, xs):
        x, y_target = xs
        v, a, z, y, eps_v, eps_a, e_prev, e_filtered, z_filtered, grad, grad_out, e_sum, count = carry
        pre = jnp.concatenate([x, z])  # input x^t and recurrent z^{t-1}
        v = alpha * v + (1 - alpha) * (w_pre @ pre) - network.v_th * z
        a = rho * a + z
        v_scaled = (v - network.v_th - beta * a) / network.v_th
        z = (v_scaled > 0).astype(dtype)
        psi = network.gamma / network.v_th * jnp.maximum(0.0, 1.0 - jnp.abs(v_scaled))
        if reset:  # per synapse: the reset feeds e^{t-1} back into v
            eps_v = alpha * eps_v + (1 - alpha) * pre[None, :] - network.v_th * e_prev
        else:  # the same for every post-synaptic neuron j
            eps_v = alpha * eps_v + (1 - alpha) * pre
        eps_v_post = eps_v if reset else eps_v[None, :]
        if adaptive:
            eps_a = rho * eps_a + e_prev
            e = psi[:, None] * (eps_v_post - beta * eps_a)
        else:
            e = psi[:, None] * eps_v_post
        e_filtered = kappa * e_filtered + (1 - kappa) * e
        y = kappa * y + (1 - kappa) * (weights.output @ z)
        error = y - y_target
        learning_signal = feedback @ error
        z_filtered = kappa * z_filtered + (1 - kappa) * z
        grad = grad + learning_signal[:, None] * e_filtered
        grad_out = grad_out + jnp.outer(error, z_filtered)
        carry = (v, a, z, y, eps_v, eps_a, e if keep_previous_e else e_prev, e_filtered, z_filtered, grad, grad_out,
                 e_sum + e, count + z)
        return carry, (y, 0.5 * jnp.sum(error ** 2))

    n_pre = n_in + n_rec
    synapses = jnp.zeros((n_rec, n_pre), dtype)
    vec = jnp.zeros(n_rec, dtype)
    scalar = jnp.zeros((), dtype)
    eps_v = synapses if reset else jnp.zeros(n_pre, dtype)
    init = (vec, vec, vec, jnp.zeros(n_out, dtype), eps_v, synapses if adaptive else scalar,
            synapses if keep_previous_e else scalar, synapses, vec,
            synapses, jnp.zeros((n_out, n_rec), dtype), synapses, vec)
    carry, (y, step_loss) = jax.lax.scan(step, init, (inputs, target))
    grad, grad_out, e_sum, count = carry[9], carry[10], carry[11], carry[12]
    duration = n_steps * network.dt
    rate = count / duration  # spikes per ms
    rate_error = rate - network.target_rate * 1e-3
    grad = grad + network.reg_coefficient * rate_error[:, None] * e_sum / duration
    regulariser = 0.5 * network.reg_coefficient * jnp.sum(rate_error ** 2)
    gradients = EpropWeights(grad[:, :n_in], grad[:, n_in:], grad_out)
    info = EpropInfo(jnp.sum(step_loss), regulariser, jnp.mean(rate) * 1e3, jnp.sum(count), y)
    return gradients, info


class TrainingHistory(NamedTuple):
    """Per-iteration task loss E, regulariser R and mean recurrent rate (Hz), measured before each update."""

    task_loss: Array
    regulariser: Array
    mean_rate_hz: Array


def train(network: EpropNetwork, weights: EpropWeights, inputs: Array, target: Array, feedback: Array,
          learning_rate: float, n_iterations: int, no_autapses: bool = True) -> tuple[EpropWeights, TrainingHistory]:
    r"""Plain gradient descent with e-prop on one sequence: :math:`W \leftarrow W - \eta\, \widehat{\nabla} (E+R)`.

    All iterations run in one compiled :func:`jax.lax.scan`. ``no_autapses`` keeps the diagonal of
    the recurrent weights at its initial value (zero in the pattern task). Returns the final weights
    and the history (one entry per iteration, measured before that iteration's update).
    """
    require_positive("learning_rate (eta)", learning_rate)
    require_positive_int("n_iterations", n_iterations)
    network.check(weights, inputs, target, feedback)
    dtype = weights.input.dtype
    inputs, target, feedback = (jnp.asarray(a, dtype) for a in (inputs, target, feedback))
    mask = 1.0 - jnp.eye(weights.recurrent.shape[0], dtype=dtype) if no_autapses else jnp.ones_like(weights.recurrent)

    def iteration(w, _):
        grads, info = _eprop_gradients(network, w, inputs, target, feedback)
        grads = grads._replace(recurrent=grads.recurrent * mask)
        w = jax.tree_util.tree_map(lambda p, g: p - learning_rate * g, w, grads)
        return w, (info.task_loss, info.regulariser, info.mean_rate_hz)

    final, history = jax.jit(lambda w: jax.lax.scan(iteration, w, None, length=n_iterations))(weights)
    return final, TrainingHistory(*history)
