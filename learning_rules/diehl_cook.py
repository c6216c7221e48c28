"""The STDP rule of Diehl & Cook (2015), "triplet-like" pre/post form of their released code.

Used on the input -> excitatory projection of :mod:`experiments.diehl_cook`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import jax.numpy as jnp

from spikenet.validation import SpikenetError, require_non_negative, require_positive


@dataclass(frozen=True)
class DiehlCookSTDP:
    r"""Diehl & Cook (2015) STDP with a post-synaptic "triplet" trace, as in their released code.

    Traces (dimensionless, *set* to 1 at a spike — nearest-spike pairing): pre :math:`x_{pre}`
    (:math:`\tau_{pre}` = 20 ms); post :math:`x_{post1}` (:math:`\tau_{post1}` = 20 ms) and
    :math:`x_{post2}` (:math:`\tau_{post2}` = 40 ms). Weights :math:`w \in [0, w_{max}]`.

    At a pre-synaptic spike (depression, then the pre trace is set):

    .. math:: w \leftarrow \mathrm{clip}(w - \eta_{pre}\, x_{post1},\ 0,\ w_{max}), \qquad x_{pre} \leftarrow 1

    At a post-synaptic spike (potentiation with the slow post trace taken *before* this spike):

    .. math:: w \leftarrow \mathrm{clip}(w + \eta_{post}\, x_{pre}\, x_{post2}(t^-),\ 0,\ w_{max}),
              \qquad x_{post1} \leftarrow 1,\ x_{post2} \leftarrow 1

    The per-example weight normalisation of the paper (incoming weights of every excitatory
    neuron rescaled to sum to 78 before each example) is not part of the rule: it is done on
    the host between examples (:func:`experiments.diehl_cook.normalise_columns`).

    Parameters
    ----------
    eta_pre : float
        Depression rate per pre spike (weight units; code: ``nu_ee_pre`` = 1e-4), >= 0.
    eta_post : float
        Potentiation rate per post spike (weight units; code: ``nu_ee_post`` = 1e-2), >= 0.
    tau_pre, tau_post1, tau_post2 : float
        Trace time constants in ms (> 0): 20, 20 and 40 ms in the paper's code.
    w_max : float
        Upper weight bound (code: ``wmax_ee`` = 1.0; the unit is the synapse's, here the
        excitatory conductance in multiples of the leak conductance).

    References
    ----------
    Diehl & Cook, "Unsupervised learning of digit recognition using spike-timing-dependent
    plasticity", Front. Comput. Neurosci. 9:99 (2015); code github.com/peter-u-diehl/stdp-mnist
    (``Diehl&Cook_spiking_MNIST.py``, ``eqs_stdp_ee`` / ``eqs_stdp_pre_ee`` / ``eqs_stdp_post_ee``).
    """

    eta_pre: float = 1e-4
    eta_post: float = 1e-2
    tau_pre: float = 20.0
    tau_post1: float = 20.0
    tau_post2: float = 40.0
    w_max: float = 1.0
    pre_traces: dict = field(init=False, repr=False, compare=False)
    post_traces: dict = field(init=False, repr=False, compare=False)
    synapse_traces: dict = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        require_non_negative("DiehlCookSTDP.eta_pre", self.eta_pre)
        require_non_negative("DiehlCookSTDP.eta_post", self.eta_post)
        for name in ("tau_pre", "tau_post1", "tau_post2"):
            require_positive(f"DiehlCookSTDP.{name} (ms)", getattr(self, name))
        if not self.w_max > 0:
            raise SpikenetError(f"DiehlCookSTDP.w_max must be > 0; got {self.w_max}")
        object.__setattr__(self, "pre_traces", {"x_pre": self.tau_pre})
        object.__setattr__(self, "post_traces", {"x_post1": self.tau_post1, "x_post2": self.tau_post2})
        object.__setattr__(self, "synapse_traces", {})

    def on_pre(self, weight, pre, post, synapse):
        weight = jnp.clip(weight - self.eta_pre * post["x_post1"], 0.0, self.w_max)
        return weight, {"x_pre": jnp.ones_like(pre["x_pre"])}, {}

    def on_post(self, weight, pre, post, synapse):
        weight = jnp.clip(weight + self.eta_post * pre["x_pre"] * post["x_post2"], 0.0, self.w_max)
        return weight, {"x_post1": jnp.ones_like(post["x_post1"]), "x_post2": jnp.ones_like(post["x_post2"])}, {}
