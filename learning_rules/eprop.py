"""e-prop (eligibility propagation) for recurrent LIF / ALIF networks with a leaky linear readout.

Time is discrete (step ``dt``, 1 ms by default). :func:`simulate` is the differentiable forward
graph (used for ``jax.grad`` checks); :func:`eprop_gradients` computes the e-prop gradient online,
in one forward :func:`jax.lax.scan`, from quantities local to each synapse (eligibility traces) and a
broadcast learning signal; :func:`train` runs plain gradient descent with it.

The same algorithm on the event engine: :class:`EpropNeuron` (these LIF/ALIF equations as an engine
neuron model) and :class:`EpropRule` (an engine plasticity rule, attached with
``Network.connect(..., plasticity=rule)``, whose eligibility traces and gradient are synapse traces
updated by ``on_step`` every step of a normal run, every update counted in
``ActivityCounts.plasticity_updates``); :func:`build_engine_network`, :func:`engine_gradients` (one
trial) and :func:`train_on_engine` (the host loop of :func:`train`) use them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

import spikenet as sn
from spikenet.counts import ActivityCounts
from spikenet.validation import SpikenetError, require_finite, require_non_negative, require_positive, require_positive_int

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
        a_j^t &= \rho a_j^{t-1} + z_j^{t-1}, \qquad A_j^t = v_{th} + \beta_j a_j^t\\
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
    :math:`e_{ji}^t = \psi_j^t (\epsilon^v_{ji,t} - \beta_j \epsilon^a_{ji,t})`, learning signal
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
    beta : float or sequence of floats
        Threshold adaptation strength β (>= 0; 0 gives LIF), one value for all neurons or one per
        recurrent neuron (a mixed LIF/ALIF network, as the LSNNs of Bellec et al.; stored as a tuple).
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
    beta: float | tuple = 0.0
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
        if np.ndim(self.beta) > 1:
            raise SpikenetError(f"EpropNetwork.beta must be a number or a 1-D sequence (one per neuron); got shape {np.shape(self.beta)}")
        require_non_negative("EpropNetwork.beta", self.beta)
        if np.ndim(self.beta) == 1:
            object.__setattr__(self, "beta", tuple(float(b) for b in np.asarray(self.beta, dtype=float)))
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

    @property
    def adaptive(self) -> bool:
        """Whether any neuron adapts (β > 0): the ALIF eligibility component is then needed."""
        return bool(np.any(np.asarray(self.beta) > 0))

    def beta_array(self, dtype) -> Array:
        """β as a JAX array: a scalar, or (n_rec,) when given per neuron."""
        return jnp.asarray(self.beta, dtype)

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
        if np.ndim(self.beta) == 1 and len(self.beta) != n_rec:
            raise SpikenetError(f"EpropNetwork.beta has {len(self.beta)} values; the network has n_rec = {n_rec} neurons")
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
        z = _heaviside((v - network.v_th - network.beta_array(dtype) * a) / network.v_th, gamma)
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
    alpha, rho, kappa = network.alpha, network.rho, network.kappa
    adaptive = network.adaptive
    beta = network.beta_array(weights.input.dtype)
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
            e = psi[:, None] * (eps_v_post - jnp.reshape(beta, (-1, 1)) * eps_a)
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


# -- e-prop on the event engine ---------------------------------------------------------------

INPUT_POPULATION = "inputs"
RECURRENT_POPULATION = "recurrent"
INPUT_PROJECTION = "inputs->recurrent"
RECURRENT_PROJECTION = "recurrent->recurrent"


def _check_engine_dt(owner: str, network: EpropNetwork, dt: float) -> None:
    if not math.isclose(float(dt), network.dt, rel_tol=1e-12, abs_tol=0.0):
        raise SpikenetError(f"{owner}: the engine's dt ({dt} ms) must equal EpropNetwork.dt ({network.dt} ms)")


@dataclass(frozen=True)
class EpropNeuron:
    r"""The discrete-time LIF / ALIF neuron of :class:`EpropNetwork` as an engine neuron model
    (:mod:`spikenet.neuron_protocol`), so that the event engine reproduces :func:`simulate` step by step.

    State (dimensionless, in the units of ``v_th``): ``v``, ``a``, ``z`` (this step's spike, 0 or 1)
    and ``input`` (the synaptic input :math:`\sum_i W_{ji}\,\mathrm{pre}_i^t`, written by
    ``Delta("input")`` synapses). Per engine step t, in the engine's order:

    * update: :math:`v^t = \alpha v^{t-1} + (1-\alpha)(\mathrm{input} + I_{ext}) - v_{th} z^{t-1}`,
      :math:`a^t = \rho a^{t-1} + z^{t-1}`, input cleared (:math:`I_{ext}` = injected current − conductance·v, 0 without);
    * threshold: :math:`z^t = H((v^t - v_{th} - \beta_j a^t)/v_{th})`;
    * deliveries: the step's spikes add their weights to ``input``, read by the next update;
    * reset: nothing — the reset by subtraction :math:`-v_{th} z^{t-1}` is part of the next update,
      after the decay, as in e-prop (``neurons.ALIF`` resets before the decay and integrates in
      continuous time, so it does not reproduce these equations).

    A spike emitted in step s reaches v in step s + 1: recurrent spikes z^{t-1} act on v^t as in
    e-prop, and the input x^t of e-prop's step t must be emitted by the source in step t − 1.

    Parameters
    ----------
    network : EpropNetwork
        τ_m, τ_a (ms), v_th, β (scalar or one per neuron), dt (ms; must equal the engine's dt).
    integration : str
        Only the decay scheme of the population's synaptic channels (none with ``Delta`` input).
    """

    network: EpropNetwork
    integration: str = "exponential_euler"

    def __post_init__(self) -> None:
        if not isinstance(self.network, EpropNetwork):
            raise SpikenetError(f"EpropNeuron.network must be an EpropNetwork; got {type(self.network).__name__}")

    def state_units(self) -> dict[str, str]:
        units = "units of v_th (dimensionless in Bellec et al.)"
        return {"v": units, "a": "1", "z": "1", "input": units}

    def initial_state(self, size: int, dt: float) -> dict[str, np.ndarray]:
        _check_engine_dt("EpropNeuron", self.network, dt)
        if np.ndim(self.network.beta) == 1 and len(self.network.beta) != size:
            raise SpikenetError(f"EpropNeuron: EpropNetwork.beta has {len(self.network.beta)} values; the population has {size} neurons")
        return {"v": np.zeros(size), "a": np.zeros(size), "z": np.zeros(size), "input": np.zeros(size)}

    def update(self, state: dict, drive: sn.SynapticDrive, dt: float) -> dict:
        _check_engine_dt("EpropNeuron", self.network, dt)
        network = self.network
        alpha, rho = network.alpha, network.rho
        v, z = state["v"], state["z"]
        synaptic = state["input"] + drive.current - drive.conductance * v
        return {"v": alpha * v + (1 - alpha) * synaptic - network.v_th * z, "a": rho * state["a"] + z, "z": z,
                "input": jnp.zeros_like(state["input"])}

    def threshold(self, state: dict, dt: float) -> tuple[dict, Array]:
        network = self.network
        v = state["v"]
        spiked = (v - network.v_th - network.beta_array(v.dtype) * state["a"]) / network.v_th > 0
        return {**state, "z": spiked.astype(v.dtype)}, spiked

    def reset(self, state: dict, spiked: Array) -> dict:
        return state


@dataclass(frozen=True, eq=False)
class EpropRule:
    r"""e-prop as an engine plasticity rule (Bellec et al. 2020): per-synapse eligibility traces and
    the accumulated gradient, computed by the engine in ``on_step`` during a run; weights unchanged.

    Attach it to the projections into a population of :class:`EpropNeuron` (inputs → recurrent and
    recurrent → recurrent; the same rule object may serve both). With e-prop's step t = the engine's
    step (inputs emitted one step early, see :class:`EpropNeuron`), per step and synapse i → j:

    .. math::

        \epsilon^v_{ji,t} &= \bar z_i^{t-1} + c_{ji}^t,\quad
            \bar z_i^{t} = \alpha \bar z_i^{t-1} + (1-\alpha) s_i^t \ \text{(pre trace ``filtered_spikes``,
            read as ``context.pre_previous``)}\\
        c_{ji}^t &= \alpha c_{ji}^{t-1} - v_{th} e_{ji}^{t-1}\ \text{(``reset_eligibility``, only with reset_gradient)}\\
        \epsilon^a_{ji,t} &= \rho \epsilon^a_{ji,t-1} + e_{ji}^{t-1}\ \text{(``adaptation_eligibility``, only if some β > 0)}\\
        e_{ji}^t &= \psi_j^t (\epsilon^v_{ji,t} - \beta_j \epsilon^a_{ji,t}),\quad
            \psi_j^t = \frac{\gamma}{v_{th}} \max\Big(0, 1 - \Big|\frac{v_j^t - v_{th} - \beta_j a_j^t}{v_{th}}\Big|\Big)\\
        \bar e_{ji}^t &= \kappa \bar e_{ji}^{t-1} + (1-\kappa) e_{ji}^t\ \text{(``filtered_eligibility``)}\\
        y_k^t &= \sum_j W^{out}_{kj} \bar z^{\kappa,t}_j,\quad
            \bar z^{\kappa,t}_j = \kappa \bar z^{\kappa,t-1}_j + (1-\kappa) z_j^t\ \text{(post trace ``readout_filtered_spikes``)}\\
        L_j^t &= \sum_k B_{jk} (y_k^t - y^{*,t}_k),\qquad
            G_{ji} \mathrel{+}= L_j^t \bar e_{ji}^t\ \text{(``gradient``)},\qquad
            S_{ji} \mathrel{+}= e_{ji}^t\ \text{(``eligibility_sum``)}

    — the equations of :func:`eprop_gradients` (s_i^t: the pre-synaptic spike of step t; v, a from
    ``context.post_state``, i.e. after the step's threshold). The readout weights
    :math:`W^{out}_{k\cdot}` and feedback :math:`B_{\cdot k}` are per-post-neuron state, stored as
    non-decaying post traces ``readout_weight_{k}`` and ``feedback_{k}`` (set them with
    ``CompiledNetwork.with_plastic_trace(..., kind="post")``; they start at zero), so training can
    change them without recompiling. The target is indexed by ``context.step``; outside
    [0, T) the learning signal is zero. The firing-rate regulariser needs the rates of the whole
    trial and is added on the host (:func:`engine_gradients`):
    :math:`\partial(E+R)/\partial W_{ji} = G_{ji} + c_{reg}(r_j - f_{target}) S_{ji} / (T\delta t)`.

    Parameters
    ----------
    network : EpropNetwork
        Hyperparameters (τ_m, τ_out, τ_a in ms; v_th; γ; β; dt in ms, equal to the engine's).
    target : array (T, n_out)
        Target readout y* per step (units of the readout).

    References
    ----------
    Bellec et al., Nat. Commun. 11:3625 (2020), Methods (eligibility traces of LIF and ALIF neurons).
    """

    network: EpropNetwork
    target: Any
    pre_traces: dict = field(init=False, repr=False)
    post_traces: dict = field(init=False, repr=False)
    synapse_traces: dict = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.network, EpropNetwork):
            raise SpikenetError(f"EpropRule.network must be an EpropNetwork; got {type(self.network).__name__}")
        target = np.asarray(self.target, dtype=np.float64)
        if target.ndim != 2 or target.shape[0] < 1 or target.shape[1] < 1:
            raise SpikenetError(f"EpropRule.target must be a (T, n_out) array with T, n_out >= 1; got shape {target.shape}")
        require_finite("EpropRule.target", target)
        target.setflags(write=False)
        network = self.network
        object.__setattr__(self, "target", target)
        object.__setattr__(self, "pre_traces", {"filtered_spikes": network.tau_m})
        post = {"readout_filtered_spikes": network.tau_out}
        for k in range(self.n_outputs):
            post[f"readout_weight_{k}"] = math.inf
            post[f"feedback_{k}"] = math.inf
        object.__setattr__(self, "post_traces", post)
        synapse = {"filtered_eligibility": network.tau_out, "gradient": math.inf, "eligibility_sum": math.inf}
        if network.adaptive:
            synapse["adaptation_eligibility"] = network.tau_a
        if network.reset_gradient:
            synapse["reset_eligibility"] = network.tau_m
        if network.adaptive or network.reset_gradient:
            synapse["previous_eligibility"] = math.inf
        object.__setattr__(self, "synapse_traces", synapse)

    @property
    def n_outputs(self) -> int:
        """Number of readout neurons, n_out."""
        return self.target.shape[1]

    def on_pre(self, weight, pre, post, synapse):
        return weight, {"filtered_spikes": pre["filtered_spikes"] + (1 - self.network.alpha)}, {}

    def on_post(self, weight, pre, post, synapse):
        return weight, {"readout_filtered_spikes": post["readout_filtered_spikes"] + (1 - self.network.kappa)}, {}

    def on_step(self, weight, synapse, modulator, dt, context):
        network = self.network
        _check_engine_dt("EpropRule", network, dt)
        if "v" not in context.post_state or "a" not in context.post_state:
            raise SpikenetError("EpropRule needs a post-synaptic population of EpropNeuron (state variables v and a); "
                                f"got state variables {sorted(context.post_state)}")
        dtype = weight.dtype
        n_post = context.n_post
        kappa = network.kappa
        v, a = context.post_state["v"], context.post_state["a"]
        beta = jnp.broadcast_to(network.beta_array(dtype), v.shape)
        v_scaled = (v - network.v_th - beta * a) / network.v_th
        psi = context.gather_post(network.gamma / network.v_th * jnp.maximum(0.0, 1.0 - jnp.abs(v_scaled)))
        # The learning signal from the leaky readout of this step's filtered spikes.
        filtered = context.post["readout_filtered_spikes"][:n_post]
        readout = jnp.stack([context.post[f"readout_weight_{k}"][:n_post] for k in range(self.n_outputs)])
        feedback = jnp.stack([context.post[f"feedback_{k}"][:n_post] for k in range(self.n_outputs)], axis=1)
        target = jnp.asarray(self.target, dtype)
        step = context.step
        inside = (step >= 0) & (step < target.shape[0])
        error = jnp.where(inside, readout @ filtered - target[jnp.clip(step, 0, target.shape[0] - 1)], 0.0)
        learning_signal = context.gather_post(feedback @ error)
        # Eligibility: the pre trace as it stood when this step's input reached the membrane.
        epsilon_v = context.pre_previous["filtered_spikes"][:, None]
        updated = {}
        if network.reset_gradient:
            updated["reset_eligibility"] = synapse["reset_eligibility"] - network.v_th * synapse["previous_eligibility"]
            epsilon_v = epsilon_v + updated["reset_eligibility"]
        if network.adaptive:
            updated["adaptation_eligibility"] = synapse["adaptation_eligibility"] + synapse["previous_eligibility"]
            eligibility = psi * (epsilon_v - context.gather_post(beta) * updated["adaptation_eligibility"])
        else:
            eligibility = psi * epsilon_v
        if network.adaptive or network.reset_gradient:
            updated["previous_eligibility"] = eligibility
        filtered_eligibility = synapse["filtered_eligibility"] + (1 - kappa) * eligibility
        updated["filtered_eligibility"] = filtered_eligibility
        updated["gradient"] = synapse["gradient"] + learning_signal * filtered_eligibility
        updated["eligibility_sum"] = synapse["eligibility_sum"] + eligibility
        return weight, updated


def build_engine_network(network: EpropNetwork, n_in: int, n_rec: int, target: Any, no_autapses: bool = True) -> sn.Network:
    """An engine network for e-prop: a ``SpikeSource.empty()`` population ``"inputs"`` (n_in), a
    population ``"recurrent"`` of :class:`EpropNeuron` (n_rec), all-to-all ``Delta("input")``
    projections ``"inputs->recurrent"`` and ``"recurrent->recurrent"`` (without autapses if
    ``no_autapses``) with one :class:`EpropRule` (``target`` (T, n_out)); weights zero, set per trial
    by :func:`engine_gradients`."""
    n_in = require_positive_int("n_in", n_in)
    n_rec = require_positive_int("n_rec", n_rec)
    rule = EpropRule(network, target)
    net = sn.Network(dt=network.dt, seed=0)
    inputs = net.population(INPUT_POPULATION, n_in, sn.SpikeSource.empty())
    recurrent = net.population(RECURRENT_POPULATION, n_rec, EpropNeuron(network))
    net.connect(inputs, recurrent, sn.AllToAll(), synapse=sn.Delta("input"), weight=0.0, plasticity=rule,
                name=INPUT_PROJECTION)
    net.connect(recurrent, recurrent, sn.AllToAll(allow_autapses=not no_autapses), synapse=sn.Delta("input"), weight=0.0,
                plasticity=rule, name=RECURRENT_PROJECTION)
    return net


def _engine_projection(compiled: sn.CompiledNetwork, name: str):
    for projection in compiled.network.projections:
        if projection.name == name and isinstance(projection.plasticity, EpropRule):
            return projection
    raise SpikenetError(f"the compiled network has no projection {name!r} with an EpropRule; build it with build_engine_network")


def engine_gradients(compiled: sn.CompiledNetwork, weights: EpropWeights, inputs: Any, feedback: Any,
                     ) -> tuple[EpropWeights, EpropInfo, sn.Result]:
    """One trial on the engine: the e-prop gradient of E + R, as :func:`eprop_gradients` returns it.

    Parameters
    ----------
    compiled : CompiledNetwork
        ``build_engine_network(...).compile(precision)``; its rule holds the network and the target.
    weights : EpropWeights
        Input (n_rec, n_in), recurrent (n_rec, n_rec; zero diagonal without autapses) and readout weights.
    inputs : array (T, n_in)
        Input spikes (0 or 1) of e-prop's steps; ``inputs[0]`` must be zero (the engine delivers a
        spike one step after it is emitted, so x^t is emitted at step t − 1, and x^0 cannot be).
    feedback : array (n_rec, n_out)
        Learning-signal weights B.

    Returns
    -------
    gradients : EpropWeights
        Input and recurrent: the rule's accumulated ``gradient`` traces plus the regulariser term
        (from ``eligibility_sum`` and the trial's spike counts); readout: exact, from the spikes.
    info : EpropInfo
    result : Result
        The engine run (counts, spikes of ``"recurrent"``).
    """
    input_projection = _engine_projection(compiled, INPUT_PROJECTION)
    recurrent_projection = _engine_projection(compiled, RECURRENT_PROJECTION)
    rule = input_projection.plasticity
    network, target = rule.network, rule.target
    weights = EpropWeights(*(np.asarray(w, dtype=np.float64) for w in weights))
    feedback = np.asarray(feedback, dtype=np.float64)
    inputs = np.asarray(inputs, dtype=np.float64)
    network.check(weights, inputs, target, feedback)
    n_steps, n_in = inputs.shape
    n_rec, n_out = weights.recurrent.shape[0], target.shape[1]
    if (input_projection.pre.size, input_projection.post.size) != (n_in, n_rec):
        raise SpikenetError(f"weights are for n_in = {n_in}, n_rec = {n_rec}; the engine network has "
                            f"{input_projection.pre.size} inputs and {input_projection.post.size} recurrent neurons")
    if not np.all((inputs == 0) | (inputs == 1)):
        raise SpikenetError("inputs must be spikes (0 or 1) on the engine")
    if np.any(inputs[0]):
        raise SpikenetError("inputs[0] must be zero on the engine: a spike acts on v in the step after it is emitted, "
                            "so e-prop's input x^t is emitted at step t - 1 and x^0 cannot be")
    for name, value in zip(EpropWeights._fields, weights):
        require_finite(f"weights.{name}", value)
    require_finite("feedback", feedback)
    diagonal = np.arange(n_rec)
    if recurrent_projection.n_synapses < n_rec * n_rec and np.any(weights.recurrent[diagonal, diagonal]):
        raise SpikenetError("weights.recurrent must have a zero diagonal: the engine network has no autapses")
    state = compiled.initial_state()
    for projection, matrix in ((input_projection, weights.input), (recurrent_projection, weights.recurrent)):
        synapses = projection.synapses
        state = compiled.with_plastic_weights(state, projection.name, matrix[synapses.post, synapses.pre])
        for k in range(n_out):
            state = compiled.with_plastic_trace(state, projection.name, f"readout_weight_{k}", weights.output[k], kind="post")
            state = compiled.with_plastic_trace(state, projection.name, f"feedback_{k}", feedback[:, k], kind="post")
    input_steps, input_neurons = np.nonzero(inputs[1:])  # x^{s+1} is emitted at engine step s
    result = compiled.run(n_steps * network.dt, resume=state, monitors=[sn.SpikeMonitor(RECURRENT_POPULATION)],
                          input_spikes={INPUT_POPULATION: (input_steps * network.dt, input_neurons)})
    times, neurons = result.spikes[RECURRENT_POPULATION]
    spikes = np.zeros((n_steps, n_rec))
    spikes[np.round(times / network.dt).astype(np.int64), neurons] = 1.0
    # The readout and its exact gradient, on the host (e-prop's recursions).
    kappa = network.kappa
    y = np.zeros((n_steps, n_out))
    filtered = np.zeros((n_steps, n_rec))
    y_previous, filtered_previous = np.zeros(n_out), np.zeros(n_rec)
    for t in range(n_steps):
        y_previous = kappa * y_previous + (1 - kappa) * (weights.output @ spikes[t])
        filtered_previous = kappa * filtered_previous + (1 - kappa) * spikes[t]
        y[t], filtered[t] = y_previous, filtered_previous
    error = y - target
    duration = n_steps * network.dt
    count = spikes.sum(axis=0)
    rate_error = count / duration - network.target_rate * 1e-3   # spikes per ms
    gradients = []
    for projection, matrix in ((input_projection, weights.input), (recurrent_projection, weights.recurrent)):
        synapses = projection.synapses
        task = compiled.plastic_trace(result.final_state, projection.name, "gradient")
        eligibility_sum = compiled.plastic_trace(result.final_state, projection.name, "eligibility_sum")
        gradient = np.zeros_like(matrix)
        gradient[synapses.post, synapses.pre] = (task + network.reg_coefficient * rate_error[synapses.post]
                                                 * eligibility_sum / duration)
        gradients.append(gradient)
    info = EpropInfo(0.5 * float(np.sum(error ** 2)), 0.5 * network.reg_coefficient * float(np.sum(rate_error ** 2)),
                     float(np.mean(count / duration)) * 1e3, int(count.sum()), y)
    return EpropWeights(gradients[0], gradients[1], error.T @ filtered), info, result


def train_on_engine(network: EpropNetwork, weights: EpropWeights, inputs: Any, target: Any, feedback: Any,
                    learning_rate: float, n_iterations: int, no_autapses: bool = True, precision: str = "float32",
                    ) -> tuple[EpropWeights, TrainingHistory, ActivityCounts]:
    r""":func:`train` with the gradients computed by the event engine (:func:`engine_gradients`):
    one trial per iteration, then :math:`W \leftarrow W - \eta\,\widehat{\nabla}(E+R)` on the host for
    the input, recurrent and readout weights, written back into the engine for the next trial.

    ``no_autapses``: the recurrent projection has no self-connections (the diagonal of
    ``weights.recurrent`` must then be zero and stays zero, as in :func:`train`). ``precision``: the
    engine's (``"float32"`` or ``"float64"``); the host update is float64. Returns the final weights
    (numpy float64), the history (measured before each update, as :func:`train`) and the activity
    counts summed over all trials.
    """
    require_positive("learning_rate (eta)", learning_rate)
    n_iterations = require_positive_int("n_iterations", n_iterations)
    weights = EpropWeights(*(np.asarray(w, dtype=np.float64) for w in weights))
    inputs, target = np.asarray(inputs, dtype=np.float64), np.asarray(target, dtype=np.float64)
    network.check(weights, inputs, target, feedback)
    compiled = build_engine_network(network, inputs.shape[1], weights.recurrent.shape[0], target,
                                    no_autapses).compile(precision=precision)
    history, counts = [], None
    for _ in range(n_iterations):
        gradients, info, result = engine_gradients(compiled, weights, inputs, feedback)
        history.append((info.task_loss, info.regulariser, info.mean_rate_hz))
        counts = result.counts if counts is None else counts + result.counts
        weights = EpropWeights(*(w - learning_rate * g for w, g in zip(weights, gradients)))
    task_loss, regulariser, rate = (np.asarray(column) for column in zip(*history))
    return weights, TrainingHistory(task_loss, regulariser, rate), counts
