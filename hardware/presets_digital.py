"""Digital neuromorphic chip presets (data only): Loihi, Loihi via SANA-FE, TrueNorth, SpiNNaker 1/2, ODIN.

Every number is copied from the project's energy-reference notes with its source and grade.
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
    "max_chips": c(32, "count", LOIHI_NODE, "architectural", FRADY + " (32-chip system)", "B"),
}

_LOIHI_POWER = {
    "static_per_chip": c(104.4, "mW", "Intel 14 nm (voltage not stated)", "derived", FRADY, "D",
                         "3.34 W / 32 chips; upper bound on one chip's static power"),
    "management": c(70.0, "mW", "Wolf Mountain board", "measured", BLOUW, "A",
                    "~70 mW of x86 management-core power included in Blouw's Loihi dynamic power "
                    "(idle after first execution minus idle from boot)"),
}

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
    "power": _LOIHI_POWER,
    "timing": {
        "synaptic_op": c(3.5, "ns", LOIHI_NODE, "simulated", DAVIES + " (max)", "B"),
        "neuron_update": c(8.4, "ns", LOIHI_NODE, "simulated", DAVIES + " (active)", "B"),
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
    "power": _LOIHI_POWER,
    "timing": {
        "synaptic_op": c(4.7, "ns", LOIHI_NODE, "measured", SANAFE + " (synapse, sparse)", "A"),
        "neuron_update": c(9.7, "ns", LOIHI_NODE, "derived", SANAFE + " (soma access 6.0 + update 3.7)", "D"),
        "barrier": c(465.0, "ns", LOIHI_NODE, "simulated", DAVIES + " (mesh-wide barrier, 32 tiles)", "B"),
        "hop": c(6.5, "ns", LOIHI_NODE, "measured", SANAFE + " (tile hop N-S)", "A"),
    },
    "limits": _LOIHI_LIMITS,
}

MEROLLA = "Merolla et al. 2014, Science 345:668, main text p.7 + Fig. 4C"
TN_NODE = "Samsung 28 nm LPP, 0.775 V"
TN_ARCH = "Merolla et al. 2014, Science 345:668, abstract + SM S1"

TRUENORTH = {
    "name": "truenorth", "kind": "digital", "routing": "unicast",
    "description": "IBM TrueNorth, all-in 26 pJ per synaptic event (20 Hz, 128 synapses/neuron, 0.775 V)",
    "label": "all-in figure at one operating point; it does not transfer to other rates",
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
    "limits": {
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
    },
}

KERAS_SPIKING = "nengo/keras-spiking keras_spiking/model_energy.py @b28875a, citing Hoeppner et al. 2019 IEEE TCAS-I 66:2973"

SPINNAKER1 = {
    "name": "spinnaker1", "kind": "digital", "routing": "none",
    "description": "SpiNNaker 1 (130 nm ARM968), per-synop / per-neuron energies of the KerasSpiking table",
    "label": "grade C (primary not read); no static, idle or routing power: a lower bound",
    "energy": {
        "synaptic_op": c(13.3, "nJ", "UMC 130 nm", "modelled", KERAS_SPIKING, "C"),
        "neuron_update": c(26.0, "nJ", "UMC 130 nm", "modelled", KERAS_SPIKING, "C"),
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
    "name": "spinnaker1_sharp2012", "kind": "digital", "routing": "none",
    "description": "SpiNNaker 1, all-in measured 100 nJ per neuron per ms + 43 nJ per PSP (Sharp 2012)",
    "label": "all-in, measured on a 10 k-neuron / 4 M-synapse real-time circuit",
    "energy": {
        "neuron_ms_all_in": c(100.0, "nJ", "UMC 130 nm", "measured", SHARP, "A", scope="all-in"),
        "synaptic_event_all_in": c(43.0, "nJ", "UMC 130 nm", "measured", SHARP, "A", scope="all-in"),
    },
    "limits": SPINNAKER1["limits"],
}

SPINNAKER2 = {
    "name": "spinnaker2", "kind": "digital", "routing": "none",
    "description": "SpiNNaker 2 (22 nm FDSOI), per-synop / per-neuron energies of the KerasSpiking table",
    "label": "grade C: tool table citing Hoeppner 2019 (prototype); no static, idle or routing power",
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
    "name": "odin", "kind": "digital", "routing": "none",
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

DIGITAL_PRESETS = {p["name"]: p for p in (LOIHI, LOIHI_SANAFE, TRUENORTH, SPINNAKER1, SPINNAKER1_SHARP, SPINNAKER2, ODIN)}
