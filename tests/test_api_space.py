"""The short space of hypermax.optimize: a tuple of two numbers is a range, never a choice; a
dict that is no spec node a nested space; numpy values the numbers they hold."""

from __future__ import annotations

import numpy as np
import pytest

import hypermax
from hypermax.errors import SpecError
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


def test_a_param_named_by_anything_but_a_str_is_an_error_before_anything_runs(tmp_path):
    """``{1: "0:1"}`` started the search, whose first proposal then failed it: 'proposed
    params the space cannot produce ... unknown parameter "1"'."""
    for space, shown in (
        ({1: "0:1"}, '"1": a param is named by a str, got the int 1'),
        ({"a": {(0, 1): [2]}}, '"a.(0, 1)": a param is named by a str, got the tuple (0, 1)'),
    ):
        with pytest.raises(SpecError) as raised:
            hypermax.optimize(lambda p: 0, space=space, iterations=1, results_dir=tmp_path)
        assert str(raised.value) == f"optimize(): space {shown}"
        assert isinstance(raised.value, ValueError)
    assert not list(tmp_path.iterdir())


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


def test_numpy_values_are_the_numbers_and_lists_they_hold():
    node = space_node(
        {
            "lr": np.logspace(-3, -1, 3),
            "depth": (np.int64(2), np.int64(8)),
            "units": [np.int64(16), np.int64(32)],
            "seed": np.int64(7),
        }
    )
    assert node["properties"] == {
        "lr": {"enum": [0.001, 0.01, 0.1]},
        "depth": {"type": "integer", "min": 2, "max": 8},
        "units": {"enum": [16, 32]},
        "seed": {"constant": 7},
    }
    assert space_node({"n": range(1, 4)})["properties"]["n"] == {"enum": [1, 2, 3]}


@pytest.mark.parametrize(
    ("value", "shown"), [({1, 2}, "{1, 2}"), (object, "<class 'object'>"), ([1, {3}], "[1, {3}]")]
)
def test_a_value_that_is_no_json_is_an_error_naming_the_param(tmp_path, value, shown):
    with pytest.raises(SpecError) as raised:
        hypermax.optimize(
            lambda params: 0.0, space={"opt": {"x": value}}, iterations=1, results_dir=tmp_path
        )
    assert str(raised.value) == (
        f'optimize(): space "opt.x": {shown}: write a range string, a (low, high) tuple, a list '
        "of values or a constant that JSON can hold"
    )
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("space", "problem"),
    [
        ({"x": "0:1e400"}, "x.max: must be a finite number, got Infinity"),
        ({"x": (float("-inf"), 0.0)}, "x.min: must be a finite number, got -Infinity"),
    ],
)
def test_an_infinite_end_is_a_spec_error_before_anything_runs(tmp_path, space, problem):
    with pytest.raises(SpecError) as raised:
        hypermax.optimize(lambda params: 0.0, space=space, iterations=1, results_dir=tmp_path)
    assert str(raised.value) == f"optimize(): hyperparameters.properties.{problem}"
    assert not list(tmp_path.iterdir())


def test_a_space_that_is_a_ref_is_the_node_it_names(tmp_path):
    result = hypermax.optimize(
        lambda params: 0.5,
        space={"$ref": "template:svc#/hyperparameters"},
        iterations=1,
        results_dir=tmp_path,
    )
    (trial,) = result.trials
    assert trial["state"] == "ok" and {"C", "kernel"} <= set(trial["params"])


def _svc(C, kernel, class_weight, reporter=None):
    return C if kernel["name"] == "rbf" else 1.0 + C


def _svc_without_kernel(C, class_weight):
    return C


def test_a_function_takes_the_params_of_a_ref_space_as_keywords(tmp_path):
    """It was refused, the space's params unknown before the $ref was read: "_svc() takes
    'kernel', which a trial does not give"."""
    result = hypermax.optimize(
        _svc, space={"$ref": "template:svc#/hyperparameters"}, iterations=2, results_dir=tmp_path
    )
    assert [t["state"] for t in result.trials] == ["ok", "ok"]


def test_a_function_that_cannot_take_the_params_of_a_ref_space_is_refused(tmp_path):
    with pytest.raises(TypeError, match="has no parameter for the param 'kernel'"):
        hypermax.optimize(
            _svc_without_kernel,
            space={"$ref": "template:svc#/hyperparameters"},
            iterations=1,
            results_dir=tmp_path,
        )
    assert not list(tmp_path.iterdir())


def test_a_range_optimize_cannot_read_is_a_spec_error_that_names_optimize(tmp_path):
    """``space={"x": "5:1"}`` raised hypermax.quick.ranges.RangeError, a bare ValueError
    without the ``optimize():`` that names where every other error of optimize's spec is, and
    no HypermaxError: ``except hypermax.errors.HypermaxError`` let it through. It is a SpecError
    now, and a ValueError still."""
    with pytest.raises(SpecError) as raised:
        hypermax.optimize(lambda p: 0, space={"x": "5:1"}, iterations=1, results_dir=tmp_path)
    assert str(raised.value) == (
        'optimize(): space "x": "5:1": the low end must be below the high end'
    )
    assert raised.value.exit_code == 2
    assert isinstance(raised.value, ValueError)
    assert isinstance(raised.value, RangeError)
    assert not list(tmp_path.iterdir())


ONE_BRANCH = {"type": "object", "properties": {"a": {"type": "number", "min": 0, "max": 1}}}


@pytest.mark.parametrize(
    ("space", "key"),
    [
        ({"anyOf": [ONE_BRANCH, ONE_BRANCH]}, "anyOf"),
        ({"oneOf": [ONE_BRANCH]}, "oneOf"),
        ({"type": "number", "min": 0, "max": 1}, "type"),
        ({"enum": [1, 2]}, "enum"),
        ({"constant": 3}, "constant"),
    ],
)
def test_a_space_that_is_one_node_is_refused_as_a_spec_top_is(tmp_path, space, key):
    """``space={"anyOf": [...]}`` searched a param named ``anyOf`` (and ``{"type": "number",
    ...}`` params named ``type``, ``min`` and ``max``), where a spec's top is an object node."""
    with pytest.raises(SpecError) as raised:
        hypermax.optimize(lambda p: 0, space=space, iterations=1, results_dir=tmp_path)
    assert str(raised.value) == (
        f'optimize(): space= is one node ("{key}"), which the top of a space cannot be: put it'
        ' under a param\'s name ({"model": <the node>}), or give an object node ({"type":'
        f' "object", "properties": {{...}}}}), where a param may be named "{key}"'
    )
    assert not list(tmp_path.iterdir())


def test_a_space_may_still_name_a_param_type_or_enum(tmp_path):
    result = hypermax.optimize(
        lambda p: 0.5,
        space={"type": ["a", "b"], "enum": {"x": [1]}, "lr": "0:1"},
        iterations=1,
        results_dir=tmp_path,
    )
    (trial,) = result.trials
    assert trial["params"]["type"] in ("a", "b") and trial["params"]["enum"] == {"x": 1}
