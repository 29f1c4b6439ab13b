"""A ``search.points`` entry that leaves out parameters with a ``default`` runs with those
defaults; one that leaves out a parameter without a default is still skipped, saying why."""

from __future__ import annotations

import json

from hypermax.cli import main
from hypermax.space import Space

NUMBER = {"type": "number", "min": 0, "max": 1}


def sample(
    tmp_path, monkeypatch, capsys, properties: dict, points: list, n: int, method: str = "random"
) -> list[dict]:
    doc = {
        "hyperparameters": {"type": "object", "properties": properties},
        "function": {"type": "python_function", "src": "model.py", "name": "train"},
        "search": {"method": method, "seed": 1, "points": points},
    }
    (tmp_path / "search.json").write_text(json.dumps(doc))
    (tmp_path / "model.py").write_text("def train(params):\n    return 0.0\n")
    monkeypatch.chdir(tmp_path)
    assert main(["sample", "search.json", "-n", str(n)]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_a_partial_point_is_completed_from_the_defaults(tmp_path, monkeypatch, capsys):
    properties = {"x": NUMBER, "y": {**NUMBER, "default": 0.25}, "c": {"constant": 7}}
    points = [{"x": 0.3}, {"x": 0.5, "y": 0.25}]  # the second is the first completed: runs once
    sampled = sample(tmp_path, monkeypatch, capsys, properties, points, 3)
    assert sampled[:2] == [{"x": 0.5, "y": 0.25, "c": 7}, {"x": 0.3, "y": 0.25, "c": 7}]
    assert sampled[2]["x"] not in (0.3, 0.5)
    assert capsys.readouterr().err == ""


def test_a_point_missing_a_param_without_default_is_skipped_saying_so(
    tmp_path, monkeypatch, capsys
):
    properties = {"x": NUMBER, "y": {**NUMBER, "default": 0.25}}
    points = [{"x": 0.1}, {"y": 0.75}, {"x": 2}]
    sampled = sample(tmp_path, monkeypatch, capsys, properties, points, 3)
    assert sampled[:2] == [{"x": 0.5, "y": 0.25}, {"x": 0.1, "y": 0.25}]
    assert sampled[2]["y"] != 0.75
    main(["sample", "search.json", "-n", "2"])
    assert capsys.readouterr().err == (  # each named by its file and JSON path in the spec
        "hypermax: search.json: search.points.1: skipped, the space cannot produce it: "
        'missing parameter "x"\n'
        "hypermax: search.json: search.points.2: skipped, the space cannot produce it: "
        "x: 2 is outside [0.0, 1.0]\n"
    )


def test_nested_objects_conditionals_and_lists_are_completed_inside():
    space = Space(
        {
            "type": "object",
            "properties": {
                "model": {
                    "anyOf": [
                        {
                            "type": "object",
                            "properties": {
                                "kind": {"constant": "svm"},
                                "C": {**NUMBER, "default": 0.5},
                            },
                        },
                        {
                            "type": "object",
                            "properties": {"kind": {"constant": "tree"}, "depth": NUMBER},
                        },
                    ]
                },
                "layers": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 2,
                    "items": {
                        "type": "object",
                        "properties": {"units": NUMBER, "drop": {**NUMBER, "default": 0.1}},
                    },
                },
                "opt": {"type": "object", "properties": {"lr": {**NUMBER, "default": 0.01}}},
            },
        }
    )
    given = {"model": {"kind": "svm"}, "layers": [{"units": 0.2}, {"units": 0.4, "drop": 0.3}]}
    before = json.loads(json.dumps(given))
    completed = space.complete(given)
    assert completed == {
        "model": {"kind": "svm", "C": 0.5},
        "layers": [{"units": 0.2, "drop": 0.1}, {"units": 0.4, "drop": 0.3}],
        "opt": {"lr": 0.01},
    }
    space.encode(completed)
    assert given == before  # not changed in place
    tree = {"model": {"kind": "tree"}, "layers": [{"units": 0.2}]}  # depth has no default
    assert space.complete(tree)["model"] == {"kind": "tree"}


def test_a_grid_counts_a_completed_point_off_the_grid_in_its_iterations(
    tmp_path, monkeypatch, capsys
):
    properties = {"x": {**NUMBER, "grid_points": 3}, "y": {"enum": [1, 2], "default": 2}}
    sampled = sample(tmp_path, monkeypatch, capsys, properties, [{"x": 0.3}], 10, "grid")
    assert sampled[:2] == [{"x": 0.5, "y": 2}, {"x": 0.3, "y": 2}]  # the defaults: a grid point
    assert len(sampled) == 7
    assert main(["validate", "search.json"]) == 0
    assert "7 iterations" in capsys.readouterr().out  # all of them, not the grid's 6


def test_a_point_runs_rounded_as_its_trial_and_so_once(tmp_path, monkeypatch, capsys):
    properties = {"x": {**NUMBER, "rounding": 0.25}, "n": {"type": "integer", "min": 1, "max": 9}}
    points = [{"x": 0.3, "n": 2.4}, {"x": 0.25, "n": 2}]  # one point, once rounded
    sampled = sample(tmp_path, monkeypatch, capsys, properties, points, 2)
    assert sampled[0] == {"x": 0.25, "n": 2} and sampled[1] != sampled[0]
    folder = tmp_path / "results" / "search"
    folder.mkdir(parents=True)
    from hypermax.spec import load_spec

    spec_hash = load_spec("search.json").fingerprint()
    header = {"event": "header", "format": 1, "spec_hash": spec_hash, "seed": 1}
    ran = {
        "event": "trial_started",
        "id": 1,
        "params": sampled[0],
        "internal": {"x": 0.3, "n": 2.4},
    }
    (folder / "trials.jsonl").write_text(json.dumps(header) + "\n" + json.dumps(ran) + "\n")
    assert main(["sample", "search.json", "-n", "2"]) == 0
    resumed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert resumed[0] == sampled[0]  # trial 1 runs again: it never ended
    assert resumed[1] == sampled[1]  # and the point does not run a second time


def test_a_grid_does_not_count_a_point_that_runs_rounded_onto_it(tmp_path, monkeypatch, capsys):
    properties = {"x": {**NUMBER, "rounding": 0.25}}  # the grid: 0, 0.25, ..., 1
    sampled = sample(tmp_path, monkeypatch, capsys, properties, [{"x": 0.3}], 10, "grid")
    assert sampled[0] == {"x": 0.25} and len(sampled) == 5
    assert main(["validate", "search.json"]) == 0
    assert "5 iterations" in capsys.readouterr().out
