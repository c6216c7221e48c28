"""ActivityCounts: exact event counts of a run, the only input the energy models take."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ActivityCounts:
    """Exact integer counts accumulated on the host (Python ints: no overflow on long runs).

    Attributes
    ----------
    dt : float
        Time step in ms.
    steps : int
        Number of simulated steps.
    population_sizes : dict
        Neurons per population (sources included).
    spikes : dict
        Spikes emitted per population.
    neuron_updates : dict
        Neuron state updates per population (size x steps for integrated populations, 0 for sources).
    synaptic_events : dict
        Synaptic events delivered per projection (one per synapse of each spike).
    delayed_events : dict
        Of those, the events that went through the delay buffer (delay >= 1 step).
    plasticity_updates : dict
        Weight/trace updates per projection (0 while no plasticity rule is attached).
    external_events : dict
        Input events from each ``Network.poisson_input`` (virtual sources, not simulated neurons).
    synapse_counts : dict
        Number of synapses per projection (static, for memory/energy models).
    projection_endpoints : dict
        (pre, post) population names per projection.
    """

    dt: float
    steps: int = 0
    population_sizes: dict[str, int] = field(default_factory=dict)
    spikes: dict[str, int] = field(default_factory=dict)
    neuron_updates: dict[str, int] = field(default_factory=dict)
    synaptic_events: dict[str, int] = field(default_factory=dict)
    delayed_events: dict[str, int] = field(default_factory=dict)
    plasticity_updates: dict[str, int] = field(default_factory=dict)
    external_events: dict[str, int] = field(default_factory=dict)
    synapse_counts: dict[str, int] = field(default_factory=dict)
    projection_endpoints: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def duration_ms(self) -> float:
        return self.steps * self.dt

    @property
    def total_spikes(self) -> int:
        return sum(self.spikes.values())

    @property
    def total_synaptic_events(self) -> int:
        return sum(self.synaptic_events.values())

    def mean_rate_hz(self, population: str) -> float:
        """Mean firing rate of a population in Hz."""
        seconds = self.duration_ms / 1000.0
        return self.spikes[population] / (self.population_sizes[population] * seconds) if seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "dt_ms": self.dt,
            "steps": self.steps,
            "duration_ms": self.duration_ms,
            "population_sizes": dict(self.population_sizes),
            "spikes": dict(self.spikes),
            "neuron_updates": dict(self.neuron_updates),
            "synaptic_events": dict(self.synaptic_events),
            "delayed_events": dict(self.delayed_events),
            "plasticity_updates": dict(self.plasticity_updates),
            "external_events": dict(self.external_events),
            "synapse_counts": dict(self.synapse_counts),
            "projection_endpoints": {k: list(v) for k, v in self.projection_endpoints.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ActivityCounts":
        """Inverse of :meth:`to_dict` (used to re-price saved runs)."""
        from spikenet.validation import SpikenetError

        required = ["dt_ms", "steps", "population_sizes", "spikes", "neuron_updates", "synaptic_events"]
        missing = [k for k in required if k not in data]
        if missing:
            raise SpikenetError(f"activity counts lack the fields {missing}")
        counts = cls(
            dt=float(data["dt_ms"]),
            steps=int(data["steps"]),
            population_sizes={k: int(v) for k, v in data["population_sizes"].items()},
            spikes={k: int(v) for k, v in data["spikes"].items()},
            neuron_updates={k: int(v) for k, v in data["neuron_updates"].items()},
            synaptic_events={k: int(v) for k, v in data["synaptic_events"].items()},
            delayed_events={k: int(v) for k, v in data.get("delayed_events", {}).items()},
            plasticity_updates={k: int(v) for k, v in data.get("plasticity_updates", {}).items()},
            external_events={k: int(v) for k, v in data.get("external_events", {}).items()},
            synapse_counts={k: int(v) for k, v in data.get("synapse_counts", {}).items()},
            projection_endpoints={k: tuple(v) for k, v in data.get("projection_endpoints", {}).items()},
        )
        for group in (counts.spikes, counts.neuron_updates, counts.synaptic_events, counts.delayed_events,
                      counts.plasticity_updates, counts.external_events):
            for key, value in group.items():
                if value < 0:
                    raise SpikenetError(f"activity count {key!r} must be >= 0; got {value}")
        return counts

    def __add__(self, other: "ActivityCounts") -> "ActivityCounts":
        """Counts of two consecutive runs of the same network (steps and every event count add)."""
        from spikenet.validation import SpikenetError

        if not isinstance(other, ActivityCounts):
            return NotImplemented
        if other.dt != self.dt or other.population_sizes != self.population_sizes or other.synapse_counts != self.synapse_counts:
            raise SpikenetError("ActivityCounts can only be added for runs of the same network (same dt, populations and synapses)")
        total = ActivityCounts.from_dict(self.to_dict())
        total.steps += other.steps
        for group in ("spikes", "neuron_updates", "synaptic_events", "delayed_events", "plasticity_updates", "external_events"):
            mine = getattr(total, group)
            for key, value in getattr(other, group).items():
                mine[key] = mine.get(key, 0) + value
        return total

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)
