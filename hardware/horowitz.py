"""Horowitz's 45 nm arithmetic and memory energies (ISSCC 2014, 0.9 V), as cited data.

Grade C: the primary slide was not opened; the values are identical across many independent
transcriptions (project energy-reference notes §3.1). The derived MAC/AC conventions used by
the SNN literature are E_MAC = E_mult + E_add and E_AC = E_add (grade D).
"""

from __future__ import annotations

from hardware.coefficients import Coefficient, HardwareModelError

SOURCE = "Horowitz 2014, ISSCC, 'Computing's energy problem (and what we can do about it)'"
NODE = "45 nm, 0.9 V"


def _c(value: float, note: str = "") -> Coefficient:
    return Coefficient(value, "pJ", NODE, "measured", "per-term", SOURCE, "C", note)


HOROWITZ_45NM: dict[str, Coefficient] = {
    "int8_add": _c(0.03), "int32_add": _c(0.1), "fp16_add": _c(0.4), "fp32_add": _c(0.9),
    "int8_mult": _c(0.2), "int32_mult": _c(3.1), "fp16_mult": _c(1.1), "fp32_mult": _c(3.7),
    "sram_8kb_read_64bit": _c(10.0), "sram_32kb_read_64bit": _c(20.0), "sram_1mb_read_64bit": _c(100.0),
    "dram_access_64bit_low": _c(1300.0, "low end of the 1300-2600 pJ range"),
    "dram_access_64bit_high": _c(2600.0, "high end of the 1300-2600 pJ range"),
}
PRECISIONS = ("int8", "int32", "fp16", "fp32")


def mac_energy_pj(precision: str) -> float:
    """Energy of one multiply-accumulate (mult + add) in pJ at 45 nm: int8 0.23, fp16 1.5, fp32 4.6."""
    if precision not in PRECISIONS:
        raise HardwareModelError(f"precision must be one of {PRECISIONS}; got {precision!r}")
    return HOROWITZ_45NM[f"{precision}_mult"].value + HOROWITZ_45NM[f"{precision}_add"].value


def ac_energy_pj(precision: str) -> float:
    """Energy of one accumulate (an add) in pJ at 45 nm: int8 0.03, fp16 0.4, fp32 0.9."""
    if precision not in PRECISIONS:
        raise HardwareModelError(f"precision must be one of {PRECISIONS}; got {precision!r}")
    return HOROWITZ_45NM[f"{precision}_add"].value


def memory_energy_pj_per_byte(level: str) -> float:
    """Energy per byte read (a 64-bit access / 8) at 45 nm: ``sram_8kb``, ``sram_32kb``, ``sram_1mb``,
    ``dram_low`` or ``dram_high``."""
    keys = {"sram_8kb": "sram_8kb_read_64bit", "sram_32kb": "sram_32kb_read_64bit", "sram_1mb": "sram_1mb_read_64bit",
            "dram_low": "dram_access_64bit_low", "dram_high": "dram_access_64bit_high"}
    if level not in keys:
        raise HardwareModelError(f"memory level must be one of {sorted(keys)}; got {level!r}")
    return HOROWITZ_45NM[keys[level]].value / 8.0
