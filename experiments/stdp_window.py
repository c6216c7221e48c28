"""STDP window (Bi & Poo 1998 protocol): one pre/post pair per synapse, Δw vs Δt on the engine
against the configured exponentials A+ e^{-Δt/τ+} and -A- e^{Δt/τ-} (τ+ 16.8 ms, τ- 33.7 ms).

Writes ``results/stdp_window/<timestamp>/`` (figure, JSON, activity counts). The same figure is
part of ``experiments.stdp_plasticity_figures``.
"""

from __future__ import annotations

from experiments.stdp_plasticity_figures import main_single


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    return main_single("stdp_window", argv, prog, __doc__.splitlines()[0])


if __name__ == "__main__":
    raise SystemExit(main())
