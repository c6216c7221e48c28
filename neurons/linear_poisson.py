"""Linear Poisson neuron: spikes at random with a rate that is a linear filter of its input spikes."""

from __future__ import annotations

import math
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from spikenet.neuron_protocol import INTEGRATION_SCHEMES, SynapticDrive
from spikenet.validation import SpikenetError, require_non_negative, require_positive


@dataclass(frozen=True)
class LinearPoisson:
    r"""Linear Poisson neuron (the neuron model of spike-based Hebbian learning theory, e.g.
    Kempter, Gerstner & van Hemmen 1999): a filtered input variable sets the firing rate.

    Every input spike of weight :math:`w_j` arriving through ``sn.Delta("u")`` adds :math:`w_j`
    to the dimensionless variable u, which decays with time constant τ (exactly):

    .. math::

        \frac{du}{dt} = -\frac{u}{\tau} + \sum_j w_j \sum_f \delta(t - t_j^f), \qquad
        \rho(t) = \max\bigl(0,\ \rho_0 + g\, u(t)\bigr) \ \text{(Hz)} .

    In each step of dt ms the neuron spikes with probability :math:`\min(1, \rho\, dt / 1000)`
    (a Bernoulli approximation of an inhomogeneous Poisson process; it stays linear in ρ as long
    as ρ dt / 1000 <= 1, i.e. ρ <= 1000 / dt Hz). There is no reset and no refractoriness: spikes
    do not change u. For stationary input spike trains of rates :math:`r_j` (Hz) the mean rate is
    :math:`\rho_0 + g\, (\tau / 1000) \sum_j w_j r_j` in continuous time; on the engine's grid an
    input spike first acts in the step after it arrives, which turns τ/dt into
    :math:`q / (1 - q)` with :math:`q = e^{-dt/\tau}` (19.5 instead of 20 for τ = 20 ms, dt = 1 ms).

    Only delta synapses onto ``"u"`` drive the neuron; currents and conductances (``net.current``,
    current or conductance synapses) are ignored.

    Random numbers come from a counter-based key: ``seed`` and the step count (kept in the state),
    so results do not depend on the chunk size; they do not depend on the run's seed either (give
    each neuron population its own ``seed`` for independent streams).

    Parameters
    ----------
    tau : float
        Decay time constant of u in ms (> 0).
    gain : float
        g, the rate per unit of u in Hz (> 0).
    baseline : float
        ρ0, the rate without input in Hz (>= 0).
    seed : int
        Seed of the neuron's spike-generation stream.

    References
    ----------
    R. Kempter, W. Gerstner & J. L. van Hemmen, "Hebbian learning and spiking neurons",
    Phys. Rev. E 59:4498-4514 (1999).
    """

    tau: float = 20.0
    gain: float = 50.0
    baseline: float = 0.0
    seed: int = 0
    integration: str = "exponential_euler"

    def __post_init__(self) -> None:
        require_positive("LinearPoisson.tau (ms)", self.tau)
        require_positive("LinearPoisson.gain (Hz per unit of u)", self.gain)
        require_non_negative("LinearPoisson.baseline (Hz)", self.baseline)
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)):
            raise SpikenetError(f"LinearPoisson.seed must be an integer; got {self.seed!r}")
        if self.integration not in INTEGRATION_SCHEMES:
            raise SpikenetError(f"LinearPoisson.integration must be one of {INTEGRATION_SCHEMES}; got {self.integration!r}")

    def state_units(self) -> dict[str, str]:
        return {"u": "1"}

    def initial_state(self, size: int, dt: float) -> dict[str, np.ndarray]:
        return {"u": np.zeros(size), "counter": np.zeros(size, np.int32)}

    def rate(self, state: dict):
        """Instantaneous firing rate ρ in Hz (one value per neuron)."""
        return jnp.maximum(0.0, self.baseline + self.gain * state["u"])

    def update(self, state: dict, drive: SynapticDrive, dt: float) -> dict:
        return {"u": state["u"] * math.exp(-dt / self.tau), "counter": state["counter"] + 1}

    def threshold(self, state: dict, dt: float):
        key = jax.random.fold_in(jax.random.PRNGKey(self.seed), state["counter"][0])
        uniform = jax.random.uniform(key, state["u"].shape, state["u"].dtype)
        return state, uniform < self.rate(state) * (dt / 1000.0)

    def reset(self, state: dict, spiked) -> dict:
        return state
