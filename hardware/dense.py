"""The dense baseline: the same workload as a dense network on a GPU or CPU.

Two dense workloads are priced from the network's structure:

* **clock-driven dense step**: every synapse every step (``spikes @ W`` each dt): MACs =
  synapses x steps; the weights are read each step (batch 1, no reuse across steps) and every
  neuron's activation is read and written each step.
* **equivalent ANN**: one forward pass per inference: MACs = synapses; weights read once,
  each activation read and written once.

Memory traffic is priced beside the MACs (counting only MACs vs ACs is the classic mistake).
The device's ``regime`` says what the number means: a peak-utilisation lower bound, a
45 nm arithmetic model, or a measured batch-1 figure. Operation counts follow NeuroBench
(:func:`neurobench_ops`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hardware.chip import ChipModel
from hardware.coefficients import HardwareModelError
from hardware.report import EnergyReport


@dataclass(frozen=True)
class DenseWorkload:
    """Operation and memory counts of a dense execution.

    Attributes
    ----------
    name : str
    macs : int
        Multiply-accumulates.
    weight_bytes : float
        Bytes of weights read.
    activation_bytes : float
        Bytes of activations read and written.
    passes : int
        Forward passes (steps or inferences).
    """

    name: str
    macs: int
    weight_bytes: float
    activation_bytes: float
    passes: int


def _sizes(network: Any) -> tuple[int, int]:
    synapses = sum(p.n_synapses for p in network.projections)
    neurons = sum(p.size for p in network.populations.values())
    return synapses, neurons


def clock_driven_workload(network: Any, steps: int, weight_bits: int) -> DenseWorkload:
    """Every synapse every step: MACs = synapses x steps; weights and activations moved every step."""
    synapses, neurons = _sizes(network)
    bytes_per_value = weight_bits / 8.0
    return DenseWorkload("clock-driven dense step", synapses * steps, synapses * bytes_per_value * steps,
                         2 * neurons * bytes_per_value * steps, steps)


def ann_workload(network: Any, inferences: int, weight_bits: int) -> DenseWorkload:
    """The equivalent ANN: one pass per inference (MACs = synapses)."""
    synapses, neurons = _sizes(network)
    bytes_per_value = weight_bits / 8.0
    return DenseWorkload("equivalent ANN", synapses * inferences, synapses * bytes_per_value * inferences,
                         2 * neurons * bytes_per_value * inferences, inferences)


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


def price_workload(workload: DenseWorkload, device: ChipModel, inferences: int = 1) -> EnergyReport:
    """Energy of a dense workload on a dense device, with the regime stated."""
    if device.kind != "dense":
        raise HardwareModelError(f"{device.name!r} is a {device.kind} chip, not a dense device; "
                                 "dense devices: see hardware.presets.available_chips('dense')")
    report = EnergyReport(device.name, "dense", device.scope, regime=device.regime, label=device.label,
                          inferences=inferences)
    energy = device.energy
    report.add("mac", workload.macs, "MACs", energy["mac"].pj(), "energy.mac", energy["mac"].citation())
    if device.scope == "all-in":
        report.notes.append("all-in measured figure: memory traffic and overheads are inside it")
    else:
        for term, amount in (("weight_byte", workload.weight_bytes), ("activation_byte", workload.activation_bytes)):
            if term in energy:
                report.add(term, amount, "bytes", energy[term].in_base_unit(), f"energy.{term}", energy[term].citation())
            else:
                report.unpriced.append(f"{amount:.4g} bytes of {term.split('_')[0]} traffic")
    timing = device.timing
    compute_s = workload.macs * timing["mac"].seconds() if "mac" in timing else 0.0
    memory_s = workload.weight_bytes * timing["weight_byte"].seconds() if "weight_byte" in timing else 0.0
    report.wall_time_s = max(compute_s, memory_s)
    report.notes.append(f"regime: {device.regime}; workload: {workload.name} ({workload.passes} passes)")
    report.extra["workload"] = workload.__dict__.copy()
    return report


def _weight_bits(device: ChipModel) -> int:
    return device.limit("weight_bits") or 32


def estimate_dense_clock_driven(counts: Any, network: Any, device: ChipModel, inferences: int = 1) -> EnergyReport:
    """The clock-driven dense step of ``network`` for ``counts.steps`` steps on ``device``."""
    return price_workload(clock_driven_workload(network, counts.steps, _weight_bits(device)), device, inferences)


@dataclass
class DenseBaseline:
    """Both dense readings of one workload on one device, plus NeuroBench counts."""

    device: str
    regime: str
    clock_driven: EnergyReport
    ann: EnergyReport
    ops: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {"device": self.device, "regime": self.regime, "clock_driven": self.clock_driven.to_dict(),
                "ann": self.ann.to_dict(), "neurobench_ops": dict(self.ops)}


def dense_baseline(counts: Any, network: Any, device: ChipModel | str, inferences: int = 1) -> DenseBaseline:
    """Price ``network``'s run as a dense network: the clock-driven step and the equivalent ANN.

    Parameters
    ----------
    counts : spikenet.ActivityCounts
        Sets the number of steps (and the NeuroBench effective ops).
    network : spikenet.Network
    device : ChipModel or str
        A dense preset (``a100``, ``h100``, ``cpu_horowitz45``, ``gpu_k4000_batch1``, ``cpu_xeon_batch1``).
    inferences : int
        ANN forward passes (one per inference) and the per-inference divisor.
    """
    from hardware.energy import check_counts
    from hardware.presets import get_chip

    device = get_chip(device) if isinstance(device, str) else device
    check_counts(counts, network)
    bits = _weight_bits(device)
    clock = price_workload(clock_driven_workload(network, counts.steps, bits), device, inferences)
    ann = price_workload(ann_workload(network, inferences, bits), device, inferences)
    return DenseBaseline(device.name, device.regime, clock, ann, neurobench_ops(network, counts))
