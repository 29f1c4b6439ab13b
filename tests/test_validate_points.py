"""validate warns of each ``search.points`` entry the space cannot produce, which the search
would skip, and still passes the spec (the search runs without it)."""

from __future__ import annotations

import json

import pytest
from conftest import X_SPACE

from hypermax.cli import main


def test_validate_warns_of_points_the_space_cannot_produce(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    spec = {
        "hyperparameters": X_SPACE,
        "function": {"type": "executable", "command": ["true"]},
        "search": {"points": [{"x": 0.5}, {"x": 5}, {"y": 1}]},
    }
    (tmp_path / "s.json").write_text(json.dumps(spec))
    assert main(["validate", "s.json"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("s.json: ok (")
    assert captured.err.splitlines() == [  # in the words of the search that skips them
        "hypermax: warning: s.json: search.points.1: skipped, the space cannot produce it: "
        "x: 5 is outside [0.0, 1.0]",
        "hypermax: warning: s.json: search.points.2: skipped, the space cannot produce it: "
        'unknown parameter "y"',
    ]


def test_a_point_no_branch_can_produce_names_each_different_reason_once():
    from hypermax.space import EncodeError, Space

    branch = {"type": "object", "properties": {"name": {"constant": "a"}, "v": X_SPACE}}
    other = {"type": "object", "properties": {"name": {"constant": "b"}}}
    space = Space({"type": "object", "properties": {"k": {"anyOf": [branch, branch, other]}}})
    with pytest.raises(EncodeError) as refused:
        space.encode(space.as_trial({"k": "a"}))
    assert str(refused.value) == 'k: matches no branch (expected an object, got "a")'


def test_a_skipped_point_shows_its_values_as_the_spec_writes_them(tmp_path, monkeypatch, capsys):
    """true, null, "a" and lists, as in the spec: not Python's True, None, 'a' and tuples."""
    monkeypatch.chdir(tmp_path)
    properties = {
        "c": {"constant": True},
        "e": {"enum": ["a", None]},
        "t": {"type": "array", "items": [{"enum": ["u", "v"]}]},
        "x": X_SPACE["properties"]["x"],
    }
    good = {"c": True, "e": "a", "t": ["u"], "x": 0.5}
    points = [{**good, "c": False}, {**good, "e": True}, {**good, "t": ["w", None]}]
    points.append({**good, "x": None})
    spec = {
        "hyperparameters": {"type": "object", "properties": properties},
        "function": {"type": "executable", "command": ["true"]},
        "search": {"points": points},
    }
    (tmp_path / "s.json").write_text(json.dumps(spec))
    assert main(["validate", "s.json"]) == 0
    skipped = "hypermax: warning: s.json: search.points.{}: skipped, the space cannot produce it: "
    assert capsys.readouterr().err.splitlines() == [
        skipped.format(0) + "c: expected the constant true, got false",
        skipped.format(1) + 'e: true is not one of ["a", null]',
        skipped.format(2) + 't: expected a list of 1 item, got ["w", null]',
        skipped.format(3) + "x: expected a number, got null",
    ]
