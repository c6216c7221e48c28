r"""The dense baseline: the same workload as a dense network on a GPU or CPU, as a roofline.

Two dense workloads are built from a network's structure:

* **clock-driven dense step**: every synapse every step (``spikes @ W`` each dt): one pass per
  step, one kernel per projection plus one for the neuron update; MACs = synapses per pass.
* **equivalent ANN**: one forward pass per inference, one kernel per projection (layer).

A network imported from NIR has a truer twin, its own layers run as an ANN
(:func:`nir_twin_workload`: a convolution reads its shared kernel once and costs a MAC per output
position and tap); :func:`layer_workload` builds such a workload from any list of layers.

A workload is priced on a dense device in a regime (:mod:`hardware.regimes`), by one roofline
model for every device. Per pass (``k`` kernels, ``m`` MACs, ``w`` weight bytes, ``a``
activation bytes), at batch ``B``:

.. math::

    t_{pass}(B) = \max(k\,t_{launch},\; B\,m\,t_{MAC},\; w\,t_{byte}(level) + B\,a\,t_{byte}(on\text{-}chip))

where the weights are read from on-chip memory (L2/cache) when they fit in
``limits.onchip_memory_bytes`` and from DRAM/HBM otherwise. Latency regime: ``B = 1`` and a
per-inference ``timing.framework_floor`` is added. Throughput regime: the smallest ``B`` at which
the pass is compute-bound (at most ``limits.max_batch``), time and weight traffic shared by the
``B`` inferences. Real-time regime: the device is handed one input per inference period and is
powered for the whole period (or for its latency-regime time if that is longer).

Energy = MACs x e_MAC + weight bytes x e_byte(level) + activation bytes x e_byte(on-chip)
+ busy-floor power x busy time (dynamic) + idle power x wall time (static). A device's e_MAC is
its dynamic energy per MAC at full load, ``(TDP - idle - busy floor) / peak MAC rate``, so that the
model draws TDP when compute-bound. Operation counts follow NeuroBench (:func:`neurobench_ops`).
Published batch-1 measurements (Blouw 2019) are validation points this model is tested against
(``tests/hardware/test_validation.py``), not coefficients.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from hardware.chip import ChipModel
from hardware.coefficients import HardwareModelError
from hardware.pricing import check_counts, price_power
from hardware.regimes import period_s, resolve_regime
from hardware.report import EnergyReport

DEFAULT_MAX_BATCH = 256


@dataclass(frozen=True)
class DenseWorkload:
    """Operation and memory counts of a dense execution.

    Attributes
    ----------
    name : str
    macs : int
        Multiply-accumulates, all passes together.
    weight_bytes : float
        Bytes of weights read at batch 1 (every pass reads all weights), all passes together.
    activation_bytes : float
        Bytes of activations read and written, all passes together.
    passes : int
        Forward passes (steps or inferences).
    kernels_per_pass : int
        Kernel launches (layers, or projections plus a neuron update) per pass.
    """

    name: str
    macs: int
    weight_bytes: float
    activation_bytes: float
    passes: int
    kernels_per_pass: int = 1


def _sizes(network: Any) -> tuple[int, int]:
    synapses = sum(p.n_synapses for p in network.projections)
    neurons = sum(p.size for p in network.populations.values())
    return synapses, neurons


def clock_driven_workload(network: Any, steps: int, weight_bits: int) -> DenseWorkload:
    """Every synapse every step: MACs = synapses x steps; weights and activations moved every step."""
    synapses, neurons = _sizes(network)
    bytes_per_value = weight_bits / 8.0
    return DenseWorkload("clock-driven dense step", synapses * steps, synapses * bytes_per_value * steps,
                         2 * neurons * bytes_per_value * steps, steps, len(network.projections) + 1)


def ann_workload(network: Any, inferences: int, weight_bits: int) -> DenseWorkload:
    """The equivalent ANN: one pass per inference (MACs = synapses), one kernel per projection."""
    synapses, neurons = _sizes(network)
    bytes_per_value = weight_bits / 8.0
    return DenseWorkload("equivalent ANN", synapses * inferences, synapses * bytes_per_value * inferences,
                         2 * neurons * bytes_per_value * inferences, inferences, max(1, len(network.projections)))


def mlp_workload(layer_sizes: list[int], weight_bits: int, inferences: int = 1) -> DenseWorkload:
    """A fully connected network with the given layer sizes (e.g. ``[784, 400, 10]``), one pass per inference."""
    if len(layer_sizes) < 2 or any(int(n) < 1 for n in layer_sizes):
        raise HardwareModelError(f"layer_sizes must list at least two layer sizes >= 1; got {layer_sizes!r}")
    macs = sum(a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))
    name = "MLP " + "-".join(str(n) for n in layer_sizes)
    return DenseWorkload(name, macs * inferences, macs * weight_bits / 8.0 * inferences,
                         2 * sum(layer_sizes) * weight_bits / 8.0 * inferences, inferences, len(layer_sizes) - 1)


@dataclass(frozen=True)
class DenseLayer:
    """One layer of a dense (ANN) forward pass, for :func:`layer_workload`.

    Attributes
    ----------
    name : str
    macs : int
        Multiply-accumulates of one pass (a pooling layer's additions count as MACs).
    weights : int
        Weight values read in one pass: a convolution's kernel once, not once per position
        (biases are not counted, as in :func:`mlp_workload`); 0 for pooling and reshapes.
    outputs : int
        Activation values the layer writes; 0 for a reshape (e.g. NIR ``Flatten``), which moves nothing.
    """

    name: str
    macs: int
    weights: int
    outputs: int


def layer_workload(layers: list[DenseLayer], input_values: int, weight_bits: int, inferences: int = 1,
                   name: str = "ANN") -> DenseWorkload:
    """A feed-forward ANN given layer by layer, one pass per inference.

    MACs = the layers' MACs; weight bytes = their weights x ``weight_bits`` / 8; activation bytes =
    2 x (``input_values`` + every layer's outputs) x ``weight_bits`` / 8 (each activation written
    once and read once); one kernel per layer that does arithmetic (MACs > 0). For
    ``[DenseLayer(.., a * b, a * b, b), ...]`` this is exactly :func:`mlp_workload`'s accounting.
    """
    if not layers or any(int(layer.macs) < 0 or int(layer.weights) < 0 or int(layer.outputs) < 0 for layer in layers):
        raise HardwareModelError(f"layer_workload needs at least one layer with non-negative counts; got {layers!r}")
    if int(input_values) < 0:
        raise HardwareModelError(f"input_values must be >= 0; got {input_values!r}")
    macs = sum(int(layer.macs) for layer in layers)
    weights = sum(int(layer.weights) for layer in layers)
    activations = int(input_values) + sum(int(layer.outputs) for layer in layers)
    bytes_per_value = weight_bits / 8.0
    kernels = max(1, sum(1 for layer in layers if layer.macs > 0))
    return DenseWorkload(name, macs * inferences, weights * bytes_per_value * inferences,
                         2 * activations * bytes_per_value * inferences, inferences, kernels)


def _nir_node(graph: Any, name: str) -> Any:
    """The node of a (nested) NIR graph under its flattened name (``sub.node`` inside subgraph ``sub``)."""
    nodes = getattr(graph, "nodes", {})
    if name in nodes:
        return nodes[name]
    for key, node in nodes.items():
        if isinstance(getattr(node, "nodes", None), dict) and name.startswith(f"{key}."):
            found = _nir_node(node, name[len(key) + 1:])
            if found is not None:
                return found
    return None


def nir_twin_layers(network: Any) -> tuple[list[DenseLayer], int]:
    """The dense twin of a network imported by :func:`spikenet.nir.from_nir`: its linear NIR nodes
    (``Affine``, ``Linear``, ``Scale``, ``Conv1d``/``Conv2d``, ``SumPool2d``/``AvgPool2d``,
    ``Flatten``; ``network.nir.layers``) as dense layers, and the number of input values.

    MACs are the import's ``dense_macs`` (a convolution over every output position, padding
    included; a pool's additions); weights are the node's weight tensor (a convolution's kernel,
    shared over positions); outputs are ``weight.shape[0]`` (Affine/Linear), the scale's size, or
    ``dense_macs`` divided by the MACs of one output value (convolutions: ``C_in/groups x kernel``;
    pools: the window). The neuron nodes become the ANN's activation functions (priced as the
    activations they write, no arithmetic).
    """
    import numpy as np

    info = getattr(network, "nir", None)
    if info is None or not hasattr(info, "layers"):
        raise HardwareModelError("nir_twin_layers takes a network imported by spikenet.nir.from_nir (it has no .nir record)")
    layers = []
    for entry in info.layers:
        name, kind, macs = str(entry["node"]), str(entry["type"]), int(entry["dense_macs"])
        node = _nir_node(info.graph, name)
        if "weights" in entry and "outputs" in entry:
            weights, outputs = int(entry["weights"]), int(entry["outputs"])
        elif kind == "Flatten":
            weights, outputs = 0, 0
        elif node is None:
            raise HardwareModelError(f"NIR layer {name!r} ({kind}) is not a node of the imported graph")
        elif kind in ("Affine", "Linear"):
            weight = np.asarray(node.weight)
            weights, outputs = int(weight.size), int(weight.shape[0])
        elif kind == "Scale":
            weights = outputs = int(np.asarray(node.scale).size)
        elif kind in ("Conv1d", "Conv2d"):
            weight = np.asarray(node.weight)
            weights, outputs = int(weight.size), macs // max(1, int(np.prod(weight.shape[1:])))
        elif kind in ("SumPool2d", "AvgPool2d"):
            kernel = np.atleast_1d(np.asarray(node.kernel_size)).astype(np.int64)
            window = int(np.prod(np.broadcast_to(kernel, (2,))))
            weights, outputs = 0, macs // max(1, window)
        else:
            raise HardwareModelError(f"NIR layer {name!r} has type {kind!r}, which has no dense twin here")
        layers.append(DenseLayer(f"{kind} {name!r}", macs, weights, outputs))
    inputs = sum(int(np.prod(shape)) for shape in info.inputs.values())
    return layers, inputs


def nir_twin_workload(network: Any, weight_bits: int, inferences: int = 1) -> DenseWorkload:
    """The dense twin of an imported NIR network as a workload (:func:`nir_twin_layers`,
    :func:`layer_workload`): the same Affine/Conv/pool layers run as an ANN, one forward pass per
    inference, MACs = the sum of ``network.nir.layers[i]["dense_macs"]``."""
    layers, inputs = nir_twin_layers(network)
    if not layers:
        raise HardwareModelError("the imported NIR graph has no linear (Affine, Linear, Scale, Conv, pool) node: no dense twin")
    return layer_workload(layers, inputs, weight_bits, inferences, name=f"ANN twin of the NIR graph ({len(layers)} layers)")


def neurobench_ops(network: Any, counts: Any) -> dict[str, float]:
    """Operation counts the NeuroBench way (``synaptic_operations.py`` @ e521c28), summed over steps.

    Returns
    -------
    dict
        ``dense_sops``: every connection every step (NeuroBench "Dense");
        ``effective_acs``: synaptic events whose input is a spike (binary inputs => ACs);
        ``effective_macs``: events from non-binary inputs (0 here: every population emits spikes);
        ``ann_dense_macs``: connections of one ANN pass; ``membrane_updates``: neuron updates.
    """
    synapses, _ = _sizes(network)
    return {"dense_sops": float(synapses * counts.steps), "effective_acs": float(counts.total_synaptic_events),
            "effective_macs": 0.0, "ann_dense_macs": float(synapses),
            "membrane_updates": float(sum(counts.neuron_updates.values()))}


@dataclass(frozen=True)
class Roofline:
    """Time of one pass of a batch, what bounds it (launch, compute or memory), and where the weights live."""

    seconds: float
    bound: str
    batch: int
    weight_level: str


def _weight_level(workload: DenseWorkload, device: ChipModel) -> str:
    per_pass = workload.weight_bytes / workload.passes
    capacity = device.limit("onchip_memory_bytes")
    if capacity and per_pass <= capacity and "weight_byte_onchip" in device.energy:
        return "onchip"
    return "offchip"


def _seconds(device: ChipModel, key: str) -> float:
    return device.timing[key].seconds() if key in device.timing else 0.0


def roofline_pass(workload: DenseWorkload, device: ChipModel, batch: int) -> Roofline:
    """Time of one pass of ``batch`` inferences on ``device`` (the max of launch, compute and memory times)."""
    level = _weight_level(workload, device)
    m = workload.macs / workload.passes
    w = workload.weight_bytes / workload.passes
    a = workload.activation_bytes / workload.passes
    t_byte = _seconds(device, "weight_byte_onchip" if level == "onchip" else "weight_byte")
    t_onchip = _seconds(device, "weight_byte_onchip")
    candidates = {"launch": workload.kernels_per_pass * _seconds(device, "launch_floor"),
                  "compute": batch * m * _seconds(device, "mac"),
                  "memory": w * t_byte + batch * a * t_onchip}
    bound = max(candidates, key=candidates.get)
    return Roofline(candidates[bound], bound, batch, level)


def best_batch(workload: DenseWorkload, device: ChipModel) -> int:
    """The smallest batch at which a pass is compute-bound, capped by ``limits.max_batch`` (default 256)."""
    cap = device.limit("max_batch") or DEFAULT_MAX_BATCH
    compute = workload.macs / workload.passes * _seconds(device, "mac")  # compute time of one inference's pass
    if compute <= 0:
        return cap
    batch = max(1, min(cap, math.ceil(roofline_pass(workload, device, 1).seconds / compute)))
    # the memory time grows with the batch through activations: step down while it still pays
    while batch > 1 and roofline_pass(workload, device, batch).seconds / batch >= roofline_pass(workload, device, batch - 1).seconds / (batch - 1):
        batch -= 1
    return batch


def price_workload(workload: DenseWorkload, device: ChipModel, inferences: int = 1, regime: str = "latency",
                   period_s: float | None = None, include_static: bool = True) -> EnergyReport:
    """Energy and wall time of a dense workload on a dense device in one regime (roofline; module docstring).

    Parameters
    ----------
    workload : DenseWorkload
    device : ChipModel
        A ``dense`` preset or chip file.
    inferences : int
        Inferences the workload holds (``workload.passes`` must be a multiple of it).
    regime : str
        ``latency`` (batch 1), ``throughput`` (best batch) or ``real_time`` (one input per ``period_s``).
    period_s : float, optional
        Real-time regime: the sensor period of one inference in s (required there).
    include_static : bool
        Add idle power x wall time (the static part).
    """
    if device.kind != "dense":
        raise HardwareModelError(f"{device.name!r} is a {device.kind} chip, not a dense device; "
                                 "dense devices: see hardware.presets.available_chips('dense')")
    regime = resolve_regime(regime, device)
    if isinstance(inferences, bool) or not isinstance(inferences, int) or inferences < 1:
        raise HardwareModelError(f"inferences must be an integer >= 1; got {inferences!r}")
    if workload.passes < 1:
        raise HardwareModelError(f"workload {workload.name!r} has {workload.passes} passes; it needs at least one")
    inferences = int(inferences)
    if regime == "real_time" and not (period_s is not None and math.isfinite(period_s) and period_s > 0):
        raise HardwareModelError(f"the real_time regime needs period_s, the inference period in s (> 0); got {period_s!r}")
    report = EnergyReport(device.name, "dense", device.scope, regime=regime, label=device.label, inferences=inferences)
    passes_per_inference = workload.passes / inferences
    batch = best_batch(workload, device) if regime == "throughput" else 1
    one_pass = roofline_pass(workload, device, batch)
    framework = _seconds(device, "framework_floor")
    busy_per_inference = passes_per_inference * one_pass.seconds / batch + framework / batch
    busy = busy_per_inference * inferences
    if regime == "real_time":
        if busy_per_inference > period_s:
            report.notes.append(f"{device.name} cannot keep up with one input per {period_s * 1e3:.4g} ms: an inference "
                                f"takes {busy_per_inference * 1e3:.4g} ms; wall time is its own (slower) time")
        report.wall_time_s = max(period_s, busy_per_inference) * inferences
    else:
        report.wall_time_s = busy
    energy = device.energy
    report.add("mac", workload.macs, "MACs", energy["mac"].pj(), "energy.mac", energy["mac"].citation())
    weight_key = "weight_byte_onchip" if one_pass.weight_level == "onchip" else "weight_byte"
    weight_bytes = workload.weight_bytes / batch
    if device.scope == "all-in":
        report.notes.append("all-in figure: memory traffic and overheads are inside it")
    else:
        for term, key, amount in (("weight_byte", weight_key, weight_bytes),
                                  ("activation_byte", "activation_byte", workload.activation_bytes)):
            if key in energy:
                report.add(term, amount, f"bytes ({key})", energy[key].in_base_unit(), f"energy.{key}", energy[key].citation())
            else:
                report.unpriced.append(f"{amount:.4g} bytes of {term.split('_')[0]} traffic (no energy.{key})")
    if "busy_floor" in device.power:
        c = device.power["busy_floor"]
        report.add("busy_floor", busy, "s busy", c.watts() * 1e12, "power.busy_floor", c.citation())
    price_power(report, device, 1, include_static)
    report.notes.append(f"{regime} regime, batch {batch}: a pass is {one_pass.bound}-bound ({one_pass.seconds * 1e6:.4g} µs), "
                        f"weights in {one_pass.weight_level} memory; workload: {workload.name} ({workload.passes} passes, "
                        f"{workload.kernels_per_pass} kernels each)")
    report.extra["workload"] = workload.__dict__.copy()
    report.extra["roofline"] = {"batch": batch, "bound": one_pass.bound, "pass_s": one_pass.seconds,
                                "weight_level": one_pass.weight_level, "busy_s": busy}
    return report


def _weight_bits(device: ChipModel) -> int:
    return device.limit("weight_bits") or 32


def estimate_dense_clock_driven(counts: Any, network: Any, device: ChipModel, inferences: int = 1,
                                regime: str = "latency", include_static: bool = True) -> EnergyReport:
    """The clock-driven dense step of ``network`` for ``counts.steps`` steps on ``device``."""
    return price_workload(clock_driven_workload(network, counts.steps, _weight_bits(device)), device, inferences,
                          regime, period_s(counts, inferences), include_static)


@dataclass
class DenseBaseline:
    """Both dense readings of one workload on one device in one regime, plus NeuroBench counts."""

    device: str
    regime: str
    clock_driven: EnergyReport
    ann: EnergyReport
    ops: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {"device": self.device, "regime": self.regime, "clock_driven": self.clock_driven.to_dict(),
                "ann": self.ann.to_dict(), "neurobench_ops": dict(self.ops)}


def dense_baseline(counts: Any, network: Any, device: ChipModel | str, inferences: int = 1,
                   regime: str = "latency") -> DenseBaseline:
    """Price ``network``'s run as a dense network: the clock-driven step and the equivalent ANN.

    Parameters
    ----------
    counts : spikenet.ActivityCounts
        Sets the number of steps (and the NeuroBench effective ops) and, in the real-time regime,
        the inference period (simulated time / inferences).
    network : spikenet.Network
    device : ChipModel or str
        A dense preset (see ``hardware.available_chips("dense")``).
    inferences : int
        ANN forward passes (one per inference) and the per-inference divisor.
    regime : str
        ``latency``, ``throughput`` or ``real_time`` (:mod:`hardware.regimes`).
    """
    from hardware.presets import get_chip

    device = get_chip(device) if isinstance(device, str) else device
    check_counts(counts, network)
    bits = _weight_bits(device)
    period = period_s(counts, inferences)
    clock = price_workload(clock_driven_workload(network, counts.steps, bits), device, inferences, regime, period)
    ann = price_workload(ann_workload(network, inferences, bits), device, inferences, regime, period)
    return DenseBaseline(device.name, regime, clock, ann, neurobench_ops(network, counts))
