"""Analog crossbars: map weight matrices onto tiles and price event-driven vs full reads.

Each projection's ``n_pre x n_post`` weight matrix is cut into tiles of ``tile_rows`` inputs x
``tile_weight_cols`` outputs (each weight taking ``devices_per_weight`` devices, e.g. a
differential pair). Sparse matrices occupy whole tiles: the report gives the utilisation.

Event-driven read: a spike of pre neuron ``i`` drives row ``i`` in each of the tiles of its row
block; a tile whose rows received at least one spike in a step is read once (every column goes
through its ADC). With per-neuron spike probability ``p`` per step, a block of ``r`` rows is
active in a step with probability ``1 - (1 - p)^r`` (independent firing assumed).
Full matrix-vector read: every tile is read every step with every row driven.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from hardware.chip import ChipModel
from hardware.coefficients import HardwareModelError
from hardware.pricing import price_power
from hardware.regimes import copies_in_flight
from hardware.report import EnergyReport

ANALOG_MODES = ("event", "full_mvm")


@dataclass(frozen=True)
class TileBlock:
    """The tiles holding one projection.

    Attributes
    ----------
    projection : str
    n_pre, n_post : int
        Rows and weight columns needed.
    row_blocks, col_blocks : int
        Tiles along the inputs and along the outputs.
    synapses : int
        Non-zero synapses stored.
    """

    projection: str
    pre: str
    n_pre: int
    n_post: int
    row_blocks: int
    col_blocks: int
    synapses: int

    @property
    def tiles(self) -> int:
        return self.row_blocks * self.col_blocks


@dataclass
class CrossbarMapping:
    """Result of :func:`map_crossbars`."""

    chip: ChipModel
    network: Any
    blocks: list[TileBlock]

    @property
    def tiles_used(self) -> int:
        return sum(b.tiles for b in self.blocks)

    @property
    def chips_used(self) -> int:
        per_chip = self.chip.limit("cores_per_chip") or self.tiles_used or 1
        return max(1, math.ceil(self.tiles_used / per_chip))

    def report(self) -> dict[str, Any]:
        rows = int(self.chip.analog_value("tile_rows"))
        cols = int(self.chip.analog_value("tile_weight_cols"))
        devices = int(self.chip.analog_value("devices_per_weight"))
        return {
            "chip": self.chip.name, "tiles_used": self.tiles_used, "chips_used": self.chips_used,
            "tile_shape": [rows, cols], "devices_per_weight": devices,
            "devices_used": sum(b.synapses for b in self.blocks) * devices,
            "projections": {b.projection: {"tiles": b.tiles, "row_blocks": b.row_blocks, "col_blocks": b.col_blocks,
                                           "utilisation": b.synapses / (b.tiles * rows * cols)} for b in self.blocks},
        }


def map_crossbars(network: Any, chip: ChipModel) -> CrossbarMapping:
    """Cut every projection's weight matrix into the chip's tiles.

    Raises
    ------
    HardwareModelError
        If the tiles needed exceed ``cores_per_chip x max_chips`` (naming the projections and numbers).
    """
    if chip.kind != "analog":
        raise HardwareModelError(f"map_crossbars needs an analog chip; {chip.name!r} is {chip.kind}")
    rows = int(chip.analog_value("tile_rows"))
    cols = int(chip.analog_value("tile_weight_cols"))
    blocks = [TileBlock(p.name, p.pre.name, p.pre.size, p.post.size, math.ceil(p.pre.size / rows),
                        math.ceil(p.post.size / cols), p.n_synapses) for p in network.projections]
    mapping = CrossbarMapping(chip, network, blocks)
    per_chip, max_chips = chip.limit("cores_per_chip"), chip.limit("max_chips")
    if per_chip and max_chips and mapping.tiles_used > per_chip * max_chips:
        needs = {b.projection: b.tiles for b in blocks}
        raise HardwareModelError(
            f"network does not fit on {chip.name}: it needs {mapping.tiles_used} tiles {needs} but the system has "
            f"{per_chip} tiles per chip x {max_chips} chips = {per_chip * max_chips}"
        )
    return mapping


def _reads(counts: Any, block: TileBlock, rows: int, mode: str) -> tuple[float, float, float]:
    """(row activations, row-block reads, cells on driven rows / devices_per_weight) of one projection."""
    steps = counts.steps
    if mode == "full_mvm":
        row_activations = block.n_pre * block.col_blocks * steps
        block_reads = block.row_blocks * steps
        return float(row_activations), float(block_reads), float(block.n_pre * block.n_post * steps)
    spikes = counts.spikes.get(block.pre, 0)
    p = min(1.0, spikes / (block.n_pre * steps)) if steps and block.n_pre else 0.0
    block_reads = 0.0
    for index in range(block.row_blocks):
        r = min(rows, block.n_pre - index * rows)
        block_reads += steps * (1.0 - (1.0 - p) ** r)
    return float(spikes * block.col_blocks), block_reads, float(spikes * block.n_post)


def estimate_analog(counts: Any, mapping: CrossbarMapping, chip: ChipModel, inferences: int = 1,
                    regime: str = "latency", mode: str = "event", include_static: bool = True) -> EnergyReport:
    """Energy of a counted run on an analog crossbar chip (see the module docstring).

    Terms: ``row_activation`` (DAC + row drive per driven row per tile), ``cell_read`` (per
    device on driven rows), ``adc_conversion`` or ``column_read_all_in`` (per column read).
    Neuron dynamics run in digital periphery or off-chip and are not priced (stated in notes).
    """
    if mode not in ANALOG_MODES:
        raise HardwareModelError(f"analog_mode must be one of {ANALOG_MODES}; got {mode!r}")
    report = EnergyReport(chip.name, chip.kind, chip.scope, regime=regime, label=chip.label, inferences=inferences)
    report.notes.append(f"analog mode: {mode}")
    rows = int(chip.analog_value("tile_rows"))
    devices = chip.analog_value("devices_per_weight")
    adc_per_weight = chip.analog_value("adc_columns_per_weight")
    totals = {"row_activations": 0.0, "column_reads": 0.0, "cells": 0.0}
    for block in mapping.blocks:
        row_activations, block_reads, cells = _reads(counts, block, rows, mode)
        totals["row_activations"] += row_activations
        totals["column_reads"] += block_reads * block.n_post * adc_per_weight
        totals["cells"] += cells * devices
    energy = chip.energy

    def price(term: str, count: float, unit: str) -> None:
        report.add(term, count, unit, energy[term].pj(), f"energy.{term}", energy[term].citation())

    if "row_activation" in energy:
        price("row_activation", totals["row_activations"], "row activations")
    if "cell_read" in energy:
        price("cell_read", totals["cells"], "devices on driven rows")
    if "adc_conversion" in energy:
        price("adc_conversion", totals["column_reads"], "column conversions")
    if "column_read_all_in" in energy:
        price("column_read_all_in", totals["column_reads"], "column reads")
    real = counts.duration_ms / 1000.0
    if "tile_read" not in chip.timing:
        if chip.native_regime != "real_time":
            raise HardwareModelError(f"chip {chip.name!r} has no timing.tile_read for the {regime} regime; "
                                     "use regime='real_time'")
        if regime != "real_time":
            report.notes.append(f"{chip.name} has no sourced read latency: its {regime} regime uses real-time wall time")
        fast = real
    else:
        fast = counts.steps * chip.timing["tile_read"].seconds()  # one crossbar read per step, tiles in parallel
    if regime == "real_time":
        report.wall_time_s = max(real, fast)
    elif regime == "latency":
        report.wall_time_s = fast
    else:
        copies = copies_in_flight(chip.limit("cores_per_chip"), mapping.chips_used, mapping.tiles_used)
        report.extra["copies_in_flight"] = copies
        report.notes.append(f"throughput regime: {copies} copies of the network side by side on "
                            f"{mapping.chips_used} chip(s)")
        report.wall_time_s = fast / copies
    updates = sum(counts.neuron_updates.values())
    if updates:
        report.unpriced.append(f"{updates} neuron updates (digital periphery or host; no sourced energy)")
    if "static_per_chip" in chip.power:
        price_power(report, chip, mapping.chips_used, include_static)
    else:
        report.notes.append(f"{chip.name} has no sourced static power: static energy not included (lower bound)")
    if mode == "event":
        report.notes.append("tile activity assumes independent firing of the rows of a tile")
    report.extra.update(totals)
    report.extra["mapping"] = mapping.report()
    return report
