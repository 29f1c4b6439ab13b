"""The short space of hypermax.optimize: a tuple of two numbers is a range, never a choice; a
dict that is no spec node a nested space."""

from __future__ import annotations

import pytest

import hypermax
from hypermax.quick.ranges import RangeError, space_node


def test_a_pair_of_numbers_is_a_range_of_integers_when_both_ends_are():
    node = space_node({"x": (0.0, 1.0), "depth": (2, 8), "opt": ["adam", "sgd"]})
    assert node["properties"] == {
        "x": {"type": "number", "min": 0.0, "max": 1.0},
        "depth": {"type": "integer", "min": 2, "max": 8},
        "opt": {"enum": ["adam", "sgd"]},
    }


@pytest.mark.parametrize("value", [("adam", "sgd"), (0.0, 0.5, 1.0), (1.0, 0.0), (True, 3)])
def test_any_other_tuple_is_an_error_not_a_choice(value):
    with pytest.raises(RangeError, match='space "x"'):
        space_node({"x": value})


def test_a_dict_that_is_not_a_node_is_a_nested_short_space():
    node = space_node({"optimizer": {"lr": "0.1:1", "momentum": [0.9, 0.99]}, "x": (0, 1)})
    assert node["properties"]["optimizer"] == {
        "type": "object",
        "properties": {
            "lr": {"type": "number", "min": 0.1, "max": 1},
            "momentum": {"enum": [0.9, 0.99]},
        },
    }
    assert space_node({"n": {"enum": [1, 2]}})["properties"]["n"] == {"enum": [1, 2]}


def test_a_nested_short_space_reaches_the_trial_as_nested_params(tmp_path):
    def train(params):
        return params["optimizer"]["lr"] * params["optimizer"]["momentum"]

    result = hypermax.optimize(
        train,
        space={"optimizer": {"lr": (0.1, 1.0), "momentum": [0.5]}},
        iterations=1,
        results_dir=tmp_path,
    )
    (trial,) = result.trials
    assert trial["state"] == "ok" and trial["params"]["optimizer"]["momentum"] == 0.5
