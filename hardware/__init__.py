"""Hardware models: chips as data, mapping onto cores and crossbars, energy from counted events,
and the dense GPU/CPU baseline.

Typical use::

    import hardware
    result = net.run(1000.0)
    report = hardware.estimate(result.counts, net, "loihi", regime="latency")   # or throughput, real_time
    print(report.summary())                       # total, static and dynamic parts, latency, largest terms
    dense = hardware.dense_baseline(result.counts, net, "h100", regime="latency")

Every figure names its regime (:mod:`hardware.regimes`), applied alike to chips and dense devices,
with static power on both sides; each preset lists its calibration and validation sources
(``chip.calibration``, ``chip.validation``).
"""

from hardware.analog_noise import PerturbedWeights, adc_quantise, perturb_network_weights, perturb_weights, with_weights
from hardware.chip import ChipModel, chip_from_dict, load_chip
from hardware.coefficients import Coefficient, HardwareModelError
from hardware.crossbar import CrossbarMapping, map_crossbars
from hardware.dense import (DenseBaseline, DenseLayer, ann_workload, clock_driven_workload, dense_baseline, layer_workload,
                            neurobench_ops, nir_twin_workload)
from hardware.energy import estimate, footprint, latency_wall_s
from hardware.pricing import check_counts
from hardware.regimes import REGIMES
from hardware.mapping import Mapping, map_network
from hardware.presets import available_chips, get_chip
from hardware.quantisation import QuantisationReport, quantise_weights
from hardware.report import EnergyReport, EnergyTerm

__all__ = [
    "ChipModel", "Coefficient", "CrossbarMapping", "DenseBaseline", "DenseLayer", "EnergyReport", "EnergyTerm",
    "HardwareModelError", "Mapping", "PerturbedWeights", "QuantisationReport", "adc_quantise", "ann_workload",
    "REGIMES", "available_chips", "check_counts", "footprint", "latency_wall_s", "chip_from_dict", "clock_driven_workload", "dense_baseline", "estimate",
    "get_chip", "layer_workload", "load_chip", "map_crossbars", "map_network", "neurobench_ops", "nir_twin_workload", "perturb_network_weights",
    "perturb_weights", "quantise_weights", "with_weights",
]
