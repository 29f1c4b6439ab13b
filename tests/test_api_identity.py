"""A lambda, a partial and a callable object all name their search ``objective``: another such
objective does not resume the folder's search (which would mix two objectives' losses), while
the same one does, wherever it sits in its file."""

from __future__ import annotations

import functools

import pytest
from fake_trials.helpers import finished

import hypermax
from hypermax.callables import identity
from hypermax.errors import ResultsError


def defined(source: str, blank_lines: int = 0) -> object:
    """The ``objective`` that ``source`` defines, as if ``blank_lines`` stood above it."""
    scope: dict[str, object] = {}
    exec(compile("\n" * blank_lines + source, "script.py", "exec"), scope)
    return scope["objective"]


def scaled(params, scale):
    return params["x"] * scale


class Model:
    def __init__(self, offset: float) -> None:
        self.offset = offset

    def __call__(self, params):
        return params["x"] + self.offset


def test_the_identity_follows_what_the_objective_computes_not_where_it_sits():
    square = "objective = lambda p: p['x'] ** 2\n"
    assert identity(defined(square)) == identity(defined(square, blank_lines=7))
    assert identity(defined(square)) != identity(defined("objective = lambda p: p['x'] ** 3\n"))
    nested = (
        "def objective(p):\n    def inner(v):\n        return v {} 1\n    return inner(p['x'])\n"
    )
    assert identity(defined(nested.format("+"))) != identity(defined(nested.format("-")))
    assert identity(functools.partial(scaled, scale=2)) == identity(
        functools.partial(scaled, scale=2)
    )
    assert identity(functools.partial(scaled, scale=2)) != identity(
        functools.partial(scaled, scale=3)
    )
    assert identity(Model(1)) == identity(Model(2))  # an object's class and its __call__


class Data:
    """An argument whose repr names where it is in memory, another in each run."""

    def __init__(self, k: int) -> None:
        self.k = k


def test_a_partial_of_an_object_without_a_repr_of_its_own_keeps_its_identity(tmp_path):
    """A partial's arguments were digested by their repr, which for such an object names its
    address: the same script, run again, was refused as another objective."""
    assert identity(functools.partial(scaled, scale=Data(1))) == identity(
        functools.partial(scaled, scale=Data(1))
    )
    assert identity(functools.partial(scaled, scale=Data(1))) != identity(
        functools.partial(scaled, scale=Data(2))
    )


def test_another_unnamed_objective_is_refused_and_the_same_one_resumes(tmp_path):
    space = {"x": (0.0, 1.0)}
    first = hypermax.optimize(
        lambda p: p["x"] ** 2, space=space, iterations=1, results_dir=str(tmp_path)
    )
    folder = tmp_path / "objective"
    assert first.folder == folder
    with pytest.raises(ResultsError) as refused:
        hypermax.optimize(
            lambda p: (p["x"] - 5) ** 2, space=space, iterations=2, results_dir=str(tmp_path)
        )
    assert str(refused.value) == (
        f"{folder}: holds the search of another objective (a lambda, a partial and a callable "
        'object are all named "objective"): give each a name=, or fresh=True to start anew '
        "(the old folder is kept)"
    )
    again = hypermax.optimize(
        lambda p: p["x"] ** 2, space=space, iterations=2, results_dir=str(tmp_path)
    )
    assert [t["trial"] for t in again.trials] == [1, 2]  # resumed: trial 1 is the first call's
    assert again.trials[0] == first.trials[0]


def square(params):
    return params["x"] ** 2


def test_a_results_folder_that_moved_resumes_from_python_and_the_command_line(tmp_path):
    import json
    import shutil

    from conftest import run_cli_here

    from hypermax.frozen_spec import frozen_spec
    from hypermax.spec import _digest, search_identity

    def search(folder, iterations):
        return hypermax.optimize(
            square, space={"x": [0.5]}, iterations=iterations, results_dir=folder
        )

    search(tmp_path / "before", 1)
    shutil.move(tmp_path / "before", tmp_path / "after")
    assert len(search(tmp_path / "after", 2).trials) == 2
    shutil.move(tmp_path / "after", tmp_path / "again")
    done = run_cli_here("resume", "again/square", "--iterations", "3", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    states = [r["state"] for r in finished(tmp_path / "again" / "square").values()]
    assert states == ["ok", "ok", "ok"]
    # a journal whose hash held where the objective's file was (hypermax 0.1.0) resumes too
    journal = tmp_path / "again" / "square" / "trials.jsonl"
    lines = journal.read_text().splitlines()
    header = json.loads(lines[0])
    spec = frozen_spec(tmp_path / "again" / "square")
    keyed = search_identity(spec.raw, spec.search.direction, spec.search.metric, True)
    header["spec_hash"] = _digest(keyed)
    journal.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
    assert len(search(tmp_path / "again", 4).trials) == 4


def test_a_named_objective_edited_since_its_search_began_resumes_it_saying_so(tmp_path, capsys):
    """An edit (a bug fixed) resumes the search, as it did, but no longer unsaid: its trials so
    far, of the earlier code, are in the same search as the new ones (0.x losses beside 10.x)."""
    space = {"x": [0.5]}
    edited = "def objective(p):\n    return {} + p['x']\n"

    def search(source: str, iterations: int) -> hypermax.api.Result:
        scope: dict[str, object] = {"__name__": "__main__"}  # a notebook's cell
        exec(source, scope)
        objective = scope["objective"]
        return hypermax.optimize(
            objective, space=space, iterations=iterations, results_dir=tmp_path, name="train"
        )

    search(edited.format(0), 1)
    capsys.readouterr()
    search(edited.format(0), 2)  # the same code: nothing to say
    assert "changed" not in capsys.readouterr().err
    assert [t["loss"] for t in search(edited.format(10), 3).trials] == [0.5, 0.5, 10.5]
    assert capsys.readouterr().err.splitlines()[0] == (
        f"optimize(): the objective changed since the search in {tmp_path / 'train'} began: "
        "its trials so far ran its earlier code; fresh=True starts anew (the old folder is kept)"
    )
    search(edited.format(10), 4)  # said once
    assert "changed" not in capsys.readouterr().err


class Fitted:
    def __init__(self, offset: float) -> None:
        self.offset = offset
        self.tags = {"a", "b", "c", "d"}  # a set: its order is no part of its data

    def fit(self, params):
        return params["x"] + self.offset


def test_the_method_of_another_object_of_the_same_class_resumes_saying_so(tmp_path, capsys):
    """``a.fit`` and ``b.fit`` of two differently made objects have the same code and name: the
    second resumed the first's search without a word, its losses (10.5) beside the first's
    (0.5). The folder keeps a digest of the objective's data too (the object a method is bound
    to, a closure's values): another is said, as an edit of the code of a named objective is.
    Said, not refused: an object's data may differ between runs of one script (a cache, a
    timestamp) when the search is the same."""

    def search(objective, iterations: int) -> hypermax.api.Result:
        return hypermax.optimize(
            objective, space={"x": [0.5]}, iterations=iterations, results_dir=tmp_path
        )

    search(Fitted(0).fit, 1)
    capsys.readouterr()
    search(Fitted(0).fit, 2)  # another object made alike: the same search
    assert "changed" not in capsys.readouterr().err
    assert [t["loss"] for t in search(Fitted(10).fit, 3).trials] == [0.5, 0.5, 10.5]
    assert (
        f"optimize(): the objective's data changed since the search in {tmp_path / 'fit'} began "
        "(the object its method is bound to, its arguments or the values its code closes over): "
        "its trials so far ran with the earlier data; fresh=True starts anew (the old folder is "
        "kept)"
    ) in capsys.readouterr().err.splitlines()
    search(Fitted(10).fit, 4)  # said once
    assert "changed" not in capsys.readouterr().err


def test_a_lambda_closing_over_another_value_resumes_saying_so(tmp_path, capsys):
    def closing(offset: float):
        return lambda p: p["x"] + offset

    space = {"x": [0.5]}
    hypermax.optimize(closing(0), space=space, iterations=1, results_dir=tmp_path)
    capsys.readouterr()
    hypermax.optimize(closing(10), space=space, iterations=2, results_dir=tmp_path)
    assert "optimize(): the objective's data changed" in capsys.readouterr().err


def test_a_partial_s_folder_whose_identity_digested_its_arguments_repr_resumes(tmp_path, capsys):
    objective = functools.partial(scaled, scale=2)
    space = {"x": [0.5]}
    hypermax.optimize(objective, space=space, iterations=1, results_dir=tmp_path)
    kept = tmp_path / "objective" / "objective.id"
    kept.write_text(identity(objective, by_repr=True) + "\n")  # as an earlier hypermax wrote it
    result = hypermax.optimize(objective, space=space, iterations=2, results_dir=tmp_path)
    assert [t["loss"] for t in result.trials] == [1.0, 1.0]
    assert "changed" not in capsys.readouterr().err
