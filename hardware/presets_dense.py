"""Dense GPU/CPU presets (data only) for the roofline model of :mod:`hardware.dense`.

Every device is described by the same terms, so that one model prices them all in every regime:

* ``power.static_per_chip``: what the device draws when ready and waiting (idle power): paid for
  the whole wall time in every regime (static).
* ``power.tdp``: the power at full load. ``energy.mac`` is the dynamic energy of one MAC at full
  load, ``(TDP - idle) / peak MAC rate`` (derived, grade D), so that a compute-bound run draws TDP.
* ``timing.mac`` (1 / peak MAC rate), ``timing.weight_byte`` (1 / off-chip bandwidth),
  ``limits.onchip_memory_bytes`` (weights up to this size are read from cache/L2),
  ``timing.launch_floor`` (shortest kernel at batch 1), ``timing.framework_floor`` (per-inference
  overhead of the serving framework at batch 1; none in the shipped presets, which all price the
  same eager-kernel floor: see :func:`with_tensorflow1_floor` for Blouw 2019's TensorFlow 1.x stack).
* ``energy.weight_byte`` / ``weight_byte_onchip`` / ``activation_byte``: memory energy per byte.

Calibration and validation sources are listed per preset (``calibration`` / ``validation``).
The Blouw et al. 2019 batch-1 measurements (Quadro K4000, 2 x Xeon E5-2630, Jetson TX1) are
validation points of ``quadro_k4000``, ``xeon_e5_2630_x2`` and ``jetson_tx1``
(tests/hardware/test_validation.py): their running power is never used as a coefficient.
"""

from __future__ import annotations

from hardware.presets_digital import c

NV_A100 = "NVIDIA A100 SXM4 80 GB datasheet (312 TFLOPS FP16 dense, 400 W, 2.039 TB/s, 40 MB L2) via spec pages"
NV_H100 = "NVIDIA H100 SXM5 80 GB datasheet (989.4 TFLOPS FP16 dense, 700 W, 3.35 TB/s, 50 MB L2) via spec pages"
H100_IDLE = ("nvidia-smi readings of two H100 80GB HBM3 SXM boards at P0, 0 % utilisation, model resident: 145 W and "
             "140 W (github.com/wilicc/gpu-burn issue #114, 2024-10-25)")
HBM = "O'Connor et al. 2017 (Fine-Grained DRAM, MICRO): ~3.9 pJ/bit HBM2"
HOROWITZ = "Horowitz 2014, ISSCC, 'Computing's energy problem' (45 nm, 0.9 V)"
PYTORCH_LAUNCH = ("PyTorch eager per-op overhead ~2 µs (maintainer, pytorch/pytorch issue #41383) plus a CUDA launch of a "
                  "few µs; CUDA.jl docs 'Graphs': 4-layer MLP ~50 µs eager vs 16 µs as a CUDA graph (~4 µs per layer)")
TF1_GPU = ("TensorFlow 1.x session.run of an MNIST MLP at batch 1 on a P40 GPU: 508 µs serial latency "
           "(tensorflow/tensorflow issue #18546)")
TF1_CPU = ("TensorFlow 1.x fixed per-session.run overhead ~0.2 ms (crossing the Python/C++ boundary; TensorFlow "
           "maintainer in tensorflow/tensorflow issue #5516)")
BLOUW = "Blouw et al. 2019, NICE, arXiv:1812.01739, Table 1 (abr/power_benchmarks)"
NEHALEM = ("Intel Core i7-965 Extreme Edition, 45 nm Nehalem (Intel ARK: 4 cores, 3.20 GHz base); Intel 64 and IA-32 "
           "Architectures Optimization Reference Manual, Nehalem microarchitecture: one 128-bit SSE FP multiply "
           "(port 0) and one 128-bit SSE FP add (port 1) issued per cycle per core")
E5_2630 = ("Intel Xeon E5-2630 (Sandy Bridge-EP, Intel ARK: 6 cores, 2.3 GHz, 95 W TDP, 15 MB L3, 4 x DDR3-1333 = "
           "42.6 GB/s per socket); AVX: 8 FP32 multiplies + 8 adds per cycle per core; Blouw's workstation has two")
K4000 = ("NVIDIA Quadro K4000 (Kepler GK106: 768 CUDA cores at 811 MHz = 1.246 TFLOPS FP32, 80 W, 134.4 GB/s GDDR5, "
         "512 KB L2) via spec pages")
TX1 = ("NVIDIA Jetson TX1 module (Maxwell, 256 CUDA cores at 998 MHz = 511 GFLOPS FP32 / 1 TFLOPS FP16, 25.6 GB/s "
       "LPDDR4, 256 KB L2, 10 W module power) via spec pages")
DRAM = HOROWITZ + ": DRAM 1300 pJ per 64-bit access (low end) = 162.5 pJ/byte"
SRAM_1MB = HOROWITZ + ": 100 pJ per 64-bit read, 1 MB SRAM = 12.5 pJ/byte"
SRAM_8KB = HOROWITZ + ": 10 pJ per 64-bit read, 8 KB SRAM = 1.25 pJ/byte"


def _gpu(name: str, description: str, node: str, spec: str, tdp_w: float, idle: dict, peak_mac_per_s: float,
         bandwidth_bytes_per_s: float, onchip_bytes: int, weight_bits: int, framework: dict | None,
         calibration: list[str], validation: list[str], label: str, offchip_pj_per_byte: dict) -> dict:
    idle_w = idle["value"]
    mac_pj = (tdp_w - idle_w) / peak_mac_per_s * 1e12
    data = {
        "name": name, "kind": "dense", "native_regime": "latency", "description": description, "label": label,
        "calibration": calibration, "validation": validation,
        "energy": {
            "mac": c(round(mac_pj, 4), "pJ", node, "derived", f"{spec}: ({tdp_w:g} W TDP - {idle_w:g} W idle) / "
                     f"{peak_mac_per_s:.4g} MAC/s", "D", "dynamic energy per MAC at full load"),
            "weight_byte": offchip_pj_per_byte,
            "weight_byte_onchip": c(12.5, "pJ/byte", "45 nm", "derived", SRAM_1MB, "C",
                                    "cache/L2 read at 45 nm: a node mismatch, stated not scaled"),
            "activation_byte": c(1.25, "pJ/byte", "45 nm", "derived", SRAM_8KB, "C",
                                 "register/L1-sized buffers at 45 nm: a node mismatch, stated not scaled"),
        },
        "power": {"static_per_chip": idle, "tdp": c(tdp_w, "W", node, "datasheet", spec, "C")},
        "timing": {
            "mac": c(1e12 / peak_mac_per_s, "ps", node, "derived", f"{spec}: 1 / {peak_mac_per_s:.4g} MAC/s", "D"),
            "weight_byte": c(1e12 / bandwidth_bytes_per_s, "ps", node, "derived",
                             f"{spec}: 1 / {bandwidth_bytes_per_s:.4g} bytes/s", "D"),
            "launch_floor": c(5.0, "µs", "CUDA", "measured", PYTORCH_LAUNCH, "B",
                              "eager framework: one kernel per layer; a CUDA graph would be ~1-4 µs"),
        },
        "limits": {
            "weight_bits": c(weight_bits, "bit", node, "architectural", spec + f" (FP{weight_bits} priced)", "C"),
            "onchip_memory_bytes": c(onchip_bytes, "count", node, "architectural", spec + " (L2 cache)", "C"),
            "max_batch": c(256, "count", node, "assumed", "largest batch the throughput regime considers", "D"),
        },
    }
    if framework is not None:
        data["timing"]["framework_floor"] = framework
    return data


H100 = _gpu("h100", "NVIDIA H100 SXM5, FP16 tensor cores, roofline with idle power", "TSMC 4N", NV_H100, 700.0,
            c(142.5, "W", "TSMC 4N", "measured", H100_IDLE, "B", "ready idle (P0, model resident); mean of 145 and 140 W"),
            494.7e12, 3.35e12, 50 * 2**20, 16, None,
            ["NVIDIA datasheet (peak FP16, TDP, HBM bandwidth, L2)", "gpu-burn #114 (P0 idle power)",
             "PyTorch #41383 / CUDA.jl (launch floor)"],
            ["no published batch-1 measurement of a small network on an H100 was found: none"],
            "roofline: peak throughput and datasheet TDP; ready-idle power measured by users",
            c(31.0, "pJ/byte", "HBM2 figure", "derived", HBM, "C", "HBM2 figure used for H100's HBM3"))

A100 = _gpu("a100", "NVIDIA A100 SXM4, FP16 tensor cores, roofline with idle power", "TSMC 7 nm", NV_A100, 400.0,
            c(81.4, "W", "TSMC 7 nm", "derived", H100_IDLE + ", as a share of TDP (142.5 / 700 = 20.4 %) applied to "
              "the A100's 400 W", "D", "no A100 idle reading found; the H100's share of TDP is assumed"),
            156e12, 2.039e12, 40 * 2**20, 16, None,
            ["NVIDIA datasheet (peak FP16, TDP, HBM bandwidth, L2)", "H100 ready-idle share of TDP (idle power)",
             "PyTorch #41383 / CUDA.jl (launch floor)"],
            ["no published batch-1 measurement of a small network on an A100 was found: none"],
            "roofline: peak throughput and datasheet TDP; idle power scaled from an H100 reading",
            c(31.0, "pJ/byte", "HBM2", "derived", HBM, "C"))

XEON = _gpu("xeon_e5_2630_x2", "two Xeon E5-2630 sockets (AVX FP32), roofline with idle power", "Intel 32 nm",
            E5_2630, 190.0, c(17.01, "W", "Intel 32 nm", "measured", BLOUW + ": idle column (s-tui package power)", "A",
                              "package power of both sockets, read by s-tui (RAPL)"),
            2 * 6 * 2.3e9 * 8, 2 * 42.6e9, 2 * 15 * 2**20, 32, None,
            ["Intel ARK (cores, clock, TDP, L3, memory channels)", "Blouw 2019 idle power (static)",
             "PyTorch #41383 (per-op floor)"],
            ["Blouw 2019 Table 1: 1813.63 inferences/s and 0.0063 J dynamic per inference at batch 1 (390-256-256-29, "
             "FP32): not used to set any coefficient"],
            "server CPU (Blouw 2019's workstation)",
            c(162.5, "pJ/byte", "45 nm DRAM figure", "derived", DRAM, "C"))
XEON["timing"]["launch_floor"] = c(2.0, "µs", "x86", "measured", "PyTorch eager per-op overhead ~2 µs "
                                   "(maintainer, pytorch/pytorch issue #41383)", "B", "one op per layer on a CPU")

QUADRO_K4000 = _gpu("quadro_k4000", "NVIDIA Quadro K4000 (Kepler, FP32), roofline with idle power", "TSMC 28 nm", K4000,
                    80.0, c(14.97, "W", "TSMC 28 nm", "measured", BLOUW + ": idle column (nvidia-smi board power)", "A"),
                    768 * 811e6, 134.4e9, 512 * 1024, 32, None,
                    ["spec pages (cores, clock, TDP, bandwidth)", "Blouw 2019 idle power (static)",
                     "PyTorch #41383 / CUDA.jl (launch floor)"],
                    ["Blouw 2019 Table 1: 770.39 inferences/s and 0.0298 J dynamic per inference at batch 1: not used "
                     "to set any coefficient"],
                    "Blouw 2019's GPU",
                    c(162.5, "pJ/byte", "45 nm DRAM figure", "derived", DRAM, "C", "GDDR5 priced with Horowitz's DRAM"))

JETSON_TX1 = _gpu("jetson_tx1", "NVIDIA Jetson TX1 (Maxwell edge GPU, FP16), roofline with idle power", "TSMC 20 nm",
                  TX1, 10.0, c(2.64, "W", "TSMC 20 nm", "measured", BLOUW + ": idle column (module, USB power meter)", "A"),
                  512e9, 25.6e9, 256 * 1024, 16, None,
                  ["spec pages (cores, clock, module power, bandwidth)", "Blouw 2019 idle power (static)",
                   "PyTorch #41383 / CUDA.jl (launch floor)"],
                  ["Blouw 2019 Table 1: 419 inferences/s and 0.0056 J dynamic per inference at batch 1: not used to "
                   "set any coefficient"],
                  "edge GPU of the Jetson class",
                  c(162.5, "pJ/byte", "45 nm DRAM figure", "derived", DRAM, "C", "LPDDR4 priced with Horowitz's DRAM"))

CPU_HOROWITZ = {
    "name": "cpu_horowitz45", "kind": "dense", "native_regime": "latency",
    "description": "CPU-like datapath priced with Horowitz 45 nm FP32 arithmetic and SRAM reads (no static power)",
    "label": "arithmetic + SRAM only: no instruction, cache-control, DRAM or static power (a lower bound, "
             "not a device); latency at the peak FP32 SSE rate of a 45 nm quad-core",
    "calibration": ["Horowitz 2014 (45 nm arithmetic and SRAM energies)", "Intel Nehalem peak SSE rate (latency)"],
    "validation": ["none: an arithmetic lower bound, not a device"],
    "energy": {
        "mac": c(4.6, "pJ", "45 nm, 0.9 V", "derived", HOROWITZ + ": FP32 mult 3.7 + add 0.9", "D"),
        "ac": c(0.9, "pJ", "45 nm, 0.9 V", "measured", HOROWITZ + ": FP32 add", "C"),
        "weight_byte": c(12.5, "pJ/byte", "45 nm, 0.9 V", "derived", SRAM_1MB, "C",
                         "weights assumed cache-resident (<= 1 MB); DRAM would be 162-325 pJ/byte"),
        "activation_byte": c(1.25, "pJ/byte", "45 nm, 0.9 V", "derived", SRAM_8KB, "C"),
    },
    # 3.2 GHz x 4 cores x 4 MACs (4-wide multiply + 4-wide add) per cycle = 51.2 G MAC/s: compute-bound
    # and memory stalls ignored, so, like the energy, a lower bound (and with it the EDP).
    "timing": {
        "mac": c(19.53, "ps", "45 nm (Nehalem)", "derived", NEHALEM + ": 1 / (3.2 GHz x 4 cores x 4 FP32 MAC/cycle)", "D",
                 "peak SSE throughput of all 4 cores; no memory stalls, no instruction overhead: latency lower bound"),
    },
    "limits": {"weight_bits": c(32, "bit", "45 nm", "architectural", HOROWITZ + " (FP32 priced)", "C")},
}

DENSE_PRESETS = {p["name"]: p for p in (H100, A100, XEON, QUADRO_K4000, JETSON_TX1, CPU_HOROWITZ)}

# The software stack is not the device: every preset prices the same serving floor (one eager kernel per
# layer) so that devices are compared alike. Blouw 2019 ran TensorFlow 1.x, whose per-call overhead was
# measured by other users; the validation of those devices adds it with this function.
TENSORFLOW1_FRAMEWORK_FLOOR = {
    "quadro_k4000": c(0.508, "ms", "TensorFlow 1.x", "measured", TF1_GPU, "B"),
    "jetson_tx1": c(0.508, "ms", "TensorFlow 1.x", "measured", TF1_GPU, "B"),
    "xeon_e5_2630_x2": c(0.2, "ms", "TensorFlow 1.x", "measured", TF1_CPU, "B"),
}


def with_tensorflow1_floor(name: str) -> dict:
    """A dense preset's data with the per-call overhead of TensorFlow 1.x ``session.run`` (the stack of Blouw 2019)."""
    import copy

    data = copy.deepcopy(DENSE_PRESETS[name])
    data["name"] = f"{name}_tensorflow1"
    data["timing"]["framework_floor"] = TENSORFLOW1_FRAMEWORK_FLOOR[name]
    data["calibration"] = data["calibration"] + [TENSORFLOW1_FRAMEWORK_FLOOR[name].get("source", "")]
    return data
