"""The public face of the engine: :class:`CompiledNetwork` (``run``, ``run_seeds``,
``run_sweep``, state accessors) and :class:`Result`."""

from __future__ import annotations

import itertools
from contextlib import nullcontext
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from spikenet.engine import params, runner, state
from spikenet.engine.delivery import delivery_strategy
from spikenet.engine.layout import Layout
from spikenet.engine.leaves import leaf_names
from spikenet.engine.result import Result
from spikenet.engine.step import StepPlan
from spikenet.model_checks import check_user_models
from spikenet.neuron_protocol import SynapticDrive
from spikenet.network import Network
from spikenet.plasticity import on_step_takes_context
from spikenet.validation import SpikenetError, check_seed

PRECISIONS = {"float32": np.float32, "float64": np.float64}
ENGINES = ("event", "dense")


class CompiledNetwork:
    """A network turned into jitted step functions; create with :meth:`Network.compile`.

    ``precision``: ``"float32"`` or ``"float64"``; ``engine``: ``"event"`` (only rows of spiking
    neurons are touched) or ``"dense"`` (``spikes @ W``, the reference); ``delivery``: how the
    event engine delivers static rows, ``"native"`` (CPU default), ``"loop"`` or ``"compacted"``
    (accelerator default), see :mod:`spikenet.engine.delivery`."""

    def __init__(self, network: Network, precision: str = "float32", engine: str = "event", delivery: Any = None,
                 floors: dict | None = None, keep_synapses: bool = True) -> None:
        if precision not in PRECISIONS:
            raise SpikenetError(f"precision must be one of {sorted(PRECISIONS)}; got {precision!r}")
        if engine not in ENGINES:
            raise SpikenetError(f"engine must be one of {ENGINES}; got {engine!r}")
        if not network.populations:
            raise SpikenetError("the network has no population")
        self.network, self.precision, self.engine = network, precision, engine
        self.dtype, self.dt = PRECISIONS[precision], network.dt
        self.delivery = delivery_strategy(delivery)
        self.layout = Layout(network, self.dtype, engine, floors, hand_over=not keep_synapses)
        with self.precision_context():
            check_user_models(network, self.dtype)
            self.base_values = params.network_values(self.layout)
            self.leaves = self._leaf_names(self.base_values)
        self.compiled_chunks: dict = {}
        self._plans: dict = {}
        self._base_arguments: tuple | None = None
        self._reference_state: state.NetworkState | None = None

    # -- what the step receives ---------------------------------------------------------------
    def precision_context(self):
        return jax.enable_x64(True) if self.precision == "float64" else nullcontext()

    def _leaf_names(self, values: params.RunValues) -> dict[str, tuple[str, ...]]:
        dtype, leaves = self.dtype, {}
        for population in self.layout.neuron_populations:
            model, size = values.models[population.name], population.size

            def probe(twin, model=model, size=size):
                initial = model.initial_state(size, self.dt)
                structs = {k: jax.ShapeDtypeStruct((size,), dtype if np.issubdtype(np.asarray(v).dtype, np.floating) else jnp.int32)
                           for k, v in initial.items()}
                drive = SynapticDrive(jax.ShapeDtypeStruct((size,), dtype), jax.ShapeDtypeStruct((size,), dtype))
                state_after = jax.eval_shape(lambda s, d: twin.update(s, d, self.dt), structs, drive)
                state_after, spiked = jax.eval_shape(lambda s: twin.threshold(s, self.dt), state_after)
                jax.eval_shape(twin.reset, state_after, spiked)

            leaves[population.name] = leaf_names(model, probe, dtype, key=size)
        for name, rule in values.rules.items():
            if on_step_takes_context(rule):
                leaves[name] = ()  # its on_step reads the network's state: parameters stay constants
                continue

            def probe(twin, rule=rule):
                row = jax.ShapeDtypeStruct((3,), dtype)
                scalar = jax.ShapeDtypeStruct((), dtype)
                jax.eval_shape(twin.on_pre, row, {k: scalar for k in rule.pre_traces}, {k: row for k in rule.post_traces},
                               {k: row for k in rule.synapse_traces})
                jax.eval_shape(twin.on_post, row, {k: row for k in rule.pre_traces}, {k: scalar for k in rule.post_traces},
                               {k: row for k in rule.synapse_traces})
                if callable(getattr(rule, "on_step", None)):
                    rows = jax.ShapeDtypeStruct((4, 3), dtype)
                    jax.eval_shape(lambda w, s, m: twin.on_step(w, s, m, self.dt), rows, {k: rows for k in rule.synapse_traces}, scalar)

            leaves[name] = leaf_names(rule, probe, dtype)
        return leaves

    def plan(self, values: params.RunValues) -> StepPlan:
        """The step's static plan for these values (cached by what the compiled step bakes in)."""
        plan = StepPlan(self.layout, values, self.leaves, self.delivery,
                        {name: params.accumulators(rule) for name, rule in values.rules.items()})
        return self._plans.setdefault(plan.signature, plan)

    def arguments(self, values: params.RunValues) -> dict:
        """The step's arguments (host arrays) for these values."""
        if values is self.base_values:
            if self._base_arguments is None:
                host = params.step_arguments(self.layout, values, self.leaves)
                self._base_arguments = (host, None)
            return self._base_arguments[0]
        return params.step_arguments(self.layout, values, self.leaves)

    def device_arguments(self, host: dict) -> Any:
        """Host arguments on the device (the network's own are transferred once)."""
        if self._base_arguments is not None and host is self._base_arguments[0]:
            if self._base_arguments[1] is None:
                # From now on the device copy is the network's arguments: the host tables are not
                # kept beside it. Table by table (each host table dropped once placed), so that
                # host and device copies coexist for one table at a time. (jax.device_put would use
                # the aligned host tables in place on a CPU, but the step measured 20-35 % slower on
                # COBA-4000 with such tables.)
                device = {key: jax.tree_util.tree_map(jnp.asarray, value) for key, value in host.items() if key != "rows"}
                device["rows"] = []
                for out, rows in zip(self.layout.outgoing, host["rows"]):
                    tables = rows["buckets"] if "buckets" in rows else [rows]
                    owners = out.buckets if "buckets" in rows else [out]
                    for table, owner in zip(tables, owners):
                        for key in list(table):
                            table[key] = jax.tree_util.tree_map(jnp.asarray, table[key])  # (in place: the host table goes)
                            if key == "targets":
                                owner.targets = table["targets"]  # (the layout's host copy goes too)
                    if out.weight_rows is not None:
                        out.weight_rows = [t["weights"] for t in tables] if "buckets" in rows else rows["weights"]
                    device["rows"].append(rows)
                self._base_arguments = (device, device)
            return self._base_arguments[1]
        return jax.tree_util.tree_map(jnp.asarray, host)

    def values(self, parameters: Any) -> params.RunValues:
        """The run values with ``parameters`` overrides applied (checked)."""
        return params.apply_overrides(self.layout, self.base_values, parameters)

    def starting_state(self, values: params.RunValues, resume: Any) -> state.NetworkState:
        """The state a run starts from: this network's initial state for ``values``, or ``resume``
        (checked against this network) with the run's static weights in its plastic arenas."""
        if resume is None:
            return state.initial_state(self.layout, values)
        start = state.as_state(resume)
        if self._reference_state is None:
            self._reference_state = state.shapes_only(self.initial_state())
        state.check_compatible(start, self._reference_state)
        if values is self.base_values:
            return start
        for name in values.rules:
            if values.weights[name] is not self.base_values.weights[name]:
                raise SpikenetError(f"parameters[{name!r}]['weight']: the weights of a plastic projection are state; with resume= "
                                    f"set them with with_plastic_weights")
        plastic = dict(start.plastic)
        for out in self.layout.outgoing:
            if out.plastic and out.fused is not None:
                name = out.projections[0].name
                arena = np.asarray(plastic[name].arena)
                rows = arena[out.front_size:out.front_size + (out.population.size + 1) * out.width]
                plastic[name] = state.replace(plastic[name], arena=state.arena_with_weights(
                    self.layout, out, arena[:out.front_size], values.weights, plastic_rows=rows))
        return state.replace(start, plastic=plastic)

    # -- state ------------------------------------------------------------------------------
    def initial_state(self) -> state.NetworkState:
        """The state at t = 0 (numpy arrays): neuron states, synaptic channels, delay ring, plastic projections."""
        return state.initial_state(self.layout, self.base_values)

    def channel_values(self, channels: Any, population: str, variable: str) -> Any:
        """The values of channel ``variable`` (e.g. ``g_syn0``) of ``population`` in a flat channel array."""
        return state.channel_values(self.layout, channels, population, variable)

    def plastic_weights(self, state_or_result: Any, projection_name: str) -> np.ndarray:
        """Weights of a plastic projection in synapse (CSR) order, from a Result or a state."""
        return state.plastic_weights(self.layout, state_or_result, projection_name)

    def with_plastic_weights(self, state_or_result: Any, projection_name: str, weights: Any) -> state.NetworkState:
        """A copy of the state whose plastic projection has ``weights`` (synapse order); pass it to ``run(resume=...)``."""
        return state.with_plastic_weights(self.layout, state_or_result, projection_name, weights)

    def plastic_trace(self, state_or_result: Any, projection_name: str, trace: str, kind: str = "synapse") -> np.ndarray:
        """A trace of a plastic projection: ``"synapse"`` (n_synapses,), ``"pre"`` (n_pre,) or ``"post"`` (n_post,)."""
        return state.plastic_trace(self.layout, state_or_result, projection_name, trace, kind)

    def with_plastic_trace(self, state_or_result: Any, projection_name: str, trace: str, values: Any,
                           kind: str = "synapse") -> state.NetworkState:
        """A copy of the state in which a trace holds ``values`` (the inverse of :meth:`plastic_trace`)."""
        return state.with_plastic_trace(self.layout, state_or_result, projection_name, trace, values, kind)

    # -- running ----------------------------------------------------------------------------
    def run(self, duration: float, seed: int = 0, monitors: Sequence[Any] = (), chunk_steps: int | None = None,
            progress: bool | None = None, resume: Any = None, input_spikes: dict[str, tuple[Any, Any]] | None = None,
            modulator: dict[str, tuple[Any, Any]] | None = None, parameters: dict | None = None) -> Result:
        """Simulate ``duration`` ms.

        Parameters
        ----------
        duration : float
            Biological time in ms; a multiple of dt.
        seed : int
            Seed of the run's randomness (Poisson sources and inputs), in [0, 2**32 - 1].
        monitors : sequence of SpikeMonitor, StateMonitor, PopulationRateMonitor
            At most one of each kind per population.
        chunk_steps : int, optional
            Steps per ``lax.scan`` chunk (results do not depend on it); default: bounded by
            monitor memory (64 MiB per chunk) and 10,000 steps.
        progress : bool, optional
            Show a progress bar with steps/s on stderr (default: for runs over 20,000 steps).
        resume : Result or state, optional
            Continue from the end of an earlier run of this network (its ``Result``, or a state
            such as ``result.final_state`` edited with :meth:`with_plastic_weights`).
        input_spikes : dict, optional
            Host-driven spikes: SpikeSource population name -> (times in ms, neuron indices),
            inside this run's window, at most one spike per neuron and step.
        modulator : dict, optional
            Host-driven neuromodulator jumps: plastic projection name -> (times in ms, amounts).
        parameters : dict, optional
            Values for this run instead of the network's, without recompiling:
            ``{population: {field: value}}`` (neuron model parameters, e.g. ``tau_m`` in ms, or a
            PoissonSource's ``rates`` in Hz) and ``{projection: {"weight": w, "synapse": {...},
            "plasticity": {...}}}``; scalars or per-neuron (per-synapse) arrays. A run gives
            exactly the spikes of a network built with these values.
        """
        seed = check_seed("seed", seed)
        values = self.values(parameters)
        result = runner.execute(self, duration, [(values, seed)], False, monitors, chunk_steps, progress, resume,
                                input_spikes, modulator)[0]
        result.parameters = parameters
        return result

    def run_seeds(self, duration: float, seeds: Sequence[int], monitors: Sequence[Any] = (), chunk_steps: int | None = None,
                  progress: bool | None = None, input_spikes: dict[str, tuple[Any, Any]] | None = None,
                  modulator: dict[str, tuple[Any, Any]] | None = None, vectorize: bool | None = None,
                  parameters: dict | None = None) -> list[Result]:
        """Simulate ``duration`` ms once per seed; each Result equals ``run(duration, seed=seed, ...)``.

        ``vectorize=True`` runs all seeds in one ``jax.vmap``: each step's spike loop then runs as
        often as the busiest seed needs, for every seed. On XLA:CPU that measured 1.7x (COBA-400)
        and 3.3x (COBA-4000) slower than one run after the other (``python -m benchmarks.run_seeds``),
        so the default (None) vectorises only on an accelerator backend (not measured here)."""
        seeds = self._checked_seeds(seeds)
        values = self.values(parameters)
        return self._runs(duration, [(values, s) for s in seeds], vectorize, monitors, chunk_steps, progress, input_spikes,
                          modulator, [parameters] * len(seeds))

    def run_sweep(self, duration: float, parameters: dict, seeds: Sequence[int] = (0,), monitors: Sequence[Any] = (),
                  chunk_steps: int | None = None, progress: bool | None = None, input_spikes: dict | None = None,
                  modulator: dict | None = None, vectorize: bool | None = None) -> list[Result]:
        """Run every combination of sweep point and seed: ``parameters`` as in :meth:`run`, each
        value with a leading sweep axis of the same length S (``{"exc": {"tau_m": [10.0, 20.0]}}``).
        Returns S x len(seeds) Results, point-major (``results[point * len(seeds) + k]``), each equal
        to ``run(duration, seed=seeds[k], parameters=<point>)``; ``Result.parameters`` names the
        point. Vectorised with ``jax.vmap`` on accelerators, a loop over one compiled function on
        CPU (``vectorize`` overrides); identical results either way."""
        seeds = self._checked_seeds(seeds)
        points = sweep_points(parameters)
        values = [self.values(point) for point in points]
        runs = [(v, s) for v, s in itertools.product(values, seeds)]
        labels = [p for p, _ in itertools.product(points, seeds)]
        return self._runs(duration, runs, vectorize, monitors, chunk_steps, progress, input_spikes, modulator, labels)

    def _checked_seeds(self, seeds: Any) -> list[int]:
        seeds = [seeds] if isinstance(seeds, (str, bytes, int, np.integer)) or seeds is None else list(seeds)
        if not seeds:
            raise SpikenetError("seeds must be a non-empty sequence of integers in [0, 2**32 - 1]")
        return [check_seed("seeds", s) for s in seeds]

    def _runs(self, duration: float, runs: list, vectorize: bool | None, monitors: Any, chunk_steps: Any, progress: Any,
              input_spikes: Any, modulator: Any, labels: list) -> list[Result]:
        if vectorize is None:
            vectorize = jax.default_backend() != "cpu"
        if vectorize and len({self.plan(v).signature for v, _ in runs}) > 1:
            vectorize = False  # points that change a constant of the step need their own compiled functions
        if vectorize:
            results = runner.execute(self, duration, runs, True, monitors, chunk_steps, progress, None, input_spikes, modulator)
        else:
            results = [runner.execute(self, duration, [run], False, monitors, chunk_steps, progress, None, input_spikes,
                                      modulator)[0] for run in runs]
        for result, label in zip(results, labels):
            result.parameters = label
        return results


def sweep_points(parameters: Any) -> list[dict]:
    """Split ``{name: {key: values with a leading sweep axis}}`` (``synapse``/``plasticity`` nested
    one level more) into one ``parameters`` dict per sweep point."""
    if not isinstance(parameters, dict) or not parameters:
        raise SpikenetError("run_sweep: parameters must be a non-empty dict of name -> {parameter: values per sweep point}")
    flat = []
    for name, entries in parameters.items():
        if not isinstance(entries, dict) or not entries:
            raise SpikenetError(f"run_sweep: parameters[{name!r}] must be a non-empty dict; got {entries!r}")
        for key, value in entries.items():
            if key in ("synapse", "plasticity") and isinstance(value, dict):
                flat += [((name, key, inner), v) for inner, v in value.items()]
            else:
                flat.append(((name, key), value))
    lengths = {path: len(value) if hasattr(value, "__len__") and not isinstance(value, str) else None for path, value in flat}
    if any(n is None or n == 0 for n in lengths.values()) or len(set(lengths.values())) != 1:
        raise SpikenetError(f"run_sweep: every value needs the same leading sweep axis (length >= 1); got lengths "
                            f"{ {'.'.join(map(str, p)): n for p, n in lengths.items()} }")
    points = []
    for k in range(next(iter(lengths.values()))):
        point: dict = {}
        for path, value in flat:
            target = point.setdefault(path[0], {})
            if len(path) == 3:
                target = target.setdefault(path[1], {})
            target[path[-1]] = value[k]
        points.append(point)
    return points
