"""Triplet STDP vs pairing frequency: Pfister & Gerstner (2006) triplet rule (visual-cortex minimal
set) against Sjöström et al. (2001), Δw vs pairing frequency for Δt = ±10 ms, with the published data.

Writes ``results/triplet_frequency/<timestamp>/`` (figure, JSON, activity counts). The same figure
is part of ``experiments.stdp_plasticity_figures``.
"""

from __future__ import annotations

from experiments.stdp_plasticity_figures import main_single


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    return main_single("triplet_frequency", argv, prog, __doc__.splitlines()[0])


if __name__ == "__main__":
    raise SystemExit(main())
