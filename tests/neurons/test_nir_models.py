"""NIR neuron models (neurons/nir_models.py) against the NIR paper's single-LIF example and closed forms.

The paper example (Pedersen et al., "Neuromorphic intermediate representation: A unified instruction
set for interoperable brain-inspired computing", Nature Communications 15, 8122 (2024), Fig. 3 / the
LIF experiment) lives in github.com/neuromorphs/NIR, ``paper/01_lif/``:

* ``lif.ipynb``: the graph, built in Norse and exported as ``lif_norse.nir``: ``Affine`` (weight 1,
  bias 0) -> ``LIF`` with ``tau_mem_inv = 400 /s`` (tau = 2.5 ms), ``v_th = 0.1`` (float32), Norse's defaults
  ``v_leak = 0``, ``v_reset = 0``, R = 1; dt = 0.1 ms (0.0001 s); the input ``d0`` below, each entry
  followed by nine zero steps (1000 steps).
* ``lif_exact_sim.py`` / ``lif_sim_exact_sim.ipynb``: the exact event-driven solution, with each
  input spike a current of height 1 held over its step (``StepCurrent``), reset by subtraction;
  it prints "Exact spike times: ['0.046084', '0.051090', '0.071092', '0.076091']" (s), i.e. the
  steps int(t / dt) = 460, 510, 710, 760 saved in ``lif_exact.csv`` (which also gives
  v = 3.921056170668948959e-02 and 3.767309355733538395e-02 after steps 60 and 61).
"""

from __future__ import annotations

import numpy as np
import pytest

import spikenet as sn
from neurons import NIRI, NIRIF, NIRLI, NIRLIF, NIRCubaLI, NIRCubaLIF

DT = 0.1
PAPER_D0 = [0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0,
            1, 0, 1, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1,
            1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
PAPER_SPIKE_STEPS = [460, 510, 710, 760]
# lif_norse.nir stores float32 parameters: tau = float32(1/400) s = 2.4999999441... ms, v_th = float32(0.1);
# lif_exact.csv was computed with them (with tau = 2.5 ms exactly its values differ by 9e-10).
PAPER_TAU = 1000.0 * float(np.float32(1.0 / 400.0))
PAPER_THRESHOLD = float(np.float32(0.1))
TOL = 1e-12


def paper_input() -> np.ndarray:
    d = np.zeros(10 * len(PAPER_D0))
    d[::10] = PAPER_D0
    return d


def test_nir_paper_single_lif_spikes_at_the_exact_steps():
    """The paper's LIF graph on spikenet spikes at steps 460, 510, 710 and 760, with either reset.

    Mapping (neurons.nir_models, "step" reading of a NIR spike): the paper's spike k is a unit
    current over [k dt, (k+1) dt); a SpikeSource spike at step k - 1 delivers through Delta('v') the
    jump R w (e^{dt/tau} - 1), which has decayed to R w (1 - e^{-dt/tau}) at the end of step k, so
    thresholds see the exact solution's values. The same input as a step-wise current table needs
    no mapping. Before the first spike v equals the exact solution (and lif_exact.csv) to 1e-12.
    """
    d = paper_input()
    bins = np.flatnonzero(d)
    jump = 1.0 * 1.0 * np.expm1(DT / PAPER_TAU)  # R w (e^{dt/tau} - 1), R = w = 1
    net = sn.Network(dt=DT)
    source = net.spike_source("input", 1, np.zeros(len(bins), dtype=int), (bins - 1) * DT)
    populations = {}
    for mode in ("subtract", "value"):
        model = NIRLIF(tau=PAPER_TAU, r=1.0, v_leak=0.0, v_threshold=PAPER_THRESHOLD, v_reset=0.0, reset_mode=mode)
        np.testing.assert_allclose(model.delta_weight(1.0, "step", DT), jump, rtol=1e-15)
        populations[mode] = net.population(f"lif_{mode}", 1, model)
        net.connect(source, populations[mode], sn.OneToOne(), synapse=sn.Delta("v"), weight=jump)
    driven = net.population("lif_current", 1, NIRLIF(tau=PAPER_TAU, r=1.0, v_leak=0.0, v_threshold=PAPER_THRESHOLD))
    net.current(driven, d, dt_values=DT)
    names = ["lif_subtract", "lif_value", "lif_current"]
    result = net.run(100.0, monitors=[sn.SpikeMonitor(n) for n in names] + [sn.StateMonitor(n, "v") for n in names],
                     precision="float64", progress=False)

    for name in names:
        times, _ = result.spikes[name]
        assert np.round(times / DT).astype(int).tolist() == PAPER_SPIKE_STEPS, name

    # Exact solution at the step ends for the piecewise-constant input (no spike before step 460).
    decay = np.exp(-DT / PAPER_TAU)
    exact = np.zeros(len(d) + 1)
    for k in range(len(d)):
        exact[k + 1] = decay * exact[k] + (1.0 - decay) * d[k]
    np.testing.assert_allclose(exact[[61, 62]], [3.921056170668948959e-02, 3.767309355733538395e-02], rtol=0, atol=TOL)
    before = slice(0, PAPER_SPIKE_STEPS[0] + 1)
    np.testing.assert_allclose(result.states["lif_current"]["v"][before, 0], exact[before], rtol=0, atol=TOL)
    # The recorded v (start of step n) holds the jump delivered at n dt, i.e. for the pulse of step n.
    for mode in ("subtract", "value"):
        recorded = result.states[f"lif_{mode}"]["v"][before, 0]
        np.testing.assert_allclose(recorded - jump * d[before], exact[before], rtol=0, atol=TOL)


def _run(net: sn.Network, names: list[str], variables: dict[str, tuple[str, ...]], duration: float):
    monitors = [sn.StateMonitor(n, list(variables[n])) for n in names] + [sn.SpikeMonitor(n) for n in names]
    return net.run(duration, monitors=monitors, precision="float64", progress=False)


def cuba_kernel(t: np.ndarray, tau_syn: float, tau_mem: float) -> np.ndarray:
    """Solution k of tau_mem k' = -k + exp(-t/tau_syn), k(0) = 0."""
    if tau_syn == tau_mem:
        return t / tau_mem * np.exp(-t / tau_mem)
    return tau_syn / (tau_syn - tau_mem) * (np.exp(-t / tau_syn) - np.exp(-t / tau_mem))


def test_constant_input_matches_closed_form():
    """Each model under a constant current c from a non-resting initial state, against its closed form."""
    c, duration = 3.0, 20.0
    net = sn.Network(dt=DT)
    lif = net.population("lif", 1, NIRLIF(tau=4.0, r=0.5, v_leak=-1.0, v_threshold=100.0)).set_initial(v=2.0)
    li = net.population("li", 1, NIRLI(tau=7.0, r=2.0, v_leak=0.5)).set_initial(v=-3.0)
    if_ = net.population("if", 1, NIRIF(r=0.25, v_threshold=100.0)).set_initial(v=0.5)
    integrator = net.population("i", 1, NIRI(r=1.5)).set_initial(v=-0.25)
    cuba = net.population("cuba", 3, NIRCubaLIF(tau_syn=np.array([2.0, 5.0, 5.0]), tau_mem=np.array([5.0, 5.0, 3.0]),
                                                r=0.8, v_leak=0.2, v_threshold=100.0, w_in=np.array([1.0, -0.5, 2.0])))
    cuba.set_initial(v=1.0, i=np.array([0.5, -1.0, 0.0]))
    cuba_li = net.population("cuba_li", 1, NIRCubaLI(tau_syn=4.0, tau_mem=4.0, r=1.0, v_leak=0.0, w_in=1.5)).set_initial(i=2.0)
    for population in (lif, li, if_, integrator, cuba, cuba_li):
        net.current(population, c)
    variables = {"lif": ("v",), "li": ("v",), "if": ("v",), "i": ("v",), "cuba": ("v", "i"), "cuba_li": ("v", "i")}
    result = _run(net, list(variables), variables, duration)
    t = result.states["lif"]["t"]
    col = t[:, None]

    def check(name, variable, expected):
        np.testing.assert_allclose(result.states[name][variable], np.broadcast_to(expected, result.states[name][variable].shape),
                                   rtol=0, atol=TOL, err_msg=f"{name}.{variable}")

    check("lif", "v", -1.0 + 0.5 * c + (2.0 - (-1.0 + 0.5 * c)) * np.exp(-col / 4.0))
    check("li", "v", 0.5 + 2.0 * c + (-3.0 - (0.5 + 2.0 * c)) * np.exp(-col / 7.0))
    check("if", "v", 0.5 + 0.25 * c * col)
    check("i", "v", -0.25 + 1.5 * c * col)
    tau_syn, tau_mem, w_in, i0 = np.array([2.0, 5.0, 5.0]), np.array([5.0, 5.0, 3.0]), np.array([1.0, -0.5, 2.0]), np.array([0.5, -1.0, 0.0])
    i_inf = w_in * c
    v_inf = 0.2 + 0.8 * i_inf
    kernel = np.stack([cuba_kernel(t, ts, tm) for ts, tm in zip(tau_syn, tau_mem)], axis=1)
    check("cuba", "i", i_inf + (i0 - i_inf) * np.exp(-col / tau_syn))
    check("cuba", "v", v_inf + (1.0 - v_inf) * np.exp(-col / tau_mem) + 0.8 * (i0 - i_inf) * kernel)
    check("cuba_li", "i", 1.5 * c + (2.0 - 1.5 * c) * np.exp(-col / 4.0))
    check("cuba_li", "v", 1.5 * c + (0.0 - 1.5 * c) * np.exp(-col / 4.0) + (2.0 - 1.5 * c) * cuba_kernel(col, 4.0, 4.0))
    for name in variables:
        assert len(result.spikes[name][0]) == 0


def test_single_dirac_spike_matches_closed_form():
    """A NIR spike of weight w (a Dirac pulse w delta(t - t0)) through Delta: the impulse response of each model.

    The source spikes at step 20 (t = 2.0 ms); the pulse arrives at t0 = 2.1 ms; the jumps are
    R w / tau (LIF, LI), R w (IF, I) and w_in w / tau_syn into the current (CubaLIF, CubaLI)."""
    w, spike_step, duration = 1.5, 20, 15.0
    t0 = (spike_step + 1) * DT
    net = sn.Network(dt=DT)
    source = net.spike_source("spike", 1, [0], [spike_step * DT])
    models = {
        "lif": (NIRLIF(tau=3.0, r=2.0, v_leak=0.5, v_threshold=100.0), "v", 2.0 * w / 3.0),
        "li": (NIRLI(tau=6.0, r=0.5, v_leak=-1.0), "v", 0.5 * w / 6.0),
        "if": (NIRIF(r=0.3, v_threshold=100.0), "v", 0.3 * w),
        "i": (NIRI(r=2.5), "v", 2.5 * w),
        "cuba": (NIRCubaLIF(tau_syn=2.0, tau_mem=5.0, r=1.2, v_leak=0.0, v_threshold=100.0, w_in=-0.7), "i", -0.7 * w / 2.0),
        "cuba_eq": (NIRCubaLIF(tau_syn=4.0, tau_mem=4.0, r=1.0, v_leak=0.3, v_threshold=100.0, w_in=2.0), "i", 2.0 * w / 4.0),
        "cuba_li": (NIRCubaLI(tau_syn=5.0, tau_mem=2.0, r=0.5, v_leak=0.0), "i", 1.0 * w / 5.0),
    }
    variables = {}
    for name, (model, target, jump) in models.items():
        np.testing.assert_allclose(model.delta_weight(w), jump, rtol=1e-15)
        population = net.population(name, 1, model)
        net.connect(source, population, sn.OneToOne(), synapse=sn.Delta(target), weight=jump)
        variables[name] = ("v", "i") if target == "i" else ("v",)
    result = _run(net, list(models), variables, duration)
    t = result.states["lif"]["t"]
    s = np.where(t >= t0 - 1e-9, t - t0, np.nan)  # time since the pulse
    after = np.isfinite(s)
    s0 = np.nan_to_num(s)

    def check(name, variable, rest, expected):
        got = result.states[name][variable][:, 0]
        np.testing.assert_allclose(got, np.where(after, expected, rest), rtol=0, atol=TOL, err_msg=f"{name}.{variable}")

    check("lif", "v", 0.5, 0.5 + 2.0 * w / 3.0 * np.exp(-s0 / 3.0))
    check("li", "v", -1.0, -1.0 + 0.5 * w / 6.0 * np.exp(-s0 / 6.0))
    check("if", "v", 0.0, 0.3 * w)
    check("i", "v", 0.0, 2.5 * w)
    for name, tau_syn, tau_mem, r, v_leak, w_in in (("cuba", 2.0, 5.0, 1.2, 0.0, -0.7), ("cuba_eq", 4.0, 4.0, 1.0, 0.3, 2.0),
                                                   ("cuba_li", 5.0, 2.0, 0.5, 0.0, 1.0)):
        i_jump = w_in * w / tau_syn
        check(name, "i", 0.0, i_jump * np.exp(-s0 / tau_syn))
        check(name, "v", v_leak, v_leak + r * i_jump * cuba_kernel(s0, tau_syn, tau_mem))
    for name in models:
        assert len(result.spikes[name][0]) == 0


def test_reset_by_value_and_by_subtraction():
    """Constant input above threshold: v follows the exact step map, with v <- v_reset or
    v <- v - (v_threshold - v_reset) after each step that ends above v_threshold (strictly)."""
    c, steps = 1.0, 300
    params = dict(tau=5.0, r=2.0, v_leak=0.0, v_threshold=1.0, v_reset=-0.2)
    net = sn.Network(dt=DT)
    names = {}
    for mode in ("value", "subtract"):
        names[f"lif_{mode}"] = net.population(f"lif_{mode}", 1, NIRLIF(**params, reset_mode=mode))
        names[f"if_{mode}"] = net.population(f"if_{mode}", 1, NIRIF(r=0.3, v_threshold=1.0, v_reset=0.0, reset_mode=mode))
        names[f"cuba_{mode}"] = net.population(
            f"cuba_{mode}", 1, NIRCubaLIF(tau_syn=1.0, tau_mem=5.0, r=2.0, v_leak=0.0, v_threshold=1.0, v_reset=-0.2, reset_mode=mode))
    for population in names.values():
        net.current(population, c)
    variables = {n: (("v", "i") if n.startswith("cuba") else ("v",)) for n in names}
    result = _run(net, list(names), variables, steps * DT)

    def reference(step_map, v_threshold, v_reset, mode):
        """v at the start of each step and the spike steps, from the model's exact one-step map."""
        v, trace, spikes = 0.0, [], []
        for n in range(steps):
            trace.append(v)
            v = step_map(v)
            if v > v_threshold:
                spikes.append(n)
                v = v_reset if mode == "value" else v - (v_threshold - v_reset)
        return np.array(trace), spikes

    decay = np.exp(-DT / 5.0)
    lif_map = lambda v: 2.0 * c + (v - 2.0 * c) * decay  # noqa: E731
    if_map = lambda v: v + 0.3 * c * DT  # noqa: E731
    traces = {}
    for mode in ("value", "subtract"):
        for name, step_map, v_reset in ((f"lif_{mode}", lif_map, -0.2), (f"if_{mode}", if_map, 0.0)):
            trace, spikes = reference(step_map, 1.0, v_reset, mode)
            np.testing.assert_allclose(result.states[name]["v"][:, 0], trace, rtol=0, atol=1e-11, err_msg=name)
            assert np.round(result.spikes[name][0] / DT).astype(int).tolist() == spikes, name
            assert len(spikes) >= 3
            traces[name] = trace
        # The reset leaves the CubaLIF's current alone: i follows its closed form throughout.
        t = result.states[f"cuba_{mode}"]["t"]
        np.testing.assert_allclose(result.states[f"cuba_{mode}"]["i"][:, 0], c * (1.0 - np.exp(-t / 1.0)), rtol=0, atol=TOL)
        assert len(result.spikes[f"cuba_{mode}"][0]) >= 3
    # Value: v restarts at v_reset exactly; subtraction keeps the overshoot (the IF's 0.03-mV steps
    # do not divide 1 mV evenly at the first crossing, so the two trains differ).
    first = round(result.spikes["if_value"][0][0] / DT) + 1
    assert result.states["if_value"]["v"][first, 0] == 0.0
    assert result.states["if_subtract"]["v"][first, 0] > 0.0
    assert not np.array_equal(result.spikes["lif_value"][0], result.spikes["lif_subtract"][0])


@pytest.mark.parametrize("build, parameter", [
    (lambda: NIRLIF(tau=0.0, r=1.0, v_leak=0.0, v_threshold=1.0), "NIRLIF.tau (ms)"),
    (lambda: NIRLIF(tau=1.0, r=-1.0, v_leak=0.0, v_threshold=1.0), "NIRLIF.r (mV/pA)"),
    (lambda: NIRLIF(tau=1.0, r=1.0, v_leak=np.nan, v_threshold=1.0), "NIRLIF.v_leak (mV)"),
    (lambda: NIRLIF(tau=1.0, r=1.0, v_leak=0.0, v_threshold=0.0, v_reset=0.0), "NIRLIF.v_threshold must be > v_reset"),
    (lambda: NIRLIF(tau=1.0, r=1.0, v_leak=0.0, v_threshold=1.0, reset_mode="zero"), "NIRLIF.reset_mode"),
    (lambda: NIRLIF(tau=1.0, r=1.0, v_leak=0.0, v_threshold=1.0, integration="euler"), "NIRLIF.integration"),
    (lambda: NIRLI(tau=-2.0, r=1.0, v_leak=0.0), "NIRLI.tau (ms)"),
    (lambda: NIRIF(r=0.0, v_threshold=1.0), "NIRIF.r (mV/(pA ms))"),
    (lambda: NIRIF(r=1.0, v_threshold=np.inf), "NIRIF.v_threshold (mV)"),
    (lambda: NIRI(r=np.inf), "NIRI.r (mV/(pA ms))"),
    (lambda: NIRCubaLIF(tau_syn=0.0, tau_mem=1.0, r=1.0, v_leak=0.0, v_threshold=1.0), "NIRCubaLIF.tau_syn (ms)"),
    (lambda: NIRCubaLIF(tau_syn=1.0, tau_mem=np.array([1.0, -1.0]), r=1.0, v_leak=0.0, v_threshold=1.0), "NIRCubaLIF.tau_mem (ms)"),
    (lambda: NIRCubaLIF(tau_syn=1.0, tau_mem=1.0, r=1.0, v_leak=0.0, v_threshold=1.0, w_in=np.nan), "NIRCubaLIF.w_in (dimensionless)"),
    (lambda: NIRCubaLI(tau_syn=1.0, tau_mem=1.0, r=0.0, v_leak=0.0), "NIRCubaLI.r (mV/pA)"),
    (lambda: NIRCubaLIF(tau_syn=1.0, tau_mem=1.0, r=1.0, v_leak=0.0, v_threshold=1.0).delta_weight(1.0, "step", DT),
     "NIRCubaLIF.delta_weight: convention"),
    (lambda: NIRLIF(tau=1.0, r=1.0, v_leak=0.0, v_threshold=1.0).delta_weight(1.0, "step"), "NIRLIF.delta_weight: convention 'step' needs dt"),
])
def test_bad_parameters_raise_naming_the_parameter(build, parameter):
    with pytest.raises(sn.SpikenetError) as error:
        build()
    assert parameter in str(error.value)


def test_per_neuron_parameters_must_match_the_population_size():
    net = sn.Network(dt=DT)
    with pytest.raises(sn.SpikenetError, match="w_in"):
        population = net.population("cuba", 3, NIRCubaLIF(tau_syn=1.0, tau_mem=2.0, r=1.0, v_leak=0.0, v_threshold=1.0,
                                                          w_in=np.array([1.0, 2.0])))
        net.run(1.0, monitors=[sn.SpikeMonitor(population)], precision="float64", progress=False)


def test_cuba_propagator_is_continuous_through_equal_time_constants():
    """K(t) for tau_syn -> tau_mem tends to (t/tau) e^{-t/tau}: one step from the same state with
    tau_syn = tau_mem (1 + eps) matches the closed form of the equal case to O(eps)."""
    import jax

    from spikenet.neuron_protocol import SynapticDrive

    with jax.enable_x64(True):
        state = {"v": np.array([1.0, 1.0, 1.0, 1.0]), "i": np.array([2.0, 2.0, 2.0, 2.0]), "s": np.zeros(4)}
        drive = SynapticDrive(np.full(4, 0.5), np.zeros(4))
        tau = 5.0
        model = NIRCubaLIF(tau_syn=tau * (1.0 + np.array([0.0, 1e-12, 1e-9, -1e-9])), tau_mem=tau, r=1.0, v_leak=0.0,
                           v_threshold=10.0)
        new = model.update(state, drive, DT)
        i_inf = 0.5
        expected_v = i_inf + (1.0 - i_inf) * np.exp(-DT / tau) + (2.0 - i_inf) * DT / tau * np.exp(-DT / tau)
        np.testing.assert_allclose(np.asarray(new["v"]), expected_v, rtol=0, atol=1e-9)
        np.testing.assert_allclose(np.asarray(new["v"])[:2], expected_v, rtol=0, atol=TOL)
