"""Chip models as data: per-event energies, powers, timings and structural limits, each cited.

A chip is described by a plain mapping (a JSON file, or the Python data in the ``presets_*``
modules) with the sections below; :func:`chip_from_dict` validates it and names the file and
the field in every error.

.. code-block:: json

    {"name": "loihi", "kind": "digital", "description": "...", "routing": "unicast",
     "energy":  {"synaptic_op": {"value": 23.6, "unit": "pJ", "node": "...", "basis": "simulated",
                                 "scope": "per-term", "source": "Davies 2018 Table 2", "grade": "B"}},
     "power":   {"static_per_chip": {...}}, "timing": {...}, "limits": {"neurons_per_core": {...}},
     "analog":  {...}, "operating_point": {...}}
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from typing import Any

from hardware.coefficients import Coefficient, HardwareModelError, coefficient_from_dict

KINDS = ("digital", "analog", "dense")
REGIMES = ("latency", "throughput", "real_time")
ROUTING = ("unicast", "multicast_tree", "none")
NOISE_MODELS = ("none", "pcm_nandakumar2019", "rram_wan2022")

TOP_LEVEL_FIELDS = {"name", "kind", "description", "routing", "noise_model", "native_regime", "label",
                    "calibration", "validation"}

# Allowed keys per section: a typo in a chip file is an error, never a silently ignored term.
SECTION_KEYS: dict[str, dict[str, str]] = {
    "energy": {
        "synaptic_op": "per synaptic event (energy)",
        "weight_fetch": "per synaptic event, when the source prices the weight read separately (energy)",
        "neuron_update": "per neuron update, active or not (energy)",
        "neuron_update_active": "per neuron update of a driven neuron (energy)",
        "neuron_update_idle": "per neuron update of an undriven neuron (energy)",
        "spike_out": "per spike emitted by a neuron on a core (energy)",
        "spike_message": "per spike message sent to one destination core (energy)",
        "routing_local": "per message delivered inside the sending tile (energy)",
        "hop_ew": "per east-west router hop (energy)",
        "hop_ns": "per north-south router hop (energy)",
        "hop_offchip": "per chip-to-chip crossing (energy)",
        "learning_update": "per plasticity (weight) update (energy)",
        "synaptic_event_all_in": "all-in energy per synaptic event (energy)",
        "neuron_ms_all_in": "all-in energy per neuron per ms of simulated time (energy)",
        "row_activation": "analog: per crossbar row driven by an input spike (DAC + row) (energy)",
        "cell_read": "analog: per cell on a driven row (energy)",
        "adc_conversion": "analog: per column conversion (energy)",
        "column_read_all_in": "analog: per column read incl. ADC and periphery (energy)",
        "mac": "dense: per multiply-accumulate (energy)",
        "ac": "dense: per accumulate (energy)",
        "weight_byte": "dense: per byte of weights read from off-chip memory (DRAM/HBM) (energy)",
        "weight_byte_onchip": "dense: per byte of weights read from on-chip memory (cache/L2/SRAM) (energy)",
        "activation_byte": "dense: per byte of activations read or written (energy)",
    },
    "power": {
        "static_per_chip": "leakage/idle power per chip: drawn whenever the chip is powered (power; static)",
        "management": "management/host-core power while running, above idle (power; dynamic)",
        "clock_per_mhz": "clock-tree/idle power per MHz of clock, drawn while clocked (power per frequency; static)",
        "busy_floor": "dense: power above idle while executing, whatever the utilisation (clocks up) (power; dynamic)",
        "tdp": "dense: thermal design power, the power at full load (power)",
    },
    "timing": {
        "synaptic_op": "time per synaptic op on one core (time)",
        "neuron_update": "time per (active) neuron update on one core (time)",
        "neuron_update_idle": "time per idle neuron update on one core (time)",
        "min_step": "shortest time step the chip can run, whatever the load (time)",
        "barrier": "time-step barrier synchronisation (time)",
        "hop": "time per router hop (time)",
        "tile_read": "analog: time per crossbar read (time)",
        "mac": "dense: time per MAC at the stated throughput (time)",
        "weight_byte": "dense: time per byte of weights at the off-chip memory bandwidth (time)",
        "weight_byte_onchip": "dense: time per byte of weights at the on-chip memory bandwidth (time)",
        "launch_floor": "dense: shortest time of one kernel (launch and synchronisation) at batch 1 (time)",
        "framework_floor": "dense: fixed per-inference overhead of the serving framework at batch 1 (time)",
    },
    "limits": {
        "neurons_per_core": "neurons (compartments) per core",
        "synapses_per_core": "synapses stored per core",
        "synapse_memory_bits_per_core": "synaptic memory per core in bits (synapses x weight_bits must fit)",
        "fan_in_per_core": "distinct input axons (pre-synaptic neurons) per core",
        "fan_out_per_core": "output axons per core (neuron -> destination core pairs)",
        "max_target_cores_per_neuron": "destination cores one neuron can reach",
        "weight_bits": "weight precision in bits (signed)",
        "cores_per_chip": "cores (or crossbar tiles) per chip",
        "mesh_cols": "router mesh columns (tiles) per chip",
        "mesh_rows": "router mesh rows (tiles) per chip",
        "cores_per_tile": "cores sharing one router",
        "max_chips": "largest system the model supports",
        "onchip_memory_bytes": "dense: bytes of on-chip memory (cache/L2) that can hold the weights",
        "max_batch": "dense: largest batch considered in the throughput regime",
    },
    "analog": {
        "tile_rows": "crossbar rows (inputs) per tile",
        "tile_weight_cols": "weights per crossbar row (outputs per tile)",
        "devices_per_weight": "memory devices holding one signed weight",
        "adc_columns_per_weight": "ADC conversions per weight column per read",
        "conductance_levels": "programmable conductance levels per device",
        "g_max": "largest device conductance (µS)",
        "adc_bits": "ADC resolution (bits)",
        "input_bits": "DAC / input resolution (bits)",
    },
    "operating_point": {
        "clock_mhz": "clock frequency (frequency)",
        "supply_v": "supply voltage",
        "mean_rate_hz": "mean firing rate at which an all-in figure was measured",
        "synapses_per_neuron": "active synapses per neuron at which an all-in figure was measured",
    },
}


@dataclass(frozen=True)
class ChipModel:
    """A chip (or dense device) as data.

    Attributes
    ----------
    name : str
        Preset name, e.g. ``"loihi"``.
    kind : str
        ``digital`` (event-driven cores), ``analog`` (crossbar tiles) or ``dense`` (GPU/CPU).
    description : str
        One line for tables and plots.
    energy, power, timing, limits, analog, operating_point : dict of str -> Coefficient
        The sections of :data:`SECTION_KEYS`.
    routing : str
        ``unicast`` (one message per destination core), ``multicast_tree`` (the union of the
        dimension-ordered paths) or ``none`` (routing not modelled).
    noise_model : str
        Analog device model: ``none``, ``pcm_nandakumar2019`` or ``rram_wan2022``.
    native_regime : str
        The regime the device is normally run in and validated for (``latency``, ``throughput``
        or ``real_time``; see :mod:`hardware.regimes`): ``real_time`` for TrueNorth, SpiNNaker and
        ODIN, which tick at biological time; ``latency`` for Loihi and dense devices.
    label : str
        Caveat to print beside every number of this chip (e.g. its grade).
    origin : str
        The file or preset it was read from.
    calibration : tuple of str
        The measurements (or simulations, datasheets) the coefficients were taken or fitted from.
    validation : tuple of str
        Published measurements the coefficients were *not* derived from and that the model is
        tested against (``tests/hardware/test_validation.py``); empty when none exists.
    """

    name: str
    kind: str
    description: str
    energy: dict[str, Coefficient]
    power: dict[str, Coefficient] = field(default_factory=dict)
    timing: dict[str, Coefficient] = field(default_factory=dict)
    limits: dict[str, Coefficient] = field(default_factory=dict)
    analog: dict[str, Coefficient] = field(default_factory=dict)
    operating_point: dict[str, Coefficient] = field(default_factory=dict)
    routing: str = "unicast"
    noise_model: str = "none"
    native_regime: str = "latency"
    label: str = ""
    calibration: tuple[str, ...] = ()
    validation: tuple[str, ...] = ()
    origin: str = "<memory>"

    # -- derived facts -----------------------------------------------------------------
    @property
    def scope(self) -> str:
        """``all-in`` if the chip's energy is priced by all-in figures, else ``per-term``."""
        return "all-in" if any(c.scope == "all-in" for c in self.energy.values()) else "per-term"

    def limit(self, key: str) -> int | None:
        """A structural limit as an int, or None if the chip does not state it."""
        coefficient = self.limits.get(key)
        return None if coefficient is None else int(round(coefficient.value))

    def analog_value(self, key: str) -> float:
        if key not in self.analog:
            raise HardwareModelError(f"chip {self.name!r} ({self.origin}) has no analog field {key!r}")
        return float(self.analog[key].value)

    def at_operating_point(self, **values: float) -> "ChipModel":
        """A copy with some ``operating_point`` values changed (e.g. ``clock_mhz=1.3``), sources kept.

        Changing ``supply_v`` rescales every per-event energy and the static and clock power by
        ``(V / V0)**2`` (dynamic energy is CV^2; leakage power is taken to follow the same square,
        a first-order rule validated for TrueNorth between 0.70 and 1.05 V in
        tests/hardware/test_validation.py). Only per-term models scale with an operating point;
        an all-in chip raises, since its figure holds at its published point only.
        """
        if self.scope == "all-in":
            raise HardwareModelError(f"chip {self.name!r} is priced by all-in figures measured at one operating point")
        point = dict(self.operating_point)
        chip = self
        for key, value in values.items():
            if key not in point:
                raise HardwareModelError(f"chip {self.name!r} has no operating_point.{key}; known: {sorted(point)}")
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0 or value == float("inf"):
                raise HardwareModelError(f"operating_point.{key} must be a finite number > 0; got {value!r}")
            if key == "supply_v":
                factor = (float(value) / point[key].value) ** 2
                note = f"scaled x {factor:.4g} as (V / {point[key].value:g} V)^2 to {float(value):g} V"
                energy = {k: replace(c, value=c.value * factor, note=(c.note + "; " if c.note else "") + note)
                          for k, c in chip.energy.items()}
                power = {k: replace(c, value=c.value * factor, note=(c.note + "; " if c.note else "") + note)
                         if k in ("static_per_chip", "clock_per_mhz") else c for k, c in chip.power.items()}
                chip = replace(chip, energy=energy, power=power)
            point[key] = replace(point[key], note=f"changed from {point[key].value:g} by the user", value=float(value))
        return replace(chip, operating_point=point)

    def all_coefficients(self) -> dict[str, Coefficient]:
        out: dict[str, Coefficient] = {}
        for section in SECTION_KEYS:
            for key, coefficient in getattr(self, section).items():
                out[f"{section}.{key}"] = coefficient
        return out

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "kind": self.kind, "description": self.description,
                                "routing": self.routing, "noise_model": self.noise_model,
                                "native_regime": self.native_regime, "label": self.label,
                                "calibration": list(self.calibration), "validation": list(self.validation)}
        for section in SECTION_KEYS:
            data[section] = {k: c.to_dict() for k, c in getattr(self, section).items()}
        return data


def check_scopes(chip: ChipModel) -> None:
    """Raise if the chip combines all-in energy/power figures with per-term ones."""
    priced = {f"energy.{k}": c for k, c in chip.energy.items()}
    priced.update({f"power.{k}": c for k, c in chip.power.items()})
    all_in = sorted(k for k, c in priced.items() if c.scope == "all-in")
    per_term = sorted(k for k, c in priced.items() if c.scope == "per-term")
    if all_in and per_term:
        raise HardwareModelError(
            f"{chip.origin}: chip {chip.name!r} mixes all-in coefficients {all_in} with per-term coefficients "
            f"{per_term}; an all-in figure already contains the other terms (double counting)"
        )


def chip_from_dict(data: Any, origin: str = "<memory>", allow_unverified: bool = False) -> ChipModel:
    """Validate a chip description and build a :class:`ChipModel`.

    Parameters
    ----------
    data : dict
        The description (see the module docstring).
    origin : str
        File name or preset name, quoted in every error.
    allow_unverified : bool
        Accept grade-U coefficients (never allowed in shipped presets).

    Raises
    ------
    HardwareModelError
        Naming ``origin`` and the field: missing name/kind/energy, unknown section keys, a
        coefficient missing a field or unit, mixed scopes, or a grade-U number.
    """
    if not isinstance(data, dict):
        raise HardwareModelError(f"{origin}: a chip description must be a JSON object; got {type(data).__name__}")
    for required in ("name", "kind", "description", "energy"):
        if required not in data:
            raise HardwareModelError(f"{origin}: chip description is missing the field {required!r}")
    kind = data["kind"]
    if kind not in KINDS:
        raise HardwareModelError(f"{origin}: field 'kind' must be one of {KINDS}; got {kind!r}")
    sections: dict[str, dict[str, Coefficient]] = {}
    for section, allowed in SECTION_KEYS.items():
        raw = data.get(section, {})
        if not isinstance(raw, dict):
            raise HardwareModelError(f"{origin}: field {section!r} must be an object")
        unknown = sorted(set(raw) - set(allowed))
        if unknown:
            raise HardwareModelError(f"{origin}: unknown key(s) {unknown} in {section!r}; allowed: {sorted(allowed)}")
        sections[section] = {k: coefficient_from_dict(v, origin, f"{section}.{k}") for k, v in raw.items()}
    if not sections["energy"]:
        raise HardwareModelError(f"{origin}: field 'energy' must hold at least one coefficient")
    routing = data.get("routing", "unicast" if kind == "digital" else "none")
    if routing not in ROUTING:
        raise HardwareModelError(f"{origin}: field 'routing' must be one of {ROUTING}; got {routing!r}")
    noise_model = data.get("noise_model", "none")
    if noise_model not in NOISE_MODELS:
        raise HardwareModelError(f"{origin}: field 'noise_model' must be one of {NOISE_MODELS}; got {noise_model!r}")
    native_regime = data.get("native_regime", "latency")
    if native_regime not in REGIMES:
        raise HardwareModelError(f"{origin}: field 'native_regime' must be one of {REGIMES}; got {native_regime!r}")
    unknown_fields = sorted(set(data) - TOP_LEVEL_FIELDS - set(SECTION_KEYS))
    if unknown_fields:
        raise HardwareModelError(f"{origin}: unknown field(s) {unknown_fields}; allowed: "
                                 f"{sorted(TOP_LEVEL_FIELDS | set(SECTION_KEYS))}")
    _check_dimensions(sections, origin)
    chip = ChipModel(name=str(data["name"]), kind=kind, description=str(data["description"]),
                     routing=routing, noise_model=noise_model, native_regime=native_regime,
                     label=str(data.get("label", "")), origin=origin,
                     calibration=_strings(data.get("calibration", ()), origin, "calibration"),
                     validation=_strings(data.get("validation", ()), origin, "validation"), **sections)
    check_scopes(chip)
    if not allow_unverified:
        unverified = sorted(k for k, c in chip.all_coefficients().items() if c.grade == "U")
        if unverified:
            raise HardwareModelError(
                f"{origin}: coefficients {unverified} are grade U (unverified) and cannot be used by default; "
                "pass allow_unverified=True to use them knowingly"
            )
    if kind == "analog":
        for key in ("tile_rows", "tile_weight_cols", "devices_per_weight", "adc_columns_per_weight"):
            if key not in chip.analog:
                raise HardwareModelError(f"{origin}: analog chip is missing the field 'analog.{key}'")
    return chip


def _strings(value: Any, origin: str, key: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise HardwareModelError(f"{origin}: field {key!r} must be a list of strings (sources); got {value!r}")
    return tuple(value)


_EXPECTED_DIMENSION = {"energy": ("energy", "energy_per_byte"), "power": ("power", "power_per_frequency"), "timing": ("time",)}


def _check_dimensions(sections: dict[str, dict[str, Coefficient]], origin: str) -> None:
    for section, dimensions in _EXPECTED_DIMENSION.items():
        for key, coefficient in sections[section].items():
            if coefficient.dimension not in dimensions:
                raise HardwareModelError(
                    f"{origin}: {section}.{key} has unit {coefficient.unit!r}; expected a unit of {dimensions}"
                )
    clock = sections["power"].get("clock_per_mhz")
    if clock is not None and clock.dimension != "power_per_frequency":
        raise HardwareModelError(f"{origin}: power.clock_per_mhz must be in µW/MHz or mW/MHz")


def load_chip(path: str | os.PathLike, allow_unverified: bool = False) -> ChipModel:
    """Read a chip description from a JSON file (parsed with :func:`json.load`, nothing executed).

    Raises
    ------
    HardwareModelError
        If the file is not valid JSON or misses a field; the message names the file and the field.
    """
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except json.JSONDecodeError as error:
        raise HardwareModelError(f"{path}: not valid JSON ({error})") from None
    except OSError as error:
        raise HardwareModelError(f"cannot read chip file {path}: {error}") from None
    return chip_from_dict(data, origin=path, allow_unverified=allow_unverified)
