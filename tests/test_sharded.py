"""The sharded engine (spikenet.engine.shard) gives one device's results on 2, 3 and 4 devices.

Reference: the single-device engine on the same network, in float64 — every spike, recorded state,
plastic weight and count must be identical (the sharded step is the single-device step plus an
exchange of spikes; a difference means the partition, the exchange or the padding lost or moved
something). Networks: COBA (Vogels & Abbott 2005, conductance-based), Brunel (2000) with delays
and PoissonInput, COBA with pair STDP on exc->exc, and a network with a Poisson source, an explicit
spike source driven from the host, a step-wise current table and per-neuron parameters. The
devices are CPU devices forced with ``XLA_FLAGS=--xla_force_host_platform_device_count=4`` in a
subprocess (the flag must be set before jax is imported).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

WORKER = r'''
import json, os, sys
import numpy as np
import spikenet as sn
from experiments.networks import coba
from experiments.brunel2000 import build
from neurons import LIF


def mixed(floor=0):
    """floor: smallest delay (steps) between neurons and from the explicit source (3: exchange window 3)."""
    net = sn.Network(dt=0.1, seed=3)
    rng = np.random.default_rng(0)
    model = LIF(tau_m=rng.uniform(10, 30, 50), v_rest=-60.0, v_threshold=-50.0, v_reset=-60.0, refractory=2.0)
    a = net.population("a", 50, model).set_initial(v=rng.uniform(-60, -50, 50))
    b = net.population("b", 7, LIF(tau_m=20.0, v_rest=-60.0, v_threshold=-50.0, v_reset=-60.0))
    noise = net.poisson_source("noise", 30, rng.uniform(5, 50, 30))
    stimulus = net.spike_source("stimulus", 5, np.zeros(0, np.int64), np.zeros(0))
    net.connect(noise, a, sn.FixedProbability(0.3), synapse=sn.CurrentExp(tau=5.0), weight=sn.Uniform(20.0, 60.0))
    net.connect(stimulus, b, sn.AllToAll(), synapse=sn.Delta(), weight=4.0, delay=0.5)
    net.connect(a, b, sn.FixedInDegree(10), synapse=sn.Delta(), weight=sn.Uniform(0.5, 2.0),
                delay=np.maximum(rng.integers(1, 20, 7 * 10), floor) * 0.1)
    net.connect(b, a, sn.FixedProbability(0.5), synapse=sn.Delta(), weight=-1.0, delay=floor * 0.1)
    net.current(a, np.linspace(0, 300, 40)[:, None] * np.ones((1, 50)), dt_values=2.5)
    return net


def compare(label, net, duration, devices, input_spikes=None, window=None, **options):
    monitors = ([sn.SpikeMonitor(n) for n in net.populations]
                + [sn.StateMonitor(n, "v", indices=[0, p.size // 2, p.size - 1], every=0.5)
                   for n, p in net.populations.items() if not p.is_source]
                + [sn.PopulationRateMonitor(n) for n, p in net.populations.items() if not p.is_source])
    kwargs = dict(monitors=monitors, precision="float64", progress=False, seed=5, input_spikes=input_spikes)
    one = net.run(duration, **kwargs)
    report = {"label": label, "spikes": {n: int(len(t)) for n, (t, _) in one.spikes.items()}, "runs": {}}
    for d in devices:
        compiled = net.compile(precision="float64", devices=d, **options)
        many = compiled.run(duration, chunk_steps=55 if window else None, **{k: v for k, v in kwargs.items() if k != "precision"})
        problems = [] if window is None or compiled.shard_plan.window == window else [f"window {compiled.shard_plan.window}"]
        for name in one.spikes:
            for k in (0, 1):
                if not np.array_equal(one.spikes[name][k], many.spikes[name][k]):
                    problems.append(f"spikes of {name}")
        for name in one.states:
            if not np.array_equal(one.states[name]["v"], many.states[name]["v"]):
                problems.append(f"v of {name}")
        for name in one.rates:
            if not np.array_equal(one.rates[name][1], many.rates[name][1]):
                problems.append(f"rate of {name}")
        for name in one.weights:
            if not np.array_equal(one.weights[name], many.weights[name]):
                problems.append(f"weights of {name}")
        for field, value in vars(one.counts).items():
            if getattr(many.counts, field) != value:
                problems.append(f"counts.{field}: {value} vs {getattr(many.counts, field)}")
        report["runs"][str(d)] = problems
    return report


def resumed(net):
    monitor = [sn.SpikeMonitor("exc")]
    one = net.run(60.0, monitors=monitor, precision="float64", progress=False, seed=5)
    compiled = net.compile(precision="float64", devices=2)
    first = compiled.run(30.0, monitors=monitor, seed=5, progress=False)
    second = compiled.run(30.0, monitors=monitor, seed=5, progress=False, resume=first)
    joined = [np.concatenate([first.spikes["exc"][k], second.spikes["exc"][k]]) for k in (0, 1)]
    same = all(np.array_equal(joined[k], one.spikes["exc"][k]) for k in (0, 1))
    events = first.counts.synaptic_events["exc->exc"] + second.counts.synaptic_events["exc->exc"]
    problems = [] if same and events == one.counts.synaptic_events["exc->exc"] else ["resumed run differs"]
    return {"label": "resume", "spikes": {"exc": int(len(one.spikes["exc"][0]))}, "runs": {"2": problems}}


def resumed_window(net):
    """Brunel (delays 15 steps): pieces of 20.3, 13.1 and 26.6 ms (windows cut mid-way) on 3 devices."""
    monitor = [sn.SpikeMonitor("exc")]
    one = net.run(60.0, monitors=monitor, precision="float64", progress=False, seed=5)
    compiled = net.compile(precision="float64", devices=3)
    pieces, state = [], None
    for duration in (20.3, 13.1, 26.6):
        state = compiled.run(duration, monitors=monitor, seed=5, progress=False, resume=state)
        pieces.append(state)
    joined = [np.concatenate([r.spikes["exc"][k] for r in pieces]) for k in (0, 1)]
    same = all(np.array_equal(joined[k], one.spikes["exc"][k]) for k in (0, 1))
    events = sum(r.counts.synaptic_events["exc->exc"] for r in pieces)
    problems = [] if same and events == one.counts.synaptic_events["exc->exc"] else ["resumed run differs"]
    if compiled.shard_plan.window != 15:
        problems.append(f"window {compiled.shard_plan.window}")
    return {"label": "resume_window", "spikes": {"exc": int(len(one.spikes["exc"][0]))}, "runs": {"3": problems}}


def handed_over(label, net, devices, **options):
    """compile(keep_synapses=False): the same results; afterwards the counts stay, the arrays are refused."""
    counts = {p.name: p.n_synapses for p in net.projections}
    report = compare(label, net, 60.0, [devices], keep_synapses=False, **options)
    problems = report["runs"][str(devices)]
    if {p.name: p.n_synapses for p in net.projections} != counts:
        problems.append("synapse counts lost")
    attempts = (lambda: net.projections[0].weights.sum(), lambda: np.asarray(net.projections[-1].synapses.pre),
                lambda: net.projections[0].delays_ms(), lambda: net.compile(precision="float64", devices=devices + 1),
                lambda: net.compile(precision="float32"))
    for attempt in attempts:
        try:
            attempt()
        except sn.SpikenetError as error:
            if "keep_synapses=False" not in str(error):
                problems.append(f"unclear refusal: {error}")
        else:
            problems.append("handed-over synapses still usable")
    return report


stimulus = (np.repeat(np.arange(0.0, 60.0, 3.0), 5), np.tile(np.arange(5), 20))
reports = [compare("coba", coba(400, seed=1), 60.0, [2, 4]),
           compare("brunel", build(5.0, 2.0, scale=0.1), 60.0, [3, 4], window=15),
           compare("brunel_every_step", build(5.0, 2.0, scale=0.1), 60.0, [2], window=1, exchange_every=1),
           compare("brunel_window_7", build(5.0, 2.0, scale=0.1), 60.0, [2], window=7, exchange_every=7),
           compare("mixed_delayed", mixed(floor=3), 60.0, [2, 3], input_spikes={"stimulus": stimulus}, window=3),
           compare("coba_stdp", coba(400, seed=1, stdp=True), 60.0, [2, 3]),
           compare("mixed", mixed(), 60.0, [2, 4], input_spikes={"stimulus": stimulus}),
           resumed(coba(400, seed=1, stdp=True)), resumed_window(build(5.0, 2.0, scale=0.1)),
           handed_over("brunel_handed_over", build(5.0, 2.0, scale=0.1), 3, window=15),
           handed_over("coba_stdp_handed_over", coba(400, seed=1, stdp=True), 2)]
print("REPORT " + json.dumps(reports))
'''


def run_worker(code: str, devices: int = 4, timeout: int = 600) -> list:
    env = {**os.environ, "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}", "JAX_PLATFORMS": "cpu"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-4000:]
    line = next(line for line in done.stdout.splitlines() if line.startswith("REPORT "))
    return json.loads(line[len("REPORT "):])


@pytest.fixture(scope="module")
def reports():
    return {r["label"]: r for r in run_worker(WORKER)}


@pytest.mark.parametrize("label", ["coba", "brunel", "brunel_every_step", "brunel_window_7", "coba_stdp", "mixed",
                                   "mixed_delayed", "resume", "resume_window", "brunel_handed_over", "coba_stdp_handed_over"])
def test_sharded_runs_equal_one_device(reports, label):
    report = reports[label]
    assert sum(report["spikes"].values()) > 100, report["spikes"]  # the networks are active
    for devices, problems in report["runs"].items():
        assert problems == [], f"{label} on {devices} devices: {problems}"


def test_bad_device_counts_are_refused():
    code = r'''
import spikenet as sn
from experiments.networks import coba
net = coba(100, seed=1)
for bad in (0, 5, "two", 2.5, True):
    try:
        net.compile(devices=bad)
    except sn.SpikenetError as error:
        print("REFUSED", str(error).splitlines()[0])
    else:
        print("ACCEPTED", bad)
try:
    net.compile(engine="dense", devices=2)
except sn.SpikenetError as error:
    print("REFUSED", str(error).splitlines()[0])
try:
    net.compile(devices=2).run_seeds(10.0, [0, 1])
except sn.SpikenetError as error:
    print("REFUSED", str(error).splitlines()[0])
for bad in (dict(devices=2, exchange_every=2), dict(devices=2, exchange_every=0), dict(devices=2, exchange_every=1.5),
            dict(exchange_every=1), dict(devices=2, engine="dense", keep_synapses=False), dict(devices=2, keep_synapses="no")):
    try:
        net.compile(**bad)
    except sn.SpikenetError as error:
        print("REFUSED", str(error).splitlines()[0])
    else:
        print("ACCEPTED", bad)
print("ONE DEVICE", type(net.compile(devices=1)).__name__)
print("REPORT []")
'''
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=4", "JAX_PLATFORMS": "cpu"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith(("REFUSED", "ACCEPTED"))]
    assert len(lines) == 13 and all(line.startswith("REFUSED") for line in lines), lines
    assert "devices must be in [1, 4]" in lines[0] and "engine must be 'event'" in lines[5] and "run_seeds" in lines[6]
    # COBA's synapses have no delay: exchanging less often than every step would deliver late.
    assert "exchange_every must be an integer in [1, 1]" in lines[7], lines[7]
    assert all("exchange_every" in line for line in lines[8:11]), lines[8:11]
    assert "keep_synapses=False needs engine='event'" in lines[11] and "keep_synapses must be True or False" in lines[12], lines[11:]
    assert "ONE DEVICE CompiledNetwork" in done.stdout  # devices=1: the single-device engine


def test_shard_widths_counted_equal_the_built_shards():
    """The widths every shard's rows are padded to, counted from the whole network's synapses
    (``floors_from_degrees``, used for static networks instead of building every shard twice), equal
    those of the shards built and compiled unpadded (``shard_floors``, merged) — for COBA (no delays),
    Brunel (delays) and a network with Poisson and explicit sources, delayed and undelayed, on 2 and 3 shards."""
    import numpy as np

    import spikenet as sn
    from experiments.brunel2000 import build
    from experiments.networks import coba
    from neurons import LIF
    from spikenet.engine.compiled import CompiledNetwork
    from spikenet.engine.partition import floors_from_degrees, local_sizes, merge_floors, partition, shard_floors, shard_network

    mixed = sn.Network(dt=0.1, seed=3)
    rng = np.random.default_rng(0)
    a = mixed.population("a", 50, LIF(tau_m=20.0, v_rest=-60.0, v_threshold=-50.0, v_reset=-60.0))
    b = mixed.population("b", 7, LIF(tau_m=20.0, v_rest=-60.0, v_threshold=-50.0, v_reset=-60.0))
    noise = mixed.poisson_source("noise", 30, 20.0)
    stimulus = mixed.spike_source("stimulus", 5, np.zeros(0, np.int64), np.zeros(0))
    mixed.connect(noise, a, sn.FixedProbability(0.3), synapse=sn.CurrentExp(tau=5.0), weight=30.0)
    mixed.connect(stimulus, b, sn.AllToAll(), synapse=sn.Delta(), weight=4.0, delay=0.5)
    mixed.connect(a, b, sn.FixedInDegree(10), synapse=sn.Delta(), weight=1.0, delay=rng.integers(1, 20, 70) * 0.1)
    mixed.connect(b, a, sn.FixedProbability(0.5), synapse=sn.Delta(), weight=-1.0)
    for net in (coba(400, seed=1), build(5.0, 2.0, scale=0.1), mixed):
        for shards in (2, 3):
            bounds = partition(net, shards)
            local = local_sizes(bounds)
            built = merge_floors([shard_floors(CompiledNetwork(shard_network(net, d, bounds, local)[0], floors={}))
                                  for d in range(shards)])
            assert floors_from_degrees(net, bounds) == built
    assert floors_from_degrees(coba(100, seed=1, stdp=True), partition(coba(100, seed=1, stdp=True), 2)) is None


GATHER_WORKER = r'''
import json
import jax, jax.numpy as jnp, numpy as np
from jax import lax
from spikenet.engine.exchange import gather_words, in_process_exchange

assert in_process_exchange()
mesh = jax.sharding.Mesh(np.array(jax.devices()), ("shards",))
spec = jax.sharding.PartitionSpec("shards")
reports = {}
for dependent in (True, False):
    def body(words, use_native):
        def step(carry, _):
            words, order, total = carry
            if use_native:
                gathered, order = gather_words(words, "shards", 4, order)
            else:
                gathered = lax.all_gather(words, "shards")
            total = total ^ gathered.reshape(-1)
            # the next step's words depend on this exchange (dependent) or only on the shard's own words
            words = words * jnp.uint32(1664525) + (gathered[(lax.axis_index("shards") + 1) % 4] if dependent else jnp.uint32(1013904223))
            return (words, order, total), gathered
        init = (words[0], jnp.zeros(1, jnp.int32), jnp.zeros(4 * words.shape[1], jnp.uint32))
        (_, _, total), history = lax.scan(step, init, None, length=50, unroll=4)
        return total[None], history[None]
    words = jnp.asarray(np.random.default_rng(1).integers(0, 2**32, (4, 37), dtype=np.uint64).astype(np.uint32))
    runs = [jax.jit(jax.shard_map(lambda w, n=n: body(w, n), mesh=mesh, in_specs=spec, out_specs=spec, check_vma=False))(words)
            for n in (True, False)]
    reports[str(dependent)] = [bool(np.array_equal(np.asarray(a), np.asarray(b))) for a, b in zip(*runs)]
print("REPORT " + json.dumps(reports))
'''


def test_native_gather_equals_all_gather():
    """The in-process exchange (spikenet.engine.exchange.gather_words: a spinning barrier between the
    device threads) against XLA's ``lax.all_gather`` on 4 forced CPU devices (more devices than
    cores): 50 exchanges, four per loop iteration, where each step's words depend on the previous
    exchange and where they do not (then only their ``order`` chain orders them: without it, the
    engine with a no-op delivery once ran them in different orders on two devices, which waited
    for each other until the timeout)."""
    report = run_worker(GATHER_WORKER, timeout=300)
    assert report == {"True": [True, True], "False": [True, True]}, report
