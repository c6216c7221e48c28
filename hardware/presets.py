"""The registry of shipped chip presets: look a chip up by name."""

from __future__ import annotations

from functools import lru_cache

from hardware.chip import ChipModel, chip_from_dict
from hardware.coefficients import HardwareModelError
from hardware.presets_analog import ANALOG_PRESETS
from hardware.presets_dense import DENSE_PRESETS
from hardware.presets_digital import DIGITAL_PRESETS

PRESET_DATA = {**DIGITAL_PRESETS, **ANALOG_PRESETS, **DENSE_PRESETS}


def available_chips(kind: str | None = None) -> list[str]:
    """Names of the shipped presets, optionally only one ``kind`` (digital, analog, dense)."""
    return sorted(name for name, data in PRESET_DATA.items() if kind is None or data["kind"] == kind)


@lru_cache(maxsize=None)
def get_chip(name: str) -> ChipModel:
    """The preset called ``name`` (validated like any chip file).

    Raises
    ------
    HardwareModelError
        If no preset has that name; the message lists the available ones.
    """
    if name not in PRESET_DATA:
        raise HardwareModelError(f"unknown chip {name!r}; available chips: {', '.join(available_chips())}")
    return chip_from_dict(PRESET_DATA[name], origin=f"preset {name!r}")
