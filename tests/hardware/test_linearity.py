"""Energy is linear in each counted term: doubling one count doubles that term only."""

import pytest

from hardware import estimate, get_chip
from hardware_builders import feedforward, make_counts

NETWORK = feedforward([100, 300, 50])
BASE = dict(spikes={"l0": 4000, "l1": 3000, "l2": 400}, events={"l0->l1": 500_000, "l1->l2": 60_000},
            updates={"l1": 300 * 500, "l2": 50 * 500})


def report(spikes=None, events=None, updates=None, chip="loihi_sanafe"):
    counts = make_counts(NETWORK, 1000, spikes or BASE["spikes"], events or BASE["events"], updates or BASE["updates"])
    return estimate(counts, NETWORK, chip, regime="real_time")  # wall time fixed by the run, not by its events


def doubled(mapping):
    return {k: 2 * v for k, v in mapping.items()}


def assert_only_changed(base, new, changed):
    for name, term in base.terms.items():
        if name in changed:
            assert new.terms[name].energy_j == pytest.approx(2 * term.energy_j, rel=1e-12), name
        else:
            assert new.terms[name].energy_j == pytest.approx(term.energy_j, rel=1e-12), name


def test_synaptic_term_is_events_times_coefficient():
    """SANA-FE loihi.yaml (Boyle 2025): 33.6 pJ per sparse synapse op; 560,000 events -> 18.816 µJ."""
    assert report().energy("synaptic_op") == pytest.approx(560_000 * 33.6e-12)


def test_doubling_synaptic_events_doubles_only_the_synaptic_term():
    """Formula: E_syn = N_syn x e_syn (ENERGY_REFERENCES §5 minimum term list)."""
    assert_only_changed(report(), report(events=doubled(BASE["events"])), {"synaptic_op"})


def test_doubling_spikes_doubles_only_spike_and_routing_terms():
    """Formula: N_spike x (e_spike + messages x e_msg + hops x e_hop); synaptic events held fixed."""
    base = report()
    new = report(spikes=doubled(BASE["spikes"]))
    assert_only_changed(base, new, {"spike_out", "spike_message", "hop_ew", "hop_ns", "routing_local"})


def test_doubling_neuron_updates_doubles_only_the_neuron_term():
    """Formula: N_upd x e_upd (Davies 2018 / SANA-FE per neuron update)."""
    assert_only_changed(report(), report(updates=doubled(BASE["updates"])), {"neuron_update_active"})


def test_static_energy_is_power_times_wall_time():
    """Frady 2020 Table 1: 104.4 mW static per Loihi chip; 1 s of real-time steps -> 104.4 mJ."""
    assert report(chip="loihi").energy("static") == pytest.approx(0.1044 * 1.0)


def test_dense_clock_driven_energy_is_linear_in_steps():
    """Formula: clock-driven dense step = synapses x steps MACs (+ weight and activation bytes per step)."""
    from hardware import dense_baseline
    one = dense_baseline(make_counts(NETWORK, 500, {}, {}), NETWORK, "h100").clock_driven
    two = dense_baseline(make_counts(NETWORK, 1000, {}, {}, updates={"l1": 0, "l2": 0}), NETWORK, "h100").clock_driven
    assert two.total_j == pytest.approx(2 * one.total_j)
    assert one.terms["mac"].count == (100 * 300 + 300 * 50) * 500
