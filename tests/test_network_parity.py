"""Recurrent networks against Brian2 on identical connectivity and initial state.

Recurrent spiking networks are chaotic: rounding differences grow, so the checks are
statistical (population rates and the distribution of ISI coefficients of variation), with
Brian2 2.9.0 (numpy runtime, float64) run on the network exported from the same description.
"""

import numpy as np
import pytest

import spikenet as sn
from experiments.networks import coba, cuba, isi_cv
from spikenet.brian2_export import to_brian2

DURATION_MS = 1000.0


def _compare(brian2_numpy, net):
    ours = net.run(DURATION_MS, monitors=[sn.SpikeMonitor("exc"), sn.SpikeMonitor("inh")], precision="float64")
    exported = to_brian2(net, spike_monitors=["exc", "inh"])
    exported.run(DURATION_MS)
    summary = {}
    for name in ("exc", "inh"):
        size = net.populations[name].size
        our_times, our_idx = ours.spikes[name]
        brian_times, brian_idx = exported.spikes(name)
        summary[name] = {
            "rate_ours": our_times.size / size / (DURATION_MS / 1000.0),
            "rate_brian2": brian_times.size / size / (DURATION_MS / 1000.0),
            "cv_ours": isi_cv(our_times, our_idx, size),
            "cv_brian2": isi_cv(brian_times, brian_idx, size),
        }
    return ours, summary


def _check(summary, rate_tolerance=0.10, cv_tolerance=0.10):
    for name, s in summary.items():
        assert s["rate_brian2"] > 1.0, f"{name}: the Brian2 reference must be active"
        assert abs(s["rate_ours"] - s["rate_brian2"]) <= rate_tolerance * s["rate_brian2"], (name, s["rate_ours"], s["rate_brian2"])
        # ISI-CV distribution: mean within 10 % and the quartiles within 0.1 (absolute).
        assert abs(s["cv_ours"].mean() - s["cv_brian2"].mean()) <= cv_tolerance * s["cv_brian2"].mean()
        np.testing.assert_allclose(np.percentile(s["cv_ours"], [25, 50, 75]),
                                   np.percentile(s["cv_brian2"], [25, 50, 75]), atol=0.1)


def test_coba_rates_and_isi_cv_match_brian2(brian2_numpy):
    """COBA (Vogels & Abbott 2005, Brian2 benchmark form): excitatory and inhibitory mean rates
    within 10 % of Brian2's and the ISI-CV distribution (mean within 10 %, quartiles within 0.1)."""
    ours, summary = _compare(brian2_numpy, coba(4000, seed=1))
    _check(summary)
    # The synaptic events counted equal spikes x out-degree, spike by spike.
    net = coba(4000, seed=1)
    for projection in net.projections:
        times, idx = ours.spikes[projection.pre.name]
        assert ours.counts.synaptic_events[projection.name] == int(projection.synapses.out_degree()[idx].sum())


def test_cuba_rates_and_isi_cv_match_brian2(brian2_numpy):
    """CUBA (Brian2's examples/CUBA.py parameters): rates within 10 % of Brian2's and the ISI-CV
    distribution (mean within 10 %, quartiles within 0.1)."""
    _, summary = _compare(brian2_numpy, cuba(4000, seed=2))
    _check(summary)
