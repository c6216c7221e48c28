"""Compile-time checks of user-supplied neuron models and plasticity rules (filled in by issue 12)."""

from __future__ import annotations

from typing import Any


def check_user_models(network: Any, dtype: Any) -> None:
    """Check every population's model and every plastic projection's rule once, before any work."""
    return None
