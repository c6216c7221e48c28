"""A cited constant: value, unit and where the number comes from.

Every energy, power, time or structural number in a chip model is a :class:`Coefficient`.
The grade and scope travel with the value so an estimate can refuse to mix an all-in figure
(TrueNorth's 26 pJ) with per-term ones, and never uses an unverified (grade U) number by default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spikenet.validation import SpikenetError


class HardwareModelError(SpikenetError):
    """Raised for invalid chip files, mappings that do not fit, or counts that do not match."""


# Conversion factors to the base unit of each dimension: pJ, W, s, Hz, bytes, "1" (pure number).
UNIT_SCALE: dict[str, tuple[str, float]] = {
    "fJ": ("energy", 1e-3), "pJ": ("energy", 1.0), "nJ": ("energy", 1e3), "uJ": ("energy", 1e6),
    "µJ": ("energy", 1e6), "mJ": ("energy", 1e9), "J": ("energy", 1e12),
    "pW": ("power", 1e-12), "nW": ("power", 1e-9), "uW": ("power", 1e-6), "µW": ("power", 1e-6),
    "mW": ("power", 1e-3), "W": ("power", 1.0),
    "uW/MHz": ("power_per_frequency", 1e-6), "µW/MHz": ("power_per_frequency", 1e-6),
    "mW/MHz": ("power_per_frequency", 1e-3),
    "ps": ("time", 1e-12), "ns": ("time", 1e-9), "us": ("time", 1e-6), "µs": ("time", 1e-6),
    "ms": ("time", 1e-3), "s": ("time", 1.0),
    "MHz": ("frequency", 1e6), "kHz": ("frequency", 1e3), "Hz": ("frequency", 1.0),
    "pJ/byte": ("energy_per_byte", 1.0), "pJ/bit": ("energy_per_byte", 8.0),
    "uS": ("conductance", 1.0), "µS": ("conductance", 1.0),
    "count": ("count", 1.0), "bit": ("bits", 1.0), "1": ("ratio", 1.0),
}

BASES = ("measured", "simulated", "modelled", "datasheet", "architectural", "derived", "assumed")
SCOPES = ("per-term", "all-in")
GRADES = ("A", "B", "C", "D", "U")


@dataclass(frozen=True)
class Coefficient:
    """One published number with its provenance.

    Parameters
    ----------
    value : float
        The number, in ``unit``.
    unit : str
        One of :data:`UNIT_SCALE` (e.g. ``"pJ"``, ``"mW"``, ``"µW/MHz"``, ``"ns"``, ``"count"``).
    node : str
        Technology node and voltage, e.g. ``"Intel 14 nm, 0.75 V"``.
    basis : str
        ``measured``, ``simulated``, ``modelled``, ``datasheet``, ``architectural``, ``derived``
        or ``assumed``.
    scope : str
        ``per-term`` (one cost among several) or ``all-in`` (total chip energy divided by one
        event rate at one operating point: already contains leakage, routing, memory...).
    source : str
        Citation with locator (paper, table, page).
    grade : str
        Confidence grade A/B/C/D/U as defined in the project's energy-reference notes.
    note : str
        Anything a reader must know (operating point, what the number includes).
    """

    value: float
    unit: str
    node: str
    basis: str
    scope: str
    source: str
    grade: str
    note: str = ""

    def __post_init__(self) -> None:
        if self.unit not in UNIT_SCALE:
            raise HardwareModelError(f"unknown unit {self.unit!r}; known units: {sorted(UNIT_SCALE)}")
        if self.basis not in BASES:
            raise HardwareModelError(f"basis must be one of {BASES}; got {self.basis!r}")
        if self.scope not in SCOPES:
            raise HardwareModelError(f"scope must be one of {SCOPES}; got {self.scope!r}")
        if self.grade not in GRADES:
            raise HardwareModelError(f"grade must be one of {GRADES}; got {self.grade!r}")
        if not isinstance(self.value, (int, float)) or self.value != self.value or self.value < 0:
            raise HardwareModelError(f"coefficient value must be a finite number >= 0; got {self.value!r}")

    @property
    def dimension(self) -> str:
        return UNIT_SCALE[self.unit][0]

    def in_base_unit(self) -> float:
        """Value in the base unit of its dimension: pJ, W, W/MHz (as W per MHz), s, Hz, pJ/byte."""
        return float(self.value) * UNIT_SCALE[self.unit][1]

    def pj(self) -> float:
        """Energy in pJ (raises if this is not an energy)."""
        if self.dimension not in ("energy",):
            raise HardwareModelError(f"coefficient in {self.unit!r} is not an energy")
        return self.in_base_unit()

    def watts(self) -> float:
        """Power in W (raises if this is not a power)."""
        if self.dimension != "power":
            raise HardwareModelError(f"coefficient in {self.unit!r} is not a power")
        return self.in_base_unit()

    def seconds(self) -> float:
        """Time in s (raises if this is not a time)."""
        if self.dimension != "time":
            raise HardwareModelError(f"coefficient in {self.unit!r} is not a time")
        return self.in_base_unit()

    def citation(self) -> str:
        return f"{self.source} [{self.basis}, grade {self.grade}, {self.node}]"

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "unit": self.unit, "node": self.node, "basis": self.basis,
                "scope": self.scope, "source": self.source, "grade": self.grade, "note": self.note}


COEFFICIENT_FIELDS = ("value", "unit", "node", "basis", "scope", "source", "grade")


def coefficient_from_dict(data: Any, origin: str, key: str) -> Coefficient:
    """Build a :class:`Coefficient` from a mapping, naming ``origin`` and ``key`` in every error.

    Parameters
    ----------
    data : dict
        Fields of :class:`Coefficient`; ``note`` is optional.
    origin : str
        The chip file (or preset name) being read, for error messages.
    key : str
        Dotted path of the coefficient inside the file, for error messages.
    """
    if not isinstance(data, dict):
        raise HardwareModelError(f"{origin}: field {key!r} must be an object with {COEFFICIENT_FIELDS}; got {data!r}")
    missing = [f for f in COEFFICIENT_FIELDS if f not in data]
    if missing:
        raise HardwareModelError(f"{origin}: coefficient {key!r} is missing the field(s) {missing}")
    unknown = sorted(set(data) - set(COEFFICIENT_FIELDS) - {"note"})
    if unknown:
        raise HardwareModelError(f"{origin}: coefficient {key!r} has unknown field(s) {unknown}")
    try:
        return Coefficient(float(data["value"]), str(data["unit"]), str(data["node"]), str(data["basis"]),
                           str(data["scope"]), str(data["source"]), str(data["grade"]), str(data.get("note", "")))
    except (HardwareModelError, TypeError, ValueError) as error:
        raise HardwareModelError(f"{origin}: coefficient {key!r}: {error}") from None
