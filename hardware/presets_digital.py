"""Digital neuromorphic chip presets (data only): Loihi, Loihi via SANA-FE, TrueNorth, SpiNNaker 1/2, ODIN.

Every preset is static power + per-event energies wherever the sources allow it, so that power
follows activity; all-in figures remain only as documented alternative presets
(``truenorth_all_in``, ``spinnaker1_sharp2012``). Each preset lists the measurements its
coefficients were taken from (``calibration``) apart from the published measurements it is
tested against and was not derived from (``validation``; tests/hardware/test_validation.py).
Grade-U numbers are absent by design; a term without a sourced number is left out and the
estimate reports it as unpriced.
"""

from __future__ import annotations

from typing import Any


def c(value: float, unit: str, node: str, basis: str, source: str, grade: str, note: str = "",
      scope: str = "per-term") -> dict[str, Any]:
    """One coefficient as plain data (the schema of a chip JSON file)."""
    return {"value": value, "unit": unit, "node": node, "basis": basis, "scope": scope,
            "source": source, "grade": grade, "note": note}


DAVIES = "Davies et al. 2018, IEEE Micro 38(1):82-99, Table 2 (pre-silicon)"
DAVIES_ARCH = "Davies et al. 2018, IEEE Micro 38(1):82-99, p.86-89"
SANAFE = "Boyle et al. 2025 (SANA-FE), IEEE TCAD 44:3165; SLAM-Lab/SANA-FE arch/loihi.yaml @8951ab0"
LOIHI_NODE = "Intel 14 nm FinFET, 0.75 V"
FRADY = "Frady et al. 2020 (Pohoiki Springs), NICE, Table 1: 3.34 W static / 32 chips"
BLOUW = "Blouw et al. 2019, NICE, arXiv:1812.01739, Table 1 and text (abr/power_benchmarks LaTeX)"

_LOIHI_LIMITS = {
    "neurons_per_core": c(1024, "count", LOIHI_NODE, "architectural", DAVIES_ARCH, "B"),
    "synapse_memory_bits_per_core": c(1048576, "bit", LOIHI_NODE, "architectural", DAVIES_ARCH + " (128 KB synaptic state/core)", "B"),
    "fan_in_per_core": c(4096, "count", LOIHI_NODE, "architectural", DAVIES_ARCH + " (fan-in axons)", "B"),
    "fan_out_per_core": c(4096, "count", LOIHI_NODE, "architectural", DAVIES_ARCH + " (fan-out axons)", "B"),
    "weight_bits": c(8, "bit", LOIHI_NODE, "architectural", "Davies 2018 p.87 (1-9 bit weights)", "B",
                     "8 of the supported 1-9 bits chosen as the default precision"),
    "cores_per_chip": c(128, "count", LOIHI_NODE, "architectural", DAVIES_ARCH, "B"),
    "cores_per_tile": c(4, "count", LOIHI_NODE, "derived", "128 cores / 32 tiles (Table 2 barrier row: 1-32 tiles)", "D"),
    "mesh_cols": c(8, "count", LOIHI_NODE, "derived", "32 tiles (Davies 2018 Table 2) laid out 8 x 4", "D",
                   "the 8 x 4 arrangement is an assumption; it only affects hop counts"),
    "mesh_rows": c(4, "count", LOIHI_NODE, "derived", "32 tiles (Davies 2018 Table 2) laid out 8 x 4", "D",
                   "the 8 x 4 arrangement is an assumption; it only affects hop counts"),
    "max_chips": c(768, "count", LOIHI_NODE, "architectural", "Frady et al. 2020 (Pohoiki Springs, NICE): a 768-chip "
                   "Loihi system (24 Nahuku boards of 32 chips)", "B"),
}

FRADY_X86 = "Frady et al. 2020 (Pohoiki Springs), NICE, arXiv:2004.12691, Table 1: x86 power 2.09-2.14 W / 32 chips"

_LOIHI_POWER = {
    "static_per_chip": c(104.4, "mW", "Intel 14 nm (voltage not stated)", "derived", FRADY, "D",
                         "3.34 W / 32 chips; upper bound on one chip's static power"),
    "management": c(65.0, "mW", "Intel 14 nm", "derived", FRADY_X86, "B",
                    "x86 management cores while running, per chip (2.09-2.14 W / 32 chips = 65-67 mW)"),
}
_LOIHI_VALIDATION = [
    "Blouw 2019 (NICE) text: ~70 mW of x86 management power on a one-chip Wolf Mountain board (predicted 65 mW)",
    "Frady 2020 Table 2: 1.33 mJ dynamic neuromorphic-core energy per k=1 query, 76,800 patterns on 32 chips, "
    "T = 60 steps, ~700 input spikes each reaching 76,800 neurons",
    "Frady 2020 Sec. 5.1: 5.8 µs per time step for the same query (latency regime)",
]

LOIHI = {
    "name": "loihi", "kind": "digital", "routing": "unicast",
    "description": "Intel Loihi, per-term energies of Davies 2018 (pre-silicon, minimum synop)",
    "label": "Davies 2018 Table 2 is pre-silicon simulation; 23.6 pJ is a minimum for one term",
    "energy": {
        "synaptic_op": c(23.6, "pJ", LOIHI_NODE, "simulated", DAVIES, "B", "minimum; includes the weight read"),
        "neuron_update_active": c(81.0, "pJ", LOIHI_NODE, "simulated", DAVIES, "B"),
        "neuron_update_idle": c(52.0, "pJ", LOIHI_NODE, "simulated", DAVIES, "B"),
        "routing_local": c(1.7, "pJ", LOIHI_NODE, "simulated", DAVIES + " (within-tile spike)", "B"),
        "hop_ew": c(3.0, "pJ", LOIHI_NODE, "simulated", DAVIES + " (tile hop E-W)", "B"),
        "hop_ns": c(4.0, "pJ", LOIHI_NODE, "simulated", DAVIES + " (tile hop N-S)", "B"),
        "learning_update": c(120.0, "pJ", LOIHI_NODE, "simulated", DAVIES + " (pairwise STDP synaptic update)", "B"),
    },
    "calibration": ["Davies 2018 Table 2 (per-event energies and latencies, pre-silicon)",
                    "Frady 2020 Table 1 (static and x86 power of 32 chips)"],
    "validation": _LOIHI_VALIDATION,
    "power": _LOIHI_POWER,
    "timing": {
        "synaptic_op": c(3.5, "ns", LOIHI_NODE, "simulated", DAVIES + " (max)", "B"),
        "neuron_update": c(8.4, "ns", LOIHI_NODE, "simulated", DAVIES + " (active)", "B"),
        "neuron_update_idle": c(5.3, "ns", LOIHI_NODE, "simulated", DAVIES + " (inactive)", "B"),
        "barrier": c(465.0, "ns", LOIHI_NODE, "simulated", DAVIES + " (mesh-wide barrier, 32 tiles)", "B"),
        "hop": c(6.5, "ns", LOIHI_NODE, "simulated", DAVIES + " (tile hop N-S, the slower)", "B"),
    },
    "limits": _LOIHI_LIMITS,
}

LOIHI_SANAFE = {
    "name": "loihi_sanafe", "kind": "digital", "routing": "unicast",
    "description": "Intel Loihi, silicon-calibrated per-event energies (SANA-FE, Nahuku boards)",
    "label": "regression on silicon; reported model error up to 11.7 % energy (Boyle Table IV)",
    "energy": {
        "synaptic_op": c(33.6, "pJ", LOIHI_NODE, "measured", SANAFE + " (synapse op, sparse format)", "A"),
        "neuron_update_idle": c(51.2, "pJ", LOIHI_NODE, "measured", SANAFE + " (soma access per neuron per step)", "A"),
        "neuron_update_active": c(72.8, "pJ", LOIHI_NODE, "derived", SANAFE + " (soma access 51.2 + soma update 21.6)", "D"),
        "spike_out": c(69.3, "pJ", LOIHI_NODE, "measured", SANAFE + " (soma spike out)", "A"),
        "spike_message": c(111.0, "pJ", LOIHI_NODE, "measured", SANAFE + " (axon out per message)", "A"),
        "hop_ew": c(3.0, "pJ", LOIHI_NODE, "measured", SANAFE + " (tile hop E-W)", "A"),
        "hop_ns": c(4.2, "pJ", LOIHI_NODE, "measured", SANAFE + " (tile hop N-S)", "A"),
    },
    "calibration": ["SANA-FE loihi.yaml: regression on Nahuku-board measurements (Boyle 2025)",
                    "Frady 2020 Table 1 (static and x86 power)"],
    "validation": _LOIHI_VALIDATION,
    "power": _LOIHI_POWER,
    "timing": {
        "synaptic_op": c(4.7, "ns", LOIHI_NODE, "measured", SANAFE + " (synapse, sparse)", "A"),
        "neuron_update_idle": c(6.0, "ns", LOIHI_NODE, "measured", SANAFE + " (soma access)", "A"),
        "neuron_update": c(9.7, "ns", LOIHI_NODE, "derived", SANAFE + " (soma access 6.0 + update 3.7)", "D"),
        "barrier": c(465.0, "ns", LOIHI_NODE, "simulated", DAVIES + " (mesh-wide barrier, 32 tiles)", "B"),
        "hop": c(6.5, "ns", LOIHI_NODE, "measured", SANAFE + " (tile hop N-S)", "A"),
    },
    "limits": _LOIHI_LIMITS,
}

MEROLLA = "Merolla et al. 2014, Science 345:668, main text p.7 + Fig. 4C"
TN_NODE = "Samsung 28 nm LPP, 0.775 V"
TN_ARCH = "Merolla et al. 2014, Science 345:668, abstract + SM S1"

AKOPYAN = "Akopyan et al. 2015, IEEE TCAD 34(10):1537, Fig. 17 p.1551 (via the mimarsinan TrueNorth research notes)"
MEROLLA_S8 = "Merolla et al. 2014, Science 345:668, SM S8: 46 GSOPS/W at a 1 ms tick vs 70 GSOPS/W at a 200 µs tick"
TN_FASTEST = "Akopyan et al. 2015, IEEE TCAD 34:1537, Sec. VII p.1551: up to 21x faster than real time"

# TrueNorth as static power + per-event energies at 0.775 V (all derived, grade D; arithmetic here):
# 1. Energy per synaptic event: the slope of Akopyan's Fig. 17 end points at 0.8 V (68 mW at 11.58 Hz,
#    94 mW at 95.93 Hz; 1,048,576 neurons x 128 active synapses): 26 mW / (1.2876e10 - 1.5542e9) /s
#    = 2.2964 pJ, scaled to 0.775 V as CV^2: x (0.775 / 0.8)^2 = 2.1551 pJ. It contains the routing of
#    the characterisation network (uniformly random targets, 21.3 hops in x and in y, Merolla SM S7).
# 2. Neuron updates and leakage: at 0.775 V the 20 Hz / 128-synapse network draws 72 mW at a 1 ms tick
#    (Merolla p.7) and 5 x 46 / 70 = 3.286 times that at a 200 µs tick (Merolla SM S8), i.e. 236.6 mW.
#    The difference (164.6 mW) is 4000 extra ticks/s of neuron updates plus 4 x 2.684e9 extra events/s
#    at 2.1551 pJ (23.1 mW): a tick of 1,048,576 neuron updates costs 35.36 µJ, 33.72 pJ per update.
#    Leakage: 72 - 35.36 - 2.684e9 x 2.1551e-9 mW = 30.86 mW per chip.
_TN_SYNAPTIC_PJ = 26.0 / (1.2876e10 - 1.5542e9) * 1e9 * (0.775 / 0.8) ** 2
_TN_EVENTS = 1_048_576 * 20 * 128
_TN_TICK_UJ = (72.0 * (5 * 46 / 70) - 72.0 - 4 * _TN_EVENTS * _TN_SYNAPTIC_PJ * 1e-9) / 4000 * 1e3
_TN_UPDATE_PJ = _TN_TICK_UJ * 1e6 / 1_048_576
_TN_LEAK_MW = 72.0 - _TN_TICK_UJ - _TN_EVENTS * _TN_SYNAPTIC_PJ * 1e-9

_TN_LIMITS = {
    "neurons_per_core": c(256, "count", TN_NODE, "architectural", TN_ARCH, "A"),
    "fan_in_per_core": c(256, "count", TN_NODE, "architectural", TN_ARCH + " (256 axons/core)", "A"),
    "synapses_per_core": c(65536, "count", TN_NODE, "architectural", TN_ARCH + " (256 x 256 crossbar)", "A"),
    "max_target_cores_per_neuron": c(1, "count", TN_NODE, "architectural", TN_ARCH + " (one axon target per neuron)", "B"),
    "weight_bits": c(9, "bit", TN_NODE, "architectural", "Merolla 2014 SM S1, S8 (4 signed 9-bit weights per neuron)", "B",
                     "modelled as 9-bit signed weights; the 4-axon-type restriction is not enforced"),
    "cores_per_chip": c(4096, "count", TN_NODE, "architectural", TN_ARCH, "A"),
    "cores_per_tile": c(1, "count", TN_NODE, "architectural", TN_ARCH, "A"),
    "mesh_cols": c(64, "count", TN_NODE, "architectural", TN_ARCH + " (64 x 64 cores)", "A"),
    "mesh_rows": c(64, "count", TN_NODE, "architectural", TN_ARCH + " (64 x 64 cores)", "A"),
}

TRUENORTH = {
    "name": "truenorth", "kind": "digital", "routing": "none", "native_regime": "real_time",
    "description": "IBM TrueNorth at 0.775 V: leakage + energy per neuron update + energy per synaptic event",
    "label": "per-term model derived from measured chip power at several rates and tick speeds (grade D); "
             "synaptic events carry the mean routing of a chip-wide random network",
    "calibration": ["Akopyan 2015 Fig. 17 end points (68 mW at 11.58 Hz, 94 mW at 95.93 Hz, 0.8 V): slope",
                    "Merolla 2014: 72 mW at 0.775 V, 20 Hz, 128 synapses, 1 ms tick",
                    "Merolla 2014 SM S8: 46 vs 70 GSOPS/W at 1 ms vs 200 µs ticks"],
    "validation": ["Akopyan 2015 Fig. 17: 68 / 71 / 94 mW at 11.58 / 20.07 / 95.93 Hz, 0.8 V (levels; only the slope "
                   "was used)",
                   "Akopyan 2015 Sec. VII: 65 mW at 0.75 V, 20 Hz, 128 synapses",
                   "Akopyan 2015 Sec. VII: 323 mW at 1.05 V, 200 Hz, 256 synapses",
                   "Akopyan 2015 Sec. VII: 42 mW at 0.70 V, 0 Hz",
                   "Akopyan 2015 Sec. VII: 58 GSOPS at 400 GSOPS/W (145 mW), 0.75 V"],
    "energy": {
        "synaptic_op": c(round(_TN_SYNAPTIC_PJ, 4), "pJ", TN_NODE, "derived", AKOPYAN, "D",
                         "slope of chip power vs event rate at 0.8 V, scaled to 0.775 V as V^2; includes mean routing"),
        "neuron_update": c(round(_TN_UPDATE_PJ, 3), "pJ", TN_NODE, "derived", MEROLLA + "; " + MEROLLA_S8, "D",
                           "one neuron's update in one tick (leak, threshold, scheduler share)"),
    },
    "power": {
        "static_per_chip": c(round(_TN_LEAK_MW, 3), "mW", TN_NODE, "derived", MEROLLA + "; " + MEROLLA_S8 + "; " + AKOPYAN,
                             "D", "leakage: chip power minus neuron updates and synaptic events"),
    },
    "timing": {
        "min_step": c(round(1000.0 / 21, 2), "µs", TN_NODE, "measured", TN_FASTEST, "B",
                      "fastest tick demonstrated (1 ms / 21); depends on activity, synaptic density and voltage"),
    },
    "operating_point": {
        "supply_v": c(0.775, "1", TN_NODE, "measured", MEROLLA, "B"),
    },
    "limits": _TN_LIMITS,
}

TRUENORTH_ALL_IN = {
    "name": "truenorth_all_in", "kind": "digital", "routing": "unicast", "native_regime": "real_time",
    "description": "IBM TrueNorth, all-in 26 pJ per synaptic event (20 Hz, 128 synapses/neuron, 0.775 V)",
    "label": "all-in figure at one operating point; it does not transfer to other rates (alternative to 'truenorth')",
    "calibration": ["Merolla 2014: 26 pJ per synaptic event at 20 Hz, 128 synapses, 0.775 V"],
    "validation": ["none: an all-in figure holds at its own operating point only"],
    "energy": {
        "synaptic_event_all_in": c(26.0, "pJ", TN_NODE, "measured", MEROLLA, "B",
                                   "total chip power / synaptic-event rate: includes leakage, memory, routing, "
                                   "neuron updates (72 mW / (1,048,576 x 20 Hz x 128) = 26.8 pJ)", scope="all-in"),
    },
    "operating_point": {
        "supply_v": c(0.775, "1", TN_NODE, "measured", MEROLLA, "B"),
        "mean_rate_hz": c(20.0, "Hz", TN_NODE, "measured", MEROLLA, "B"),
        "synapses_per_neuron": c(128.0, "count", TN_NODE, "measured", MEROLLA, "B"),
    },
    "limits": _TN_LIMITS,
}

KERAS_SPIKING = "nengo/keras-spiking keras_spiking/model_energy.py @b28875a, citing Hoeppner et al. 2019 IEEE TCAS-I 66:2973"

SPINN_FEC = ("SpiNNakerManchester/SpiNNFrontEndCommon compute_energy_used.py @8d6c413 (the official toolchain's energy "
             "report), citing Painkras et al. 2013 JSSC 'A 1-W 18-core SoC'")

SPINNAKER1 = {
    "name": "spinnaker1", "kind": "digital", "routing": "none", "native_regime": "real_time",
    "description": "SpiNNaker 1 (130 nm ARM968): idle chip power + per-synop / per-neuron / per-packet energies",
    "label": "grade C per-event energies (primary not read); routing beyond one packet per spike not modelled",
    "calibration": ["Painkras 2013 via the SpiNNaker toolchain: 0.36 W idle per chip, 0.8 nJ per packet, "
                    "0.585 W per board FPGA (3 per 48-chip board)",
                    "KerasSpiking table citing Hoeppner 2019: 13.3 nJ per synaptic event, 26 nJ per neuron update"],
    "validation": ["none with a published event census: the cortical-microcircuit energies (Rhodes 2019 0.60 µJ, "
                   "van Albada 2018 4.4 µJ per synaptic event) were published without the event counts they divide by"],
    "energy": {
        "synaptic_op": c(13.3, "nJ", "UMC 130 nm", "modelled", KERAS_SPIKING, "C"),
        "neuron_update": c(26.0, "nJ", "UMC 130 nm", "modelled", KERAS_SPIKING, "C"),
        "spike_out": c(0.8, "nJ", "UMC 130 nm", "modelled", SPINN_FEC + " (JOULES_PER_SPIKE: one multicast packet)", "C"),
    },
    "power": {
        "static_per_chip": c(396.6, "mW", "UMC 130 nm", "derived", SPINN_FEC, "C",
                             "0.36 W idle chip + 3 x 0.585 W FPGAs / 48 chips of a SpiNN-5 board"),
    },
    "limits": {
        "neurons_per_core": c(256, "count", "UMC 130 nm", "architectural", "sPyNNaker LIF practice (third-party SpiNNaker notes)", "C"),
        "cores_per_chip": c(16, "count", "UMC 130 nm", "architectural", "Painkras et al. 2013 JSSC (18 cores, ~16 application)", "A"),
        "cores_per_tile": c(16, "count", "UMC 130 nm", "architectural", "Painkras et al. 2013 JSSC (one router per chip)", "A"),
        "mesh_cols": c(1, "count", "UMC 130 nm", "architectural", "one router per chip", "A"),
        "mesh_rows": c(1, "count", "UMC 130 nm", "architectural", "one router per chip", "A"),
    },
}

SHARP = "Sharp et al. 2012, J. Neurosci. Methods 210:110, abstract (4-chip cortical circuit)"

SPINNAKER1_SHARP = {
    "name": "spinnaker1_sharp2012", "kind": "digital", "routing": "none", "native_regime": "real_time",
    "calibration": ["Sharp et al. 2012: 100 nJ per neuron per ms and 43 nJ per PSP on a 4-chip real-time circuit"],
    "validation": ["none: all-in figures of one circuit"],
    "description": "SpiNNaker 1, all-in measured 100 nJ per neuron per ms + 43 nJ per PSP (Sharp 2012)",
    "label": "all-in, measured on a 10 k-neuron / 4 M-synapse real-time circuit",
    "energy": {
        "neuron_ms_all_in": c(100.0, "nJ", "UMC 130 nm", "measured", SHARP, "A", scope="all-in"),
        "synaptic_event_all_in": c(43.0, "nJ", "UMC 130 nm", "measured", SHARP, "A", scope="all-in"),
    },
    "limits": SPINNAKER1["limits"],
}

SPINNAKER2 = {
    "name": "spinnaker2", "kind": "digital", "routing": "none", "native_regime": "real_time",
    "description": "SpiNNaker 2 (22 nm FDSOI), per-synop / per-neuron energies of the KerasSpiking table",
    "label": "grade C: tool table citing Hoeppner 2019 (prototype); no sourced static, idle or routing power: "
             "a lower bound",
    "calibration": ["KerasSpiking table citing Hoeppner 2019: 450 pJ per synaptic event, 2.19 nJ per neuron update"],
    "validation": ["none found (Hoeppner 2019/2021 per-level tables and Yan 2021 measurements not retrieved)"],
    "energy": {
        "synaptic_op": c(450.0, "pJ", "GF 22 nm FDSOI", "modelled", KERAS_SPIKING, "C"),
        "neuron_update": c(2.19, "nJ", "GF 22 nm FDSOI", "modelled", KERAS_SPIKING, "C"),
    },
    "limits": {
        "synapse_memory_bits_per_core": c(1048576, "bit", "GF 22 nm FDSOI", "architectural", "128 KB SRAM per PE (Open Neuromorphic page)", "C"),
        "weight_bits": c(8, "bit", "GF 22 nm FDSOI", "architectural", "16x4 8-bit MAC array per PE (Open Neuromorphic page)", "C"),
        "cores_per_chip": c(144, "count", "GF 22 nm FDSOI", "architectural", "36 QPEs = 144 application PEs (third-party SpiNNaker note)", "C"),
        "cores_per_tile": c(144, "count", "GF 22 nm FDSOI", "architectural", "routing not modelled", "C"),
        "mesh_cols": c(1, "count", "GF 22 nm FDSOI", "architectural", "routing not modelled", "C"),
        "mesh_rows": c(1, "count", "GF 22 nm FDSOI", "architectural", "routing not modelled", "C"),
    },
}

FRENKEL = "Frenkel et al. 2019, IEEE TBioCAS 13:145, Fig. 8b and Eq. (2)"
ODIN_NODE = "28 nm FDSOI, 0.55 V"

ODIN = {
    "name": "odin", "kind": "digital", "routing": "none", "native_regime": "real_time",
    "calibration": ["Frenkel 2019 Fig. 8b and Eq. (2): leakage, idle power per MHz, energy per SOP at 0.55 V"],
    "validation": ["none independent: the 477 µW (75 MHz) and 35 µW (1.3 MHz) points come from the same paper and chip "
                   "as the coefficients (a consistency check, tests/hardware/test_odin.py)"],
    "description": "ODIN (256 neurons, 64 k 4-bit synapses), power model P = P_leak + P_idle f + E_SOP r",
    "label": "neuron updates are time-multiplexed inside the clocked idle power",
    "energy": {
        "synaptic_op": c(8.43, "pJ", ODIN_NODE, "measured", FRENKEL, "B", "incremental energy per SOP"),
    },
    "power": {
        "static_per_chip": c(27.3, "µW", ODIN_NODE, "measured", FRENKEL, "B", "leakage"),
        "clock_per_mhz": c(1.78, "µW/MHz", ODIN_NODE, "measured", FRENKEL, "B", "idle power per MHz of clock"),
    },
    "operating_point": {
        "clock_mhz": c(75.0, "MHz", ODIN_NODE, "measured", FRENKEL + " (max-rate operating point)", "B"),
    },
    "limits": {
        "neurons_per_core": c(256, "count", ODIN_NODE, "architectural", "Frenkel 2019 title/text", "A"),
        "fan_in_per_core": c(256, "count", ODIN_NODE, "architectural", "Frenkel 2019 text (256 x 256 synapses)", "B"),
        "synapses_per_core": c(65536, "count", ODIN_NODE, "architectural", "Frenkel 2019 title", "A"),
        "weight_bits": c(4, "bit", ODIN_NODE, "architectural", "Frenkel 2019 title (4-bit synapses)", "A"),
        "cores_per_chip": c(1, "count", ODIN_NODE, "architectural", "Frenkel 2019 (single core)", "A"),
        "max_chips": c(1, "count", ODIN_NODE, "architectural", "single-chip model", "A"),
    },
}

DIGITAL_PRESETS = {p["name"]: p for p in (LOIHI, LOIHI_SANAFE, TRUENORTH, TRUENORTH_ALL_IN, SPINNAKER1, SPINNAKER1_SHARP,
                                           SPINNAKER2, ODIN)}
