"""``compile(keep_synapses=False)`` on one device: the engine builds each static group's tables and
then frees the network's synapse arrays of that group; the run must not change.

Reference: the same network (built twice from the same seed) compiled with ``keep_synapses=True``,
whose engine test_engine, test_network_parity and test_hub_rows check against Brian2 and the dense
path. Every spike, plastic weight and count must be identical in float64 — a difference means a
weight table was built from the wrong arrays or a freed array was still read. Networks: COBA + pair
STDP (static and plastic groups; the static exc rows ride in the STDP loop and keep their synapses),
Brunel (2000; delays, PoissonInput) and a hub network stored in out-degree buckets. The sharded
engine's hand-over is checked in tests/test_sharded.py."""

import numpy as np
import pytest

import spikenet as sn
from experiments.brunel2000 import build as brunel
from experiments.networks import coba
from spikenet.engine import rows
from tests.test_hub_rows import _hub_network


def _runs(build, monitors):
    kept = build().run(40.0, monitors=monitors, precision="float64", seed=4, progress=False)
    net = build()
    compiled = net.compile(precision="float64", keep_synapses=False)
    handed = compiled.run(40.0, monitors=monitors, seed=4, progress=False)
    return net, compiled, kept, handed


def _assert_same(kept, handed):
    assert kept.spikes.keys() == handed.spikes.keys()
    for name in kept.spikes:
        for k in (0, 1):
            np.testing.assert_array_equal(kept.spikes[name][k], handed.spikes[name][k])
    for name in kept.weights:
        np.testing.assert_array_equal(kept.weights[name], handed.weights[name])
    assert vars(kept.counts) == vars(handed.counts)


@pytest.mark.parametrize("case", ["coba_stdp", "brunel"])
def test_handing_the_synapses_over_changes_no_spike(case):
    build = (lambda: coba(400, seed=1, stdp=True)) if case == "coba_stdp" else (lambda: brunel(5.0, 2.0, scale=0.1))
    monitors = [sn.SpikeMonitor("exc"), sn.SpikeMonitor("inh")]
    net, compiled, kept, handed = _runs(build, monitors)
    assert sum(len(t) for t, _ in kept.spikes.values()) > 100  # the network is active
    _assert_same(kept, handed)
    static = [p for p in net.projections if p.plasticity is None and sn.network.is_handed_over(p)]
    assert static, "no static projection was handed over"
    counts_before = {p.name: p.n_synapses for p in build().projections}
    assert {p.name: p.n_synapses for p in net.projections} == counts_before  # counts stay
    for attempt in (lambda: static[0].weights.sum(), lambda: np.asarray(static[0].synapses.post), lambda: static[0].delays_ms(),
                    lambda: compiled.run(1.0, progress=False, parameters={static[0].name: {"weight": 1.0}}),
                    lambda: net.compile(precision="float32")):
        with pytest.raises(sn.SpikenetError, match="keep_synapses=False"):
            attempt()
    for projection in net.projections:  # plastic projections keep their synapses on one device
        if projection.plasticity is not None:
            assert not sn.network.is_handed_over(projection) and projection.weights.size == projection.n_synapses
    again = compiled.run(40.0, monitors=monitors, seed=4, progress=False)  # the compiled network runs on
    _assert_same(kept, again)


def test_hub_rows_in_buckets_are_handed_over(monkeypatch):
    monkeypatch.setattr(rows, "BUCKET_SLACK_ENTRIES", 4096)
    net, compiled, kept, handed = _runs(_hub_network, [sn.SpikeMonitor("tgt")])
    assert compiled.layout.outgoing[0].buckets is not None  # stored in degree buckets
    assert len(kept.spikes["tgt"][0]) > 10
    _assert_same(kept, handed)
    assert sn.network.is_handed_over(net.projections[0])


def test_keep_synapses_is_checked():
    net = coba(100, seed=1)
    with pytest.raises(sn.SpikenetError, match="keep_synapses must be True or False"):
        net.compile(keep_synapses="no")
    with pytest.raises(sn.SpikenetError, match="keep_synapses=False needs engine='event'"):
        net.compile(engine="dense", keep_synapses=False)
    assert not any(sn.network.is_handed_over(p) for p in net.projections)  # refused before any work
