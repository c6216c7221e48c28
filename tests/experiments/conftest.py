"""A quick run of the main job, shared by the tests of this folder (module-independent, run once)."""

import pytest

from experiments import energy_vs_dense

QUICK_ARGS = ["--quick", "--n-excitatory", "40", "--n-train", "200", "--n-test", "80", "--no-progress"]


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory):
    """summary.json content of a small ``energy_vs_dense --quick`` run (N_e = 40, 200 train / 80 test)."""
    root = tmp_path_factory.mktemp("results")
    args = energy_vs_dense.build_parser().parse_args([*QUICK_ARGS, "--results", str(root)])
    return energy_vs_dense.run(args)
