"""The sharded engine across 2 processes on localhost (jax.distributed, CPU collectives over gloo).

Reference: the single-device engine on the same network in this process (COBA-400, Vogels & Abbott
2005, float64, 60 ms): every spike and the synaptic event count must be identical whether the
network runs on 2 processes x 1 device or 2 processes x 2 devices (``tests/multihost_worker.py``
starts the processes; each builds the whole description and places its own shards).
"""

from __future__ import annotations

import numpy as np
import pytest

import spikenet as sn
from experiments.networks import coba
from tests import multihost_worker


@pytest.fixture(scope="module")
def reference():
    net = coba(400, seed=1)
    return net.run(60.0, monitors=[sn.SpikeMonitor("exc"), sn.SpikeMonitor("inh")], precision="float64", progress=False)


@pytest.mark.parametrize("local_devices", [1, 2])
def test_two_processes_give_the_single_device_spikes(reference, local_devices):
    results = multihost_worker.launch(2, timeout=240, local_devices=local_devices, task="network")
    assert len(results) == 2
    for result in results:
        assert int(result["devices"]) == 2 * local_devices
        for name in ("exc", "inh"):
            np.testing.assert_array_equal(result[f"{name}_t"], reference.spikes[name][0])
            np.testing.assert_array_equal(result[f"{name}_i"], reference.spikes[name][1])
        assert int(result["events"]) == sum(reference.counts.synaptic_events.values())
    assert len(reference.spikes["exc"][0]) > 100
