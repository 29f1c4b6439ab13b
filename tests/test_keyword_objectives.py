"""A trial function whose parameters are named after the params gets them as keywords:
``def train(lr, momentum, reporter=None)`` is called ``train(lr=.., momentum=.., reporter=..)``,
while ``def train(params)`` and ``def train(params, reporter)`` still get the params dict."""

from __future__ import annotations

import functools
import json

import pytest
from conftest import journal_records, run_hypermax_here

import hypermax
from hypermax.cli import main
from hypermax.execution import child

PARAMS = {"lr": 0.5, "momentum": 0.25}


def by_dict(params):
    return ("dict", params)


def by_dict_and_reporter(params, reporter):
    return ("dict", params, callable(reporter))


def by_name(lr, momentum):
    return ("keywords", lr, momentum)


def by_name_and_reporter(lr, momentum=0.0, *, reporter=None):
    return ("keywords", lr, momentum, callable(reporter))


def by_keyword_only(*, lr, **rest):
    return ("keywords", lr, rest)


def by_kwargs(**params):
    return ("keywords", params)


def by_args_and_kwargs(*args, **kwargs):  # a decorator's wrapper without functools.wraps
    return ("dict", args, kwargs)


@functools.wraps(by_name)
def wrapped(*args, **kwargs):
    return by_name(*args, **kwargs)


class Model:
    def fit(self, lr, momentum, reporter):
        return ("keywords", lr, momentum, callable(reporter))

    def __call__(self, params):
        return ("dict", params)


CALLS = [
    (by_dict, ("dict", PARAMS)),
    (by_dict_and_reporter, ("dict", PARAMS, True)),
    (by_name, ("keywords", 0.5, 0.25)),
    (by_name_and_reporter, ("keywords", 0.5, 0.25, True)),
    (by_keyword_only, ("keywords", 0.5, {"momentum": 0.25})),
    (by_kwargs, ("keywords", PARAMS)),
    (by_args_and_kwargs, ("dict", (PARAMS,), {})),
    (wrapped, ("keywords", 0.5, 0.25)),
    (Model().fit, ("keywords", 0.5, 0.25, True)),
    (Model(), ("dict", PARAMS)),
    (functools.partial(by_name, momentum=1.0), ("keywords", 0.5, 0.25)),
]


@pytest.mark.parametrize(("fn", "expected"), CALLS, ids=lambda v: getattr(v, "__name__", ""))
def test_a_trial_function_is_called_the_way_its_parameters_ask(fn, expected):
    assert child._call(fn, dict(PARAMS)) == expected


def test_a_parameter_named_after_a_param_only_further_on_does_not_make_keywords():
    def train(config, lr):  # the params dict first, then a reporter by position
        return config

    assert child._call(train, dict(PARAMS)) == PARAMS


def train_by_name(x, opt, reporter=None):
    """Shipped by value: a keyword-style objective that reports each epoch."""
    for epoch in (1, 2):
        reporter(epoch, loss=x * x + epoch)
    return (x * x) + (0 if opt == "adam" else 1)


def test_optimize_runs_a_keyword_style_objective_in_trial_processes(tmp_path):
    result = hypermax.optimize(
        train_by_name,
        space={"x": "-2:2", "opt": ["adam", "sgd"]},
        iterations=3,
        seed=3,
        results_dir=str(tmp_path),
    )
    assert [trial["state"] for trial in result.trials] == ["ok"] * 3
    for record in result.trials:
        x, opt = record["params"]["x"], record["params"]["opt"]
        assert record["loss"] == pytest.approx(x * x + (0 if opt == "adam" else 1))
    reports = [r for r in journal_records(result.folder) if r["event"] == "trial_reported"]
    assert len(reports) == 6


@pytest.mark.parametrize(
    ("space", "problem"),
    [
        ({"x": "-2:2"}, "train_by_name() takes 'opt', which the space does not have"),
        (
            {"x": "-2:2", "opt": ["adam"], "dropout": "0:1"},
            "train_by_name() has no parameter for the param 'dropout'",
        ),
    ],
)
def test_optimize_refuses_a_keyword_style_objective_that_does_not_fit_the_space(
    tmp_path, space, problem
):
    with pytest.raises(TypeError) as raised:
        hypermax.optimize(train_by_name, space=space, iterations=2, results_dir=str(tmp_path))
    assert str(raised.value) == f"optimize(): {problem}"
    assert list(tmp_path.iterdir()) == []  # before anything was written


def takes_a_third(params, reporter, other):
    return params["x"]


def takes_a_keyword(params, *, other):
    return params["x"]


def takes_nothing():
    return 0.0


@pytest.mark.parametrize(
    ("objective", "problem"),
    [
        (
            takes_a_third,
            "takes_a_third() takes 'other', which a trial does not give: it is called "
            "takes_a_third(params, reporter=...)",
        ),
        (
            takes_a_keyword,
            "takes_a_keyword() takes 'other', which a trial does not give: it is called "
            "takes_a_keyword(params)",
        ),
        (
            takes_nothing,
            "takes_nothing() takes no positional argument for the params dict: it is called "
            "takes_nothing(params)",
        ),
    ],
)
def test_optimize_refuses_a_dict_style_objective_that_cannot_be_called(
    tmp_path, objective, problem
):
    """Each of these failed every trial with a TypeError of its own."""
    with pytest.raises(TypeError) as raised:
        hypermax.optimize(objective, space={"x": "0:1"}, iterations=2, results_dir=tmp_path)
    assert str(raised.value) == f"optimize(): {problem}"
    assert list(tmp_path.iterdir()) == []


OBJECTIVE = """
def by_name(lr, momentum, reporter=None):
    return lr + momentum

def by_dict_and_more(params, step, other, more=1):
    return params["lr"]

def by_dict(params, reporter=None):
    return params["lr"]

def by_rest(lr, **rest):
    return lr
"""


@pytest.mark.parametrize(
    ("name", "space", "error"),
    [
        ("by_name", ["lr"], "train.py: by_name() takes 'momentum', which the space does not have"),
        (
            "by_name",
            ["lr", "momentum", "drop"],
            "train.py: by_name() has no parameter for the param 'drop'",
        ),
        ("by_dict", ["lr", "drop"], None),
        (
            "by_dict_and_more",
            ["lr"],
            "train.py: by_dict_and_more() takes 'other', which a trial does not give: it is "
            "called by_dict_and_more(params, reporter)",
        ),
        ("by_rest", ["lr", "drop"], None),
        ("by_name", ["lr", "momentum"], None),
    ],
)
def test_validate_reads_which_params_a_keyword_style_function_takes(
    tmp_path, capsys, monkeypatch, name, space, error
):
    (tmp_path / "train.py").write_text(OBJECTIVE)
    number = {"type": "number", "min": 0, "max": 1}
    spec = {
        "hyperparameters": {"type": "object", "properties": dict.fromkeys(space, number)},
        "function": {"type": "python_function", "src": "train.py", "name": name},
    }
    (tmp_path / "search.json").write_text(json.dumps(spec))
    monkeypatch.chdir(tmp_path)
    code = main(["validate", "search.json"])
    err = capsys.readouterr().err
    if error is None:
        assert code == 0, err
    else:
        assert code == 2
        assert err.strip().splitlines() == [f"search.json: function.name: {error}"]


@pytest.mark.parametrize("preload", [True, False])
def test_a_dotted_function_name_is_a_function_inside_a_class_of_the_module(tmp_path, preload):
    """``"name": "Model.train"``, which validate accepts, is the static method ``train`` of the
    class ``Model`` (each trial failed: module 'model' has no attribute 'Model.train')."""
    (tmp_path / "model.py").write_text(
        "class Model:\n    @staticmethod\n    def train(params):\n        return params['x'] ** 2\n"
    )
    function = {"type": "python_function", "src": "model.py", "name": "Model.train"}
    spec = {
        "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1, 2]}}},
        "function": {**function, "preload": preload},
        "search": {"method": "grid", "max_initial_failures": 0},
        "results": {"directory": str(tmp_path / "results")},
    }
    (tmp_path / "search.json").write_text(json.dumps(spec))
    done = run_hypermax_here(tmp_path / "search.json")
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "results" / "search"
    losses = sorted(r["loss"] for r in journal_records(folder) if r["event"] == "trial_finished")
    assert losses == [1, 4]
