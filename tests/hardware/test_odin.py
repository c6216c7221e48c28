"""ODIN's published power model at its two measured operating points."""

import pytest

import spikenet as sn
from hardware import estimate, get_chip
from hardware_builders import make_counts
from neurons import LIF


def odin_network() -> sn.Network:
    network = sn.Network(dt=1.0)
    source = network.poisson_source("aer_in", 256, 10.0)
    neurons = network.population("neurons", 256, LIF())
    network.connect(source, neurons, sn.AllToAll(), weight=1.0)
    return network


def average_power_uw(clock_mhz: float, sop_per_s: int, input_spikes: int) -> float:
    network = odin_network()
    counts = make_counts(network, steps=1000, spikes={"aer_in": input_spikes}, events={"aer_in->neurons": sop_per_s})
    chip = get_chip("odin").at_operating_point(clock_mhz=clock_mhz)
    report = estimate(counts, network, chip)
    assert report.wall_time_s == pytest.approx(1.0)
    return report.total_j / report.wall_time_s * 1e6


def test_odin_reproduces_477_uw_at_75_mhz():
    """Frenkel et al. 2019 (IEEE TBioCAS 13:145) Fig. 8b / ENERGY_REFERENCES V4: 477 µW at 75 MHz with
    r_SOP = f_clk / 2 = 37.5 MSOP/s (1 SOP = 2 cycles); model 27.3 + 1.78*75 + 8.43e-6*37.5e6 µW."""
    power = average_power_uw(75.0, 37_500_000, input_spikes=146_485)  # 146,485 x 256 >= 37.5 M events
    assert power == pytest.approx(477.0, rel=0.01)


def test_odin_reproduces_35_uw_at_1_3_mhz():
    """Frenkel et al. 2019 / ENERGY_REFERENCES V4: 35 µW at 1.3 MHz with 256 neurons at 10 Hz x 256 SOPs
    (655,360 SOP/s)."""
    power = average_power_uw(1.3, 655_360, input_spikes=2_560)
    assert power == pytest.approx(35.0, rel=0.01)


def test_odin_refuses_a_network_beyond_one_core():
    """ODIN has one core of 256 neurons (Frenkel 2019 title): 257 neurons cannot fit."""
    from hardware import HardwareModelError, map_network
    network = sn.Network(dt=1.0)
    network.population("neurons", 257, LIF())
    with pytest.raises(HardwareModelError, match=r"needs 2 cores.*1 cores per chip x 1 chips"):
        map_network(network, get_chip("odin"))
