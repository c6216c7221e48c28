"""ActivityCounts: exact event counts of a run, the only input the energy models take."""

from __future__ import annotations

import copy
import json
import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Callable

# Count groups keyed by population name, and by projection (or PoissonInput) name.
POPULATION_COUNTS = ("spikes", "neuron_updates", "neuron_updates_driven")
PROJECTION_COUNTS = ("synaptic_events", "delayed_events", "plasticity_updates", "external_events", "synapse_counts")
REQUIRED_FIELDS = ("dt_ms", "steps", "population_sizes", "spikes", "neuron_updates", "synaptic_events")


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
    neuron_updates_driven : dict or None
        Of those, the *driven* updates per population: the number of (neuron, step) pairs of the
        run in which an integrated neuron was driven (0 for spike sources); the rest,
        ``neuron_updates - neuron_updates_driven``, are idle updates. ``None`` means unknown
        (counts read from a file written before this field existed, or built by hand without
        it); energy models must then not assume any split.

        Definition: the update of neuron i in step t is driven when (a) the synaptic input
        delivered to neuron i in step t changes its synaptic state: for at least one of its
        synaptic channels (one per synapse model, e.g. an excitatory and an inhibitory
        conductance) or :class:`~spikenet.Delta` target variables, the value after the step's
        deliveries — over all projections, zero-delay events of step t and delayed events whose
        delay ends in step t alike, plus ``Network.poisson_input`` events — differs from the
        decayed value before them, in the run's floating-point precision; or (b) the total
        current injected into neuron i in step t (``Network.current``, all of them summed) is
        non-zero. A neuron whose events all carry weight 0, or whose weights on a channel cancel
        exactly (e.g. +w and -w in one step, where x + w - w == x), is idle in that step, and so
        is a neuron whose currents sum to 0; so is one whose input is below half a unit in the
        last place of its channel value (it changes nothing). An event counts in the step in
        which it is delivered (a spike of step s through a delay of d steps drives its targets
        in step s + d; its weight acts on the membrane from the next step on, see
        :mod:`spikenet.engine`), so the counts of consecutive runs add up.

        Why this matches what chips call active/inactive: chips that update every neuron every
        step price the update of a neuron that receives input in that step above one that
        only decays — Loihi 81 pJ active vs 52 pJ inactive (Davies et al. 2018, IEEE Micro
        38(1):82, Table 2); SANA-FE's Loihi model charges a soma access for every neuron and
        step plus a soma update for neurons with input. Input here is the synaptic input the
        neuron's dendrite accumulates in the step (exactly what (a) counts; weight-0 events
        and cancelling weights leave nothing to integrate), and a neuron with a non-zero bias
        current integrates it in every step, hence (b).
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
    neuron_updates_driven: dict[str, int] | None = None

    @property
    def duration_ms(self) -> float:
        """Simulated time in ms (steps x dt)."""
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
        """A JSON-ready dict (``dt_ms`` in ms, ``duration_ms`` in ms, every count an int);
        ``neuron_updates_driven`` is left out when unknown (``None``)."""
        return {
            "dt_ms": self.dt,
            "steps": self.steps,
            "duration_ms": self.duration_ms,
            "population_sizes": dict(self.population_sizes),
            "spikes": dict(self.spikes),
            "neuron_updates": dict(self.neuron_updates),
            **({} if self.neuron_updates_driven is None else {"neuron_updates_driven": dict(self.neuron_updates_driven)}),
            "synaptic_events": dict(self.synaptic_events),
            "delayed_events": dict(self.delayed_events),
            "plasticity_updates": dict(self.plasticity_updates),
            "external_events": dict(self.external_events),
            "synapse_counts": dict(self.synapse_counts),
            "projection_endpoints": {k: list(v) for k, v in self.projection_endpoints.items()},
        }

    @classmethod
    def from_dict(cls, data: Any, origin: str = "<memory>") -> "ActivityCounts":
        """Inverse of :meth:`to_dict` (used to re-price saved runs), validated.

        Parameters
        ----------
        data : dict
            As written by :meth:`to_dict`. ``neuron_updates_driven`` may be absent or null
            (files from before it existed): the result's field is then ``None`` (unknown).
            ``duration_ms`` is not read (it is ``steps x dt_ms``).
        origin : str
            Where ``data`` comes from (a file name), quoted in every error.

        Raises
        ------
        SpikenetError
            Naming ``origin``, the field (and key) and the allowed range, when: a required field
            is missing; ``dt_ms`` is not a finite number > 0 (ms); ``steps`` or any count is not
            a finite integer >= 0 (integral floats such as ``5.0`` are accepted); a count group
            is not an object of name -> integer; a population size is not an integer >= 1; a
            population named in ``spikes``, ``neuron_updates`` or ``neuron_updates_driven`` is
            not in ``population_sizes``; neuron updates exceed size x steps; an integrated
            population (neuron updates > 0) has more spikes than neuron updates (it spikes at
            most once per update); a spike source (no neuron updates) has more spikes than
            size x steps; driven updates exceed neuron updates; delayed events exceed the
            synaptic events of their projection; a projection endpoint is not a pair of
            population names.
        """
        from spikenet.validation import SpikenetError

        def fail(message: str) -> SpikenetError:
            return SpikenetError(f"{origin}: malformed activity counts: {message}")

        if not isinstance(data, dict):
            raise fail(f"expected an object (dict) of activity counts; got {type(data).__name__}")
        missing = [k for k in REQUIRED_FIELDS if k not in data]
        if missing:
            raise SpikenetError(f"{origin}: activity counts lack the fields {missing} (required: {list(REQUIRED_FIELDS)})")

        dt = data["dt_ms"]
        if isinstance(dt, bool) or not isinstance(dt, numbers.Real) or not math.isfinite(dt) or dt <= 0:
            raise fail(f"'dt_ms' must be a finite number > 0 (ms); got {dt!r}")
        steps = _count(data["steps"], "'steps'", fail)

        def group(name: str, minimum: int = 0) -> dict[str, int]:
            values = data.get(name, {})
            if values is None and name == "neuron_updates_driven":  # null: unknown, as if absent
                values = {}
            if not isinstance(values, dict):
                raise fail(f"{name!r} must be an object of name -> integer >= {minimum}; got {type(values).__name__}")
            result = {}
            for key, value in values.items():
                if not isinstance(key, str):
                    raise fail(f"{name!r} keys must be names (strings); got {key!r}")
                result[key] = _count(value, f"{name}[{key!r}]", fail, minimum)
            return result

        sizes = group("population_sizes", minimum=1)
        groups = {name: group(name) for name in POPULATION_COUNTS + PROJECTION_COUNTS}
        driven = groups["neuron_updates_driven"] if data.get("neuron_updates_driven") is not None else None
        for name in POPULATION_COUNTS:
            unknown = sorted(set(groups[name]) - set(sizes))
            if unknown:
                raise fail(f"{name} names populations {unknown} that are not in population_sizes {sorted(sizes)}")
        spikes, updates = groups["spikes"], groups["neuron_updates"]
        for population, size in sizes.items():
            n_updates = updates.get(population, 0)
            if n_updates > size * steps:
                raise fail(f"neuron_updates[{population!r}] must be in [0, size x steps = {size} x {steps} = {size * steps}]; "
                           f"got {n_updates}")
            n_spikes = spikes.get(population, 0)
            if n_updates > 0 and n_spikes > n_updates:
                raise fail(f"spikes[{population!r}] must be in [0, neuron_updates = {n_updates}] (an integrated neuron "
                           f"spikes at most once per update); got {n_spikes}")
            if n_updates == 0 and n_spikes > size * steps:
                raise fail(f"spikes[{population!r}] must be in [0, size x steps = {size * steps}] (a source neuron "
                           f"spikes at most once per step); got {n_spikes}")
            if driven is not None and driven.get(population, 0) > n_updates:
                raise fail(f"neuron_updates_driven[{population!r}] must be in [0, neuron_updates = {n_updates}]; "
                           f"got {driven[population]}")
        for projection, delayed in groups["delayed_events"].items():
            events = groups["synaptic_events"].get(projection)
            if events is not None and delayed > events:
                raise fail(f"delayed_events[{projection!r}] must be in [0, synaptic_events = {events}] (delayed events "
                           f"are a subset of the projection's events); got {delayed}")
        endpoints = data.get("projection_endpoints", {})
        if not isinstance(endpoints, dict):
            raise fail(f"'projection_endpoints' must be an object of name -> [pre, post]; got {type(endpoints).__name__}")
        for key, value in endpoints.items():
            if (not isinstance(value, (list, tuple)) or len(value) != 2 or not all(isinstance(v, str) for v in value)):
                raise fail(f"projection_endpoints[{key!r}] must be a pair [pre, post] of population names; got {value!r}")
        return cls(
            dt=float(dt),
            steps=steps,
            population_sizes=sizes,
            spikes=spikes,
            neuron_updates=updates,
            synaptic_events=groups["synaptic_events"],
            delayed_events=groups["delayed_events"],
            plasticity_updates=groups["plasticity_updates"],
            external_events=groups["external_events"],
            synapse_counts=groups["synapse_counts"],
            projection_endpoints={k: (v[0], v[1]) for k, v in endpoints.items()},
            neuron_updates_driven=driven,
        )

    def __add__(self, other: "ActivityCounts") -> "ActivityCounts":
        """Counts of two consecutive runs of the same network (steps and every event count add;
        ``neuron_updates_driven`` is unknown (``None``) if it is unknown in either)."""
        from spikenet.validation import SpikenetError

        if not isinstance(other, ActivityCounts):
            return NotImplemented
        if other.dt != self.dt or other.population_sizes != self.population_sizes or other.synapse_counts != self.synapse_counts:
            raise SpikenetError("ActivityCounts can only be added for runs of the same network (same dt, populations and synapses)")
        total = copy.deepcopy(self)
        total.steps += other.steps
        for group in ("spikes", "neuron_updates", "synaptic_events", "delayed_events", "plasticity_updates", "external_events"):
            mine = getattr(total, group)
            for key, value in getattr(other, group).items():
                mine[key] = mine.get(key, 0) + value
        if self.neuron_updates_driven is None or other.neuron_updates_driven is None:
            total.neuron_updates_driven = None
        else:
            for key, value in other.neuron_updates_driven.items():
                total.neuron_updates_driven[key] = total.neuron_updates_driven.get(key, 0) + value
        return total

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


def _count(value: Any, label: str, fail: Callable[[str], Exception], minimum: int = 0) -> int:
    """``value`` as a Python int if it is a finite integer >= ``minimum`` (integral floats
    accepted; booleans and strings are not), else ``fail(message)`` is raised."""
    allowed = f"must be a finite integer >= {minimum}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise fail(f"{label} {allowed}; got {value!r} ({type(value).__name__})")
    if isinstance(value, numbers.Integral):
        number = int(value)
    elif not math.isfinite(value) or value != math.floor(value):
        raise fail(f"{label} {allowed}; got {value!r}")
    else:
        number = int(value)
    if number < minimum:
        raise fail(f"{label} {allowed}; got {number}")
    return number
