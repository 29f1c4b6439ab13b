"""The short space of hypermax.optimize: a tuple of two numbers is a range, never a choice."""

from __future__ import annotations

import pytest

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
