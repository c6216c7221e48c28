"""Shared test set-up: JAX on the CPU, Brian2 in its numpy runtime (no compiler needed)."""

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import pytest


@pytest.fixture
def brian2_numpy():
    """Brian2 in a fresh scope with the numpy code-generation target and double precision."""
    import brian2 as b2

    b2.start_scope()
    b2.prefs.codegen.target = "numpy"
    b2.prefs.core.default_float_dtype = b2.float64
    yield b2
    b2.start_scope()
