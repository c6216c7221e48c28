"""Construction-time checks shared by the neuron models.

Every check names the model, the parameter, its unit, the value it got and the allowed range,
so that a physically meaningless parameter fails when the model is built, not mid-run.
"""

from __future__ import annotations

from typing import Any

from spikenet.validation import SpikenetError, require_finite, require_non_negative, require_positive


def check_positive(model: str, names_and_units: dict[str, str], instance: Any) -> None:
    """Raise unless each named parameter is finite and > 0 (capacitances, conductances, time constants)."""
    for name, unit in names_and_units.items():
        require_positive(f"{model}.{name} ({unit})", getattr(instance, name))


def check_finite(model: str, names_and_units: dict[str, str], instance: Any) -> None:
    """Raise unless each named parameter is finite (potentials, couplings that may have either sign)."""
    for name, unit in names_and_units.items():
        require_finite(f"{model}.{name} ({unit})", getattr(instance, name))


def check_non_negative(model: str, names_and_units: dict[str, str], instance: Any) -> None:
    """Raise unless each named parameter is finite and >= 0 (refractory periods, jump sizes)."""
    for name, unit in names_and_units.items():
        require_non_negative(f"{model}.{name} ({unit})", getattr(instance, name))


def check_above(model: str, name: str, value: float, lower_name: str, lower: float, unit: str = "mV") -> None:
    """Raise unless ``value > lower`` (e.g. a threshold above the reset potential)."""
    if not value > lower:
        raise SpikenetError(f"{model}.{name} must be > {lower_name} = {lower} {unit}; got {value} {unit}")


def check_integration(model: str, value: str, allowed: tuple[str, ...]) -> None:
    """Raise unless ``value`` is one of the integration schemes this model supports."""
    if value not in allowed:
        raise SpikenetError(f"{model}.integration must be one of {allowed}; got {value!r}")
