"""experiments/microcircuit.py: the Potjans & Diesmann (2014) parameter tables, the in-degree scaling
with DC compensation, and a tiny run that writes its run folder.

The reference tables below are typed again from the sources, independently of the module:
Potjans & Diesmann, Cereb. Cortex 24:785 (2014), Table 5 (connection probabilities), and the PyNEST
microcircuit (nest-simulator ``pynest/examples/Potjans_2014/network_params.py``: ``full_num_neurons``,
``K_ext``, ``PSP_exc_mean``, ``g``, ``weight_rel_std``, delays, ``neuron_params``, ``full_mean_rates``).
"""

import json
import math

import numpy as np
import pytest

from experiments import microcircuit as mc

PAPER_N = [20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948]
PAPER_K_EXT = [1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100]
# Table 5 of Potjans & Diesmann (2014): rows are targets, columns sources,
# order L2/3e, L2/3i, L4e, L4i, L5e, L5i, L6e, L6i.
PAPER_TABLE_5 = [
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.1350, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.0600, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.0010, 0.0034, 0.0005, 0.0277, 0.0080, 0.0658, 0.1443],
]
PYNEST_FULL_MEAN_RATES = [0.943, 3.026, 4.368, 5.882, 7.733, 8.664, 1.096, 7.851]


def test_parameter_tables_equal_the_published_ones():
    assert mc.POPULATIONS == ("L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I")
    assert mc.N_FULL.tolist() == PAPER_N and sum(PAPER_N) == 77_169
    assert mc.K_EXT.tolist() == PAPER_K_EXT
    np.testing.assert_array_equal(mc.CONN_PROBS, PAPER_TABLE_5)
    np.testing.assert_array_equal(mc.NEST_FULL_SCALE_RATES_HZ, PYNEST_FULL_MEAN_RATES)
    assert (mc.C_M_PF, mc.TAU_M_MS, mc.TAU_SYN_MS, mc.T_REF_MS) == (250.0, 10.0, 0.5, 2.0)
    assert (mc.E_L_MV, mc.V_TH_MV, mc.V_RESET_MV) == (-65.0, -50.0, -65.0)
    assert (mc.PSP_EXC_MEAN_MV, mc.G, mc.WEIGHT_REL_STD, mc.BG_RATE_HZ) == (0.15, -4.0, 0.1, 8.0)
    assert (mc.DELAY_EXC_MEAN_MS, mc.DELAY_INH_MEAN_MS, mc.DELAY_REL_STD) == (1.5, 0.75, 0.5)
    psp = mc.psp_matrix_mv()
    assert psp[0, 2] == 0.3 and psp[1, 2] == 0.15 and np.all(psp[:, 1::2] == -0.6)
    delays = mc.delay_matrix_ms()
    assert np.all(delays[:, 0::2] == 1.5) and np.all(delays[:, 1::2] == 0.75)


def test_psc_amplitude_and_synapse_numbers():
    # 0.15 mV PSP -> 87.8 pA PSC (Potjans & Diesmann 2014, Table 5: "87.8 pA")
    assert mc.psc_over_psp() * 0.15 == pytest.approx(87.81, abs=0.01)
    # Peak of the PSP of a 1-pA exponential PSC, computed here by brute force.
    t = np.linspace(0.0, 10.0, 200_001)
    v = (np.exp(-t / 10.0) - np.exp(-t / 0.5)) * 0.5 * 10.0 / (250.0 * (10.0 - 0.5))
    assert 1.0 / v.max() == pytest.approx(mc.psc_over_psp(), rel=1e-6)
    full = mc.derived_parameters(1.0, 1.0)
    # about 0.3e9 synapses in the full model (Potjans & Diesmann 2014: "~0.3 billion synapses")
    assert 2.9e8 < full["num_synapses"].sum() < 3.1e8
    s = math.log(1 - 0.1009) / math.log(1 - 1 / (20683.0 * 20683.0))
    assert full["num_synapses"][0, 0] == round(s)
    assert np.all(full["num_synapses"][CONN_ZERO] == 0)
    np.testing.assert_array_equal(mc.derived_parameters(0.1, 0.1)["num_neurons"],
                                  np.round(np.array(PAPER_N) * 0.1).astype(int))


CONN_ZERO = np.array(PAPER_TABLE_5) == 0.0


@pytest.mark.parametrize("poisson_input", [True, False])
@pytest.mark.parametrize("k_scale", [1.0, 0.5, 0.1, 0.01])
def test_scaling_keeps_the_mean_and_variance_of_the_input(k_scale, poisson_input):
    """In-degrees x K, weights x 1/sqrt(K) and the DC 1e-3 tau_syn (1 - sqrt K)(sum J K nu + J_ext K_ext nu_bg)
    keep the mean input (at NEST's full-scale rates) and J^2 K (the variance) of the full network."""
    full = mc.derived_parameters(1.0, 1.0, poisson_input)
    scaled = mc.derived_parameters(0.1, k_scale, poisson_input)
    k_full, k_scaled = full["full_indegrees"], full["full_indegrees"] * k_scale
    mu_full = mc.mean_input_pa(full, k_full, mc.K_EXT, poisson_input)
    mu_scaled = mc.mean_input_pa(scaled, k_scaled, mc.K_EXT * k_scale, poisson_input)
    np.testing.assert_allclose(mu_scaled, mu_full, rtol=1e-12)
    np.testing.assert_allclose(scaled["weight_matrix_pa"] ** 2 * k_scaled, full["weight_matrix_pa"] ** 2 * k_full,
                               rtol=1e-12)
    # the formula written out for L2/3E at this K, independently of mean_input_pa
    j = 0.15 * mc.psc_over_psp()
    j_matrix = np.where(np.arange(8) % 2 == 0, j, -4 * j)[None, :] * np.ones((8, 1))
    j_matrix[0, 2] = 2 * j
    rec = np.sum(j_matrix * k_full * np.array(PYNEST_FULL_MEAN_RATES), axis=1)
    ext = j * np.array(PAPER_K_EXT) * 8.0
    dc_expected = 0.5e-3 * (1 - math.sqrt(k_scale)) * (rec + ext) if poisson_input else \
        0.5e-3 * (1 - math.sqrt(k_scale)) * rec + 0.5e-3 * ext
    np.testing.assert_allclose(scaled["dc_pa"], dc_expected, rtol=1e-12)
    if not poisson_input:  # the DC background alone equals the Poisson mean 1e-3 tau K_ext nu J
        assert full["dc_pa"][0] == pytest.approx(0.5e-3 * 1600 * 8.0 * j)


def test_built_network_has_the_scaled_statistics():
    net = mc.build(scale=0.02, seed=3)
    params = mc.derived_parameters(0.02, 0.02)
    by_name = {p.name: p for p in net.projections}
    for i, post in enumerate(mc.POPULATIONS):
        assert net.populations[post].size == params["num_neurons"][i]
        for j, pre in enumerate(mc.POPULATIONS):
            n = params["num_synapses"][i, j]
            if n == 0:
                assert f"{pre}->{post}" not in by_name
                continue
            projection = by_name[f"{pre}->{post}"]
            assert projection.n_synapses == n
            w = params["weight_matrix_pa"][i, j]
            assert np.all(np.sign(projection.weights) == np.sign(w))
            delays = projection.delays_ms()
            assert delays.min() >= 0.1 - 1e-9
            if n > 2000:
                assert projection.weights.mean() == pytest.approx(w, rel=0.02)
                assert projection.weights.std() == pytest.approx(abs(w) * 0.1, rel=0.1)
                assert delays.mean() == pytest.approx(mc.delay_matrix_ms()[i, j], rel=0.06)
    assert len(net.poisson_inputs) == 8
    assert [d.n_sources for d in net.poisson_inputs] == list(np.round(np.array(PAPER_K_EXT) * 0.02).astype(int))


def test_tiny_run_writes_the_run_folder(tmp_path):
    code = mc.main(["--scale", "0.01", "--duration", "300", "--transient", "100", "--no-progress",
                    "--results", str(tmp_path)])
    assert code == 0
    (folder,) = (tmp_path / "microcircuit").iterdir()
    for name in ("statistics.json", "spikes.npz", "raster.png", "statistics.png", "activity_counts.json",
                 "network.json", "config.json", "status.json"):
        assert (folder / name).is_file(), name
    assert json.loads((folder / "status.json").read_text())["state"] == "complete"
    summary = json.loads((folder / "statistics.json").read_text())
    rates = [summary["populations"][p]["rate_hz"] for p in mc.POPULATIONS]
    assert all(math.isfinite(r) and 0.0 <= r < 50.0 for r in rates)
    assert sum(rates) > 1.0  # the network is active, not silent
    spikes = np.load(folder / "spikes.npz")
    assert set(spikes.files) == {f"{p}_{k}" for p in mc.POPULATIONS for k in ("times_ms", "indices")}


def test_statistics_on_known_spike_trains():
    # Regular spiking at 10 Hz: CV 0; rate 10 Hz; synchrony of a perfectly locked population is large.
    times = np.tile(np.arange(0.0, 1000.0, 100.0), 5)
    indices = np.repeat(np.arange(5), 10)
    stats = mc.population_statistics(times, indices, 10, 0.0, 1000.0)
    assert stats["rate_hz"] == pytest.approx(5.0) and stats["isi_cv"] == pytest.approx(0.0)
    assert stats["cv_neurons"] == 5 and stats["synchrony"] > 1.0
    rng = np.random.default_rng(0)
    poisson = np.sort(rng.uniform(0.0, 30_000.0, 30_000))
    assert mc.synchrony(poisson, 0.0, 30_000.0) == pytest.approx(1.0, abs=0.05)


def test_cli_lists_microcircuit():
    from experiments.cli import EXPERIMENTS

    assert EXPERIMENTS["microcircuit"].module == "experiments.microcircuit"
