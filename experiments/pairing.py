"""Deterministic pre/post pairing protocols on the engine: each synapse has its own pre-synaptic
spike source and its own post-synaptic neuron, driven to spike at the requested times."""

from __future__ import annotations

import numpy as np

import spikenet as sn
from neurons import LIF


def pairing_network(rule, pre_trains: list[np.ndarray], post_trains: list[np.ndarray], dt: float = 1.0,
                    initial_weight: float = 0.0) -> tuple[sn.Network, sn.Projection, float]:
    """The network of :func:`run_pairings` (not run): (network, plastic projection, duration in ms)."""
    n = len(pre_trains)
    net = sn.Network(dt=dt)
    pre_idx = np.concatenate([np.full(len(t), k) for k, t in enumerate(pre_trains)])
    post_idx = np.concatenate([np.full(len(t), k) for k, t in enumerate(post_trains)])
    pre = net.spike_source("pre", n, pre_idx, np.concatenate(pre_trains))
    driver = net.spike_source("driver", n, post_idx, np.concatenate(post_trains) - dt)
    post = net.population("post", n, LIF(v_rest=-70.0, v_threshold=-50.0, v_reset=-70.0, refractory=0.0))
    net.connect(driver, post, sn.OneToOne(), synapse=sn.Delta(), weight=1000.0)
    projection = net.connect(pre, post, sn.OneToOne(), synapse=sn.CurrentExp(tau=1.0), weight=initial_weight,
                             plasticity=rule)
    end = max(np.concatenate(pre_trains).max(), np.concatenate(post_trains).max()) + 5 * dt
    return net, projection, float(np.ceil(end / dt) * dt)


def run_pairings(rule, pre_trains: list[np.ndarray], post_trains: list[np.ndarray], dt: float = 1.0,
                 initial_weight: float = 0.0, precision: str = "float64"):
    """Run one synapse per (pre train, post train) with ``rule``; returns (final weights, result).

    Post neurons are LIF cells kicked above threshold by a delta input one step before each
    requested post spike (refractory 0, reset far below threshold), so they spike exactly then.
    """
    net, projection, duration = pairing_network(rule, pre_trains, post_trains, dt, initial_weight)
    result = net.run(duration, monitors=[sn.SpikeMonitor("post")], precision=precision, progress=False)
    times, indices = result.spikes["post"]
    for k, train in enumerate(post_trains):
        np.testing.assert_allclose(times[indices == k], train, atol=1e-9)  # the protocol itself
    return result.weights[projection.name], result


def pairing_trains(frequency_hz: float, delta_t_ms: float, n_pairs: int = 60, start_ms: float = 100.0):
    """Pre spikes at start + k / f, post spikes at pre + delta_t (ms)."""
    pre = start_ms + np.arange(n_pairs) * 1000.0 / frequency_hz
    return pre, pre + delta_t_ms
