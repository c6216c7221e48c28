"""Mapping under every per-core limit, fan-out included: COBA-4000 and the Brunel (2000) network on
Loihi, hand-worked splits on small chips, and refusals that name the limit.

Every placement is checked by :func:`assert_every_limit_holds`, which recomputes each core's
neurons, synapses, fan-in and fan-out from the network's synapse arrays and the blocks' neuron
ranges only (no mapping or routing code).
"""

from __future__ import annotations

import numpy as np
import pytest

import spikenet as sn
from experiments.brunel2000 import build as brunel_network
from experiments.networks import coba
from hardware import HardwareModelError, chip_from_dict, estimate, get_chip, map_network
from hardware_builders import custom_chip_data, make_counts
from neurons import LIF


def assert_every_limit_holds(network: sn.Network, mapping, chip) -> dict[str, np.ndarray]:
    """Recompute every core's load from ``mapping.blocks`` and the synapse arrays, assert each stated
    limit, and return the per-core loads (``neurons``, ``synapses``, ``fan_in``, ``fan_out``) and the
    destination cores of every neuron (``targets``, indexed by global neuron id)."""
    offsets, total = {}, 0
    for name, population in network.populations.items():
        offsets[name] = total
        total += population.size
    n_cores = len(mapping.blocks)
    assert [block.core for block in mapping.blocks] == list(range(n_cores))
    core_of = {name: np.full(p.size, -1, np.int64) for name, p in network.populations.items() if not p.is_source}
    for block in mapping.blocks:
        assert 0 <= block.start < block.stop <= network.populations[block.population].size
        assert np.all(core_of[block.population][block.start:block.stop] == -1), "a neuron placed twice"
        core_of[block.population][block.start:block.stop] = block.core
    for name, cores in core_of.items():
        assert np.all(cores >= 0), f"neurons of {name!r} left unplaced"
    global_core = np.full(total, -1, np.int64)
    for name, cores in core_of.items():
        global_core[offsets[name]:offsets[name] + cores.size] = cores

    neurons = np.array([block.stop - block.start for block in mapping.blocks])
    synapses = np.zeros(n_cores, np.int64)
    fan_in_keys, fan_out_keys = [], []
    for projection in network.projections:
        post_core = core_of[projection.post.name][projection.synapses.post]
        pre_global = projection.synapses.pre.astype(np.int64) + offsets[projection.pre.name]
        synapses += np.bincount(post_core, minlength=n_cores)
        fan_in_keys.append(post_core * total + pre_global)
        if not projection.pre.is_source:
            fan_out_keys.append(pre_global * n_cores + post_core)
    fan_in = np.bincount(np.unique(np.concatenate(fan_in_keys)) // total, minlength=n_cores)
    pairs = np.unique(np.concatenate(fan_out_keys)) if fan_out_keys else np.zeros(0, np.int64)
    sender = pairs // n_cores
    targets = np.bincount(sender, minlength=total)
    fan_out = np.bincount(global_core[sender], minlength=n_cores)

    limit = chip.limit
    if limit("neurons_per_core"):
        assert neurons.max() <= limit("neurons_per_core")
    if limit("synapses_per_core"):
        assert synapses.max() <= limit("synapses_per_core")
    if limit("synapse_memory_bits_per_core"):
        assert synapses.max() * (limit("weight_bits") or 1) <= limit("synapse_memory_bits_per_core")
    if limit("fan_in_per_core"):
        assert fan_in.max() <= limit("fan_in_per_core")
    if limit("fan_out_per_core"):
        assert fan_out.max() <= limit("fan_out_per_core")
    if limit("max_target_cores_per_neuron"):
        assert targets.max() <= limit("max_target_cores_per_neuron")
    if limit("cores_per_chip") and limit("max_chips"):
        assert n_cores <= limit("cores_per_chip") * limit("max_chips")
    assert [block.synapses for block in mapping.blocks] == synapses.tolist()
    assert [block.fan_in for block in mapping.blocks] == fan_in.tolist()
    assert [mapping.fan_out.get(core, 0) for core in range(n_cores)] == fan_out.tolist()
    return {"neurons": neurons, "synapses": synapses, "fan_in": fan_in, "fan_out": fan_out, "targets": targets}


def test_coba_4000_maps_on_loihi_with_every_core_within_every_limit():
    """COBA, 4000 neurons, p = 0.02 (Brette 2007 benchmark 1): ~80 inputs and ~80 targets per neuron.
    Hand-worked: at Loihi's 1024 neurons per core (Davies 2018) exc (3200) needs 4 cores (1024, 1024,
    1024, 128) and inh (800) 1; a neuron reaches a core of n neurons unless its targets all miss it,
    probability 0.98^n (~1e-9 for 1024, 0.07 for 128), so a full core needs ~1024 x (4 + 0.93) ~ 5040
    output axons > 4096 (the old mapper stopped at 5044). At 800 neurons per core = ceil(3200 / 4) exc
    still needs 4 cores and inh 1, and a core needs at most 800 x 5 = 4000.
    Fan-in of 800 neurons: ~4000 x (1 - 0.98^800) ~ 4000 distinct inputs <= 4096."""
    network = coba(4000, seed=1)
    chip = get_chip("loihi")
    mapping = map_network(network, chip)
    loads = assert_every_limit_holds(network, mapping, chip)
    assert [(b.population, b.start, b.stop) for b in mapping.blocks] == [
        ("exc", 0, 800), ("exc", 800, 1600), ("exc", 1600, 2400), ("exc", 2400, 3200), ("inh", 0, 800)]
    assert loads["fan_out"].max() <= 4000
    assert mapping.report()["populations"]["exc"] == {"cores": 4, "largest_core": 800, "limit": "fan_out_per_core"}
    # the path of `spikenet energy --chip loihi`: estimate maps the network itself
    spikes = {"exc": 10_000, "inh": 2_000}
    counts = make_counts(network, 10_000, spikes, {p.name: 10 * spikes[p.pre.name] for p in network.projections})
    assert estimate(counts, network, chip).extra["mapping"]["cores_used"] == 5


def test_mapping_is_deterministic():
    """Two mappings of the same network give the same blocks."""
    network = coba(4000, seed=1)
    first = map_network(network, get_chip("loihi"), quantise=False)
    second = map_network(network, get_chip("loihi"), quantise=False)
    assert first.blocks == second.blocks


def test_brunel_2000_network_at_half_size_maps_on_loihi():
    """Brunel (2000) network of experiments/brunel2000.py at scale 0.5: 5000 exc + 1250 inh neurons,
    each with 500 + 125 = 625 inputs drawn from 6250 (the Poisson drive is not a projection).
    Hand-worked fan-in: k neurons of one core receive from ~6250 x (1 - 0.9^k) distinct neurons:
    k = 10 gives 4071 <= 4096 and k = 11 gives 4289, so no core holds more than ~10 neurons and
    at least 6250 / 10 = 625 cores (5 chips) are needed, within Loihi's 32 chips x 128 cores."""
    network = brunel_network(5.0, 2.0, scale=0.5, seed=1)
    chip = get_chip("loihi")
    mapping = map_network(network, chip, quantise=False)
    loads = assert_every_limit_holds(network, mapping, chip)
    assert loads["neurons"].max() <= 10
    assert 625 <= mapping.cores_used <= 32 * 128
    assert loads["fan_in"].max() > 3900  # cores are filled up to the fan-in limit, not far below


@pytest.mark.slow
def test_full_size_brunel_2000_network_maps_onto_33_loihi_chips():
    """Full Brunel (2000): 12,500 neurons with 1250 inputs each from 12,500. Hand-worked fan-in: 4 neurons
    receive from ~12,500 x (1 - 0.9^4) = 4299 distinct neurons > 4096, 3 from 3388, so cores hold 3
    neurons: ceil(10,000 / 3) + ceil(2500 / 3) = 3334 + 834 = 4168 cores = 33 chips of 128 (Frady 2020's
    Pohoiki Springs has 768); a 32-chip system would not hold it."""
    network = brunel_network(5.0, 2.0, scale=1.0, seed=1)
    chip = get_chip("loihi")
    mapping = map_network(network, chip)
    assert mapping.cores_used == 4168 and mapping.chips_used == 33
    assert max(block.neurons for block in mapping.blocks) == 3
    assert_every_limit_holds(network, mapping, chip)


def test_one_to_one_fan_out_split_hand_worked():
    """Hand-worked: 10 neurons per core, 6 output axons per core. a (10) -> b (10) one-to-one: each neuron
    of a reaches one core, so a core of a needs as many axons as it has neurons: 10 > 6, so a takes two
    cores of 5 (ceil(10 / 2)). b sends nothing and keeps one core of 10."""
    chip = chip_from_dict(custom_chip_data(neurons_per_core=10, fan_out_per_core=6), "test")
    network = sn.Network(dt=1.0)
    a = network.population("a", 10, LIF())
    b = network.population("b", 10, LIF())
    network.connect(a, b, sn.OneToOne(), weight=1.0)
    mapping = map_network(network, chip)
    assert [(blk.population, blk.start, blk.stop) for blk in mapping.blocks] == [("a", 0, 5), ("a", 5, 10), ("b", 0, 10)]
    assert assert_every_limit_holds(network, mapping, chip)["fan_out"].tolist() == [5, 5, 0]


def test_recurrent_fan_out_shrinks_cores_until_it_fits():
    """Hand-worked ring: 40 neurons, neuron i -> i+1 .. i+20 (mod 40), 40 neurons per core, 60 output
    axons per core. On one core every neuron reaches 1 core: 40 axons, it fits on one core; with
    fan_out_per_core 30 it does not (40 > 30). At 20 neurons per core (2 cores) each neuron's 20
    targets span both cores except neuron 19's (20..39) and 39's (0..19): 2 x 20 - 1 = 39 > 30; at
    14 (cores 0:14, 14:28, 28:40) neurons 0-7 and 13 of core 0 reach 2 cores and 8-12 reach 3:
    9 x 2 + 5 x 3 = 33 > 30; at 10 (4 cores) each neuron reaches 3 cores, 2 when its first target
    starts a core (one neuron per core): 9 x 3 + 2 = 29 <= 30."""
    pre = np.repeat(np.arange(40), 20)
    post = (pre + np.tile(np.arange(1, 21), 40)) % 40
    network = sn.Network(dt=1.0)
    ring = network.population("ring", 40, LIF())
    network.connect(ring, ring, sn.FromIndices(pre, post), weight=1.0)
    roomy = chip_from_dict(custom_chip_data(neurons_per_core=40, fan_out_per_core=60), "test")
    assert map_network(network, roomy).cores_used == 1
    chip = chip_from_dict(custom_chip_data(neurons_per_core=40, fan_out_per_core=30), "test")
    mapping = map_network(network, chip)
    loads = assert_every_limit_holds(network, mapping, chip)
    assert [blk.neurons for blk in mapping.blocks] == [10, 10, 10, 10]
    assert loads["fan_out"].tolist() == [29, 29, 29, 29]


def test_fan_in_above_the_limit_for_a_single_neuron_is_refused_with_the_numbers():
    """Hand-worked: a core with 4 input axons cannot hold a neuron with 5 distinct inputs, at any split."""
    chip = chip_from_dict(custom_chip_data(fan_in_per_core=4, fan_out_per_core=100), "test")
    network = sn.Network(dt=1.0)
    source = network.poisson_source("src", 5, 10.0)
    network.connect(source, network.population("pop", 1, LIF()), sn.AllToAll(), weight=1.0)
    with pytest.raises(HardwareModelError, match=r"'pop'.*neuron 0 receives input from 5 distinct neurons.*"
                                                 r"fan_in_per_core is 4"):
        map_network(network, chip)


def test_fan_out_that_no_split_meets_is_refused_naming_the_limit():
    """Hand-worked: 2 neurons per core, 2 output axons per core; a (1 neuron) -> b (5) all-to-all. b needs
    at least 3 cores, all of which a's neuron reaches: 3 axons > 2 at the closest split (2 per core);
    smaller cores only add destinations."""
    chip = chip_from_dict(custom_chip_data(neurons_per_core=2, fan_out_per_core=2), "test")
    network = sn.Network(dt=1.0)
    a = network.population("a", 1, LIF())
    network.connect(a, network.population("b", 5, LIF()), sn.AllToAll(), weight=1.0)
    with pytest.raises(HardwareModelError, match=r"'a'.*fan_out_per_core; the closest, 2 neurons per core: "
                                                 r"neurons 0:1 on one core need 3 output axons.*fan_out_per_core is 2"):
        map_network(network, chip)


def test_target_cores_per_neuron_limit_is_refused_naming_the_limit():
    """Hand-worked: 2 neurons per core, one destination core per neuron (TrueNorth-style); a (1) -> b (3):
    b needs 2 cores, so a's neuron targets 2 cores > 1."""
    chip = chip_from_dict(custom_chip_data(neurons_per_core=2, max_target_cores_per_neuron=1), "test")
    network = sn.Network(dt=1.0)
    a = network.population("a", 1, LIF())
    network.connect(a, network.population("b", 3, LIF()), sn.AllToAll(), weight=1.0)
    with pytest.raises(HardwareModelError, match=r"'a'.*neuron 0 targets 2 cores but max_target_cores_per_neuron is 1"):
        map_network(network, chip)
