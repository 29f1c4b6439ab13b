"""The space: every node kind, checked by the values trials actually received."""

from __future__ import annotations

import json
import math

import pytest
from conftest import finished_records, quadratic, run_cli

from hypermax.space import EncodeError, Space, flatten, unflatten

EVERY_KIND = {
    "type": "object",
    "properties": {
        "lin": {"type": "number", "min": -2, "max": 3, "default": 0.5},
        "log": {"type": "number", "min": 1e-5, "max": 1e-1, "scaling": "logarithmic"},
        "exp": {"type": "number", "min": 1, "max": 1000, "scaling": "exponential"},
        "step": {"type": "number", "min": 0, "max": 1, "rounding": 0.25},
        "count": {"type": "integer", "min": 1, "max": 5},
        "rounded_int": {"type": "number", "min": 10, "max": 50, "rounding": 1},
        "noise": {"type": "number", "mode": "normal", "mean": 0, "stddev": 1},
        "choice": {"enum": ["relu", 3, {"kind": "dict"}, None, True]},
        "fixed": {"constant": "keep"},
        "also_fixed": {"const": [1, 2]},
        "nested": {
            "type": "object",
            "properties": {"deep": {"type": "integer", "min": 0, "max": 2}},
        },
        "model": {
            "anyOf": [
                {
                    "type": "object",
                    "properties": {
                        "name": {"const": "svm"},
                        "C": {"type": "number", "min": 0.1, "max": 10},
                    },
                },
                {
                    "type": "object",
                    "properties": {
                        "name": {"const": "forest"},
                        "depth": {"type": "integer", "min": 2, "max": 8},
                    },
                },
            ]
        },
        "optimizer": {
            "oneOf": [
                {"type": "object", "properties": {"kind": {"const": "sgd"}}},
                {
                    "type": "object",
                    "properties": {"kind": {"const": "adam"}, "beta": {"enum": [0.9, 0.99]}},
                },
            ]
        },
        "pair": {
            "type": "array",
            "items": [{"type": "integer", "min": 0, "max": 9}, {"enum": ["a", "b"]}],
        },
        "layers": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"units": {"type": "integer", "min": 8, "max": 64, "rounding": 8}},
            },
            "minItems": 1,
            "maxItems": 3,
        },
    },
}


def _check(params: dict, types: dict) -> None:
    assert -2 <= params["lin"] <= 3 and types["lin"] == "float"
    assert 1e-5 <= params["log"] <= 1e-1
    assert 1 <= params["exp"] <= 1000
    assert params["step"] in (0.0, 0.25, 0.5, 0.75, 1.0)
    assert types["count"] == "int" and 1 <= params["count"] <= 5
    assert types["rounded_int"] == "int" and 10 <= params["rounded_int"] <= 50
    assert types["noise"] == "float" and math.isfinite(params["noise"])
    assert params["choice"] in ["relu", 3, {"kind": "dict"}, None, True]
    assert params["fixed"] == "keep" and params["also_fixed"] == [1, 2]
    assert types["nested"]["deep"] == "int" and 0 <= params["nested"]["deep"] <= 2
    model = params["model"]
    if model["name"] == "svm":
        assert set(model) == {"name", "C"} and 0.1 <= model["C"] <= 10
    else:
        assert set(model) == {"name", "depth"} and types["model"]["depth"] == "int"
    opt = params["optimizer"]
    assert opt == {"kind": "sgd"} or (set(opt) == {"kind", "beta"} and opt["beta"] in (0.9, 0.99))
    assert (
        len(params["pair"]) == 2 and types["pair"][0] == "int" and params["pair"][1] in ("a", "b")
    )
    assert 1 <= len(params["layers"]) <= 3
    for layer, layer_types in zip(params["layers"], types["layers"], strict=True):
        assert (
            layer_types["units"] == "int" and layer["units"] % 8 == 0 and 8 <= layer["units"] <= 64
        )


def test_trials_receive_plain_values_of_every_node_kind(tmp_path, write_spec):
    spec = write_spec(
        {
            "hyperparameters": EVERY_KIND,
            "function": quadratic("anything", parallel=2),
            "search": {"name": "kinds", "method": "random", "iterations": 24, "seed": 11},
        }
    )
    proc = run_cli(str(spec), "--no-ui", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "results" / "kinds"
    assert len(finished_records(folder)) == 24
    seen_branches, seen_lengths, seen_choices = set(), set(), set()
    for trial_dir in (folder / "trials").iterdir():
        received = json.loads((trial_dir / "received.json").read_text())
        _check(received["params"], received["types"])
        seen_branches.add(received["params"]["model"]["name"])
        seen_lengths.add(len(received["params"]["layers"]))
        seen_choices.add(json.dumps(received["params"]["choice"]))
    assert seen_branches == {"svm", "forest"}
    assert seen_lengths == {1, 2, 3}
    assert len(seen_choices) >= 4
    first = json.loads((folder / "trials" / "1" / "received.json").read_text())["params"]
    assert first["lin"] == 0.5  # the first trial evaluates the defaults


def test_decode_encode_round_trip():
    space = Space(EVERY_KIND)
    from hypermax.optimizers import make_optimizer

    optimizer = make_optimizer("random", space, seed=3)
    for trial_id in range(1, 30):
        proposal = optimizer.ask(trial_id)
        assert space.encode(proposal.params) == proposal.internal
        assert space.decode(proposal.internal) == proposal.params


def test_encode_refuses_params_the_space_cannot_produce():
    space = Space(EVERY_KIND)
    good = space.defaults()
    assert good is not None
    for bad in (
        {**good, "lin": 7},
        {**good, "choice": "tanh"},
        {**good, "unknown": 1},
        {**good, "layers": []},
    ):
        with pytest.raises(EncodeError):
            space.encode(bad)


def test_encode_refuses_what_no_draw_of_a_normal_prior_gives():
    """A plugin's NaN for a normal-mode number ran (the journal kept it as the text "nan"),
    and so did a negative value of a log-normal one."""
    space = Space(
        {
            "type": "object",
            "properties": {
                "noise": {"type": "number", "mode": "normal", "mean": 0, "stddev": 1},
                "scale": {
                    "type": "number",
                    "mode": "normal",
                    "mean": 1,
                    "stddev": 1,
                    "scaling": "logarithmic",
                },
            },
        }
    )
    for bad, text in (
        ({"noise": math.nan, "scale": 1.0}, "noise: expected a finite number, got nan"),
        ({"noise": -math.inf, "scale": 1.0}, "noise: expected a finite number, got -inf"),
        ({"noise": 0.0, "scale": -2.0}, "scale: -2.0 is below 0, which no draw of a log-normal"),
    ):
        with pytest.raises(EncodeError, match=text):
            space.encode(bad)
    assert space.encode({"noise": -40.0, "scale": 0.0}) == {"noise": -40.0, "scale": 0.0}


def test_a_list_of_the_wrong_length_is_named_with_the_lengths_it_may_have():
    """A skipped point or warm-start trial used to say "expected a list of [1, 2, 3] items",
    without the length it had."""
    space = Space(EVERY_KIND)
    good = space.defaults()
    assert good is not None
    for bad, got in (([], "0 items"), ([{"units": 8}] * 4, "4 items"), ("wide", '"wide"')):
        with pytest.raises(EncodeError) as caught:
            space.encode({**good, "layers": bad})
        assert str(caught.value) == f"layers: expected a list of 1 to 3 items, got {got}"


def test_a_value_the_space_cannot_produce_is_named_by_its_path_in_the_params():
    """A skipped point or warm-start trial used to be named by its internal label
    (``layers#2.1.units``, ``m#1.d``), and a constant, or a tuple's item, not at all."""
    space = Space(
        {
            "type": "object",
            "properties": {
                "layers": {
                    "type": "array",
                    "items": {"type": "object", "properties": {"units": {"enum": [8, 16]}}},
                    "minItems": 1,
                    "maxItems": 3,
                },
                "m": {
                    "anyOf": [
                        {"type": "object", "properties": {"name": {"const": "svm"}}},
                        {
                            "type": "object",
                            "properties": {
                                "name": {"const": "rf"},
                                "d": {"type": "integer", "min": 1, "max": 5},
                            },
                        },
                    ]
                },
                "o": {
                    "type": "object",
                    "properties": {
                        "k": {"const": 2},
                        "t": {"type": "array", "items": [{"const": 1}, {"enum": [1, 2]}]},
                    },
                },
            },
        }
    )
    good = {"layers": [{"units": 8}], "m": {"name": "rf", "d": 2}, "o": {"k": 2, "t": [1, 1]}}
    assert space.decode(space.encode(good)) == good
    for change, text in (
        ({"layers": [{"units": 8}, {"units": 9}]}, "layers.1.units: 9 is not one of [8, 16]"),
        (
            {"m": {"name": "rf", "d": 20}},
            'm: matches no branch (unknown parameter "d"; d: 20 is outside [1.0, 5.0])',
        ),
        ({"o": {"k": 3, "t": [1, 1]}}, "o.k: expected the constant 2, got 3"),
        ({"o": {"k": 2, "t": [1, 3]}}, "o.t.1: 3 is not one of [1, 2]"),
        ({"o": {"k": 2, "t": [1, 1], "z": 0}}, 'o: unknown parameter "z"'),
    ):
        with pytest.raises(EncodeError) as caught:
            space.encode({**good, **change})
        assert str(caught.value) == text


def test_labels_are_unique_and_flat_names_follow_the_value():
    space = Space(EVERY_KIND)
    labels = space.labels()
    assert len(labels) == len(set(labels))
    assert "model#1.depth" in labels and "layers#3.2.units" in labels
    flat = flatten(
        {"model": {"name": "forest", "depth": 3}, "layers": [{"units": 8}, {"units": 16}]}
    )
    assert flat == {
        "model.name": "forest",
        "model.depth": 3,
        "layers.0.units": 8,
        "layers.1.units": 16,
    }
    assert unflatten(flat) == {
        "model": {"name": "forest", "depth": 3},
        "layers": [{"units": 8}, {"units": 16}],
    }


def test_no_defaults_means_no_warm_start_trial():
    assert (
        Space(
            {"type": "object", "properties": {"x": {"type": "number", "min": 0, "max": 1}}}
        ).defaults()
        is None
    )


def test_leaves_describe_every_searched_value_for_other_backends():
    leaves = {leaf.label: leaf for leaf in Space(EVERY_KIND).leaves()}
    assert list(leaves)[:3] == ["lin", "log", "exp"]
    assert "fixed" not in leaves and "also_fixed" not in leaves  # constants are not searched
    log = leaves["log"]
    assert (log.kind, log.low, log.high, log.log, log.step) == ("float", 1e-5, 1e-1, True, None)
    assert leaves["exp"].log and leaves["exp"].grid is None
    assert leaves["step"].grid == (0.0, 0.25, 0.5, 0.75, 1.0) and leaves["step"].kind == "float"
    assert leaves["count"].kind == "int" and leaves["count"].grid == (1, 2, 3, 4, 5)
    assert leaves["noise"].prior == (0.0, 1.0) and leaves["noise"].grid is None
    choice = leaves["choice"]
    assert choice.kind == "categorical" and choice.choices == (
        "relu",
        3,
        {"kind": "dict"},
        None,
        True,
    )
    assert leaves["nested.deep"].path == "nested.deep"
    model = leaves["model"]
    assert (model.role, model.choices, model.condition) == ("branch", (0, 1), ())
    assert leaves["model#0.C"].path == "model.C" and leaves["model#0.C"].condition == (
        ("model", 0),
    )
    assert leaves["model#1.depth"].condition == (("model", 1),)
    assert leaves["optimizer#1.beta"].choices == (0.9, 0.99)
    assert leaves["pair.0"].path == "pair.0" and leaves["pair.1"].choices == ("a", "b")
    layers = leaves["layers"]
    assert (layers.role, layers.choices) == ("length", (1, 2, 3))
    assert leaves["layers#3.2.units"].path == "layers.2.units"
    assert leaves["layers#3.2.units"].condition == (("layers", 2),)
    assert leaves["layers#3.2.units"].grid == (8, 16, 24, 32, 40, 48, 56, 64)
    # every hyperopt label is a leaf, and the other way round
    assert set(leaves) == set(Space(EVERY_KIND).labels())


def test_a_leaf_is_active_only_under_its_condition():
    space = Space(EVERY_KIND)
    internal = space.encode(space.defaults())
    active = {leaf.label for leaf in space.leaves() if leaf.active(internal)}
    assert "model#0.C" in active and "model#1.depth" not in active
    assert "layers#1.0.units" in active and "layers#2.0.units" not in active
    noisy = {**internal, "model#1.depth": 4.0, "layers#3.0.units": 8.0}
    assert space.active(noisy) == internal


SMALL = {
    "type": "object",
    "properties": {
        "a": {"enum": [1, 2]},
        "fixed": {"const": "k"},
        "model": {
            "anyOf": [
                {"type": "object", "properties": {"kind": {"const": "x"}}},
                {
                    "type": "object",
                    "properties": {
                        "kind": {"const": "y"},
                        "d": {"type": "integer", "min": 1, "max": 3},
                    },
                },
            ]
        },
        "layers": {"type": "array", "items": {"enum": ["p", "q"]}, "minItems": 0, "maxItems": 2},
        "step": {"type": "number", "min": 0.1, "max": 0.3, "rounding": 0.1},
    },
}


def test_a_finite_space_counts_and_lists_every_point_once():
    space = Space(SMALL)
    # a: 2; model: 1 + 3; layers: 1 + 2 + 4; step: 3
    assert space.size() == 2 * 4 * 7 * 3
    points = space.points()
    assert len(points) == space.size()
    decoded = [space.decode(point) for point in points]
    keys = {json.dumps(params, sort_keys=True) for params in decoded}
    assert len(keys) == len(points)  # no point twice
    assert {p["model"]["kind"] for p in decoded} == {"x", "y"}
    assert {p["model"].get("d") for p in decoded} == {None, 1, 2, 3}
    assert {len(p["layers"]) for p in decoded} == {0, 1, 2}
    assert {p["step"] for p in decoded} == {0.1, 0.2, 0.3}
    assert all(p["fixed"] == "k" for p in decoded)
    assert points[0] == {"a": 0, "model": 0, "layers": 0, "step": pytest.approx(0.1)}
    for point in points:  # every point is what the space encodes its params as
        assert space.encode(space.decode(point)) == space.active(point)


def test_an_infinite_space_has_no_size_and_cannot_be_listed():
    space = Space(EVERY_KIND)
    assert space.size() is None
    with pytest.raises(ValueError, match="infinitely many"):
        space.points()


@pytest.mark.parametrize("method", ["random", "hyperopt_tpe", "evolution"])
def test_a_rounded_log_normal_number_is_never_rounded_to_zero(method):
    """exp(N(ln 1, 3)) falls below half a step a third of the time: a log scale's value stays
    above 0, so it rounds to one step, as the Optuna-backed methods already give."""
    from hypermax.optimizers import make_optimizer

    node = {"mode": "normal", "scaling": "logarithmic", "mean": 1, "stddev": 3, "rounding": 1}
    space = Space({"type": "object", "properties": {"batch": {"type": "number", **node}}})
    optimizer = make_optimizer(method, space, 1, {})
    values = [optimizer.ask(trial_id).params["batch"] for trial_id in range(1, 41)]
    assert min(values) == 1, values


@pytest.mark.parametrize("method", ["random", "hyperopt_tpe", "anneal", "evolution", "cmaes"])
def test_a_step_as_wide_as_a_float_searches_its_multiples(method):
    """Widened by half a step on each side, 0 to 1e308 with a step of 1e308 spans more than a
    float holds (hyperopt's draw and the unit cube's overflowed): its bounds are the span."""
    from hypermax.optimizers import make_optimizer

    huge = {"type": "number", "rounding": 1e308}
    properties = {"up": {**huge, "min": 0, "max": 1e308}, "down": {**huge, "min": -1e308, "max": 0}}
    space = Space({"type": "object", "properties": properties})
    optimizer = make_optimizer(method, space, 1, {})
    for trial_id in range(1, 9):
        params = optimizer.ask(trial_id).params
        assert params["up"] in (0, int(1e308)) and params["down"] in (0, -int(1e308)), params


@pytest.mark.parametrize("size", [10, 5000])
def test_an_enum_value_is_encoded_without_comparing_it_with_every_option(size, monkeypatch):
    from hypermax.space import nodes

    options = [f"v{i}" for i in range(size - 4)] + [1, True, [1, "a"], {"k": [2.0]}]
    space = Space({"type": "object", "properties": {"c": {"enum": options}}})
    compared: list[object] = []
    real = nodes.json_equal

    def json_equal(a: object, b: object) -> bool:
        compared.append(a)
        return real(a, b)

    monkeypatch.setattr(nodes, "json_equal", json_equal)
    values = [f"v{size - 5}", 1.0, True, [1.0, "a"], {"k": [2]}]
    assert [space.encode({"c": v})["c"] for v in values] == [size - 5, *range(size - 4, size)]
    assert len(compared) == len(values)  # each with the option it is, not with every option
    with pytest.raises(EncodeError, match="is not one of"):
        space.encode({"c": "nowhere"})


def test_an_enum_is_one_draw_for_hyperopt_however_many_options_it_has():
    """hp.choice made a literal of each option's number: the graph of an enum of 90,000 values
    took hyperopt's random search a minute and a gigabyte to build, before its first trial."""
    import numpy
    from hyperopt import pyll

    space = Space({"type": "object", "properties": {"x": {"enum": list(range(100_000))}}})
    assert len(pyll.dfs(pyll.as_apply(space.hyperopt_space()))) < 20
    drawn = pyll.stochastic.sample(space.hyperopt_space(), rng=numpy.random.default_rng(1))
    assert 0 <= drawn["x"] < 100_000


def test_flatten_pins_names_order_and_empties_of_a_conditional_and_array_value():
    space = Space(
        {
            "type": "object",
            "properties": {
                "opt": {
                    "anyOf": [
                        {"type": "object", "properties": {"name": {"constant": "sgd"}}},
                        {
                            "type": "object",
                            "properties": {
                                "name": {"constant": "adam"},
                                "betas": {"constant": [0.9, [0.99, {}]]},
                            },
                        },
                    ]
                },
                "layers": {
                    "type": "array",
                    "minItems": 0,
                    "maxItems": 2,
                    "items": {"type": "object", "properties": {"units": {"enum": [8, 16]}}},
                },
            },
        }
    )
    params = space.decode(space.encode({"opt": {"name": "adam"}, "layers": [{"units": 16}]}))
    assert list(flatten(params).items()) == [
        ("opt.name", "adam"),
        ("opt.betas.0", 0.9),
        ("opt.betas.1.0", 0.99),
        ("layers.0.units", 16),
    ]
    assert list(flatten(params, keep_empty=True).items()) == [
        ("opt.name", "adam"),
        ("opt.betas.0", 0.9),
        ("opt.betas.1.0", 0.99),
        ("opt.betas.1.1", {}),
        ("layers.0.units", 16),
    ]
    empty = space.decode(space.encode({"opt": {"name": "sgd"}, "layers": []}))
    assert flatten(empty) == {"opt.name": "sgd"}
    assert flatten(empty, keep_empty=True) == {"opt.name": "sgd", "layers": []}
    assert flatten(empty, "p") == {"p.opt.name": "sgd"}
    assert flatten(3, "x") == {"x": 3} and flatten({}, keep_empty=True) == {}
    params["opt"]["betas"][1].append(1)  # each decode gives values of its own
    assert space.decode(space.encode({"opt": {"name": "adam"}, "layers": []}))["opt"] == {
        "name": "adam",
        "betas": [0.9, [0.99, {}]],
    }
