"""ActivityCounts.from_dict validates a counts file: every bad field is a SpikenetError naming the
file (``origin``), the field and the allowed range — never a raw OverflowError/ValueError/TypeError —
and every file the project ships or writes stays valid."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any, Callable

import pytest

import spikenet as sn
from spikenet.counts import ActivityCounts

DATA = Path(__file__).parent / "experiments" / "data"
SHIPPED = sorted(DATA.glob("*/counts.json")) + sorted(DATA.glob("*/activity_counts.json"))
ORIGIN = "runs/x/activity_counts.json"

VALID: dict[str, Any] = {
    "dt_ms": 0.1,
    "steps": 100,
    "duration_ms": 10.0,
    "population_sizes": {"src": 4, "exc": 10},
    "spikes": {"src": 30, "exc": 50},
    "neuron_updates": {"src": 0, "exc": 1000},
    "neuron_updates_driven": {"src": 0, "exc": 400},
    "synaptic_events": {"src->exc": 300},
    "delayed_events": {"src->exc": 100},
    "plasticity_updates": {"src->exc": 0},
    "external_events": {"poisson_input:exc#0": 12},
    "synapse_counts": {"src->exc": 40},
    "projection_endpoints": {"src->exc": ["src", "exc"]},
}
COUNT_GROUPS = {"spikes": "exc", "neuron_updates": "exc", "neuron_updates_driven": "exc", "synaptic_events": "src->exc",
                "delayed_events": "src->exc", "plasticity_updates": "src->exc",
                "external_events": "poisson_input:exc#0", "synapse_counts": "src->exc"}


def _with(path: tuple, value: Any) -> dict[str, Any]:
    """VALID with ``data[path[0]][path[1]]... = value`` (``value`` DELETE removes the entry)."""
    data = copy.deepcopy(VALID)
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


DELETE = object()
NOT_COUNTS = [-1, 2.5, math.inf, -math.inf, math.nan, "5", True, None, [3]]


def _cases() -> list:
    cases = []
    for field in ("dt_ms", "steps", "population_sizes", "spikes", "neuron_updates", "synaptic_events"):
        cases.append(pytest.param(_with((field,), DELETE), rf"lack the fields \['{field}'\]", id=f"missing-{field}"))
    for value in [math.nan, math.inf, -math.inf, 0, 0.0, -0.1, "0.1", True, False, None, [0.1]]:
        cases.append(pytest.param(_with(("dt_ms",), value), r"'dt_ms' must be a finite number > 0 \(ms\)",
                                  id=f"dt_ms={value!r}"))
    for value in NOT_COUNTS:
        cases.append(pytest.param(_with(("steps",), value), r"'steps' must be a finite integer >= 0", id=f"steps={value!r}"))
    for group, key in COUNT_GROUPS.items():
        for value in NOT_COUNTS:
            cases.append(pytest.param(_with((group, key), value), rf"{group}\['{key}'\] must be a finite integer >= 0",
                                      id=f"{group}={value!r}"))
        for value in ([1, 2], "many", 7, None):
            if group == "neuron_updates_driven" and value is None:
                continue  # null means unknown (tested as accepted)
            cases.append(pytest.param(_with((group,), value), rf"'{group}' must be an object of name -> integer >= 0",
                                      id=f"{group}-not-a-dict-{value!r}"))
        cases.append(pytest.param(_with((group,), {1: 5}), rf"'{group}' keys must be names", id=f"{group}-int-key"))
    for value in [0, -1, 2.5, math.inf, "10", True, None]:
        cases.append(pytest.param(_with(("population_sizes", "exc"), value),
                                  r"population_sizes\['exc'\] must be a finite integer >= 1", id=f"size={value!r}"))
    cases.append(pytest.param(_with(("population_sizes",), [4, 10]), r"'population_sizes' must be an object of name -> "
                              r"integer >= 1", id="sizes-not-a-dict"))
    cases += [
        pytest.param(_with(("spikes", "exc"), 1001),
                     r"spikes\['exc'\] must be in \[0, neuron_updates = 1000\]", id="spikes>updates"),
        pytest.param(_with(("spikes", "src"), 401), r"spikes\['src'\] must be in \[0, size x steps = 400\]",
                     id="source-spikes>size*steps"),
        pytest.param(_with(("neuron_updates", "exc"), 1001),
                     r"neuron_updates\['exc'\] must be in \[0, size x steps = 10 x 100 = 1000\]", id="updates>size*steps"),
        pytest.param(_with(("neuron_updates_driven", "exc"), 1001),
                     r"neuron_updates_driven\['exc'\] must be in \[0, neuron_updates = 1000\]", id="driven>updates"),
        pytest.param(_with(("neuron_updates_driven", "src"), 1),
                     r"neuron_updates_driven\['src'\] must be in \[0, neuron_updates = 0\]", id="driven-source"),
        pytest.param(_with(("delayed_events", "src->exc"), 301),
                     r"delayed_events\['src->exc'\] must be in \[0, synaptic_events = 300\]", id="delayed>events"),
        pytest.param(_with(("projection_endpoints", "src->exc"), ["src"]),
                     r"projection_endpoints\['src->exc'\] must be a pair \[pre, post\]", id="endpoints-length"),
        pytest.param(_with(("projection_endpoints", "src->exc"), [1, 2]),
                     r"projection_endpoints\['src->exc'\] must be a pair \[pre, post\]", id="endpoints-types"),
        pytest.param(_with(("projection_endpoints",), ["src", "exc"]),
                     r"'projection_endpoints' must be an object", id="endpoints-not-a-dict"),
    ]
    for group in ("spikes", "neuron_updates", "neuron_updates_driven"):
        cases.append(pytest.param(_with((group, "ghost"), 0),
                                  rf"{group} names populations \['ghost'\] that are not in population_sizes",
                                  id=f"{group}-unknown-population"))
    return cases


@pytest.mark.parametrize("data, says", _cases())
def test_bad_counts_are_rejected_naming_the_file_field_and_range(data, says):
    with pytest.raises(sn.SpikenetError, match=says) as caught:
        ActivityCounts.from_dict(data, origin=ORIGIN)
    assert str(caught.value).startswith(ORIGIN + ": ")


@pytest.mark.parametrize("data", [[1, 2, 3], "counts", None, 5])
def test_counts_that_are_not_an_object_are_rejected(data):
    with pytest.raises(sn.SpikenetError, match=rf"^{ORIGIN}: .*expected an object"):
        ActivityCounts.from_dict(data, origin=ORIGIN)


@pytest.mark.parametrize("text, says", [
    ('"steps": 1e400', r"'steps' must be a finite integer >= 0; got inf"),
    ('"steps": -1e400', r"'steps' must be a finite integer >= 0; got -inf"),
    ('"dt_ms": 1e400', r"'dt_ms' must be a finite number > 0 \(ms\); got inf"),
    ('"dt_ms": NaN', r"'dt_ms' must be a finite number > 0 \(ms\); got nan"),
    ('"spikes": {"exc": 1e400}', r"spikes\['exc'\] must be a finite integer >= 0; got inf"),
    ('"spikes": {"exc": Infinity}', r"spikes\['exc'\] must be a finite integer >= 0; got inf"),
])
def test_overflowing_json_numbers_give_a_spikenet_error(text, says):
    """``json`` parses 1e400 as inf (and accepts NaN/Infinity): never an OverflowError from int()."""
    key = text.split(":")[0].strip('"')
    data = {k: v for k, v in VALID.items() if k != key}
    source = json.dumps(data)[:-1] + ", " + text + "}"
    with pytest.raises(sn.SpikenetError, match=says):
        ActivityCounts.from_dict(json.loads(source), origin=ORIGIN)


def test_default_origin_is_named_in_the_error():
    with pytest.raises(sn.SpikenetError, match=r"^<memory>: .*'steps'"):
        ActivityCounts.from_dict(_with(("steps",), -3))


def test_a_valid_file_is_read_exactly():
    counts = ActivityCounts.from_dict(copy.deepcopy(VALID), origin=ORIGIN)
    assert counts.dt == 0.1 and counts.steps == 100
    assert counts.population_sizes == {"src": 4, "exc": 10}
    assert counts.neuron_updates_driven == {"src": 0, "exc": 400}
    assert counts.projection_endpoints == {"src->exc": ("src", "exc")}
    assert counts.to_dict() == VALID


@pytest.mark.parametrize("edit", [
    lambda d: d.update(steps=100.0),                       # integral floats are integers
    lambda d: d["spikes"].update(exc=50.0),
    lambda d: d.update(neuron_updates_driven=None),        # null: unknown
    lambda d: d.pop("neuron_updates_driven"),              # absent: unknown (files from before the field)
    lambda d: [d.pop(k) for k in ("delayed_events", "plasticity_updates", "external_events", "synapse_counts",
                                  "projection_endpoints", "duration_ms")],
    lambda d: d.update(steps=0, spikes={}, neuron_updates={}, neuron_updates_driven={}, synaptic_events={},
                       delayed_events={}),                 # an empty run
    lambda d: d["spikes"].update(exc=1000, src=400),       # the bounds themselves
    lambda d: d["neuron_updates_driven"].update(exc=1000),
    lambda d: d.update(steps=10**30, neuron_updates={"src": 0, "exc": 10**31}),  # Python ints: no overflow
])
def test_edge_cases_that_stay_valid(edit: Callable[[dict], Any]):
    data = copy.deepcopy(VALID)
    edit(data)
    counts = ActivityCounts.from_dict(data, origin=ORIGIN)
    assert isinstance(counts.steps, int) and all(isinstance(v, int) for v in counts.spikes.values())
    if data.get("neuron_updates_driven") is None:
        assert counts.neuron_updates_driven is None and "neuron_updates_driven" not in counts.to_dict()


def test_the_shipped_example_files_are_valid():
    assert len(SHIPPED) == 2
    for path in SHIPPED:
        data = json.loads(path.read_text())
        counts = ActivityCounts.from_dict(data, origin=str(path))
        assert counts.neuron_updates_driven is None  # written before the field existed
        assert counts.steps == data["steps"] and counts.dt == data["dt_ms"]
        written = counts.to_dict()
        for key, value in data.items():
            assert written[key] == value, (path, key)
