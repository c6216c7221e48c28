"""EnergyReport: the priced breakdown of one run on one chip, with the citations used."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

# Breakdown categories of the terms (the stacked bars of hardware.plots).
CATEGORY = {
    "synaptic_op": "synaptic", "weight_fetch": "memory", "neuron_update": "neuron",
    "neuron_update_active": "neuron", "neuron_update_idle": "neuron", "spike_out": "routing",
    "spike_message": "routing", "routing_local": "routing", "hop_ew": "routing", "hop_ns": "routing",
    "hop_offchip": "routing", "learning_update": "learning", "synaptic_event_all_in": "all-in",
    "neuron_ms_all_in": "all-in", "row_activation": "adc_dac", "cell_read": "synaptic",
    "adc_conversion": "adc_dac", "column_read_all_in": "all-in", "mac": "compute", "ac": "compute",
    "weight_byte": "memory", "activation_byte": "memory", "static": "static", "clock": "clock",
    "management": "management", "busy_floor": "busy floor",
}
# Static: what the device draws whenever it is powered (and clocked) and waiting, whatever the
# activity: leakage/idle power and the clock tree. Everything else is dynamic: per-event energies
# and the power drawn only while running (management cores, a dense device's clocks-up floor).
# This is the split bench measurements use (dynamic = running power - idle power, Blouw 2019).
STATIC_TERMS = ("static", "clock")


@dataclass(frozen=True)
class EnergyTerm:
    """One priced term.

    Attributes
    ----------
    name : str
        Term name (a key of :data:`CATEGORY`).
    count : float
        Events counted (or W·s for a power term: the power's multiplier, see ``unit``).
    unit : str
        What ``count`` counts, e.g. ``"synaptic events"`` or ``"s x chips"``.
    unit_energy_pj : float
        Energy per counted unit in pJ (for power terms: W expressed as pJ per s... i.e. 1e12 x W).
    energy_j : float
        ``count x unit_energy`` in J.
    coefficient : str
        Which chip coefficient priced it (``section.key``).
    """

    name: str
    count: float
    unit: str
    unit_energy_pj: float
    energy_j: float
    coefficient: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class EnergyReport:
    """Energy of one run on one chip or dense device.

    Attributes
    ----------
    chip : str
    kind : str
        ``digital``, ``analog`` or ``dense``.
    scope : str
        ``per-term`` or ``all-in``.
    regime : str
        ``latency``, ``throughput`` or ``real_time`` (:mod:`hardware.regimes`): how wall time, and
        with it static energy, was set.
    terms : dict of str -> EnergyTerm
    wall_time_s : float
        Wall-clock time of the run in s (what static power is multiplied by).
    inferences : int
        Inferences the run represents (per-inference figures divide by it).
    citations : list of str
        Source of every coefficient that priced a term.
    unpriced : list of str
        Counted activity for which the chip has no sourced coefficient (the total is then a lower bound).
    notes : list of str
        Assumptions and caveats (operating point, mean-rate routing, regime...).
    """

    chip: str
    kind: str
    scope: str
    regime: str = ""
    label: str = ""
    terms: dict[str, EnergyTerm] = field(default_factory=dict)
    wall_time_s: float = 0.0
    inferences: int = 1
    citations: list[str] = field(default_factory=list)
    unpriced: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def total_j(self) -> float:
        """Energy of the whole run in J."""
        return float(sum(t.energy_j for t in self.terms.values()))

    @property
    def static_j(self) -> float:
        """Static energy in J: idle/leakage and clock power x wall time (:data:`STATIC_TERMS`)."""
        return float(sum(self.terms[t].energy_j for t in STATIC_TERMS if t in self.terms))

    @property
    def dynamic_j(self) -> float:
        """Total minus static, in J (what 'dynamic' bench measurements such as Blouw 2019 report)."""
        return self.total_j - self.static_j

    @property
    def per_inference_j(self) -> float:
        return self.total_j / self.inferences

    @property
    def dynamic_per_inference_j(self) -> float:
        return self.dynamic_j / self.inferences

    @property
    def static_per_inference_j(self) -> float:
        return self.static_j / self.inferences

    def regime_entry(self) -> dict[str, float]:
        """``{total_j, static_j, dynamic_j, latency_s}`` per inference (the main job's summary format)."""
        return {"total_j": self.per_inference_j, "static_j": self.static_per_inference_j,
                "dynamic_j": self.dynamic_per_inference_j, "latency_s": self.latency_s}

    @property
    def latency_s(self) -> float:
        """Wall time per inference in s."""
        return self.wall_time_s / self.inferences

    @property
    def edp_js(self) -> float:
        """Energy-delay product per inference in J·s."""
        return self.per_inference_j * self.latency_s

    @property
    def complete(self) -> bool:
        """False when some counted activity was left unpriced (the total is a lower bound)."""
        return not self.unpriced

    def energy(self, term: str) -> float:
        """Energy of one term in J (0 if the term is absent)."""
        return self.terms[term].energy_j if term in self.terms else 0.0

    def breakdown(self) -> dict[str, float]:
        """Energy per category (synaptic, memory, neuron, routing, learning, adc_dac, static, ...) in J."""
        out: dict[str, float] = {}
        for term in self.terms.values():
            category = CATEGORY.get(term.name, term.name)
            out[category] = out.get(category, 0.0) + term.energy_j
        return out

    def add(self, name: str, count: float, unit: str, unit_energy_pj: float, coefficient: str, citation: str) -> None:
        """Add (or accumulate into) a term and record its citation."""
        energy = float(count) * float(unit_energy_pj) * 1e-12
        if name in self.terms:
            old = self.terms[name]
            count, energy = old.count + float(count), old.energy_j + energy
        self.terms[name] = EnergyTerm(name, float(count), unit, float(unit_energy_pj), energy, coefficient)
        entry = f"{coefficient}: {citation}"
        if entry not in self.citations:
            self.citations.append(entry)

    def to_dict(self) -> dict[str, Any]:
        return {
            "chip": self.chip, "kind": self.kind, "scope": self.scope, "regime": self.regime, "label": self.label,
            "total_j": self.total_j, "dynamic_j": self.dynamic_j, "static_j": self.static_j,
            "per_inference_j": self.per_inference_j, "static_per_inference_j": self.static_per_inference_j,
            "dynamic_per_inference_j": self.dynamic_per_inference_j, "inferences": self.inferences,
            "wall_time_s": self.wall_time_s, "latency_s": self.latency_s, "edp_js": self.edp_js,
            "breakdown_j": self.breakdown(), "terms": {k: t.to_dict() for k, t in self.terms.items()},
            "complete": self.complete, "unpriced": list(self.unpriced), "notes": list(self.notes),
            "citations": list(self.citations), "extra": self.extra,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def summary(self) -> str:
        """A few readable lines: total, per inference, the largest terms."""
        lines = [f"{self.chip} ({self.kind}, {self.scope}{', ' + self.regime + ' regime' if self.regime else ''}): "
                 f"{self.total_j * 1e6:.4g} µJ per run, {self.per_inference_j * 1e6:.4g} µJ per inference "
                 f"(static {self.static_per_inference_j * 1e6:.4g}, dynamic {self.dynamic_per_inference_j * 1e6:.4g}), "
                 f"latency {self.latency_s * 1e3:.4g} ms"]
        for term in sorted(self.terms.values(), key=lambda t: -t.energy_j):
            lines.append(f"  {term.name:24s} {term.energy_j * 1e6:12.4g} µJ  ({term.count:.4g} {term.unit})")
        if self.unpriced:
            lines.append("  unpriced: " + "; ".join(self.unpriced))
        return "\n".join(lines)
