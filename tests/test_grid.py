"""Grid search: the values of a number, the exact points a search visits, resume, the shuffle."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import journal_records, quadratic, run_cli_here

from hypermax.errors import SpecError
from hypermax.optimizers import EXHAUSTED, Budget, make_optimizer
from hypermax.space import Space
from hypermax.spec import load_spec, spec_from_dict
from hypermax.trial import Proposal

pytestmark = pytest.mark.usefixtures("in_tmp_path")  # errors name files from here

#: a conditional, a list of variable length, a log-spaced number: 2 x 4 x 6 = 48 points
SVM = {
    "type": "object",
    "properties": {
        "name": {"const": "svm"},
        "C": {"type": "number", "min": 0, "max": 4, "grid": [0.5, 2]},
    },
}
TREE = {
    "type": "object",
    "properties": {"name": {"const": "tree"}, "depth": {"type": "integer", "min": 2, "max": 3}},
}
SPACE = {
    "type": "object",
    "properties": {
        "x": {
            "type": "number",
            "min": 0.001,
            "max": 0.1,
            "scaling": "logarithmic",
            "grid_points": 2,
            "default": 0.1,
        },
        "model": {"anyOf": [SVM, TREE]},
        "layers": {"type": "array", "items": {"enum": [16, 32]}, "minItems": 1, "maxItems": 2},
    },
}

EXPECTED = [
    {"x": x, "model": model, "layers": layers}
    for x, model, layers in itertools.product(
        [0.001, 0.1],
        [
            {"name": "svm", "C": 0.5},
            {"name": "svm", "C": 2.0},
            {"name": "tree", "depth": 2},
            {"name": "tree", "depth": 3},
        ],
        [[16], [32], [16, 16], [16, 32], [32, 16], [32, 32]],
    )
]


def number(**keys: Any) -> dict[str, Any]:
    return {"type": "object", "properties": {"n": {"type": "number", **keys}}}


@pytest.mark.parametrize(
    ("keys", "values"),
    [
        ({"min": 0, "max": 1, "grid_points": 5}, (0.0, 0.25, 0.5, 0.75, 1.0)),
        ({"min": 0, "max": 0.3, "grid_points": 4}, (0.0, 0.1, 0.2, 0.3)),
        (
            {"min": 1e-4, "max": 1, "scaling": "logarithmic", "grid_points": 5},
            (1e-4, 1e-3, 1e-2, 1e-1, 1.0),
        ),
        ({"type": "integer", "min": 1, "max": 4, "grid_points": 3}, (1, 2, 4)),  # 2.5 → 2
        ({"type": "integer", "min": 1, "max": 3, "grid_points": 9}, (1, 2, 3)),  # repeats dropped
        ({"min": 0, "max": 1, "rounding": 0.5, "grid_points": 4}, (0.0, 0.5, 1.0)),
        ({"min": 0, "max": 10, "grid": [5, 1, 2.5]}, (5.0, 1.0, 2.5)),  # the order given
        ({"min": 0, "max": 1, "rounding": 0.25}, (0.0, 0.25, 0.5, 0.75, 1.0)),  # every step
        ({"min": 0, "max": 1}, None),
    ],
)
def test_the_values_a_number_offers_the_grid(keys: dict[str, Any], values: Any) -> None:
    (leaf,) = Space(number(**keys)).leaves()
    assert leaf.grid == values
    if values is not None:
        assert [type(v) for v in leaf.grid] == [type(v) for v in values]


def test_points_are_numbered_without_listing_them_and_found_again() -> None:
    space = Space(SPACE)
    points = space.points()
    assert len(points) == space.size() == 48
    assert [space.decode(p) for p in points] == EXPECTED  # the last leaf changes fastest
    assert [space.point_index(p) for p in points] == list(range(48))
    assert [space.point(i) for i in range(48)] == points
    off_grid = {**points[0], "x": 0.002}
    assert space.point_index(off_grid) is None
    axes = {f"n{i}": {"type": "integer", "min": 0, "max": 999} for i in range(5)}
    huge = Space({"type": "object", "properties": axes})
    assert huge.size() == 1000**5
    point = huge.point(123_456_789_012)
    assert huge.point_index(point) == 123_456_789_012


def test_a_search_visits_every_point_exactly_once_with_conditionals_and_lists(
    tmp_path: Path, write_spec: Any
) -> None:
    """The defaults run first (C has none: the middle of its range, 2, a grid value) and are
    not run again; iterations default to the 48 points."""
    spec = write_spec(
        {
            "hyperparameters": SPACE,
            "function": quadratic("anything", parallel=3),
            "search": {"name": "g", "method": "grid"},
        }
    )
    validated = run_cli_here("validate", str(spec), cwd=tmp_path)
    assert validated.stdout == (
        "search.json: ok (8 searched parameters, 48 iterations, "
        "method grid: every point of a grid over the space, 48 grid points)\n"
    )
    result = run_cli_here(str(spec), "--no-ui", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    started = [
        r for r in journal_records(tmp_path / "results" / "g") if r["event"] == "trial_started"
    ]
    received = [r["params"] for r in started]
    assert received[0] == {"x": 0.1, "model": {"name": "svm", "C": 2.0}, "layers": [16]}
    assert sorted(map(_key, received)) == sorted(map(_key, EXPECTED))  # each point once
    assert "ended (exhausted)" not in result.stdout + result.stderr


def test_a_half_done_grid_resumes_with_the_points_not_yet_run(
    tmp_path: Path, write_spec: Any
) -> None:
    spec = write_spec(
        {
            "hyperparameters": SPACE,
            "function": quadratic("anything"),
            "search": {"name": "g", "method": "grid", "seed": 5},
        }
    )
    first = run_cli_here(str(spec), "--no-ui", "--iterations", "20", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    rest = run_cli_here(str(spec), "--no-ui", cwd=tmp_path)
    assert rest.returncode == 0, rest.stderr
    records = journal_records(tmp_path / "results" / "g")
    received = [r["params"] for r in records if r["event"] == "trial_started"]
    assert len(received) == 48
    assert sorted(map(_key, received)) == sorted(map(_key, EXPECTED))
    # the first part was a seeded shuffle over the whole grid, not its first 20 points
    assert sorted(map(_key, received[:20])) != sorted(map(_key, EXPECTED[:20]))


def test_a_partial_grid_is_a_seeded_shuffle_that_covers_the_space() -> None:
    axes = {f"v{i}": {"type": "integer", "min": 0, "max": 9} for i in range(2)}
    space = Space({"type": "object", "properties": axes})

    def first(count: int, seed: int, iterations: int) -> list[dict[str, Any]]:
        optimizer = make_optimizer("grid", space, seed, budget=Budget(iterations=iterations))
        answers = [optimizer.ask(i) for i in range(1, count + 1)]
        return [a.params for a in answers if isinstance(a, Proposal)]

    in_order = first(20, 1, 100)
    assert in_order == [{"v0": i // 10, "v1": i % 10} for i in range(20)]
    assert first(20, 2, 100) == in_order  # a whole grid's order does not depend on the seed
    for seed in range(10):
        shuffled = first(20, seed, 20)
        assert shuffled == first(20, seed, 20)
        assert len({json.dumps(p) for p in shuffled}) == 20
        assert len({p["v0"] for p in shuffled}) >= 7  # in order, they would be 0 and 1 only
    assert first(20, 1, 20) != first(20, 2, 20)
    assert sorted(map(_key, first(100, 3, 99))) == sorted(map(_key, in_order_all(space)))


def in_order_all(space: Space) -> list[dict[str, Any]]:
    return [space.decode(p) for p in space.points()]


def test_a_grid_of_any_size_is_walked_without_listing_it() -> None:
    axes = {f"v{i}": {"type": "integer", "min": 0, "max": 999} for i in range(4)}
    space = Space({"type": "object", "properties": axes})
    optimizer = make_optimizer("grid", space, 1, budget=Budget(iterations=50))
    proposals = [optimizer.ask(i) for i in range(1, 51)]
    assert len({_key(p.params) for p in proposals if isinstance(p, Proposal)}) == 50


def test_a_used_up_grid_is_exhausted_and_taken_points_are_skipped() -> None:
    space = Space(number(min=0, max=1, grid_points=3))
    optimizer = make_optimizer("grid", space, 1, budget=Budget(iterations=3))
    optimizer.pending(1, {"n": 0.5})  # the defaults, running
    asked = [optimizer.ask(2), optimizer.ask(3)]
    assert [a.params for a in asked if isinstance(a, Proposal)] == [{"n": 0.0}, {"n": 1.0}]
    assert optimizer.ask(4) is EXHAUSTED


@pytest.mark.parametrize(
    "keys",
    [
        {"min": 1e-300, "max": 1e-290, "scaling": "logarithmic", "grid_points": 3},
        {"grid": [0.0, 5e-301, 1e-300]},
    ],
)
def test_tiny_grid_values_are_each_known_again(keys: dict[str, Any]) -> None:
    """Values closer together than a rounding error are still different points: a taken one (the
    defaults, a resumed trial) is skipped, not the first of them."""
    space = Space(number(**{"min": 0, "max": 1, **keys}))
    assert [space.point_index(point) for point in space.points()] == [0, 1, 2]
    first, *rest = (space.point(i)["n"] for i in range(3))
    optimizer = make_optimizer("grid", space, 1, budget=Budget(iterations=3))
    optimizer.pending(1, {"n": rest[0]})  # the middle one runs
    asked = [optimizer.ask(2), optimizer.ask(3)]
    assert [a.params["n"] for a in asked if isinstance(a, Proposal)] == [first, rest[1]]
    assert optimizer.ask(4) is EXHAUSTED


def test_defaults_and_points_off_the_grid_add_to_the_iterations(tmp_path: Path) -> None:
    (tmp_path / "objective.py").write_text("def train(params):\n    return 0.0\n")
    doc = {
        "hyperparameters": number(min=0, max=1, grid_points=3, default=0.2),
        "function": {"type": "python_function", "module": "objective", "name": "train"},
        "search": {"method": "grid", "points": [{"n": 1.0}, {"n": 0.7}]},
    }
    assert spec_from_dict(doc, tmp_path / "s.json").search.iterations == 3 + 2
    doc["hyperparameters"]["properties"]["n"]["default"] = 0.5
    assert spec_from_dict(doc, tmp_path / "s.json").search.iterations == 3 + 1
    doc["search"]["iterations"] = 2
    assert spec_from_dict(doc, tmp_path / "s.json").search.iterations == 2


@pytest.mark.parametrize(
    ("node", "search", "expected"),
    [
        (
            {"type": "object", "properties": {"m": {"anyOf": [
                {"type": "object", "properties": {"a": {"enum": [1]}}},
                {"type": "object", "properties": {"b": {"type": "array", "items": {
                    "type": "number", "mode": "normal", "mean": 0, "stddev": 1}}}},
            ]}}},
            {},
            ["hyperparameters.properties.m.anyOf.1.properties.b.items: needs grid values for "
             'the grid method: add "grid": [values] or "grid_points": N'],
        ),
        (
            {"type": "object", "properties": {
                "a": {"type": "integer", "min": 0, "max": 999},
                "b": {"type": "integer", "min": 0, "max": 1000}}},
            {},
            ["search: the grid has 1,001,000 points (more than 1,000,000): give "
             '"iterations" to run that many of them, in a shuffled order'],
        ),
        (number(type="integer", min=0, max=10**15), {"iterations": 5},
         ["hyperparameters.properties.n: has 1,000,000,000,000,001 steps, more than the grid "
          'method walks (10,000,000): add "grid": [values] or "grid_points": N']),
        # 11 steps, but the float 2**53 + 1 is 2**53: the grid ran 2**53 twice, + 4 three times
        (number(type="integer", min=2**53, max=2**53 + 10), {},
         ["hyperparameters.properties.n: has steps beyond 9,007,199,254,740,992 times its step "
          "from 0, which a float cannot tell apart (2**53 + 1 is 2**53): add \"grid\": [values] "
          'or "grid_points": N']),
        (number(min=0, max=1, grid=[0.5, 2]), {"method": "tpe"},
         ["hyperparameters.properties.n.grid.1: must be between 0 and 1, got 2"]),
        (number(type="integer", min=0, max=9, grid=[1, 2.5]), {"method": "random"},
         ["hyperparameters.properties.n.grid.1: must be a whole number, got 2.5"]),
        (number(min=0, max=1, rounding=0.25, grid=[0.5, 0.3]), {},
         ["hyperparameters.properties.n.grid.1: must be a multiple of rounding (0.25), got 0.3"]),
        (number(min=0, max=1, grid=[0.5], grid_points=3), {},
         ['hyperparameters.properties.n.grid_points: give "grid" or "grid_points", not both']),
        (number(mode="normal", mean=0, stddev=1, grid_points=3), {},
         ["hyperparameters.properties.n: needs grid values for the grid method: add "
          '"grid": [values] or "grid_points": N',
          'hyperparameters.properties.n.grid_points: needs "min" and "max": the values are '
          "spaced between them"]),
        (number(min=0, max=1, grid_points=1), {},
         ["hyperparameters.properties.n.grid_points: must be at least 2, got 1"]),
    ],
)  # fmt: skip
def test_grid_problems_are_one_line_each(
    node: dict[str, Any], search: dict[str, Any], expected: list[str], tmp_path: Path
) -> None:
    (tmp_path / "objective.py").write_text("def train(params):\n    return 0.0\n")
    doc = {
        "hyperparameters": node,
        "function": {"type": "python_function", "module": "objective", "name": "train"},
        "search": {"method": "grid", **search},
    }
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    with pytest.raises(SpecError) as caught:
        load_spec(tmp_path / "bad.json")
    assert str(caught.value).splitlines() == [f"bad.json: {line}" for line in expected]


def test_a_grid_too_large_to_run_whole_runs_the_iterations_given(tmp_path: Path) -> None:
    (tmp_path / "objective.py").write_text("def train(params):\n    return 0.0\n")
    axes = {name: {"type": "integer", "min": 0, "max": 999} for name in ("a", "b", "c")}
    doc = {
        "hyperparameters": {"type": "object", "properties": axes},
        "function": {"type": "python_function", "module": "objective", "name": "train"},
        "search": {"method": "grid", "iterations": 30},
    }
    spec = spec_from_dict(doc, tmp_path / "big.json")
    assert spec.search.iterations == 30


def _key(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True)


def test_more_iterations_than_a_grid_plans_say_how_many_trials_will_run() -> None:
    """``validate`` and a run showed 100 iterations and 6 grid points, not that 6 run."""
    space = {
        "type": "object",
        "properties": {
            "a": {"type": "number", "min": 0, "max": 4, "grid": [1, 2, 3], "default": 2},
            "b": {"enum": ["x", "y"]},
        },
    }
    doc = {
        "hyperparameters": space,
        "function": quadratic("anything"),
        "search": {"name": "g", "method": "grid", "iterations": 100},
    }
    assert spec_from_dict(doc, Path("search.json")).notices == (
        "search.json: search.iterations: 100, but the grid has 6 points: only 6 trials will run",
    )
    doc["search"] = {**doc["search"], "points": [{"a": 2.5, "b": "x"}]}
    assert spec_from_dict(doc, Path("search.json")).notices == (
        "search.json: search.iterations: 100, but the grid has 6 points and 1 default or "
        "search.points off it: only 7 trials will run",
    )
    doc["search"] = {**doc["search"], "iterations": 7}
    assert spec_from_dict(doc, Path("search.json")).notices == ()


def test_a_run_with_more_iterations_than_its_grid_counts_the_trials_that_run(
    tmp_path: Path,
) -> None:
    """Told that only 3 trials would run, a run still counted them out of its 10 iterations
    (``grid, 10 trials``, ``1/10`` with an ETA for 10) and ended at 3/10: it counts the 3."""
    doc = {
        "hyperparameters": {"type": "object", "properties": {"x": {"enum": [0.1, 0.2, 0.3]}}},
        "function": quadratic(),
        "search": {"name": "g", "method": "grid", "iterations": 10},
    }
    (tmp_path / "search.json").write_text(json.dumps(doc))
    result = run_cli_here("search.json", "--no-ui", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("hypermax: g: grid, 3 trials, ")
    assert [line.split()[1] for line in lines[1:4]] == ["1/3", "2/3", "3/3"]


def test_a_resume_names_the_frozen_spec_that_holds_the_iterations_in_its_notice(
    tmp_path: Path, write_spec: Any
) -> None:
    """It named the spec the search came from, whose iterations are the plan's (none given):
    the 50 are in the results folder's frozen spec, which resume reads."""
    space = {"type": "object", "properties": {"x": {"enum": [1, 2]}}}
    search = {"name": "g", "method": "grid"}
    spec = write_spec({"hyperparameters": space, "function": quadratic(), "search": search})
    ran = run_cli_here(str(spec), "--no-ui", "--iterations", "50", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    resumed = run_cli_here("resume", "results/g", "--no-ui", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stderr == (
        "results/g/search.json: search.iterations: 50, but the grid has 2 points: only 2 trials"
        " will run\n"
    )


def test_a_point_given_twice_or_equal_to_the_defaults_is_one_trial_of_the_plan(
    tmp_path: Path, write_spec: Any
) -> None:
    """The search runs such a point once, but the plan counted it each time: iterations
    defaulted to 8, and the progress counted to 8 a search that ended at 6, exhausted."""
    space = {
        "type": "object",
        "properties": {
            "x": {"type": "number", "min": 0, "max": 4, "grid": [1, 2], "default": 3},
            "y": {"enum": [0, 1]},
        },
    }
    off = {"x": 2.5, "y": 1}
    points = [off, off, {"x": 3, "y": 0}]  # the second, the third (the defaults): run before
    doc = {
        "hyperparameters": space,
        "function": quadratic(),
        "search": {"name": "g", "method": "grid", "points": points},
    }
    assert load_spec(write_spec(doc)).search.iterations == 6
    ran = run_cli_here("search.json", "--no-ui", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    lines = ran.stdout.splitlines()
    assert lines[0].startswith("hypermax: g: grid, 6 trials,")
    assert lines[-2] == "hypermax: search ended (iterations done); 6 trials done"


def test_early_stopping_that_a_grid_too_small_leaves_idle_is_said_past_its_plan() -> None:
    """Early stopping that waits for 10 other trials at a step stops none in a grid of 6
    points: said with iterations 6, but not with 100, of which the grid runs 6 all the same."""
    space = {"type": "object", "properties": {"x": {"enum": [1, 2, 3, 4, 5, 6]}}}
    search = {"name": "g", "method": "grid", "iterations": 100}
    search["early_stopping"] = {"policy": "median", "min_trials": 10}
    doc = {"hyperparameters": space, "function": quadratic("reporting"), "search": search}
    assert spec_from_dict(doc, Path("search.json")).notices == (
        "search.json: search.iterations: 100, but the grid has 6 points: only 6 trials will run",
        "search.json: search.early_stopping.min_trials: a trial is stopped at a step once 10 "
        "other trials reached it, and the search runs 6 trials: none will be stopped (lower "
        "min_trials below 6)",
    )


def test_a_grid_taught_points_by_a_warm_start_counts_the_points_it_runs(
    tmp_path: Path, write_spec: Any
) -> None:
    """The grid never proposes a point its warm start brought, but the start line and the
    progress counted them (``grid, 4 trials``, ``1/4``, ``2/4``, then ended exhausted), and a
    resume said 2 of them were left to run."""
    space = {"type": "object", "properties": {"x": {"enum": [0.1, 0.2, 0.3, 0.4]}}}
    first = {"hyperparameters": space, "function": quadratic(), "search": {"name": "first"}}
    first["search"]["method"] = "grid"
    write_spec(first, "first.json")
    assert run_cli_here("first.json", "--no-ui", "--iterations", "2", cwd=tmp_path).returncode == 0
    search = {"name": "g", "method": "grid", "warm_start": "results/first"}
    write_spec({"hyperparameters": space, "function": quadratic(), "search": search})
    ran = run_cli_here("search.json", "--no-ui", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    lines = ran.stdout.splitlines()
    assert lines[0].startswith("hypermax: g: grid, 2 trials,")
    assert [line.split()[1] for line in lines[2:4]] == ["1/2", "2/2"]
    resumed = run_cli_here("resume", "results/g", "--no-ui", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert (
        resumed.stdout.splitlines()[1]
        == "resuming g: 2 trials done, iterations 2: none left to run"
    )
