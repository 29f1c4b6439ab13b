"""A mistake in optimize()'s arguments names optimize() and the spec path, not a made-up file;
numpy numbers are no mistake."""

from __future__ import annotations

import json

import numpy as np
import pytest

import hypermax
from hypermax.errors import HypermaxError, SpecError


def train(params):
    return params["x"]


def test_a_bad_argument_is_named_by_its_spec_path_in_optimize(tmp_path):
    with pytest.raises(SpecError) as raised:
        hypermax.optimize(train, space={"x": "0:1"}, iterations=0, results_dir=tmp_path)
    assert str(raised.value) == "optimize(): search.iterations: must be at least 1, got 0"
    with pytest.raises(SpecError) as raised:
        hypermax.optimize(train, space={"x": {"type": "number", "min": 1}}, results_dir=tmp_path)
    assert (
        str(raised.value) == 'optimize(): hyperparameters.properties.x: missing required key "max"'
    )
    assert not list(tmp_path.iterdir())


def test_a_bound_too_large_for_a_float_is_named_as_not_finite(tmp_path):
    """Python's 10**400, which no float holds (an OverflowError escaped the checks)."""
    with pytest.raises(SpecError) as raised:
        space = {"x": {"type": "number", "min": 0, "max": 10**400}}
        hypermax.optimize(train, space=space, results_dir=tmp_path)
    assert str(raised.value) == (
        "optimize(): hyperparameters.properties.x.max: must be a finite number, got "
        "100000000000000000000000000000000000000000000000000000000..."
    )


def test_a_spec_dict_s_mistake_and_an_unusable_folder_name_optimize_too(tmp_path):
    spec = {
        "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1]}}},
        "function": {"type": "python_function", "module": "model", "name": "fit", "paralel": 2},
    }
    with pytest.raises(SpecError) as raised:
        hypermax.optimize(spec)
    assert str(raised.value).startswith("optimize(): function: ")
    (tmp_path / "file").write_text("")
    with pytest.raises(HypermaxError) as raised:
        hypermax.optimize(train, space={"x": "0:1"}, results_dir=tmp_path / "file")
    assert str(raised.value).startswith("optimize(): results.directory: ")


def test_numpy_numbers_are_numbers_in_every_argument(tmp_path):
    result = hypermax.optimize(
        train,
        space={"x": "0:1"},
        iterations=np.int64(2),
        seed=np.int32(3),
        parallel=np.int64(1),
        auto_kill_max_time=np.int64(30),
        results_dir=tmp_path,
    )
    assert [t["state"] for t in result.trials] == ["ok", "ok"]
    frozen = json.loads((tmp_path / "train" / "search.json").read_text())
    assert frozen["search"]["iterations"] == 2 and frozen["function"]["auto_kill_max_time"] == 30


@pytest.mark.parametrize(("objective", "kind"), [(42, "int"), (None, "NoneType")])
def test_an_objective_of_no_usable_kind_is_named_as_the_mistake(tmp_path, objective, kind):
    with pytest.raises(TypeError) as raised:
        hypermax.optimize(objective, results_dir=tmp_path)
    assert str(raised.value) == (
        f"optimize(): the objective must be a spec, 'module:function' or a callable, got {kind}"
    )


def test_a_current_folder_that_was_removed_is_one_line(tmp_path, monkeypatch):
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    with pytest.raises(HypermaxError) as raised:
        hypermax.optimize(train, space={"x": "0:1"}, results_dir=tmp_path / "results")
    assert str(raised.value) == (
        "optimize(): the current folder no longer exists (it was removed): change to one that "
        "does (os.chdir) and call optimize() again"
    )
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("space", [None, {"x": "0:1"}])
@pytest.mark.parametrize(
    ("objective", "meant"), [("model.train", ' ("model:train")'), ("train", "")]
)
def test_a_function_s_name_without_its_colon_is_not_read_as_a_spec_file(
    tmp_path, objective, meant, space
):
    """With its space=, it was refused as a spec given a space: "space= is for a callable or
    'module:function'; a spec has its own hyperparameters"."""
    with pytest.raises(SpecError) as raised:
        hypermax.optimize(objective, space=space, results_dir=tmp_path)
    assert str(raised.value) == (
        f'optimize(): "{objective}" is no spec file: name a function as "module:function"{meant}, '
        "or give the function itself"
    )


@pytest.mark.parametrize("metrics", ["acc:", ":max", "acc:maximum"])
def test_a_metric_without_a_direction_after_its_colon_is_refused(tmp_path, metrics):
    """``"acc:"`` used to mean ``"acc:min"``: a search that minimised an accuracy."""
    with pytest.raises(TypeError) as raised:
        hypermax.optimize(train, space={"x": "0:1"}, metrics=metrics, results_dir=tmp_path)
    assert str(raised.value) == (
        f"optimize(): metrics={metrics!r}: write 'name', 'name:min' or 'name:max'"
    )
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("results_dir", [b"res", 3])
def test_a_results_dir_that_is_no_path_is_one_line(tmp_path, monkeypatch, results_dir):
    """``b"res"`` was a bare pathlib TypeError, or, with a spec, a folder named ``b'res'``."""
    monkeypatch.chdir(tmp_path)
    spec = {
        "hyperparameters": {"type": "object", "properties": {"x": {"enum": [1]}}},
        "function": {"type": "executable", "command": ["true"]},
    }
    for objective, space in ((train, {"x": "0:1"}), (spec, None)):
        with pytest.raises(TypeError) as raised:
            hypermax.optimize(objective, space=space, results_dir=results_dir)
        assert str(raised.value) == (
            "optimize(): results_dir= is the results folder's path (a str or a Path), got "
            + type(results_dir).__name__
        )
    assert not list(tmp_path.iterdir())


def test_a_value_json_cannot_hold_is_shown_as_python_writes_it(tmp_path):
    """Not as the JSON string ``"b'.'"``, which the user did not write either."""
    for given, shown in ((b".", "b'.'"), ({1, 2}, "{1, 2}")):
        with pytest.raises(SpecError) as raised:
            hypermax.optimize(train, space={"x": "0:1"}, cwd=given, results_dir=tmp_path)
        assert str(raised.value) == f"optimize(): function.cwd: must be a string, got {shown}"


@pytest.mark.parametrize(("env", "shown"), [(["A=1"], "an array"), ("A=1", '"A=1"'), (3, "3")])
def test_an_env_that_is_no_dict_is_named_by_its_spec_path(tmp_path, env, shown):
    """A callable's env= was merged with the objective's own variable first: a bare
    ``TypeError: 'list' object is not a mapping``."""
    with pytest.raises(SpecError) as raised:
        hypermax.optimize(train, space={"x": "0:1"}, env=env, results_dir=tmp_path)
    assert str(raised.value) == f"optimize(): function.env: must be an object, got {shown}"
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(("name", "shown"), [(3, "3"), (["a"], "an array")])
def test_a_name_that_is_no_str_is_named_by_its_spec_path(tmp_path, name, shown):
    """A callable's name= made the path of its pickle first: ``unsupported operand type(s)
    for /: 'PosixPath' and 'int'``."""
    with pytest.raises(SpecError) as raised:
        hypermax.optimize(train, space={"x": "0:1"}, name=name, results_dir=tmp_path)
    assert str(raised.value) == f"optimize(): search.name: must be a string, got {shown}"
    assert not list(tmp_path.iterdir())


def test_a_plugin_optimizer_given_as_its_class_is_asked_for_by_its_name(tmp_path):
    """``method=TheClass`` said 'must be a string, got <class ...>'."""
    from hypermax.optimizers.hyperopt_based import RandomOptimizer

    def local() -> type:
        class Local(RandomOptimizer):
            pass

        return Local

    plugin = f"{RandomOptimizer.__module__}:RandomOptimizer"
    for given, advice in (
        (RandomOptimizer, f'not the class itself: method="{plugin}"'),
        (local(), "imports again: put Local in a module and name it so"),
    ):
        with pytest.raises(TypeError) as raised:
            hypermax.optimize(train, space={"x": "0:1"}, method=given, results_dir=tmp_path)
        assert str(raised.value).startswith('optimize(): method= names a plugin optimizer as "')
        assert str(raised.value).endswith(advice)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(("given", "kind"), [(3, "int"), (None, "NoneType"), (b"s.json", "bytes")])
def test_load_spec_given_no_path_is_one_line(given, kind):
    """pathlib's own words had come out: 'expected str, bytes or os.PathLike object, not int'."""
    with pytest.raises(TypeError) as raised:
        hypermax.load_spec(given)
    path = "load_spec() takes the spec file's path"
    assert str(raised.value) == f"{path} (a str or a Path), got {kind}"


@pytest.mark.parametrize("objective", ["model:", "a:b:c", ":train"])
def test_a_module_function_string_written_otherwise_is_named_as_such(tmp_path, objective):
    """With space= it was told 'a spec has its own hyperparameters', as if it named a spec."""
    with pytest.raises(TypeError) as raised:
        hypermax.optimize(objective, space={"x": "0:1"}, results_dir=tmp_path)
    assert str(raised.value) == (
        f"optimize(): \"{objective}\" is no 'module:function' (a module's dotted name, a colon, "
        "then the function's name), nor a spec file"
    )
    assert not list(tmp_path.iterdir())


def test_a_metric_named_by_anything_but_a_str_is_refused_before_anything_runs(tmp_path):
    """``metrics={1: {}}`` became the metric "1", which no trial returned: every trial failed."""
    with pytest.raises(TypeError) as raised:
        hypermax.optimize(train, space={"x": "0:1"}, metrics={1: {}}, results_dir=tmp_path)
    assert str(raised.value) == "optimize(): metrics= names each metric by a str, got the int 1"
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("metrics", "search", "key"),
    [("acc:max", {"direction": "min"}, "direction"), ("acc", {"metric": "other"}, "metric")],
)
def test_a_metric_goal_beside_search_s_own_is_given_twice(tmp_path, metrics, search, key):
    """``metrics="acc:max"`` sets search.metric and search.direction: the same key in
    ``search=`` was dropped without a word, and the search maximised what it was told to
    minimise."""
    with pytest.raises(TypeError) as raised:
        hypermax.optimize(
            train, space={"x": "0:1"}, metrics=metrics, search=search, results_dir=tmp_path
        )
    assert str(raised.value) == (
        f"optimize(): {key} given twice, as metrics={metrics!r} and in search="
    )
    assert not list(tmp_path.iterdir())
