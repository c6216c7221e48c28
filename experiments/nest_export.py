"""Build the same network in NEST, a second simulator independent of Brian2, from a spikenet description.

Only the part of spikenet that NEST reproduces *exactly* (same spikes, step for step) is
exported; anything else is refused with a :class:`~spikenet.validation.SpikenetError` naming
the population or projection:

* ``LIF`` (exponential Euler) receiving ``Delta('v')`` synapses -> ``iaf_psc_delta``;
* ``LIF`` (exponential Euler) receiving ``CurrentExp`` synapses, or none -> ``iaf_psc_exp``
  (one tau: ``tau_syn_ex == tau_syn_in``; two taus: the sign of the weights selects the port,
  refused when a channel's weights have both signs);
* ``SpikeSource`` -> ``spike_generator``; constant ``Network.current`` -> ``I_e``;
* explicit synapse lists, weights and delays -> ``nest.Connect(pre_ids, post_ids, "one_to_one",
  syn_spec={"weight": ..., "delay": ...})``; spikes -> ``spike_recorder``.

Refused: conductance and alpha synapses, plasticity, ``PoissonSource`` and ``PoissonInput``
(random: no two simulators draw the same spikes), time-varying currents, other neuron models,
``integration="euler"``, and the configurations listed below where the two schedules differ.

Conventions (NEST 3.10's model documentation; confirmed by tests/test_nest_parity.py)
--------------------------------------------------------------------------------------
Both simulators step on the same grid and both integrate the subthreshold membrane exactly
(spikenet's exponential Euler is exact for input held over the step; NEST's propagators are
exact for its inputs); the mapping below makes the two linear recursions identical, so the
spikes agree up to floating-point rounding (a threshold crossing within ~1e-12 mV could flip).

* **Spike times.** spikenet (like Brian2) stamps a spike with the *start* of the step whose
  integration crossed the threshold, ``s * dt``; NEST stamps the *end*, ``(s + 1) * dt``.
  :meth:`NestNetwork.spikes` returns spikenet's convention (NEST's times minus dt). A
  ``SpikeSource`` spike at step ``s`` becomes a ``spike_generator`` spike at ``(s + 1) * dt``.
* **Threshold.** NEST spikes when ``V_m >= V_th``, spikenet when ``v > v_threshold``: they
  differ only when v lands exactly on the threshold.
* **Delta synapses** (``iaf_psc_delta``). spikenet adds a delivery in step ``j`` to v after
  that step's threshold, so it acts on the integration of step ``j + 1``:
  ``v <- P (v + w) + (1 - P) v_rest``, ``P = exp(-dt / tau_m)``. NEST adds an input *after*
  propagating V and before its threshold: ``V <- P V + (1 - P) E_L + w'``. With
  ``w' = P w`` read in step ``j + 1`` the two are the same. A spike of step ``s`` with
  ``delay_steps`` D is delivered in step ``s + D`` in spikenet; NEST reads it in step
  ``s + d/dt`` (stamp ``(s + 1) dt`` plus delay ``d`` is the end of the reading step), so
  **NEST delay = (D + 1) dt** and **NEST weight = w exp(-dt / tau_m)**. spikenet's delay 0
  is thus representable.
* **Refractoriness with Delta synapses.** With R = ``refractory_steps(refractory, dt)``
  spikenet ignores the deliveries of steps ``s .. s+R-1`` and holds v for steps
  ``s+1 .. s+R-1`` (it integrates step ``s+R`` from v_reset); NEST with ``t_ref = R dt``
  discards exactly the matching inputs (read in steps ``s+1 .. s+R``) but also holds V during
  step ``s+R``. That extra held step is invisible only if integrating v_reset with no input
  leaves it unchanged, so a LIF population receiving Delta synapses is exported only when
  ``v_reset == v_rest``, it has no injected current, and R >= 1 (with R = 0 spikenet drops the
  deliveries of the spike step, overwritten by the reset, while NEST keeps them).
* **Exponential currents** (``iaf_psc_exp``). Both add a delivery of step ``j`` to the current
  after integrating v in step ``j``, so it first acts on v in step ``j + 1``; the NEST step
  reading an input is ``s + d/dt``, hence **NEST delay = D dt** (spikenet delay >= one step;
  NEST's minimum delay is dt, so delay 0 is refused). The discretisations differ: spikenet
  holds the channel current I over the step, ``dv = P20 I`` with
  ``P20 = tau_m/C (1 - e^{-dt/tau_m})``; NEST integrates the decaying current within the
  step, ``dV = P21 I`` with ``P21 = tau_s tau_m / (C (tau_s - tau_m)) (e^{-dt/tau_s} -
  e^{-dt/tau_m})`` (P21 < P20, about ``1 - dt/(2 tau_s)`` times it: the current decays
  during the step; spikenet's rule is Brian2's ``exponential_euler`` on the coupled system).
  Both currents decay by the same ``e^{-dt/tau_s}`` per step and enter v linearly, so scaling
  NEST's weights (and initial currents) by ``P20 / P21`` makes the recursions identical:
  **NEST weight = w P20/P21**. Without that scaling a PSP in NEST is smaller by that factor
  (1 % for dt 0.1 ms, tau_s 5 ms, tau_m 20 ms) and spike times drift apart.
* **Refractoriness with currents.** spikenet holds v for R - 1 steps after the spike step
  and does not gate current channels; NEST holds V for ``t_ref / dt`` steps and keeps
  integrating its synaptic currents, so **t_ref = max(R - 1, 0) dt** (exact for any v_reset
  and injected current).

Examples
--------
>>> exported = to_nest(net, spike_recorders=["exc"])        # doctest: +SKIP
>>> exported.run(500.0)                                     # ms  # doctest: +SKIP
>>> times_ms, indices = exported.spikes("exc")              # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from neurons.lif import LIF, refractory_steps
from spikenet.network import Network, Population
from spikenet.sources import SpikeSource
from spikenet.synapses import CurrentExp, Delta
from spikenet.validation import SpikenetError


def import_nest() -> Any:
    """Import PyNEST quietly (no banner), at error verbosity."""
    os.environ.setdefault("PYNEST_QUIET", "1")
    try:
        import nest
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise SpikenetError(f"NEST is not importable ({error}); install it with `pip install -e .[nest]`") from error
    nest.verbosity = nest.VerbosityLevel.ERROR
    return nest


def current_propagators(model: LIF, tau_syn: float, dt: float) -> tuple[float, float]:
    """(P20, P21): the change of v (mV) per pA of synaptic current over one step, for a current
    held constant over the step (spikenet) and for one decaying with ``tau_syn`` within it (NEST)."""
    tau_m, c = model.tau_m, model.capacitance
    p20 = tau_m / c * -math.expm1(-dt / tau_m)
    if abs(tau_syn - tau_m) <= 1e-9 * tau_m:  # the singular limit tau_syn == tau_m
        p21 = dt / c * math.exp(-dt / tau_m)
    else:
        p21 = tau_syn * tau_m / (c * (tau_syn - tau_m)) * (math.exp(-dt / tau_syn) - math.exp(-dt / tau_m))
    return p20, p21


@dataclass
class NestNetwork:
    """A NEST network built from a spikenet network (NEST's kernel holds the state: one at a time)."""

    nest: Any
    dt: float
    nodes: dict[str, Any]
    recorders: dict[str, Any] = field(default_factory=dict)
    steps_run: int = 0

    def run(self, duration_ms: float) -> None:
        """Simulate ``duration_ms`` (ms, a multiple of dt). NEST runs one step beyond (its
        recorder sees the spikes of the last step then); spikes after the duration are dropped."""
        steps = int(round(float(duration_ms) / self.dt))
        if steps < 0 or abs(steps * self.dt - float(duration_ms)) > 1e-9 * max(1.0, abs(float(duration_ms))):
            raise SpikenetError(f"duration must be a non-negative multiple of dt = {self.dt} ms; got {duration_ms!r}")
        self.nest.Simulate((self.steps_run + steps + 1) * self.dt - self.nest.biological_time)
        self.steps_run += steps

    def spikes(self, population: str) -> tuple[np.ndarray, np.ndarray]:
        """(times in ms in spikenet's convention, indices) of ``population``'s recorded spikes,
        sorted by time then index."""
        events = self.recorders[population].events
        steps = np.round(np.asarray(events["times"], dtype=np.float64) / self.dt).astype(np.int64) - 1
        indices = np.asarray(events["senders"], dtype=np.int64) - int(self.nodes[population][0].global_id)
        inside = steps < self.steps_run
        steps, indices = steps[inside], indices[inside]
        order = np.lexsort((indices, steps))
        return steps[order] * self.dt, indices[order]

    def spike_steps(self, population: str) -> tuple[np.ndarray, np.ndarray]:
        """(step indices, neuron indices) of the recorded spikes in spikenet's convention."""
        times, indices = self.spikes(population)
        return np.round(times / self.dt).astype(np.int64), indices


def _incoming(network: Network, population: Population) -> list:
    return [p for p in network.projections if p.post is population]


def _check_population(network: Network, population: Population) -> str:
    """The NEST model for ``population`` ("spike_generator", "iaf_psc_delta" or "iaf_psc_exp"), or a SpikenetError."""
    model, name = population.model, population.name
    if isinstance(model, SpikeSource):
        return "spike_generator"
    if population.is_source:
        raise SpikenetError(f"population {name!r}: {type(model).__name__} is random; NEST cannot give the same spikes "
                            "(only SpikeSource populations with explicit times are exported)")
    if type(model) is not LIF:
        raise SpikenetError(f"population {name!r}: neuron model {type(model).__name__} has no exact NEST counterpart "
                            "(only neurons.LIF is exported)")
    if model.integration != "exponential_euler":
        raise SpikenetError(f"population {name!r}: LIF integration {model.integration!r} is not NEST's exact integration; "
                            "use integration='exponential_euler'")
    for drive in network.poisson_inputs:
        if drive.population is population:
            raise SpikenetError(f"population {name!r}: PoissonInput {drive.name!r} is random; NEST cannot give the same spikes")
    for current in network.currents:
        if current.population is population and not current.is_constant:
            raise SpikenetError(f"population {name!r}: a time-varying current is not exported to NEST (constant currents only)")
    kinds = set()
    for projection in _incoming(network, population):
        synapse = projection.synapse
        if projection.plasticity is not None:
            raise SpikenetError(f"projection {projection.name!r}: plasticity ({type(projection.plasticity).__name__}) "
                                "is not exported to NEST")
        if isinstance(synapse, Delta):
            if synapse.target != "v":
                raise SpikenetError(f"projection {projection.name!r}: Delta({synapse.target!r}) has no NEST counterpart (Delta('v') only)")
            kinds.add("delta")
        elif isinstance(synapse, CurrentExp):
            kinds.add("current")
        else:
            raise SpikenetError(f"projection {projection.name!r}: {type(synapse).__name__} synapses are not exported to NEST "
                                "(Delta('v') and CurrentExp only)")
    if kinds == {"delta", "current"}:
        raise SpikenetError(f"population {name!r} receives both Delta and CurrentExp synapses: no NEST model has both")
    if kinds == {"delta"}:
        if refractory_steps(model.refractory, network.dt) < 1:
            raise SpikenetError(f"population {name!r}: with Delta synapses the refractory period must be at least one step "
                                "(with none, spikenet drops deliveries of the spike step, NEST keeps them)")
        if model.v_reset != model.v_rest or any(c.population is population for c in network.currents):
            raise SpikenetError(f"population {name!r}: with Delta synapses NEST's iaf_psc_delta matches spikenet only when "
                                "v_reset == v_rest and no current is injected (NEST holds V one step longer after a spike)")
        return "iaf_psc_delta"
    channels = network.channels(population)
    if len(channels) > 2:
        raise SpikenetError(f"population {name!r} has {len(channels)} CurrentExp time constants; iaf_psc_exp has two ports")
    if len(channels) == 2:
        for channel in channels:
            signs = {int(np.sign(w)) for p in _incoming(network, population) if p.synapse == channel for w in p.weights} - {0}
            if len(signs) > 1:
                raise SpikenetError(f"population {name!r}: with two CurrentExp time constants the weight sign selects NEST's "
                                    f"port, but the weights of CurrentExp(tau={channel.tau}) have both signs")
        positive = [c for c in channels if any(np.any(p.weights > 0) for p in _incoming(network, population) if p.synapse == c)]
        negative = [c for c in channels if any(np.any(p.weights < 0) for p in _incoming(network, population) if p.synapse == c)]
        if len(positive) > 1 or len(negative) > 1:
            raise SpikenetError(f"population {name!r}: two CurrentExp time constants need one with positive and one with "
                                "negative weights (NEST routes by sign)")
    return "iaf_psc_exp"


def _ports(network: Network, population: Population) -> dict[Any, str]:
    """CurrentExp channel -> "ex" or "in" (NEST's port, chosen by the sign of its weights)."""
    channels = network.channels(population)
    if len(channels) < 2:
        return {c: "both" for c in channels}
    first_positive = any(np.any(p.weights > 0) for p in _incoming(network, population) if p.synapse == channels[0])
    second_negative = any(np.any(p.weights < 0) for p in _incoming(network, population) if p.synapse == channels[1])
    if first_positive or second_negative:
        return {channels[0]: "ex", channels[1]: "in"}
    return {channels[0]: "in", channels[1]: "ex"}


def _neuron_parameters(network: Network, population: Population, kind: str) -> dict[str, Any]:
    model, dt = population.model, network.dt
    steps = refractory_steps(model.refractory, dt)
    parameters = {"C_m": model.capacitance, "tau_m": model.tau_m, "E_L": model.v_rest, "V_th": model.v_threshold,
                  "V_reset": model.v_reset, "t_ref": (steps if kind == "iaf_psc_delta" else max(steps - 1, 0)) * dt}
    if kind == "iaf_psc_exp":
        ports = _ports(network, population)
        taus = {"ex": model.tau_m / 2, "in": model.tau_m / 2}  # unused ports: any tau (away from tau_m)
        for channel, port in ports.items():
            for p in (("ex", "in") if port == "both" else (port,)):
                taus[p] = channel.tau
        parameters.update(tau_syn_ex=taus["ex"], tau_syn_in=taus["in"])
    return parameters


def to_nest(network: Network, spike_recorders: Sequence[str] = ()) -> NestNetwork:
    """Build ``network`` in NEST (``nest.ResetKernel()``, resolution dt, one thread).

    See the module docstring for what is exported and how delays, weights, refractoriness and
    spike times are mapped. Raises SpikenetError (before touching NEST) for anything NEST cannot
    reproduce exactly.

    Parameters
    ----------
    network : spikenet.Network
    spike_recorders : names of populations whose spikes to record (``NestNetwork.spikes``).
    """
    kinds = {name: _check_population(network, population) for name, population in network.populations.items()}
    dt = network.dt
    for projection in network.projections:
        if kinds[projection.post.name] == "iaf_psc_exp" and projection.n_synapses and int(projection.delay_steps.min()) < 1:
            raise SpikenetError(f"projection {projection.name!r}: a CurrentExp delivery with delay 0 acts on v in the next "
                                "step, which in NEST needs a delay of 0 ms (NEST's minimum is one step); use delay >= dt")
    unknown = sorted(set(spike_recorders) - set(network.populations))
    if unknown:
        raise SpikenetError(f"spike_recorders: no population named {unknown}")

    nest = import_nest()
    nest.ResetKernel()
    nest.local_num_threads = 1
    nest.resolution = dt
    nodes: dict[str, Any] = {}
    for name, population in network.populations.items():
        kind = kinds[name]
        if kind == "spike_generator":
            steps = population.model.steps(dt)
            indices = np.asarray(population.model.indices, dtype=np.int64)
            parameters = [{"spike_times": np.sort((steps[indices == i] + 1) * dt).tolist()} for i in range(population.size)]
            nodes[name] = nest.Create("spike_generator", population.size, params=parameters)
            continue
        nodes[name] = nest.Create(kind, population.size, params=_neuron_parameters(network, population, kind))
        model = population.model
        initial = {"V_m": population.initial.get("v", np.full(population.size, model.v_rest))}
        current = sum((c.values for c in network.currents if c.population is population), np.zeros(population.size))
        initial["I_e"] = current
        if kind == "iaf_psc_exp":
            for k, (channel, port) in enumerate(_ports(network, population).items()):
                value = population.initial.get(f"I_syn{k}")
                if value is not None and np.any(value != 0):
                    p20, p21 = current_propagators(model, channel.tau, dt)
                    if port == "both":
                        raise SpikenetError(f"population {name!r}: an initial channel current is not exported (set it to 0)")
                    initial[f"I_syn_{port}"] = value * (p20 / p21)
        nodes[name].set({key: np.asarray(values, dtype=np.float64).tolist() for key, values in initial.items()})

    for projection in network.projections:
        if not projection.n_synapses:
            continue
        post = projection.post
        if isinstance(projection.synapse, Delta):
            weights = projection.weights * math.exp(-dt / post.model.tau_m)
            delays = (projection.delay_steps.astype(np.float64) + 1.0) * dt
        else:
            p20, p21 = current_propagators(post.model, projection.synapse.tau, dt)
            weights = projection.weights * (p20 / p21)
            delays = projection.delay_steps.astype(np.float64) * dt
        first_pre = int(nodes[projection.pre.name][0].global_id)
        first_post = int(nodes[post.name][0].global_id)
        nest.Connect(np.asarray(projection.synapses.pre, dtype=np.int64) + first_pre,
                     np.asarray(projection.synapses.post, dtype=np.int64) + first_post, "one_to_one",
                     syn_spec={"synapse_model": "static_synapse", "weight": np.asarray(weights, dtype=np.float64),
                               "delay": np.asarray(delays, dtype=np.float64)})

    exported = NestNetwork(nest, dt, nodes)
    for name in spike_recorders:
        recorder = nest.Create("spike_recorder")
        nest.Connect(nodes[name], recorder)
        exported.recorders[name] = recorder
    return exported


def run_nest(network: Network, duration_ms: float, populations: Sequence[str] | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Export ``network`` to NEST, simulate ``duration_ms`` and return population name ->
    (spike times in ms, spikenet's convention; indices) for ``populations`` (default: all)."""
    names = list(network.populations) if populations is None else list(populations)
    exported = to_nest(network, spike_recorders=names)
    exported.run(duration_ms)
    return {name: exported.spikes(name) for name in names}
