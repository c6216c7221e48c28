"""The three regimes every energy figure is stated in, applied the same way to chips and dense devices.

An energy per inference is only meaningful with the wall time it was spent over: static power
(leakage, idle board, clock tree) is paid for that time, and the time depends on how the device
is driven. spikenet prices every platform in one of three regimes, and the main job reports all
of them side by side for chips and dense devices alike:

``latency``
    Batch 1: each input is processed as soon as it arrives, as fast as the device allows.
    A neuromorphic chip runs its time steps back to back, each lasting its barrier plus the
    busiest core's synaptic and neuron work (per-event latencies of the chip's timing model),
    never shorter than the chip's ``min_step``. A dense device runs batch 1: per layer (kernel)
    the longest of its launch floor, its MACs at the peak MAC rate, and its weight bytes at the
    bandwidth of the memory level the weights live in (a roofline), plus any per-inference
    framework floor.
``throughput``
    As many inferences per second as the device sustains. A dense device runs its best batch
    (the smallest batch at which the roofline is compute-bound, capped by ``max_batch``), so weight
    reads and launches are amortised over the batch; a chip runs as many copies of the network
    as fit on the cores of the chips it already occupies, each at its latency-regime speed.
    Static power is divided among the inferences in flight.
``real_time``
    Sensor-paced: inputs arrive at the rate of the simulated time. A chip ticks one time step per
    ``dt`` of wall time (the native mode of TrueNorth, SpiNNaker and ODIN); a dense device is
    handed one input per inference period and is powered for the whole period. A device whose
    work per step (chip) or per inference (dense) takes longer than the period cannot keep up:
    its wall time is then its latency-regime time, and the report says so.

In every regime static power (``power.static_per_chip``, ``power.clock_per_mhz``) is multiplied
by the regime's wall time on both sides, and :class:`hardware.report.EnergyReport` reports the
static and dynamic parts separately (``static_j``, ``dynamic_j``), never mixed.
"""

from __future__ import annotations

from typing import Any

from hardware.chip import REGIMES, ChipModel  # noqa: F401  (REGIMES re-exported)
from hardware.coefficients import HardwareModelError

# Old ``timing=`` names of estimate(): "fast" was the chip's own speed, i.e. the latency regime.
LEGACY_TIMING = {"real_time": "real_time", "fast": "latency"}


def resolve_regime(regime: str | None, chip: ChipModel, timing: str | None = None) -> str:
    """The regime to price in: ``regime`` if given, else the legacy ``timing`` name, else the chip's native one.

    Raises
    ------
    HardwareModelError
        For a regime that is not one of :data:`hardware.chip.REGIMES` (or a timing not in
        :data:`LEGACY_TIMING`), or both arguments given and disagreeing.
    """
    if timing is not None:
        if timing not in LEGACY_TIMING:
            raise HardwareModelError(f"timing must be one of {tuple(LEGACY_TIMING)}; got {timing!r} "
                                     f"(prefer regime=, one of {REGIMES})")
        if regime is not None and LEGACY_TIMING[timing] != regime:
            raise HardwareModelError(f"timing={timing!r} and regime={regime!r} disagree; pass only regime")
        regime = LEGACY_TIMING[timing]
    if regime is None:
        return chip.native_regime
    if regime not in REGIMES:
        raise HardwareModelError(f"regime must be one of {REGIMES}; got {regime!r}")
    return regime


def period_s(counts: Any, inferences: int) -> float:
    """The simulated time of one inference in s (the sensor period of the real-time regime)."""
    return counts.steps * counts.dt / 1000.0 / inferences


def copies_in_flight(cores_per_chip: int | None, chips: int, cores: int) -> int:
    """Throughput regime: copies of a network using ``cores`` cores that fit on the ``chips`` it occupies (>= 1)."""
    return max(1, (cores_per_chip * chips) // max(cores, 1)) if cores_per_chip else 1
