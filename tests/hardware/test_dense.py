"""Dense baseline: Horowitz 45 nm conventions, NeuroBench op counts, workload accounting, regimes."""

import pytest

from hardware import HardwareModelError, ann_workload, clock_driven_workload, dense_baseline, get_chip, neurobench_ops
from hardware.dense import price_workload
from hardware.horowitz import ac_energy_pj, mac_energy_pj, memory_energy_pj_per_byte
from hardware_builders import feedforward, make_counts


def test_horowitz_mac_and_ac_conventions():
    """ENERGY_REFERENCES §3.1 (D): E_MAC FP32 4.6, FP16 1.5, INT8 0.23 pJ; E_AC FP32 0.9, FP16 0.4, INT8 0.03 pJ;
    64-bit 8 KB SRAM read 10 pJ = 1.25 pJ/byte; DRAM 1300 pJ per 64 bits = 162.5 pJ/byte."""
    assert [mac_energy_pj(p) for p in ("fp32", "fp16", "int8")] == pytest.approx([4.6, 1.5, 0.23])
    assert [ac_energy_pj(p) for p in ("fp32", "fp16", "int8")] == pytest.approx([0.9, 0.4, 0.03])
    assert memory_energy_pj_per_byte("sram_8kb") == 1.25 and memory_energy_pj_per_byte("dram_low") == 162.5
    with pytest.raises(HardwareModelError, match="precision must be one of"):
        mac_energy_pj("bf16")


def test_neurobench_counts_on_a_hand_worked_network():
    """NeuroBench synaptic_operations.py (@e521c28): Dense = every connection every step; Eff_ACs = events
    from binary (spike) inputs. 10 -> 20 -> 5 all-to-all: 300 connections; 7 steps -> 2100 dense SOPs."""
    network = feedforward([10, 20, 5])
    counts = make_counts(network, 7, {"l0": 12, "l1": 3}, {"l0->l1": 240, "l1->l2": 15})
    ops = neurobench_ops(network, counts)
    assert ops == {"dense_sops": 2100.0, "effective_acs": 255.0, "effective_macs": 0.0, "ann_dense_macs": 300.0,
                   "membrane_updates": float(25 * 7)}


def test_workloads_count_macs_and_memory_traffic():
    """Hand-worked: 300 weights at 16 bit = 600 bytes per pass; 35 neurons read + written = 140 bytes per pass."""
    network = feedforward([10, 20, 5])
    clock = clock_driven_workload(network, steps=7, weight_bits=16)
    assert (clock.macs, clock.weight_bytes, clock.activation_bytes) == (2100, 4200.0, 980.0)
    ann = ann_workload(network, inferences=3, weight_bits=16)
    assert (ann.macs, ann.weight_bytes, ann.activation_bytes) == (900, 1800.0, 420.0)


def test_h100_roofline_prices_macs_memory_and_idle_power_at_batch_1():
    """Hand-worked roofline: NVIDIA H100 datasheet (700 W TDP, 494.7 T FP16 MAC/s) and a 142.5 W ready-idle
    reading give (700 - 142.5) / 494.7e12 = 1.127 pJ per MAC; 600 B of weights fit in L2 (Horowitz 1 MB SRAM,
    12.5 pJ/byte); 140 B of activations at 1.25 pJ/byte. At batch 1 two layers are launch-bound: 2 x 5 µs, so
    static = 142.5 W x 10 µs. Latency regime."""
    network = feedforward([10, 20, 5])
    report = price_workload(ann_workload(network, 1, 16), get_chip("h100"))
    mac_pj = (700.0 - 142.5) / 494.7e12 * 1e12
    assert report.dynamic_j == pytest.approx((300 * mac_pj + 600 * 12.5 + 140 * 1.25) * 1e-12, rel=1e-3)
    assert report.wall_time_s == pytest.approx(10e-6)
    assert report.static_j == pytest.approx(142.5 * 10e-6)
    assert report.regime == "latency"
    assert report.breakdown()["memory"] > report.breakdown()["compute"]  # pitfall 1: memory dominates MACs


def test_throughput_regime_amortises_launches_and_static_power_over_the_best_batch():
    """Roofline (hardware.dense): at batch B a launch-bound pass serves B inferences, so time and static energy
    per inference fall by B while MAC energy per inference stays; weight traffic is shared by the batch."""
    network = feedforward([10, 20, 5])
    one = price_workload(ann_workload(network, 1, 16), get_chip("h100"), regime="latency")
    many = price_workload(ann_workload(network, 1, 16), get_chip("h100"), regime="throughput")
    batch = many.extra["roofline"]["batch"]
    assert batch == 256  # launch-bound up to the largest batch considered
    assert many.latency_s == pytest.approx(one.latency_s / batch)
    assert many.static_j == pytest.approx(one.static_j / batch)
    assert many.energy("mac") == pytest.approx(one.energy("mac"))
    assert many.energy("weight_byte") == pytest.approx(one.energy("weight_byte") / batch)


def test_real_time_regime_keeps_the_dense_device_powered_for_the_whole_period():
    """Sensor-paced: one input every 350 ms; the device idles in between, so static = idle power x 350 ms."""
    network = feedforward([10, 20, 5])
    report = price_workload(ann_workload(network, 1, 16), get_chip("h100"), regime="real_time", period_s=0.35)
    assert report.wall_time_s == pytest.approx(0.35)
    assert report.static_j == pytest.approx(142.5 * 0.35)
    with pytest.raises(HardwareModelError, match="period_s"):
        price_workload(ann_workload(network, 1, 16), get_chip("h100"), regime="real_time")


def test_dense_baseline_refuses_a_neuromorphic_chip():
    network = feedforward([10, 20])
    counts = make_counts(network, 5, {}, {})
    with pytest.raises(HardwareModelError, match="not a dense device"):
        dense_baseline(counts, network, "loihi")
