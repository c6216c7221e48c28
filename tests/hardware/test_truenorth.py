"""TrueNorth's all-in 26 pJ per synaptic event (Merolla et al. 2014, Science 345:668): the alternative preset."""

import numpy as np
import pytest

import spikenet as sn
from hardware import HardwareModelError, chip_from_dict, estimate, get_chip
from hardware.presets_digital import TRUENORTH_ALL_IN, c
from hardware_builders import make_counts
from neurons import LIF


def test_all_in_26_pj_reproduces_the_published_operating_point():
    """Merolla 2014 main text p.7 + Fig. 4C: 72 mW at 0.775 V for 1,048,576 neurons at 20 Hz with 128 active
    synapses each; 72 mW / (1,048,576 x 20 x 128 /s) = 26.8 pJ, published rounded to 26 pJ (so 69.8 mW)."""
    neurons, rate, fan_out = 1_048_576, 20, 128
    counts = sn.ActivityCounts(dt=1.0, steps=1000, population_sizes={"cores": neurons}, spikes={"cores": neurons * rate},
                               neuron_updates={"cores": neurons * 1000},
                               synaptic_events={"cores->cores": neurons * rate * fan_out})
    report = estimate(counts, None, "truenorth_all_in")
    power_w = report.total_j / report.wall_time_s
    assert power_w == pytest.approx(neurons * rate * fan_out * 26e-12, rel=1e-9)
    assert power_w == pytest.approx(0.072, rel=0.04)
    assert list(report.terms) == ["synaptic_event_all_in"]  # nothing added on top of the all-in figure


def test_all_in_is_not_double_counted_on_a_mapped_network():
    """Merolla 2014: the 26 pJ contains routing, neuron updates and leakage; a mapped network with
    inter-core hops still gets exactly events x 26 pJ and a note when the rate is off the 20 Hz point."""
    network = sn.Network(dt=1.0)
    source = network.poisson_source("inp", 200, 20.0)
    layer = network.population("layer", 512, LIF())
    rng = np.random.default_rng(0)
    post = np.arange(512)
    pre = rng.integers(0, 200, size=512)
    network.connect(source, layer, sn.FromIndices(pre, post), weight=1.0)
    counts = make_counts(network, 1000, {"inp": 4000, "layer": 100}, {"inp->layer": 10_000})
    report = estimate(counts, network, "truenorth_all_in")
    assert set(report.terms) == {"synaptic_event_all_in"}
    assert report.total_j == pytest.approx(10_000 * 26e-12, rel=1e-12)
    assert report.extra["mapping"]["cores_used"] == 2
    assert any("does not transfer" in note for note in report.notes)


def test_adding_a_per_term_hop_to_truenorth_is_refused():
    """ENERGY_REFERENCES pitfall 6: adding routing to the all-in 26 pJ double-counts."""
    data = dict(TRUENORTH_ALL_IN, energy=dict(TRUENORTH_ALL_IN["energy"], hop_ew=c(2.3, "pJ", "28 nm", "measured", "Merolla 2014 S5", "B")))
    with pytest.raises(HardwareModelError, match="mixes all-in"):
        chip_from_dict(data, origin="truenorth_with_hops.json")


def test_truenorth_operating_point_cannot_be_moved():
    """Merolla 2014: the all-in figure holds at one operating point only."""
    with pytest.raises(HardwareModelError, match="all-in"):
        get_chip("truenorth_all_in").at_operating_point(mean_rate_hz=50.0)
