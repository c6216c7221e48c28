"""Homeostatic plasticity: an adaptive firing threshold and Triesch's intrinsic plasticity.

* :class:`AdaptiveThreshold` — Diehl & Cook's homeostatic threshold for any threshold neuron on
  the event engine: wrap the model (``AdaptiveThreshold(LIF(...), theta_plus=0.05)``).
* :class:`AdaptiveThresholdLIF` — a single LIF neuron whose threshold rises by ``a`` at each spike
  and decays linearly at rate ``b``; its own small :func:`jax.lax.scan` simulator (noisy drive).
* :class:`IntrinsicPlasticity` — Triesch's rule that shapes a sigmoid unit's output distribution
  towards an exponential with a chosen mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from spikenet.validation import SpikenetError, require_in_range, require_non_negative, require_positive, \
    require_positive_int

Array = jax.Array


@dataclass(frozen=True)
class AdaptiveThreshold:
    r"""Homeostatic adaptive threshold (Diehl & Cook 2015) around any neuron model of the engine.

    .. math::

        \text{spike when } v > v_{threshold} + \theta, \qquad
        \theta \to \theta + \theta_+ \text{ at each spike}, \qquad
        \tau_\theta \frac{d\theta}{dt} = -\theta

    (θ decays exactly, by :math:`e^{-dt/\tau_\theta}` per step.) A neuron that fires more raises
    its own threshold, so in a competitive layer every neuron ends up with a share of the inputs.
    With regular firing at period T the threshold at the spike is the minimum of a sawtooth,
    :math:`\theta_+ e^{-T/\tau_\theta} / (1 - e^{-T/\tau_\theta})`.

    Works for models whose ``threshold`` compares ``variable`` with a fixed value and leaves it
    unchanged (LIF, ALIF, AdEx, Izhikevich): the wrapper shows them ``variable - theta``. The
    population's state gains ``theta`` (mV, the value at the last spike; set it with
    ``population.set_initial(theta=...)``) and ``theta_age`` (steps since); θ now is
    :meth:`current_theta`.

    Parameters
    ----------
    model : neuron model
        The wrapped model (its parameters, integration and Delta-synapse handling are kept).
    theta_plus : float
        Threshold increment per spike (mV, >= 0; 0 freezes θ). Diehl & Cook: 0.05 mV.
    tau_theta : float
        Decay time constant of θ (ms, > 0). Diehl & Cook: 1e7 ms.
    variable : str
        The state variable compared with the threshold (``"v"``).

    References
    ----------
    P. U. Diehl & M. Cook, Front. Comput. Neurosci. 9:99 (2015), "homeostasis" section.
    """

    model: Any
    theta_plus: float = 0.05
    tau_theta: float = 1e7
    variable: str = "v"

    def __post_init__(self) -> None:
        require_non_negative("AdaptiveThreshold.theta_plus (mV)", self.theta_plus)
        require_positive("AdaptiveThreshold.tau_theta (ms)", self.tau_theta)
        if getattr(self.model, "is_source", False) or not callable(getattr(self.model, "threshold", None)):
            raise SpikenetError(f"AdaptiveThreshold.model must be a neuron model with a threshold; got {type(self.model).__name__}")
        if "theta" in self.model.state_units():
            raise SpikenetError(f"AdaptiveThreshold: {type(self.model).__name__} already has a state variable 'theta'")
        if self.variable not in self.model.state_units():
            raise SpikenetError(f"AdaptiveThreshold.variable {self.variable!r} is not a state variable of "
                                f"{type(self.model).__name__}; it has {sorted(self.model.state_units())}")

    @property
    def integration(self) -> str:
        return self.model.integration

    def state_units(self) -> dict[str, str]:
        return {**self.model.state_units(), "theta": "mV"}

    def initial_state(self, size: int, dt: float) -> dict[str, np.ndarray]:
        return {**self.model.initial_state(size, dt), "theta": np.zeros(size), "theta_age": np.zeros(size, np.int32)}

    def current_theta(self, state: dict, dt: float) -> Any:
        """θ now (mV): ``state["theta"]`` is its value at the last spike (or at the start), decayed
        in closed form over ``theta_age`` steps; per-step multiplication would lose the decay in
        float32 (1 - dt/τθ rounds to 1 for Diehl & Cook's τθ = 1e7 ms)."""
        age = jnp.asarray(state["theta_age"]).astype(jnp.asarray(state["theta"]).dtype)
        return state["theta"] * jnp.exp(-age * (dt / self.tau_theta))

    def _inner(self, state: dict) -> dict:
        return {k: v for k, v in state.items() if k not in ("theta", "theta_age")}

    def _outer(self, inner: dict, state: dict) -> dict:
        return {**inner, "theta": state["theta"], "theta_age": state["theta_age"]}

    def update(self, state: dict, drive: Any, dt: float) -> dict:
        age = jnp.minimum(state["theta_age"] + 1, 2**30).astype(state["theta_age"].dtype)
        return {**self._outer(self.model.update(self._inner(state), drive, dt), state), "theta_age": age}

    def threshold(self, state: dict, dt: float):
        theta = self.current_theta(state, dt)
        shifted = {**self._inner(state), self.variable: state[self.variable] - theta}
        inner, spiked = self.model.threshold(shifted, dt)
        inner = {**inner, self.variable: inner[self.variable] + theta}
        # The jump: theta restarts from its current value plus theta_plus, age 0.
        return {**inner, "theta": jnp.where(spiked, theta + self.theta_plus, state["theta"]),
                "theta_age": jnp.where(spiked, 0, state["theta_age"]).astype(state["theta_age"].dtype)}, spiked

    def reset(self, state: dict, spiked: Any) -> dict:
        return self._outer(self.model.reset(self._inner(state), spiked), state)

    def apply_delta(self, state: dict, variable: str, increment: Any) -> dict:
        if hasattr(self.model, "apply_delta"):
            return self._outer(self.model.apply_delta(self._inner(state), variable, increment), state)
        return {**state, variable: state[variable] + increment}


@dataclass(frozen=True)
class AdaptiveThresholdLIF:
    r"""LIF neuron with a homeostatic threshold that fixes the long-run firing rate at ``b / a``.

    Membrane (Euler–Maruyama, step dt; ξ white noise):

    .. math::

        \tau_m \frac{dv}{dt} = \mu - v + \sigma \sqrt{\tau_m}\, \xi(t), \qquad
        \text{spike when } v > 1 + \theta:\; v \to 0,\; \theta \to \theta + a, \qquad
        \frac{d\theta}{dt} = -b \;(\theta \ge 0).

    Over a long time T, :math:`a N_\text{spikes} - b T = \theta(T) - \theta(0)` stays bounded, so the
    rate tends to :math:`r^* = b/a` whatever the drive (as long as the drive can reach the rate with
    θ > 0). Units: v and θ are dimensionless (threshold 1 at θ = 0).

    Parameters
    ----------
    increment : float
        a > 0, threshold jump per spike (dimensionless).
    decay_rate : float
        b > 0, linear threshold decay (1/s).
    drive_mean : float
        μ, mean drive (dimensionless, threshold units).
    drive_sd : float
        σ >= 0, noise amplitude (dimensionless).
    tau_m : float
        Membrane time constant (ms), > 0.
    dt : float
        Time step (ms), > 0.

    References
    ----------
    Reproduction targets §4c(i); the adaptive threshold of P. U. Diehl & M. Cook, Front. Comput.
    Neurosci. 9:99 (2015) (which uses an exponential decay instead).
    """

    increment: float
    decay_rate: float
    drive_mean: float = 1.5
    drive_sd: float = 0.3
    tau_m: float = 20.0
    dt: float = 0.1

    def __post_init__(self) -> None:
        require_positive("AdaptiveThresholdLIF.increment (a)", self.increment)
        require_positive("AdaptiveThresholdLIF.decay_rate (b)", self.decay_rate, "1/s")
        require_non_negative("AdaptiveThresholdLIF.drive_sd (sigma)", self.drive_sd)
        require_positive("AdaptiveThresholdLIF.tau_m", self.tau_m, "ms")
        require_positive("AdaptiveThresholdLIF.dt", self.dt, "ms")
        require_in_range("AdaptiveThresholdLIF.dt / tau_m", self.dt / self.tau_m, 0.0, 0.5)

    @property
    def target_rate_hz(self) -> float:
        """The stationary rate b / a (Hz)."""
        return self.decay_rate / self.increment

    def simulate(self, duration_ms: float, key: Array, bin_ms: float = 1000.0) -> tuple[Array, Array]:
        """Simulate from v = 0, θ = 0; return spike counts per bin of ``bin_ms`` and θ at each bin end.

        ``duration_ms`` must be a whole number of bins and ``bin_ms`` a whole number of steps.
        """
        require_positive("bin_ms", bin_ms, "ms")
        steps_per_bin = int(round(bin_ms / self.dt))
        n_bins = int(round(duration_ms / bin_ms))
        if steps_per_bin < 1 or abs(steps_per_bin * self.dt - bin_ms) > 1e-9 * bin_ms:
            raise SpikenetError(f"bin_ms must be a multiple of dt = {self.dt} ms; got {bin_ms}")
        if n_bins < 1 or abs(n_bins * bin_ms - duration_ms) > 1e-9 * duration_ms:
            raise SpikenetError(f"duration_ms must be a positive multiple of bin_ms = {bin_ms}; got {duration_ms}")
        return _simulate_adaptive_lif(self, key, n_bins, steps_per_bin)


def _simulate_adaptive_lif(neuron: AdaptiveThresholdLIF, key: Array, n_bins: int, steps_per_bin: int):
    decay = neuron.dt / neuron.tau_m
    noise_scale = neuron.drive_sd * (decay ** 0.5)
    theta_decay = neuron.decay_rate * neuron.dt * 1e-3  # b (1/s) x dt (ms -> s)

    def step(carry, noise):
        v, theta, count = carry
        v = v + decay * (neuron.drive_mean - v) + noise_scale * noise
        theta = jnp.maximum(0.0, theta - theta_decay)
        spiked = v > 1.0 + theta
        v = jnp.where(spiked, 0.0, v)
        theta = theta + neuron.increment * spiked
        return (v, theta, count + spiked), None

    def one_bin(carry, bin_index):
        v, theta = carry
        noise = jax.random.normal(jax.random.fold_in(key, bin_index), (steps_per_bin,))
        (v, theta, count), _ = jax.lax.scan(step, (v, theta, jnp.int32(0)), noise)
        return (v, theta), (count, theta)

    run = jax.jit(lambda: jax.lax.scan(one_bin, (jnp.float32(0.0), jnp.float32(0.0)), jnp.arange(n_bins))[1])
    return run()


@dataclass(frozen=True)
class IntrinsicPlasticity:
    r"""Triesch's intrinsic plasticity: gain and bias of a sigmoid unit make its output exponential.

    Output :math:`y = 1/(1 + e^{-(a x + b)})`; per sample

    .. math::

        \Delta b = \eta \left(1 - \left(2 + \tfrac{1}{\mu}\right) y + \tfrac{y^2}{\mu}\right), \qquad
        \Delta a = \frac{\eta}{a} + \Delta b\, x ,

    the stochastic gradient that minimises the Kullback–Leibler divergence between the output
    distribution and an exponential distribution with mean μ (so ⟨y⟩ → μ and SD ≈ mean).

    Parameters
    ----------
    learning_rate : float
        η > 0 (per sample).
    target_mean : float
        μ in (0, 1), the desired mean output.

    References
    ----------
    J. Triesch, "A gradient rule for the plasticity of a neuron's intrinsic excitability",
    ICANN 2005, LNCS 3696:65-70; J. Triesch, Neural Comput. 19:885-909 (2007).
    """

    learning_rate: float = 1e-3
    target_mean: float = 0.1

    def __post_init__(self) -> None:
        require_positive("IntrinsicPlasticity.learning_rate (eta)", self.learning_rate)
        require_in_range("IntrinsicPlasticity.target_mean (mu)", self.target_mean, 1e-6, 1.0 - 1e-6)

    @staticmethod
    def output(gain: Array, bias: Array, x: Array) -> Array:
        """Sigmoid output ``1 / (1 + exp(-(gain x + bias)))``."""
        return jax.nn.sigmoid(gain * x + bias)

    def update(self, state: tuple[Array, Array], x: Array) -> tuple[tuple[Array, Array], Array]:
        """One sample: return the new ``(gain, bias)`` and the output y before the update."""
        gain, bias = state
        y = self.output(gain, bias, x)
        delta_bias = self.learning_rate * (1.0 - (2.0 + 1.0 / self.target_mean) * y + y * y / self.target_mean)
        return (gain + self.learning_rate / gain + delta_bias * x, bias + delta_bias), y

    def fit(self, samples: Array, gain: float = 1.0, bias: float = 0.0) -> tuple[tuple[Array, Array], Array]:
        """Run the rule over 1-d ``samples`` with ``lax.scan``; return final ``(gain, bias)`` and every output."""
        samples = jnp.asarray(samples)
        if samples.ndim != 1:
            raise SpikenetError(f"samples must be 1-d (one input per sample); got shape {samples.shape}")
        require_positive("initial gain", gain)
        require_positive_int("number of samples", samples.shape[0])
        state = (jnp.asarray(gain, samples.dtype), jnp.asarray(bias, samples.dtype))
        return jax.jit(lambda s, xs: jax.lax.scan(self.update, s, xs))(state, samples)
