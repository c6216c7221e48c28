"""Bad input gives clear errors before any output: unknown chips, bad counts, bad chip files, mixed scopes."""

import copy
import json

import pytest

from hardware import HardwareModelError, chip_from_dict, dense_baseline, estimate, get_chip, load_chip
from hardware.presets_digital import LOIHI, c
from hardware_builders import feedforward, make_counts

NETWORK = feedforward([20, 30])


def good_counts():
    return make_counts(NETWORK, 100, {"l0": 100, "l1": 50}, {"l0->l1": 3000})


def test_unknown_chip_lists_the_available_ones():
    with pytest.raises(HardwareModelError, match=r"unknown chip 'loihi3'.*available chips:.*loihi.*truenorth"):
        get_chip("loihi3")
    with pytest.raises(HardwareModelError, match="available chips"):
        estimate(good_counts(), NETWORK, "gpu9000")


def test_negative_counts_are_refused():
    counts = good_counts()
    counts.synaptic_events["l0->l1"] = -1
    with pytest.raises(HardwareModelError, match=r"synaptic_events\['l0->l1'\] must be >= 0; got -1"):
        estimate(counts, NETWORK, "loihi")


def test_counts_from_another_network_are_refused():
    other = feedforward([20, 31])
    with pytest.raises(HardwareModelError, match="another network: populations"):
        estimate(good_counts(), other, "loihi")
    renamed = good_counts()
    renamed.synaptic_events = {"x->y": 10}
    with pytest.raises(HardwareModelError, match="another network: projections"):
        estimate(renamed, NETWORK, "loihi")
    too_many = good_counts()
    too_many.synaptic_events["l0->l1"] = 100 * 30 + 1
    with pytest.raises(HardwareModelError, match="more than 100 pre spikes x out-degree 30"):
        estimate(too_many, NETWORK, "loihi")
    with pytest.raises(HardwareModelError, match="another network"):
        dense_baseline(good_counts(), other, "h100")


def write(tmp_path, data):
    path = tmp_path / "my_chip.json"
    path.write_text(json.dumps(data))
    return path


def test_chip_file_round_trips(tmp_path):
    chip = load_chip(write(tmp_path, LOIHI))
    assert chip.energy["synaptic_op"].pj() == 23.6


def test_chip_file_missing_a_unit_names_the_file_and_field(tmp_path):
    data = copy.deepcopy(LOIHI)
    del data["energy"]["synaptic_op"]["unit"]
    path = write(tmp_path, data)
    with pytest.raises(HardwareModelError, match=r"my_chip\.json.*'energy\.synaptic_op'.*missing.*'unit'"):
        load_chip(path)


def test_chip_file_missing_a_section_or_with_a_bad_unit(tmp_path):
    data = copy.deepcopy(LOIHI)
    del data["energy"]
    with pytest.raises(HardwareModelError, match=r"my_chip\.json.*missing the field 'energy'"):
        load_chip(write(tmp_path, data))
    data = copy.deepcopy(LOIHI)
    data["energy"]["synaptic_op"]["unit"] = "furlongs"
    with pytest.raises(HardwareModelError, match=r"energy\.synaptic_op.*unknown unit 'furlongs'"):
        load_chip(write(tmp_path, data))
    data = copy.deepcopy(LOIHI)
    data["energy"]["synaptic_op"]["unit"] = "mW"
    with pytest.raises(HardwareModelError, match=r"energy\.synaptic_op has unit 'mW'"):
        load_chip(write(tmp_path, data))
    data = copy.deepcopy(LOIHI)
    data["energy"]["synaptc_op"] = data["energy"].pop("synaptic_op")
    with pytest.raises(HardwareModelError, match=r"unknown key\(s\) \['synaptc_op'\]"):
        load_chip(write(tmp_path, data))


def test_invalid_json_names_the_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(HardwareModelError, match=r"broken\.json: not valid JSON"):
        load_chip(path)


def test_mixing_scopes_is_refused():
    """ENERGY_REFERENCES pitfall 6: an all-in figure must never be combined with per-term ones."""
    data = copy.deepcopy(LOIHI)
    data["energy"]["synaptic_event_all_in"] = c(26.0, "pJ", "28 nm", "measured", "Merolla 2014", "B", scope="all-in")
    with pytest.raises(HardwareModelError, match=r"mixes all-in coefficients \['energy\.synaptic_event_all_in'\]"):
        chip_from_dict(data, origin="mixed.json")


def test_unverified_numbers_are_never_defaults():
    """ENERGY_REFERENCES §0: grade U is never shipped as a default; no preset holds one."""
    data = copy.deepcopy(LOIHI)
    data["energy"]["learning_update"] = c(5.0, "pJ", "?", "assumed", "recalled", "U")
    with pytest.raises(HardwareModelError, match="grade U"):
        chip_from_dict(data, origin="u.json")
    assert chip_from_dict(data, origin="u.json", allow_unverified=True).energy["learning_update"].grade == "U"
    from hardware import available_chips
    for name in available_chips():
        assert all(coefficient.grade != "U" for coefficient in get_chip(name).all_coefficients().values())


def test_every_preset_coefficient_carries_a_source_and_node():
    from hardware import available_chips
    for name in available_chips():
        for key, coefficient in get_chip(name).all_coefficients().items():
            assert coefficient.source and coefficient.node, (name, key)


def test_bad_regime_timing_and_inference_count():
    import copy

    from hardware.presets_digital import LOIHI
    with pytest.raises(HardwareModelError, match="timing must be one of"):
        estimate(good_counts(), NETWORK, "loihi", timing="soon")
    with pytest.raises(HardwareModelError, match="regime must be one of"):
        estimate(good_counts(), NETWORK, "loihi", regime="fastest")
    with pytest.raises(HardwareModelError, match="inferences must be an integer >= 1"):
        estimate(good_counts(), NETWORK, "loihi", inferences=0)
    untimed = copy.deepcopy(LOIHI)
    untimed.pop("timing")
    untimed["name"] = "loihi_without_timing"
    with pytest.raises(HardwareModelError, match="no timing model"):
        estimate(good_counts(), NETWORK, chip_from_dict(untimed, origin="untimed.json"), regime="latency")
