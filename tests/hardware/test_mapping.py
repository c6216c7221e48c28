"""Mapping onto cores: splits and refusals exactly at the limits, routing hops on a hand-worked mesh."""

import numpy as np
import pytest

import spikenet as sn
from hardware import HardwareModelError, chip_from_dict, estimate, get_chip, map_network
from hardware_builders import custom_chip_data, make_counts
from neurons import LIF


def single_layer(n_source: int, n_target: int, rule) -> sn.Network:
    network = sn.Network(dt=1.0)
    source = network.poisson_source("src", n_source, 10.0)
    target = network.population("pop", n_target, LIF())
    network.connect(source, target, rule, weight=1.0)
    return network


@pytest.mark.parametrize("size, cores", [(1024, 1), (1025, 2), (2048, 2), (2049, 3)])
def test_loihi_population_split_exactly_at_1024_neurons_per_core(size, cores):
    """Davies 2018 p.86: 1024 neurons (compartments) per Loihi core."""
    network = sn.Network(dt=1.0)
    network.population("pop", size, LIF())
    mapping = map_network(network, get_chip("loihi"))
    assert mapping.cores_used == cores
    assert [b.neurons for b in mapping.blocks][:-1] == [1024] * (cores - 1)


def test_synapse_limit_splits_exactly_at_capacity():
    """Hand-worked: 1000 synapses per core and in-degree 10 fit 100 neurons on one core; in-degree 11
    fits floor(1000 / 11) = 90 neurons, so 100 neurons need blocks of 90 and 10."""
    chip = chip_from_dict(custom_chip_data(neurons_per_core=100, synapses_per_core=1000), "test")
    fits = map_network(single_layer(20, 100, sn.FixedInDegree(10)), chip)
    assert [b.neurons for b in fits.blocks] == [100] and fits.blocks[0].synapses == 1000
    split = map_network(single_layer(20, 100, sn.FixedInDegree(11)), chip)
    assert [b.neurons for b in split.blocks] == [90, 10]
    assert split.blocks[0].synapses == 990


def test_loihi_synaptic_memory_limit_counts_weight_bits():
    """Davies 2018 p.89: 128 KB = 1,048,576 bits of synaptic state per core; at 8-bit weights that is
    131,072 synapses = 128 neurons x 1024 inputs; 129 such neurons need a second core."""
    chip = get_chip("loihi")
    assert map_network(single_layer(1024, 128, sn.AllToAll()), chip).cores_used == 1
    assert [b.neurons for b in map_network(single_layer(1024, 129, sn.AllToAll()), chip).blocks] == [128, 1]


def test_fan_in_limit_refused_with_the_numbers():
    """Merolla 2014: a TrueNorth core has 256 input axons; a neuron with 257 distinct inputs cannot be placed."""
    chip = get_chip("truenorth")
    assert map_network(single_layer(256, 256, sn.AllToAll()), chip).cores_used == 1
    with pytest.raises(HardwareModelError, match=r"'pop'.*257 distinct neurons.*fan_in_per_core is 256"):
        map_network(single_layer(257, 10, sn.AllToAll()), chip)


def test_single_neuron_over_synapse_capacity_is_refused():
    """Hand-worked: a core storing 1000 synapses cannot hold a neuron with 1001 inputs."""
    chip = chip_from_dict(custom_chip_data(synapses_per_core=1000), "test")
    with pytest.raises(HardwareModelError, match=r"'pop'.*1001 incoming synapses.*at most 1000"):
        map_network(single_layer(1001, 2, sn.AllToAll()), chip)


def test_multi_chip_when_one_chip_is_not_enough_and_refusal_beyond_the_system():
    """Hand-worked: 10 neurons per core, 2 cores per chip, at most 3 chips: 50 neurons use 5 cores on 3
    chips; 60 fill all 6 cores; 61 need 7 cores and are refused."""
    chip = chip_from_dict(custom_chip_data(neurons_per_core=10, cores_per_chip=2, max_chips=3), "test")
    network = sn.Network(dt=1.0)
    network.population("pop", 50, LIF())
    mapping = map_network(network, chip)
    assert (mapping.cores_used, mapping.chips_used) == (5, 3)
    network = sn.Network(dt=1.0)
    network.population("pop", 60, LIF())
    assert map_network(network, chip).cores_used == 6
    network = sn.Network(dt=1.0)
    network.population("pop", 61, LIF())
    with pytest.raises(HardwareModelError, match=r"needs 7 cores.*2 cores per chip x 3 chips"):
        map_network(network, chip)


def mesh_network() -> sn.Network:
    """9 neurons, one per core of a 3 x 3 mesh; neuron 0 (tile (0,0)) targets neurons 4, 8 and 2 at tiles
    (1,1), (2,2) and (2,0); source neuron 0 (input port at (0,0)) targets neuron 8."""
    network = sn.Network(dt=1.0)
    source = network.poisson_source("src", 1, 10.0)
    grid = network.population("grid", 9, LIF())
    network.connect(grid, grid, sn.FromIndices(np.array([0, 0, 0]), np.array([4, 8, 2])), weight=1.0)
    network.connect(source, grid, sn.FromIndices(np.array([0]), np.array([8])), weight=1.0)
    return network


def mesh_chip(routing: str):
    data = custom_chip_data(neurons_per_core=1, cores_per_chip=9, cores_per_tile=1, mesh_cols=3, mesh_rows=3)
    data["routing"] = routing
    return chip_from_dict(data, "mesh-test")


def test_unicast_hops_on_a_hand_worked_3x3_mesh():
    """Hand-worked X-then-Y routes from (0,0): to (1,1) 1 EW + 1 NS; to (2,2) 2 EW + 2 NS; to (2,0) 2 EW.
    Unicast total: 5 EW + 3 NS hops, 3 messages. Source at the input port (0,0) to (2,2): 2 EW + 2 NS."""
    mapping = map_network(mesh_network(), mesh_chip("unicast"))
    grid = mapping.routing["grid"]
    assert (grid.destinations[0], grid.hops_ew[0], grid.hops_ns[0], grid.local[0]) == (3, 5, 3, 0)
    assert grid.destinations[1:].sum() == 0
    source = mapping.routing["src"]
    assert (source.hops_ew[0], source.hops_ns[0]) == (2, 2)


def test_multicast_tree_hops_on_a_hand_worked_3x3_mesh():
    """Hand-worked union of the three X-then-Y paths from (0,0): EW links (0,0)-(1,0), (1,0)-(2,0);
    NS links (1,0)-(1,1), (2,0)-(2,1), (2,1)-(2,2): 2 EW + 3 NS."""
    grid = map_network(mesh_network(), mesh_chip("multicast_tree")).routing["grid"]
    assert (grid.hops_ew[0], grid.hops_ns[0]) == (2, 3)


def test_routing_energy_from_hand_worked_hops():
    """Davies 2018 Table 2: 3.0 pJ per E-W and 4.0 pJ per N-S hop. 10 spikes of neuron 0 on the unicast
    mesh: 10 x (5 x 3.0 + 3 x 4.0) = 270 pJ; plus 2 source spikes x (2 x 3.0 + 2 x 4.0) = 28 pJ."""
    network = mesh_network()
    chip = mesh_chip("unicast")
    counts = make_counts(network, 100, {"grid": 10, "src": 2}, {"grid->grid": 30, "src->grid": 2})
    spikes = {"grid": np.array([10, 0, 0, 0, 0, 0, 0, 0, 0]), "src": np.array([2])}
    report = estimate(counts, network, chip, spikes_per_neuron=spikes)
    routing_pj = (report.energy("hop_ew") + report.energy("hop_ns")) * 1e12
    assert routing_pj == pytest.approx(270.0 + 28.0)


def test_mapping_report_lists_cores_utilisation_and_fan_in():
    """Davies 2018 limits: 256 neurons with 390 inputs each use 1/4 of a core's neurons and fan-in 390."""
    report = map_network(single_layer(390, 256, sn.AllToAll()), get_chip("loihi")).report()
    core = report["cores"][0]
    assert report["cores_used"] == 1
    assert core["fan_in"] == 390 and core["utilisation_neurons_per_core"] == pytest.approx(0.25)
    assert report["weight_quantisation"]["src->pop"]["bits"] == 8
