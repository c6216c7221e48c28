"""Dense GPU/CPU presets (data only), each with its regime.

* ``peak-utilisation lower bound``: datasheet throughput at TDP (A100, H100); real batch-1 use is
  2-5 orders of magnitude worse per MAC.
* ``modelled (45 nm arithmetic)``: Horowitz ISSCC 2014 arithmetic and memory energies; latency
  from the peak FP32 SSE throughput of a 45 nm quad-core (Core i7-965), a lower bound.
* ``measured batch-1``: Blouw et al. 2019 dynamic energy per inference of a 172,800-weight
  network divided by its weights (all-in: includes memory, launch overheads, everything).
"""

from __future__ import annotations

from hardware.presets_digital import c

NV_A100 = "NVIDIA A100 SXM4 80 GB datasheet (312 TFLOPS FP16 dense, 400 W, 2.039 TB/s) via spec pages"
NV_H100 = "NVIDIA H100 SXM5 80 GB datasheet (989.4 TFLOPS FP16 dense, 700 W, 3.35 TB/s) via spec pages"
HBM = "O'Connor et al. 2017 (Fine-Grained DRAM, MICRO): ~3.9 pJ/bit HBM2"
HOROWITZ = "Horowitz 2014, ISSCC, 'Computing's energy problem' (45 nm, 0.9 V)"
BLOUW = "Blouw et al. 2019, NICE, arXiv:1812.01739, Table 1 (390-256-256-29 KWS, 172,800 weights, batch 1)"
NEHALEM = ("Intel Core i7-965 Extreme Edition, 45 nm Nehalem (Intel ARK: 4 cores, 3.20 GHz base); Intel 64 and IA-32 "
           "Architectures Optimization Reference Manual, Nehalem microarchitecture: one 128-bit SSE FP multiply "
           "(port 0) and one 128-bit SSE FP add (port 1) issued per cycle per core")

A100 = {
    "name": "a100", "kind": "dense", "regime": "peak-utilisation lower bound",
    "description": "NVIDIA A100 at TDP and peak FP16 tensor throughput",
    "label": "lower bound: 100 % utilisation, TDP as power",
    "energy": {
        "mac": c(2.56, "pJ", "TSMC 7 nm", "derived", NV_A100 + ": 400 W / 312 TFLOPS x 2", "D", "FP16 tensor core"),
        "weight_byte": c(31.0, "pJ/byte", "HBM2", "derived", HBM, "C", "weights streamed from HBM every pass (batch 1)"),
        "activation_byte": c(1.25, "pJ/byte", "45 nm", "derived", HOROWITZ + ": 10 pJ per 64-bit read, 8 KB SRAM", "C",
                             "on-chip SRAM at 45 nm: a node mismatch, stated not scaled"),
    },
    "timing": {
        "mac": c(6.41e-3, "ps", "TSMC 7 nm", "derived", NV_A100 + ": 1 / (156 T MAC/s)", "D"),
        "weight_byte": c(0.4904, "ps", "HBM2", "derived", NV_A100 + ": 1 / 2.039 TB/s", "D"),
    },
    "limits": {"weight_bits": c(16, "bit", "TSMC 7 nm", "architectural", NV_A100 + " (FP16 priced)", "C")},
}

H100 = {
    "name": "h100", "kind": "dense", "regime": "peak-utilisation lower bound",
    "description": "NVIDIA H100 at TDP and peak FP16 tensor throughput",
    "label": "lower bound: 100 % utilisation, TDP as power",
    "energy": {
        "mac": c(1.41, "pJ", "TSMC 4N", "derived", NV_H100 + ": 700 W / 989.4 TFLOPS x 2", "D", "FP16 tensor core"),
        "weight_byte": c(31.0, "pJ/byte", "HBM2 figure", "derived", HBM, "C", "HBM2 figure used for H100's HBM3"),
        "activation_byte": c(1.25, "pJ/byte", "45 nm", "derived", HOROWITZ + ": 10 pJ per 64-bit read, 8 KB SRAM", "C",
                             "on-chip SRAM at 45 nm: a node mismatch, stated not scaled"),
    },
    "timing": {
        "mac": c(2.02e-3, "ps", "TSMC 4N", "derived", NV_H100 + ": 1 / (494.7 T MAC/s)", "D"),
        "weight_byte": c(0.2985, "ps", "HBM3", "derived", NV_H100 + ": 1 / 3.35 TB/s", "D"),
    },
    "limits": {"weight_bits": c(16, "bit", "TSMC 4N", "architectural", NV_H100 + " (FP16 priced)", "C")},
}

CPU_HOROWITZ = {
    "name": "cpu_horowitz45", "kind": "dense", "regime": "modelled (45 nm arithmetic)",
    "description": "CPU-like datapath priced with Horowitz 45 nm FP32 arithmetic and SRAM reads",
    "label": "arithmetic + SRAM only: no instruction, cache-control or DRAM overhead (lower bound); "
             "latency at the peak FP32 SSE rate of a 45 nm quad-core (lower bound)",
    "energy": {
        "mac": c(4.6, "pJ", "45 nm, 0.9 V", "derived", HOROWITZ + ": FP32 mult 3.7 + add 0.9", "D"),
        "ac": c(0.9, "pJ", "45 nm, 0.9 V", "measured", HOROWITZ + ": FP32 add", "C"),
        "weight_byte": c(12.5, "pJ/byte", "45 nm, 0.9 V", "derived", HOROWITZ + ": 100 pJ per 64-bit read, 1 MB SRAM", "C",
                         "weights assumed cache-resident (<= 1 MB); DRAM would be 162-325 pJ/byte"),
        "activation_byte": c(1.25, "pJ/byte", "45 nm, 0.9 V", "derived", HOROWITZ + ": 10 pJ per 64-bit read, 8 KB SRAM", "C"),
    },
    # Latency: a 45 nm CPU of Horowitz's node at its peak FP32 SSE rate, 3.2 GHz x 4 cores x 4 MACs
    # (4-wide multiply + 4-wide add) per cycle = 51.2 G MAC/s. Compute-bound and memory stalls ignored,
    # so, like the energy, a lower bound (and with it the EDP).
    "timing": {
        "mac": c(19.53, "ps", "45 nm (Nehalem)", "derived", NEHALEM + ": 1 / (3.2 GHz x 4 cores x 4 FP32 MAC/cycle)", "D",
                 "peak SSE throughput of all 4 cores; no memory stalls, no instruction overhead: latency lower bound; "
                 "figures as commonly transcribed, primary documents not re-opened for this preset"),
    },
    "limits": {"weight_bits": c(32, "bit", "45 nm", "architectural", HOROWITZ + " (FP32 priced)", "C")},
}

GPU_BATCH1 = {
    "name": "gpu_k4000_batch1", "kind": "dense", "regime": "measured batch-1",
    "description": "Quadro K4000 at batch 1: measured dynamic energy per weight per inference (Blouw 2019)",
    "label": "measured on one 172,800-weight network; scaled per MAC to others (all-in)",
    "energy": {
        "mac": c(172.0, "nJ", "28 nm (Kepler)", "derived", BLOUW + ": 0.0298 J / 172,800 weights", "D",
                 "dynamic (running - idle) energy; includes memory and launch overheads", scope="all-in"),
    },
    "timing": {
        "mac": c(7.51, "ns", "28 nm (Kepler)", "derived", BLOUW + ": 1 / 770.39 inf/s / 172,800 weights", "D"),
    },
}

CPU_BATCH1 = {
    "name": "cpu_xeon_batch1", "kind": "dense", "regime": "measured batch-1",
    "description": "Xeon E5-2630 at batch 1: measured dynamic energy per weight per inference (Blouw 2019)",
    "label": "measured on one 172,800-weight network; scaled per MAC to others (all-in)",
    "energy": {
        "mac": c(36.0, "nJ", "Intel 22 nm (Haswell-EP)", "derived", BLOUW + ": 0.0063 J / 172,800 weights", "D",
                 "dynamic (running - idle) energy; includes memory and framework overheads", scope="all-in"),
    },
    "timing": {
        "mac": c(3.19, "ns", "Intel 22 nm", "derived", BLOUW + ": 1 / 1813.63 inf/s / 172,800 weights", "D"),
    },
}

DENSE_PRESETS = {p["name"]: p for p in (A100, H100, CPU_HOROWITZ, GPU_BATCH1, CPU_BATCH1)}
