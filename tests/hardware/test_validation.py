"""Out-of-sample validation: each preset predicts published measurements its coefficients were not taken from.

Every case is priced through the public API only: an ``ActivityCounts`` built from the numbers the
paper states (neurons, rates, synapses, ticks, chips) and ``hardware.estimate``. The calibration
sources of each preset are listed in its ``calibration`` field and are never used here; the
README's validation table is this file's content. Tolerances are stated per case.
"""

from __future__ import annotations

import pytest

import spikenet as sn
from hardware import chip_from_dict, dense_baseline, estimate, get_chip
from hardware.dense import mlp_workload, price_workload
from hardware.presets_dense import with_tensorflow1_floor
from hardware_builders import feedforward, make_counts

TRUENORTH_NEURONS = 1_048_576


def single_population_counts(neurons: int, steps: int, dt_ms: float, spikes: int, events: int,
                             driven: int | None = None, sources: dict[str, tuple[int, int]] | None = None) -> sn.ActivityCounts:
    """Counts of one integrated population (every neuron updated every step), built from published numbers."""
    counts = sn.ActivityCounts(dt=dt_ms, steps=steps, population_sizes={"neurons": neurons}, spikes={"neurons": spikes},
                               neuron_updates={"neurons": neurons * steps}, synaptic_events={"synapses": events})
    if driven is not None:
        counts.neuron_updates_driven = {"neurons": driven}
    for name, (size, source_spikes) in (sources or {}).items():
        counts.population_sizes[name] = size
        counts.spikes[name] = source_spikes
        counts.neuron_updates[name] = 0
    return counts


def truenorth_power_mw(rate_hz: float, synapses_per_neuron: int, supply_v: float, tick_ms: float = 1.0) -> float:
    """Chip power of a 1,048,576-neuron recurrent network running 1 s of ticks in real time."""
    chip = get_chip("truenorth")
    if supply_v != chip.operating_point["supply_v"].value:
        chip = chip.at_operating_point(supply_v=supply_v)
    steps = int(round(1000.0 / tick_ms))
    spikes = int(round(TRUENORTH_NEURONS * rate_hz))
    counts = single_population_counts(TRUENORTH_NEURONS, steps, tick_ms, spikes, spikes * synapses_per_neuron)
    report = estimate(counts, None, chip, regime="real_time")
    assert report.extra["footprint"]["chips_used"] == 1
    return report.total_j / report.wall_time_s * 1e3


@pytest.mark.parametrize("rate_hz, measured_mw", [(11.58, 68.0), (20.07, 71.0), (95.93, 94.0)])
def test_truenorth_predicts_akopyan_fig17_power_levels_at_0_8_v(rate_hz, measured_mw):
    """Akopyan et al. 2015 (IEEE TCAD 34:1537) Fig. 17: total chip power at 0.8 V of recurrent networks
    with 128 active synapses per neuron. Only the *slope* between the end points calibrated the preset
    (its level comes from Merolla's 0.775 V points), and the 20.07 Hz point was used for nothing.
    Predicted 74.1 / 76.7 / 100.1 mW (+9.0 / +8.1 / +6.5 %); tolerance 15 %."""
    assert truenorth_power_mw(rate_hz, 128, 0.8) == pytest.approx(measured_mw, rel=0.15)


@pytest.mark.parametrize("rate_hz, synapses, supply_v, measured_mw, tolerance", [
    (20.0, 128, 0.75, 65.0, 0.10),    # Akopyan 2015 Sec. VII: 65 mW (46 GSOPS/W) at 0.75 V; predicted 67.4 mW (+3.7 %)
    (200.0, 256, 1.05, 323.0, 0.10),  # Akopyan 2015 Sec. VII: high corner of the envelope; predicted 333.9 mW (+3.4 %)
    (0.0, 0, 0.70, 42.0, 0.30),       # Akopyan 2015 Sec. VII: low corner (0 Hz, 0 synapses); predicted 54.0 mW (+28.6 %)
])
def test_truenorth_predicts_the_published_power_envelope_at_other_voltages(rate_hz, synapses, supply_v, measured_mw,
                                                                           tolerance):
    """Akopyan et al. 2015 Sec. VII: measured chip power at other voltages, rates and synapse counts, predicted
    with the (V / 0.775 V)^2 rule of ``ChipModel.at_operating_point``. The 0 Hz corner is over-predicted by
    29 %: at zero activity the chip does less per-tick work than the 33.7 pJ per neuron update priced here
    (the published data cannot separate leakage from per-tick core work); its tolerance says so."""
    assert truenorth_power_mw(rate_hz, synapses, supply_v) == pytest.approx(measured_mw, rel=tolerance)


def test_truenorth_predicts_the_peak_efficiency_point_loosely():
    """Akopyan et al. 2015 Sec. VII: 58 GSOPS at 400 GSOPS/W (145 mW) at 0.75 V, on a network whose rates and
    connectivity were not published in full; priced as 58e9 events/s spread over all neurons with 128 synapses.
    Predicted 179 mW (+23.5 %): the event energy here carries chip-wide random routing, the peak network's
    was probably more local. Tolerance 25 %."""
    rate = 58e9 / TRUENORTH_NEURONS / 128
    assert truenorth_power_mw(rate, 128, 0.75) == pytest.approx(145.0, rel=0.25)


def frady_query_counts(input_spikes: int) -> sn.ActivityCounts:
    """Frady et al. 2020 (Pohoiki Springs): one k = 1 query over 76,800 stored patterns on 32 Loihi chips,
    T = 60 steps; each of the ~700 input spikes (a quarter to a third of 2 x 1000 components) reaches all
    76,800 pattern neurons."""
    return single_population_counts(76_800, 60, 1.0, 0, input_spikes * 76_800,
                                    sources={"query": (2000, input_spikes)})


@pytest.mark.parametrize("input_spikes", [667, 700, 750])
def test_loihi_predicts_the_pohoiki_springs_query_energy(input_spikes):
    """Frady et al. 2020 Table 2: 1.33 mJ dynamic energy of the neuromorphic cores per query (x86 and static
    apart). Davies 2018 per-event energies (the calibration) predict 1.58 / 1.64 / 1.73 mJ for 667 / 700 /
    750 input spikes (+19 / +23 / +30 %): every pattern neuron receives input in nearly every step, so all
    updates are priced active. Tolerance 35 % (the spike count is known only as 'a quarter to a third')."""
    report = estimate(frady_query_counts(input_spikes), None, "loihi", regime="latency", chips=32,
                      include_management=False)
    cores_energy = sum(report.energy(t) for t in ("synaptic_op", "neuron_update_active", "neuron_update_idle"))
    assert report.energy("static") > 0 and "management" not in report.terms
    assert cores_energy == pytest.approx(1.33e-3, rel=0.35)
    assert report.dynamic_j == pytest.approx(cores_energy, rel=1e-12)


def test_loihi_management_power_predicts_blouw_x86_overhead():
    """Blouw et al. 2019 (NICE) text: ~70 mW of x86 management power on a one-chip board; the preset's 65 mW
    per chip comes from Frady 2020's 32-chip system (2.09-2.14 W). Tolerance 10 %."""
    counts = single_population_counts(256, 1000, 1.0, 0, 0)
    report = estimate(counts, None, "loihi", regime="real_time")
    assert report.extra["footprint"]["chips_used"] == 1
    assert report.energy("management") / report.wall_time_s == pytest.approx(0.070, rel=0.10)


def test_loihi_time_step_of_the_pohoiki_springs_query_is_under_predicted():
    """Frady et al. 2020 Sec. 5.1: 5.8 µs per time step. The latency model (Davies 2018: 465 ns single-chip
    barrier + the busiest core's 3.5 ns synaptic ops over 4096 cores) gives 1.39 µs: it has no term for the
    multi-chip barrier (Frady Sec. 4.3 measured 14.3 µs across 256 chips). Recorded as a known
    under-prediction (-76 %), not a pass: the test checks the model stays below the measurement."""
    report = estimate(frady_query_counts(700), None, "loihi", regime="latency", chips=32)
    step_us = report.wall_time_s / 60 * 1e6
    assert 1.0 < step_us < 5.8


# -- dense devices: Blouw et al. 2019 batch-1 keyword spotting (390-256-256-29, FP32, TensorFlow 1.x) ----------

BLOUW = {  # Table 1: dynamic J per inference and inferences per s at batch 1
    "quadro_k4000": (0.0298, 770.39),
    "xeon_e5_2630_x2": (0.0063, 1813.63),
    "jetson_tx1": (0.0056, 419.0),
}


@pytest.mark.parametrize("device", sorted(BLOUW))
def test_dense_roofline_predicts_blouw_batch1_latency_within_a_factor_of_five(device):
    """Blouw 2019 Table 1 inference rates at batch 1, predicted from datasheet peaks, the TensorFlow 1.x
    per-call overheads of other users (tensorflow #18546, #5516) and the PyTorch launch floor. Predicted
    latency 0.52 / 0.21 / 0.53 ms against 1.30 / 0.55 / 2.39 ms: the model is 2.5-4.5x too fast (Blouw's
    TF1 Python loop costs more than the cited floors). Stated tolerance: within a factor of 5."""
    measured_j, rate = BLOUW[device]
    chip = chip_from_dict(with_tensorflow1_floor(device), origin=f"{device} + TensorFlow 1.x")
    report = price_workload(mlp_workload([390, 256, 256, 29], 32), chip, regime="latency")
    assert 1 / rate / 5 < report.latency_s < 1 / rate


@pytest.mark.parametrize("device", sorted(BLOUW))
def test_dense_roofline_under_predicts_blouw_batch1_dynamic_energy(device):
    """Blouw 2019 Table 1 dynamic energy per inference (running - idle power over one inference). The roofline
    prices arithmetic and memory traffic of 172,800 MACs plus no power for the host-side framework loop, so it
    predicts orders of magnitude less: the batch-1 measurement is dominated by framework overhead, which is
    why the model keeps it as a validation point rather than a per-MAC coefficient. Checked: below."""
    measured_j, _ = BLOUW[device]
    chip = chip_from_dict(with_tensorflow1_floor(device), origin=f"{device} + TensorFlow 1.x")
    report = price_workload(mlp_workload([390, 256, 256, 29], 32), chip, regime="latency")
    assert report.dynamic_per_inference_j < measured_j


# -- the regime rules themselves (physics, hand-worked) -----------------------------------------------------------

def test_static_energy_is_idle_power_times_the_regime_wall_time_on_both_sides():
    """Static power x wall time on a chip and on a dense device, in all three regimes (hardware.regimes)."""
    network = feedforward([100, 200, 10], dt=1.0)
    counts = make_counts(network, 100, {"l0": 500, "l1": 200, "l2": 10}, {"l0->l1": 100_000, "l1->l2": 2000})
    for regime in ("latency", "throughput", "real_time"):
        chip = estimate(counts, network, "loihi", regime=regime)
        assert chip.static_j == pytest.approx(0.1044 * chip.wall_time_s * chip.extra["footprint"]["chips_used"])
        dense = dense_baseline(counts, network, "h100", regime=regime).ann
        assert dense.static_j == pytest.approx(142.5 * dense.wall_time_s)
        assert dense.regime == chip.regime == regime
    assert estimate(counts, network, "loihi", regime="real_time").wall_time_s == pytest.approx(0.1)
    assert dense_baseline(counts, network, "h100", regime="real_time").ann.wall_time_s == pytest.approx(0.1)
