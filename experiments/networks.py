"""Built-in benchmark networks, described once and shared by experiments, benchmarks and tests."""

from __future__ import annotations

import numpy as np

import spikenet as sn
from learning_rules import PairSTDP
from neurons import LIF


def coba(n_neurons: int = 4000, seed: int = 1, in_degree: int | None = None, integration: str = "euler",
         stdp: bool = False) -> sn.Network:
    """Vogels & Abbott (2005) conductance-based E/I network, Brette et al. (2007) benchmark 1,
    in the form of Brian2's COBA benchmark script (the one BrainPy and Brian2 publish timings for).

    80 % excitatory, 20 % inhibitory LIF neurons: tau_m 20 ms (C 200 pF, g_L 10 nS), V_rest
    = V_reset = -60 mV, V_threshold -50 mV, refractory 5 ms, a constant drive of 20 mV
    (I = 20 mV x g_L = 200 pA); exponential conductances tau_e 5 ms (E_e 0 mV, weight
    0.6 g_L = 6 nS) and tau_i 10 ms (E_i -80 mV, weight 6.7 g_L = 67 nS); forward Euler at
    dt 0.1 ms; v(0) ~ N(-55, 5) mV. Connectivity: p = 0.02 (fan-in ~80 at 4000 neurons), or a
    fixed in-degree (80 % of it excitatory) for the scaled versions. With ``stdp=True`` the
    excitatory-to-excitatory projection learns with additive all-to-all pair STDP
    (tau 16.8/33.7 ms, A+ = 1 % and A- = 0.525 % of the initial 6 nS, bounds [0, 12] nS).

    References
    ----------
    Vogels & Abbott, J. Neurosci. 25:10786 (2005); Brette et al., J. Comput. Neurosci.
    23:349 (2007), benchmark 1.
    """
    net = sn.Network(dt=0.1, seed=seed)
    n_exc = int(round(0.8 * n_neurons))
    n_inh = n_neurons - n_exc
    model = LIF(tau_m=20.0, v_rest=-60.0, v_threshold=-50.0, v_reset=-60.0, refractory=5.0, capacitance=200.0,
                integration=integration)
    exc = net.population("exc", n_exc, model)
    inh = net.population("inh", n_inh, model)
    rng = np.random.default_rng(seed)
    exc.set_initial(v=rng.normal(-55.0, 5.0, n_exc))
    inh.set_initial(v=rng.normal(-55.0, 5.0, n_inh))
    excitatory = sn.ConductanceExp(tau=5.0, e_rev=0.0)
    inhibitory = sn.ConductanceExp(tau=10.0, e_rev=-80.0)
    for pre, synapse, weight in ((exc, excitatory, 6.0), (inh, inhibitory, 67.0)):
        for post in (exc, inh):
            if in_degree is None:
                rule = sn.FixedProbability(0.02)
            else:
                share = 0.8 if pre is exc else 0.2
                rule = sn.FixedInDegree(int(round(share * in_degree)))
            plastic = stdp and pre is exc and post is exc
            net.connect(pre, post, rule, synapse=synapse, weight=weight,
                        plasticity=PairSTDP(a_plus=0.06, a_minus=0.0315, w_min=0.0, w_max=12.0) if plastic else None)
    net.current(exc, 200.0)
    net.current(inh, 200.0)
    return net


def cuba(n_neurons: int = 4000, seed: int = 1) -> sn.Network:
    """Brian2's CUBA example (Vogels & Abbott 2005 current-based network, Brette et al. 2007
    benchmark 2): tau_m 20 ms, V_rest -49 mV, V_threshold -50 mV, V_reset -60 mV, refractory
    5 ms; exponential currents tau_e 5 ms / tau_i 10 ms with weights 1.62 mV and -9 mV of
    voltage-equivalent drive (16.2 pA and -90 pA with g_L = 10 nS); p = 0.02; v(0) uniform in
    [V_reset, V_threshold]."""
    net = sn.Network(dt=0.1, seed=seed)
    n_exc = int(round(0.8 * n_neurons))
    n_inh = n_neurons - n_exc
    model = LIF(tau_m=20.0, v_rest=-49.0, v_threshold=-50.0, v_reset=-60.0, refractory=5.0, capacitance=200.0)
    exc = net.population("exc", n_exc, model)
    inh = net.population("inh", n_inh, model)
    rng = np.random.default_rng(seed)
    exc.set_initial(v=rng.uniform(-60.0, -50.0, n_exc))
    inh.set_initial(v=rng.uniform(-60.0, -50.0, n_inh))
    g_leak = model.g_leak
    for pre, synapse, weight in ((exc, sn.CurrentExp(tau=5.0), 1.62 * g_leak), (inh, sn.CurrentExp(tau=10.0), -9.0 * g_leak)):
        for post in (exc, inh):
            net.connect(pre, post, sn.FixedProbability(0.02), synapse=synapse, weight=weight)
    return net


def isi_cv(times_ms: np.ndarray, indices: np.ndarray, n_neurons: int, min_spikes: int = 3) -> np.ndarray:
    """Coefficient of variation of the inter-spike intervals of each neuron with at least ``min_spikes`` spikes."""
    order = np.lexsort((times_ms, indices))
    times_ms, indices = times_ms[order], indices[order]
    counts = np.bincount(indices, minlength=n_neurons)
    boundaries = np.concatenate([[0], np.cumsum(counts)])
    values = []
    for neuron in np.nonzero(counts >= min_spikes)[0]:
        intervals = np.diff(times_ms[boundaries[neuron]:boundaries[neuron + 1]])
        values.append(intervals.std() / intervals.mean())
    return np.asarray(values)
