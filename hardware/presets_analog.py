"""Analog in-memory-computing presets (data only): HERMES-like PCM, NeuRRAM-like RRAM, ISAAC.

Energies are per column read / ADC conversion / row activation, so the estimate can price an
event-driven row activation and a full matrix-vector read from the same numbers.
"""

from __future__ import annotations

from hardware.presets_digital import c

HERMES_SRC = "Le Gallo et al. 2023, Nat. Electron. 6:680 (abstract; arXiv:2212.02872)"
HERMES_NOTES = "Le Gallo et al. 2023 via third-party literature notes (Sec. IV, VI)"
HERMES_NODE = "14 nm CMOS + PCM BEOL"
AIHWKIT_PCM = "IBM/aihwkit inference/noise/pcm.py @4545f11 (PCMLikeNoiseModel, Nandakumar et al. ICECS 2019)"
AIHWKIT_RRAM = "IBM/aihwkit inference/noise/reram.py @0c9de57 (ReRamWan2022NoiseModel, fit to Wan et al. 2022)"

HERMES = {
    "name": "hermes_pcm", "kind": "analog", "noise_model": "pcm_nandakumar2019",
    "description": "HERMES-like PCM crossbar chip (64 cores x 256x256 cells, 8-bit I/O)",
    "label": "chip-level efficiency at peak utilisation and 8-bit inputs; activations leave through an FPGA (not priced)",
    "calibration": ["Le Gallo 2023 abstract: 9.76 TOPS/W (1-phase, 8-bit I/O MVM)", "ResNet-9 layer input latency 1.52 µs"],
    "validation": ["none with a workload census: the published layer and LSTM-step energies (1.51 µJ, 5.24 µJ) come "
                   "without the activation counts needed to price them"],
    "energy": {
        "column_read_all_in": c(52.0, "pJ", HERMES_NODE, "derived", HERMES_SRC + ": 9.76 TOPS/W 1-phase => 0.205 pJ/MAC x 256 rows",
                                "D", "per 256-row column read incl. ADC, at peak utilisation, 8-bit inputs", scope="all-in"),
    },
    "timing": {
        "tile_read": c(1.52, "us", HERMES_NODE, "measured", HERMES_NOTES + " (ResNet-9 layer input 1.52 µs)", "B"),
    },
    "limits": {
        "cores_per_chip": c(64, "count", HERMES_NODE, "architectural", HERMES_SRC, "A"),
    },
    "analog": {
        "tile_rows": c(256, "count", HERMES_NODE, "architectural", HERMES_SRC, "A"),
        "tile_weight_cols": c(256, "count", HERMES_NODE, "architectural", HERMES_SRC + " (256x256 unit cells)", "A"),
        "devices_per_weight": c(4, "count", HERMES_NODE, "architectural", HERMES_NOTES + " (4 PCM devices per cell, differential)", "B"),
        "adc_columns_per_weight": c(1, "count", HERMES_NODE, "architectural", HERMES_NOTES + " (256 CCO ADCs per core)", "B"),
        "conductance_levels": c(16, "count", HERMES_NODE, "measured", HERMES_NOTES + " (effective 3-4 bit per weight)", "B",
                                "16 levels = the 4-bit end of the measured 3-4 bit effective precision"),
        "g_max": c(25.0, "µS", "PCM", "modelled", AIHWKIT_PCM, "A"),
        "adc_bits": c(8, "bit", HERMES_NODE, "architectural", HERMES_SRC + " (8-bit I/O)", "A"),
        "input_bits": c(8, "bit", HERMES_NODE, "architectural", HERMES_SRC + " (8-bit I/O)", "A"),
    },
}

NEURRAM_SRC = "Wan et al. 2022, Nature 608:504 (abstract)"
MURMANN = "Murmann ADC survey rev 2025-06-09 (bmurmann/ADC-survey xlsx): median P/fs of ENOB-5 designs, all years"

NEURRAM = {
    "name": "neurram_rram", "kind": "analog", "noise_model": "rram_wan2022", "native_regime": "real_time",
    "description": "NeuRRAM-like RRAM crossbar chip (48 cores x 256x256 RRAM, 2 cells per weight)",
    "label": "NeuRRAM's own energy per op is unverified: ADC conversions priced from the ADC survey only (lower bound); "
             "no sourced read latency, so every regime runs at real time",
    "calibration": ["Murmann ADC survey: median energy per conversion of ENOB-5 designs"],
    "validation": ["none: NeuRRAM's absolute energy figures could not be verified"],
    "energy": {
        "adc_conversion": c(8.8, "pJ", "survey designs, various nodes", "derived", MURMANN, "D",
                            "stand-in for NeuRRAM's neuron ADC; array, DAC and periphery energy not priced"),
    },
    "limits": {
        "cores_per_chip": c(48, "count", "130 nm + RRAM", "architectural", NEURRAM_SRC, "A"),
        "weight_bits": c(4, "bit", "130 nm + RRAM", "measured", NEURRAM_SRC + " (~4-bit weights)", "A"),
    },
    "analog": {
        "tile_rows": c(256, "count", "130 nm + RRAM", "architectural", NEURRAM_SRC, "A"),
        "tile_weight_cols": c(128, "count", "130 nm + RRAM", "derived", NEURRAM_SRC + ": 256 columns / 2 cells per weight", "D"),
        "devices_per_weight": c(2, "count", "130 nm + RRAM", "architectural", NEURRAM_SRC + " (differential pair)", "A"),
        "adc_columns_per_weight": c(1, "count", "130 nm + RRAM", "architectural", NEURRAM_SRC + " (one neuron per differential pair)", "B"),
        "conductance_levels": c(16, "count", "130 nm + RRAM", "measured", NEURRAM_SRC + " (~4-bit weights)", "A"),
        "g_max": c(40.0, "µS", "RRAM", "modelled", AIHWKIT_RRAM, "A"),
    },
}

ISAAC_SRC = "Shafiee et al. 2016 (ISAAC, ISCA; corrected Oct 2016), Table I via third-party notes"
ISAAC_NODE = "32 nm (modelled, never fabricated)"

ISAAC = {
    "name": "isaac", "kind": "analog", "noise_model": "none",
    "description": "ISAAC-CE design point (128x128 crossbars, 2 bit/cell, 8-bit ADC, 1-bit DAC)",
    "label": "modelled architecture, never fabricated; eDRAM/bus and HyperTransport not priced here",
    "calibration": ["Shafiee 2016 Table I (modelled component powers at 32 nm)"],
    "validation": ["none: a modelled design that was never fabricated or measured"],
    "energy": {
        "row_activation": c(0.39, "pJ", ISAAC_NODE, "derived", ISAAC_SRC + " (1-bit DAC per row activation)", "D"),
        "cell_read": c(1.83, "fJ", ISAAC_NODE, "derived", ISAAC_SRC + " (2.4 mW x 100 ns / 131,072 cells)", "D"),
        "adc_conversion": c(1.56, "pJ", ISAAC_NODE, "derived", ISAAC_SRC + " (16 mW x 100 ns / 1024 conversions)", "D"),
    },
    "timing": {
        "tile_read": c(100.0, "ns", ISAAC_NODE, "modelled", ISAAC_SRC + " (crossbar read)", "B"),
    },
    "limits": {
        "cores_per_chip": c(16128, "count", ISAAC_NODE, "modelled", ISAAC_SRC + " (8 arrays x 12 IMA x 168 tiles)", "B"),
        "weight_bits": c(16, "bit", ISAAC_NODE, "modelled", ISAAC_SRC, "B"),
    },
    "analog": {
        "tile_rows": c(128, "count", ISAAC_NODE, "modelled", ISAAC_SRC, "B"),
        "tile_weight_cols": c(16, "count", ISAAC_NODE, "derived", ISAAC_SRC + ": 128 columns / 8 cells per 16-bit weight", "D"),
        "devices_per_weight": c(8, "count", ISAAC_NODE, "modelled", ISAAC_SRC + " (8 x 2-bit cells per 16-bit weight)", "B"),
        "adc_columns_per_weight": c(8, "count", ISAAC_NODE, "modelled", ISAAC_SRC + " (one conversion per cell column)", "B"),
        "conductance_levels": c(4, "count", ISAAC_NODE, "modelled", ISAAC_SRC + " (2 bit per cell)", "B"),
        "adc_bits": c(8, "bit", ISAAC_NODE, "modelled", ISAAC_SRC, "B"),
        "input_bits": c(1, "bit", ISAAC_NODE, "modelled", ISAAC_SRC + " (1-bit DAC; a spike is one input bit)", "B"),
    },
}

ANALOG_PRESETS = {p["name"]: p for p in (HERMES, NEURRAM, ISAAC)}
